"""Integers as the database stores them, for request models and path parameters of every package.

Every integer column, ids included, is SQLAlchemy's `Integer`: a 32-bit INTEGER on PostgreSQL (SQLite
stores up to 64 bits, but no id there grows past what PostgreSQL could hold either). A request that
names a larger number names no row, and passing it on to the database fails there (SQLite's driver
raises OverflowError at 2^63, PostgreSQL refuses an INTEGER out of range), which would be a 500. These
types refuse it while the request is validated: a 422 like any other bad field. They carry plain
`annotated_types` bounds, so the same alias works in a pydantic model and as a FastAPI path parameter.
It lives in the lowest layer so that every package's request models can use it.
"""

from __future__ import annotations

from typing import Annotated, Final

from annotated_types import Interval

INTEGER_MIN: Final = -(2**31)
INTEGER_MAX: Final = 2**31 - 1

# The id of a row (auto-incremented from 1).
RowId = Annotated[int, Interval(ge=1, le=INTEGER_MAX)]
# Any other number kept in an INTEGER column.
DbInteger = Annotated[int, Interval(ge=INTEGER_MIN, le=INTEGER_MAX)]

# Two commands do everything on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
.PHONY: bootstrap demo test lint

bootstrap:
	scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/loaxa demo

test: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	.venv/bin/pytest -n 2 --durations=25

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/mypy .

"""A stand-in for a province's source information system, for the demo and the tests.

It is what a province's integrator would build on the other side of `docs/source-link.md`, written
without any of loaxa's code: it keeps an Ed25519 key, signs items, pushes them to loaxa, serves them as a
feed for loaxa's pull mode, and stores the reports loaxa sends back. Run it with `python -m source_sim`.
"""

from source_sim.key import SourceKey
from source_sim.messages import SignedMessage, sign_message
from source_sim.server import SourceSystemSim

__all__ = ["SignedMessage", "SourceKey", "SourceSystemSim", "sign_message"]

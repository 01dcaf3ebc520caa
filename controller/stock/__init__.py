"""The stock library's wiring: making its audio (speech, uploads, the silent tone), approving, announcing.

The rules (keys, languages, approval, what is on air) are `schedules.stock_message`'s; this subpackage
joins them to the speech engines, the asset store and the MQTT link, for the API, console and CLI.
"""

from controller.stock.workflow import (
    DEFAULT_LIBRARY,
    announce_library,
    approve_message,
    make_audio,
    seed_default_library,
    store_recording,
    withdraw_message,
)

__all__ = [
    "DEFAULT_LIBRARY",
    "announce_library",
    "approve_message",
    "make_audio",
    "seed_default_library",
    "store_recording",
    "withdraw_message",
]

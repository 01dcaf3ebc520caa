"""Which speech engines to try, in order of preference, as the settings say."""

from __future__ import annotations

from tts.edge import EdgeSynthesizer, EdgeTransport
from tts.espeak import EspeakSynthesizer
from tts.settings import TtsSettings
from tts.synthesizer import Synthesizer


def build_engines(settings: TtsSettings, *, edge_transport: EdgeTransport | None = None) -> list[Synthesizer]:
    """ "auto": edge-tts, then espeak-ng when it fails; "edge" or "espeak": that engine alone, no fallback.

    `edge_transport` replaces the real edge-tts service (tests use a local stand-in); None means the real one.
    """
    edge = EdgeSynthesizer(settings, edge_transport)
    espeak = EspeakSynthesizer(settings)
    match settings.engine:
        case "auto":
            return [edge, espeak]
        case "edge":
            return [edge]
        case "espeak":
            return [espeak]

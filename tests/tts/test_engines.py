"""Which engines are tried, in which order, for each `tts.engine` setting."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest

from tests.tts.edge_fake import FakeEdgeTransport
from tts.edge import EdgeSynthesizer
from tts.engines import build_engines
from tts.espeak import EspeakSynthesizer
from tts.settings import TtsSettings


@pytest.mark.parametrize(
    ("engine", "names"), [("auto", ["edge", "espeak"]), ("edge", ["edge"]), ("espeak", ["espeak"])]
)
def test_the_setting_chooses_the_engines_in_order(engine: Literal["auto", "edge", "espeak"], names: list[str]) -> None:
    engines = build_engines(TtsSettings(engine=engine), edge_transport=FakeEdgeTransport())
    assert [synthesizer.name for synthesizer in engines] == names
    kinds = {"edge": EdgeSynthesizer, "espeak": EspeakSynthesizer}
    assert all(isinstance(synthesizer, kinds[synthesizer.name]) for synthesizer in engines)


def test_auto_is_the_default() -> None:
    assert TtsSettings().engine == "auto"


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine"):
        TtsSettings.model_validate({"engine": "google"})


def test_the_given_transport_is_the_one_edge_uses() -> None:
    fake = FakeEdgeTransport()
    (edge,) = build_engines(TtsSettings(engine="edge"), edge_transport=fake)
    speech = asyncio.run(edge.synthesize("Xin chào.", dialect="south"))
    assert [call.text for call in fake.calls] == ["Xin chào."]
    assert (speech.engine, speech.voice) == ("edge", "vi-VN-HoaiMyNeural")

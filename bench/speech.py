"""Benchmark: Vietnamese speech, from bulletin text to broadcast audio, on this machine.

Measures:
- normaliser throughput (words per second) over the sample bulletins, both dialects;
- offline synthesis real-time factor: espeak-ng time / duration of the speech it produced;
- broadcast chain real-time factor: trim, high-pass, loudness, Opus + MP3 encode, verify;
- a 500-word bulletin on the real controller (its own process, SQLite, offline engine), `--repeats N`
  of them (each with its own number in the title, so none is a cache hit; median and range, since the
  machine is shared): submitted, its speech made ahead in the background (the reviewer's preview
  returns once it is ready: "speech ready"), then approved: `POST /bulletins/{id}/approve` until the
  response says approved with its audio stored ("approve"); and, for an approver quicker than the
  speech, approved at once after submission (it waits for the speech being made, never makes it twice);
- cache-hit latency: approving a second bulletin with the same text (and the renderer's own lookup);
- bytes per minute of speech for each codec, and the loudness measured on the files.

Usage: .venv/bin/python -m bench.speech [--write docs/benchmarks.md] [--repeats N] [--approve-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path

import httpx
from sqlmodel import Session

from audio_library import AssetStore, AudioAsset, AudioSettings, produce_broadcast
from bench.controller_process import start_controller
from controller.accounts import Role, UserCreate
from controller.api.users import create_user_from
from controller.db import make_engine, session_factory
from controller.migrate import upgrade
from controller.settings import DatabaseSettings, Settings
from devices.mosquitto import MosquittoProcess
from devices.registry import add_commune, add_province
from devices.settings import MqttSettings
from tts.espeak import EspeakSynthesizer
from tts.normalizer import normalize
from tts.settings import TtsSettings
from tts.speech_asset import SpeechRenderer, SpeechRequest
from tts.speech_cache import SpeechCache

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "tts" / "data" / "corpus_bulletins.json"
COMMUNE = "XA-SPEECH"
PASSWORD = "bench-password"


def bulletins() -> list[str]:
    return [f"{b['title']}.\n{b['body']}" for b in json.loads(CORPUS.read_text(encoding="utf-8"))]


def five_hundred_words() -> str:
    words = " ".join(bulletins()).split()
    while len(words) < 500:
        words += words
    return " ".join(words[:500])


def normaliser_words_per_s(texts: list[str], seconds: float = 3.0) -> float:
    words = sum(len(t.split()) for t in texts) * 2
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        for text in texts:
            normalize(text, dialect="north")
            normalize(text, dialect="south")
        done += words
    return done / (time.perf_counter() - began)


def wav_seconds(data: bytes) -> float:
    """Duration from the byte count: a WAV streamed on stdout leaves its length field at the maximum."""
    with wave.open(BytesIO(data)) as speech:
        bytes_per_second: int = speech.getframerate() * speech.getsampwidth() * speech.getnchannels()
    return (len(data) - 44) / bytes_per_second


def synthesis_and_chain(texts: list[str], audio: AudioSettings) -> dict[str, float]:
    engine = EspeakSynthesizer(TtsSettings())
    synth_s = chain_s = speech_s = 0.0
    opus_bytes = mp3_bytes = 0
    opus_ms = 0
    lufs: list[float] = []
    for text in texts:
        began = time.perf_counter()
        speech = asyncio.run(engine.synthesize(normalize(text), dialect="north"))
        synth_s += time.perf_counter() - began
        speech_s += wav_seconds(speech.audio)
        began = time.perf_counter()
        produced = produce_broadcast(speech.audio, audio)
        chain_s += time.perf_counter() - began
        opus_bytes += len(produced.opus.data)
        mp3_bytes += len(produced.mp3.data)
        opus_ms += produced.opus.duration_ms
        lufs.append(produced.loudness.integrated_lufs)
    minutes = opus_ms / 60_000
    return {
        "speech_min": speech_s / 60,
        "synthesis_rtf": synth_s / speech_s,
        "chain_rtf": chain_s / speech_s,
        "opus_kb_per_min": opus_bytes / 1024 / minutes,
        "mp3_kb_per_min": mp3_bytes / 1024 / minutes,
        "lufs_min": min(lufs),
        "lufs_max": max(lufs),
    }


def renderer_cache_hit_ms(root: Path, audio: AudioSettings, text: str) -> tuple[float, float]:
    """Render once (cold), then the renderer's cache lookup for the same request, median of 20."""
    url = f"sqlite:///{root / 'renderer.db'}"
    upgrade(url)
    engine = make_engine(DatabaseSettings(url=url))
    sessions = session_factory(engine)
    renderer = SpeechRenderer(
        [EspeakSynthesizer(TtsSettings())], audio, SpeechCache(sessions, AssetStore(audio.storage_dir))
    )
    request = SpeechRequest(text=text)
    began = time.perf_counter()
    asyncio.run(renderer.render(request))
    cold_s = time.perf_counter() - began
    hits = []
    for _ in range(20):
        began = time.perf_counter()
        assert asyncio.run(renderer.render(request)).cached
        hits.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return cold_s, statistics.median(hits)


def approve_timings(root: Path, text: str, repeats: int = 1) -> dict[str, float]:
    """Approve `repeats` 500-word bulletins on the real controller (median), then one with the first's text."""
    mqtt = MosquittoProcess.settings_for(root / "broker", MqttSettings(password="bench-mqtt"))
    settings = Settings(
        env="test",
        database=DatabaseSettings(url=f"sqlite:///{root / 'loaxa.db'}"),
        mqtt=mqtt,
        audio=AudioSettings(storage_dir=root / "audio"),
    )
    upgrade(settings.database.url)
    engine = make_engine(settings.database)
    with Session(engine) as session:
        add_commune(session, add_province(session, "P", "Tỉnh"), COMMUNE, "Xã")
        for name, role in (("officer", Role.OFFICER), ("approver", Role.APPROVER)):
            create_user_from(session, UserCreate(username=name, role=role, password=PASSWORD, commune_codes=[COMMUNE]))
        session.commit()
    broker = MosquittoProcess(root / "broker", mqtt)
    broker.start()
    server, base_url = start_controller(settings)
    results: dict[str, float] = {}
    try:
        with httpx.Client(base_url=base_url, timeout=600) as client:
            tokens = {}
            for name in ("officer", "approver"):
                token = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
                tokens[name] = {"Authorization": f"Bearer {token.json()['access_token']}"}
            ready: list[float] = []
            cold: list[float] = []
            cpu: list[float] = []
            at_once: list[float] = []
            titles = [f"Bản tin pháp luật số {number}" for number in range(1, repeats + 1)]

            def submitted(title: str) -> int:
                bulletin = client.post(
                    "/api/v1/bulletins",
                    headers=tokens["officer"],
                    json={"commune_code": COMMUNE, "title": title, "body": text},
                ).json()
                client.post(f"/api/v1/bulletins/{bulletin['id']}/submit", headers=tokens["officer"]).raise_for_status()
                return int(bulletin["id"])

            def approve(bulletin_id: int) -> str:
                approved = client.post(f"/api/v1/bulletins/{bulletin_id}/approve", headers=tokens["approver"])
                approved.raise_for_status()
                return str(approved.json()["audio_sha256"])

            for title in [*titles, titles[0]]:
                cpu_before = cpu_with_children_s(server.pid)
                began = time.perf_counter()
                bulletin_id = submitted(title)
                # The reviewer listens first: the preview is the speech made ahead on submission.
                client.post(f"/api/v1/bulletins/{bulletin_id}/preview", headers=tokens["approver"]).raise_for_status()
                ready.append(time.perf_counter() - began)
                began = time.perf_counter()
                sha = approve(bulletin_id)
                cold.append(time.perf_counter() - began)
                cpu.append(cpu_with_children_s(server.pid) - cpu_before)
                print(
                    f"{title}: speech ready {ready[-1]:.2f} s after submission, approved in {cold[-1]:.2f} s, "
                    f"{cpu[-1]:.2f} CPU-s",
                    file=sys.stderr,
                    flush=True,
                )
            # An approver quicker than the speech: approval waits for the speech being made (not twice).
            for number in range(repeats):
                bulletin_id = submitted(f"Bản tin duyệt ngay số {number}")
                began = time.perf_counter()
                approve(bulletin_id)
                at_once.append(time.perf_counter() - began)
                print(f"approved at once after submission: {at_once[-1]:.2f} s", file=sys.stderr, flush=True)
            results["approve_cached_s"] = cold.pop()
            ready.pop()
            cpu.pop()
            results["approve_500_words_cpu_s"] = statistics.median(cpu)
            results["speech_ready_500_words_s"] = statistics.median(ready)
            results["approve_500_words_s"] = statistics.median(cold)
            results["approve_500_words_min_s"] = min(cold)
            results["approve_500_words_max_s"] = max(cold)
            results["approve_at_once_500_words_s"] = statistics.median(at_once)
            with Session(engine) as session:
                asset = session.get(AudioAsset, sha)
                assert asset is not None
                results["approved_audio_min"] = asset.duration_ms / 60_000
    finally:
        server.terminate()
        server.wait(10)
        broker.stop()
        engine.dispose()
    return results


def cpu_with_children_s(pid: int) -> float:
    """User + system CPU of `pid` and of the children it has waited for (ffmpeg, espeak-ng), from /proc.

    On a shared machine the wall time of an approval depends on the other agents' load; the CPU it
    costs does not, and divided by the cores it bounds the wall time on an idle machine.
    """
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def timed(label: str, action: Callable[[], object]) -> object:
    print(f"{label}...", file=sys.stderr, flush=True)
    return action()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", type=Path, help="append a results row to this markdown file")
    parser.add_argument("--repeats", type=int, default=5, help="500-word bulletins approved (median reported)")
    parser.add_argument("--approve-only", action="store_true", help="measure only the approval of 500 words")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="loaxa-bench-speech-"))
    if args.approve_only:
        print(json.dumps(approve_timings(root, five_hundred_words(), args.repeats), indent=2))
        return
    audio = AudioSettings(storage_dir=root / "chain")
    texts = bulletins()
    text = five_hundred_words()
    results: dict[str, float] = {"normaliser_words_per_s": normaliser_words_per_s(texts)}
    print(f"normaliser: {results['normaliser_words_per_s']:,.0f} words/s", file=sys.stderr, flush=True)
    results.update(synthesis_and_chain(texts, audio))
    print(f"synthesis and chain: {results}", file=sys.stderr, flush=True)
    cold_s, hit_ms = renderer_cache_hit_ms(root, AudioSettings(storage_dir=root / "renderer"), text)
    results["render_500_words_s"] = cold_s
    results["renderer_cache_hit_ms"] = hit_ms
    results.update(approve_timings(root, text, args.repeats))
    print(json.dumps(results, indent=2))
    if args.write:
        row = (
            f"| {date.today().isoformat()} | {results['normaliser_words_per_s']:,.0f} | "
            f"{results['synthesis_rtf']:.3f} | {results['chain_rtf']:.3f} | "
            f"{results['approve_500_words_s']:.1f} ({results['approved_audio_min']:.1f} min of speech) | "
            f"{results['approve_cached_s'] * 1000:.0f} / {results['renderer_cache_hit_ms']:.1f} | "
            f"{results['opus_kb_per_min']:.0f} / {results['mp3_kb_per_min']:.0f} | "
            f"{results['lufs_min']:.1f} to {results['lufs_max']:.1f} |\n"
        )
        with args.write.open("a", encoding="utf-8") as out:
            out.write(row)
        print(f"appended to {args.write} ({platform.node()})", file=sys.stderr)


if __name__ == "__main__":
    main()

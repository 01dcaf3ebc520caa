"""Benchmark: the share of the Mekong bulletin sample that the normaliser reads correctly.

The sample (`tests/tts/data/mekong_sample.tsv`) holds sentences written in the style of the
delta provinces' bulletins, each with the reading a trained announcer would give, in the
dialect named on its row. A sentence counts as read correctly when the normaliser's output
equals that reading once both are compared as heard: case, punctuation (pauses aside, the
words are the same) and the hyphens of respelled loanwords (``ki-lô-mét``) are ignored.

``--baseline REV`` measures the normaliser of another git revision (e.g. ``main``) on the
same sample: that revision's ``tts`` package is exported to a temporary directory and this
script runs again in a child process with it first on the import path.

Usage: .venv/bin/python -m bench.reading [--baseline main] [--failures]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Literal, cast

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "tts" / "data" / "mekong_sample.tsv"

_IGNORED_RE = re.compile(r"[\s,.;:!?…()\[\]\"“”'‘’«»\-–—]+")


@dataclass(frozen=True)
class SampleSentence:
    """One sentence of the sample and the reading expected for it."""

    id: str
    dialect: Literal["north", "south"]
    text: str
    expected: str


def load_sample(path: Path = SAMPLE) -> list[SampleSentence]:
    """The sample's rows, in file order (a TSV with ``id, dialect, text, expected``)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    sentences = []
    for row in rows:
        dialect = row["dialect"]
        if dialect not in ("north", "south"):
            raise ValueError(f"{row['id']}: unknown dialect {dialect!r}")
        sentences.append(
            SampleSentence(row["id"], cast(Literal["north", "south"], dialect), row["text"], row["expected"])
        )
    return sentences


def as_heard(reading: str) -> str:
    """The words of a reading as a listener hears them: lower case, no punctuation or hyphens."""
    text = unicodedata.normalize("NFC", reading).lower()
    return " ".join(_IGNORED_RE.sub(" ", text).split())


def reads_correctly(spoken: str, expected: str) -> bool:
    """Whether the normaliser's output sounds like the expected reading (see the module docstring)."""
    return as_heard(spoken) == as_heard(expected)


def measure(sentences: list[SampleSentence]) -> tuple[int, list[tuple[SampleSentence, str]]]:
    """The number read correctly, and every sentence read otherwise with what was said."""
    from tts.normalizer import normalize

    correct = 0
    failures = []
    for sentence in sentences:
        spoken = normalize(sentence.text, sentence.dialect)
        if reads_correctly(spoken, sentence.expected):
            correct += 1
        else:
            failures.append((sentence, spoken))
    return correct, failures


def _export_tts(revision: str, target: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "tts"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def _run_baseline(revision: str, show_failures: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="loaxa-reading-") as directory:
        _export_tts(revision, Path(directory))
        env = dict(os.environ, PYTHONPATH=directory, LOAXA_READING_LABEL=revision)
        command = [sys.executable, str(Path(__file__).resolve())]
        if show_failures:
            command.append("--failures")
        return subprocess.run(command, env=env, check=False, cwd=directory).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="measure the tts package of this git revision instead")
    parser.add_argument("--failures", action="store_true", help="print every sentence read otherwise")
    args = parser.parse_args()
    if args.baseline:
        return _run_baseline(args.baseline, args.failures)
    sentences = load_sample()
    correct, failures = measure(sentences)
    if args.failures:
        for sentence, spoken in failures:
            print(f"{sentence.id} [{sentence.dialect}] {sentence.text}")
            print(f"  expected: {sentence.expected}\n  spoken:   {spoken}")
    label = os.environ.get("LOAXA_READING_LABEL", "this tree")
    share = 100 * correct / len(sentences)
    print(f"{label}: {correct}/{len(sentences)} sentences read correctly ({share:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

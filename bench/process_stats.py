"""CPU time and memory of a running process, read from /proc (Linux), for benchmarks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessSample:
    cpu_s: float  # user + system CPU seconds since the process started
    rss_mb: float


def sample(pid: int) -> ProcessSample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    return ProcessSample(cpu_s=(utime + stime) / _TICKS_PER_S, rss_mb=rss_kb / 1024)


def cpu_percent(before: ProcessSample, after: ProcessSample, wall_s: float) -> float:
    """Share of one core used between two samples (100 = one core busy all the time)."""
    return 100.0 * (after.cpu_s - before.cpu_s) / wall_s if wall_s > 0 else 0.0

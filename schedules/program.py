"""Programs: ordered items (jingle, bulletins, recordings, music) and their placement into slot occurrences.

A program says what plays; a recurrence rule says when and a target where (stored with the program
by the caller). Placing a program into an occurrence yields one `ScheduledItem` per item, which the
slot compiler orders and times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from devices.protocol import Priority
from schedules.errors import InvalidRecurrence, InvalidValidityWindow
from schedules.local_time import COMMUNE_ZONE, require_aware
from schedules.recurrence import Occurrence

ItemKind = Literal["jingle", "bulletin", "recording", "music", "relay"]
# What happens to an item an emergency interrupts: play the rest, play it again whole, or give it up.
InterruptPolicy = Literal["resume", "restart", "drop"]

# Higher airs first (Thông tư 39: emergency before priority before normal content).
PRIORITY_RANK: dict[Priority, int] = {"emergency": 2, "priority": 1, "normal": 0}

# A bulletin is legal text listeners must hear whole; a recording is long and picks up where it stopped;
# jingles and music are filler not worth replaying; a relay goes back to the live stream for the time it has left
# (a node joins the stream as it is then: `offset_ms` means nothing to it).
DEFAULT_INTERRUPT_POLICY: dict[ItemKind, InterruptPolicy] = {
    "relay": "resume",
    "bulletin": "restart",
    "recording": "resume",
    "jingle": "drop",
    "music": "drop",
}


@dataclass(frozen=True)
class ProgramItem:
    """One piece of content; `ref_id` names the bulletin, recording or track it plays.

    The validity window is [valid_from, valid_until): an airing may start at `valid_from` but not at
    `valid_until`, as for bulletins. `on_interrupt` None means the kind's default policy.
    """

    kind: ItemKind
    ref_id: str
    title: str
    duration_ms: int
    priority: Priority = "normal"
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    on_interrupt: InterruptPolicy | None = None
    # Items sharing a unit are one piece of content aired together (a bulletin's versions in several
    # languages, one item each): pre-empted and resumed together (`schedules.emergency`). "": on its own.
    unit: str = ""

    def __post_init__(self) -> None:
        if self.duration_ms <= 0:
            raise ValueError(f"item {self.ref_id}: duration_ms must be positive, got {self.duration_ms}")
        for bound in (self.valid_from, self.valid_until):
            if bound is not None:
                require_aware(bound)
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise InvalidValidityWindow(f"item {self.ref_id}: valid_until is not after valid_from")

    @property
    def interrupt_policy(self) -> InterruptPolicy:
        return self.on_interrupt or DEFAULT_INTERRUPT_POLICY[self.kind]

    def valid_at(self, moment: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= moment) and (
            self.valid_until is None or moment < self.valid_until
        )


@dataclass(frozen=True)
class Program:
    """An ordered list of items; `position` is the officer's explicit place among programs of a slot.

    `created_at` is when it was approved (or created): the last word among equals.
    """

    program_id: str
    title: str
    items: tuple[ProgramItem, ...]
    created_at: datetime
    position: int | None = None

    def __post_init__(self) -> None:
        require_aware(self.created_at)
        if not self.items:
            raise ValueError(f"program {self.program_id} has no items")


@dataclass(frozen=True)
class ScheduledItem:
    """One item due in one slot occurrence, with everything the compiler orders it by.

    `item_id` is unique per airing. `group` and `sequence` keep a program's items together and in
    its order; `not_before` is the earliest start (a repeat's own time).
    """

    item_id: str
    item: ProgramItem
    created_at: datetime
    position: int | None = None
    group: str = ""
    sequence: int = 0
    not_before: datetime | None = None

    @property
    def title(self) -> str:
        return self.item.title

    @property
    def priority(self) -> Priority:
        return self.item.priority


def airing_id(program_id: str, index: int, occurrence: Occurrence) -> str:
    """A stable id per airing: program, item index, local start (yymmddHHMM) and repeat, e.g. "p7-0-2612010600"."""
    stamp = occurrence.starts_at.astimezone(COMMUNE_ZONE).strftime("%y%m%d%H%M")
    suffix = f"r{occurrence.repeat_index}" if occurrence.repeat_index else ""
    return f"{program_id}-{index}-{stamp}{suffix}"


def place_program(program: Program, occurrence: Occurrence) -> list[ScheduledItem]:
    """The program's items due in a slot occurrence, in program order, none before the occurrence's start."""
    if occurrence.slot is None:
        raise InvalidRecurrence(
            f"program {program.program_id}: occurrence at {occurrence.starts_at.isoformat()} has no slot",
            message_vi="Chương trình này được đặt theo giờ cụ thể, không thuộc khung giờ phát nào.",
        )
    return [
        ScheduledItem(
            item_id=airing_id(program.program_id, index, occurrence),
            item=item,
            created_at=program.created_at,
            position=program.position,
            group=f"{program.program_id}/{occurrence.repeat_index}",
            sequence=index,
            not_before=occurrence.starts_at,
        )
        for index, item in enumerate(program.items)
    ]

"""Screening playlists: the approved video messages fitted into each break on each screen.

A screen in a room plays in the venue-wide breaks and in that room's breaks; a screen
without a room (a lobby) plays in the venue-wide breaks. Breaks are filled in time
order, screens by name, and each playlist takes the messages played fewest times so far
first, so that across breaks and screens every message that fits somewhere is shown.

`fit` and `build_playlists` are pure (any objects with the attributes they read);
`event_screening` loads an event's breaks, screens and approved messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import BlockKind, Event, ProgrammeBlock, Screen, VideoMessage, VideoState
from webapp.extensions import db


def seconds_of(block: Any) -> int:
    """A break's length in whole seconds (0 if inverted)."""
    return max(0, int((block.ends_at - block.starts_at).total_seconds()))


def fit(messages: Iterable[Any], seconds: int, plays: Mapping[int, int] | None = None) -> list:
    """The messages to play in a break of `seconds`, in playing order.

    Fewest plays so far first, then the longest (long ones are the hardest to place
    later), then by id so the answer never changes; each message that still fits is
    taken, so the total never exceeds the break and short messages fill the gaps. A
    message is played at most once per playlist.
    """
    if seconds <= 0:
        return []
    plays = plays or {}
    order = sorted(
        {m.id: m for m in messages}.values(),
        key=lambda m: (plays.get(m.id, 0), -m.duration_seconds, m.id),
    )
    chosen, left = [], seconds
    for message in order:
        if 0 < message.duration_seconds <= left:
            chosen.append(message)
            left -= message.duration_seconds
    return chosen


def plays_in(block: Any, screen: Any) -> bool:
    """A screen plays in venue-wide breaks, and a room's screen in that room's breaks."""
    return block.room_id is None or block.room_id == screen.room_id


@dataclass(frozen=True)
class Slot:
    """One message in a playlist: its offset from the start of the break, and times."""

    message: Any
    offset: int
    starts_at: datetime
    ends_at: datetime


@dataclass
class Playlist:
    """The running order of one screen in one break."""

    block: Any
    screen: Any
    slots: list[Slot]
    seconds: int

    @property
    def total(self) -> int:
        return sum(s.message.duration_seconds for s in self.slots)

    @property
    def spare(self) -> int:
        return self.seconds - self.total


@dataclass
class Screening:
    """Every playlist, and the approved messages that no playlist holds: longer than any
    break with a screen (`too_long`), or crowded out (`unscheduled`)."""

    breaks: list
    playlists: list[Playlist]
    too_long: list = field(default_factory=list)
    unscheduled: list = field(default_factory=list)
    plays: dict[int, int] = field(default_factory=dict)

    def by_block(self) -> list[tuple[Any, list[Playlist]]]:
        """Every break in time order with its playlists (none if no screen plays there)."""
        return [(b, [p for p in self.playlists if p.block is b]) for b in self.breaks]

    def for_screen(self, screen: Any) -> list[Playlist]:
        """The screen's playlists, break by break."""
        return [p for p in self.playlists if p.screen.id == screen.id]


def build_playlists(
    breaks: Sequence[Any], screens: Sequence[Any], messages: Sequence[Any]
) -> Screening:
    """A playlist per break and screen that plays in it (breaks by start, screens by
    name), fitted from `messages` (objects with id and duration_seconds)."""
    breaks = sorted(breaks, key=lambda b: (b.starts_at, b.id))
    screens = sorted(screens, key=lambda s: (s.name, s.id))
    plays: dict[int, int] = {}
    playlists = []
    for block in breaks:
        seconds = seconds_of(block)
        for screen in screens:
            if not plays_in(block, screen):
                continue
            slots, offset = [], 0
            for message in fit(messages, seconds, plays):
                start = block.starts_at + timedelta(seconds=offset)
                end = start + timedelta(seconds=message.duration_seconds)
                slots.append(Slot(message, offset, start, end))
                offset += message.duration_seconds
                plays[message.id] = plays.get(message.id, 0) + 1
            playlists.append(Playlist(block, screen, slots, seconds))
    longest = max((p.seconds for p in playlists), default=None)
    too_long = [m for m in messages if m.duration_seconds > longest] if longest is not None else []
    long_ids = {m.id for m in too_long}
    unscheduled = [m for m in messages if m.id not in plays and m.id not in long_ids]
    return Screening(breaks, playlists, too_long, unscheduled, plays)


def event_screening(event: Event) -> Screening:
    """The playlists of the event's breaks and screens from its approved messages (three
    queries, whatever the numbers)."""
    breaks = db.session.scalars(
        select(ProgrammeBlock)
        .options(joinedload(ProgrammeBlock.room))
        .where(ProgrammeBlock.event_id == event.id, ProgrammeBlock.kind == BlockKind.BREAK)
        .order_by(ProgrammeBlock.starts_at, ProgrammeBlock.id)
    ).all()
    screens = db.session.scalars(
        select(Screen)
        .options(joinedload(Screen.room))
        .where(Screen.event_id == event.id)
        .order_by(Screen.name, Screen.id)
    ).all()
    messages = db.session.scalars(
        select(VideoMessage)
        .options(joinedload(VideoMessage.person), joinedload(VideoMessage.focus_area))
        .where(VideoMessage.event_id == event.id, VideoMessage.state == VideoState.APPROVED)
        .order_by(VideoMessage.id)
    ).all()
    return build_playlists(breaks, screens, messages)


# --- downloads --------------------------------------------------------------------------


def _one_line(text: Any) -> str:
    """Text for a line-based format: no line breaks, single spaces."""
    return " ".join(str(text or "").split())


def _speaker(message: Any) -> str:
    person = getattr(message, "person", None)
    return _one_line(person.full_name) if person is not None else ""


def m3u(screening: Screening, screen: Any, url_of: Callable[[Any], str]) -> str:
    """One screen's playlists as extended M3U: a comment line per break, then each
    message with its length and the address `url_of` gives."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(screen.name)}"]
    for playlist in screening.for_screen(screen):
        block = playlist.block
        lines.append(
            f"# {block.starts_at:%Y-%m-%d %H:%M}-{block.ends_at:%H:%M} {_one_line(block.title)}"
        )
        for slot in playlist.slots:
            message = slot.message
            lines.append(
                f"#EXTINF:{message.duration_seconds},"
                f"{_speaker(message)} - {_one_line(message.title)}"
            )
            lines.append(_one_line(url_of(message)))
    return "\r\n".join(lines) + "\r\n"


CSV_HEADER = [
    "break_starts",
    "break_ends",
    "break",
    "room",
    "screen",
    "position",
    "starts",
    "ends",
    "seconds",
    "title",
    "person",
    "language",
    "url",
]


def csv_rows(
    screening: Screening, url_of: Callable[[Any], str]
) -> tuple[list[str], list[list[Any]]]:
    """Every playlist as rows: one per message played, break by break, screen by screen."""
    rows = []
    for playlist in screening.playlists:
        block, screen = playlist.block, playlist.screen
        room = getattr(block, "room", None)
        for position, slot in enumerate(playlist.slots, start=1):
            message = slot.message
            rows.append(
                [
                    f"{block.starts_at:%Y-%m-%d %H:%M}",
                    f"{block.ends_at:%Y-%m-%d %H:%M}",
                    block.title,
                    room.name if room is not None else "",
                    screen.name,
                    position,
                    f"{slot.starts_at:%H:%M:%S}",
                    f"{slot.ends_at:%H:%M:%S}",
                    message.duration_seconds,
                    message.title,
                    _speaker(message),
                    message.language,
                    url_of(message),
                ]
            )
    return CSV_HEADER, rows

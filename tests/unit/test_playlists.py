"""Playlist fitting, pure (no database): exact fits, nothing fits, spreading messages
over breaks and screens, determinism, empty breaks, which screen plays in which break,
and the M3U and CSV downloads."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from sessions.playlists import build_playlists, csv_rows, fit, m3u, plays_in

START = datetime(2027, 11, 9, 10, 30)


def msg(id, seconds, title=None):
    """A message as `fit` reads it."""
    person = SimpleNamespace(full_name=f"Minister {id}")
    return SimpleNamespace(
        id=id, duration_seconds=seconds, title=title or f"M{id}", person=person, language="en"
    )


def brk(id, minutes=None, seconds=None, room_id=None, start=START, title="Coffee break"):
    """A break of `minutes` (or `seconds`) from `start`."""
    length = timedelta(minutes=minutes or 0, seconds=seconds or 0)
    return SimpleNamespace(
        id=id, starts_at=start, ends_at=start + length, room_id=room_id, title=title, room=None
    )


def scr(id, name="Lobby", room_id=None):
    return SimpleNamespace(id=id, name=name, room_id=room_id)


def ids(messages):
    return [m.id for m in messages]


def test_exact_fit_takes_every_message():
    chosen = fit([msg(1, 60), msg(2, 120), msg(3, 180)], 360)
    assert sorted(ids(chosen)) == [1, 2, 3]
    assert sum(m.duration_seconds for m in chosen) == 360


def test_nothing_fits_a_short_break():
    assert fit([msg(1, 120), msg(2, 300)], 90) == []


@pytest.mark.parametrize("seconds", [0, -30])
def test_zero_length_break_plays_nothing(seconds):
    assert fit([msg(1, 1)], seconds) == []


def test_total_never_exceeds_the_break_and_small_ones_fill_the_gap():
    messages = [msg(1, 200), msg(2, 150), msg(3, 90), msg(4, 40), msg(5, 10)]
    for seconds in range(0, 600, 7):
        chosen = fit(messages, seconds)
        total = sum(m.duration_seconds for m in chosen)
        assert total <= seconds
        # Whatever is left out would not fit in the spare time.
        assert all(m.duration_seconds > seconds - total for m in messages if m not in chosen)


def test_fewest_plays_first():
    messages = [msg(1, 100), msg(2, 100), msg(3, 100)]
    assert ids(fit(messages, 200, plays={1: 2, 2: 0, 3: 1})) == [2, 3]


def test_deterministic_whatever_the_input_order():
    messages = [msg(i, s) for i, s in enumerate([30, 60, 30, 45, 60, 15], start=1)]
    first = ids(fit(messages, 120))
    assert ids(fit(list(reversed(messages)), 120)) == first
    assert ids(fit(messages, 120)) == first
    assert first == [2, 5]  # the longest first, ids breaking the tie


def test_a_message_plays_once_per_playlist():
    assert ids(fit([msg(1, 10), msg(1, 10)], 100)) == [1]


def test_spread_across_breaks_shows_every_message():
    breaks = [brk(b, minutes=3, start=START + timedelta(hours=b)) for b in (1, 2)]
    messages = [msg(i, 90) for i in (1, 2, 3, 4)]
    screening = build_playlists(breaks, [scr(1)], messages)
    assert [ids(s.message for s in p.slots) for p in screening.playlists] == [[1, 2], [3, 4]]
    assert screening.plays == {1: 1, 2: 1, 3: 1, 4: 1}
    assert screening.unscheduled == [] and screening.too_long == []


def test_spread_across_screens_in_the_same_break():
    messages = [msg(i, 60) for i in (1, 2, 3)]
    screening = build_playlists([brk(1, minutes=2)], [scr(1, "A"), scr(2, "B")], messages)
    assert [ids(s.message for s in p.slots) for p in screening.playlists] == [[1, 2], [3, 1]]


def test_offsets_totals_and_spare():
    screening = build_playlists([brk(1, minutes=5)], [scr(1)], [msg(1, 100), msg(2, 50)])
    (playlist,) = screening.playlists
    assert [(s.offset, s.starts_at, s.ends_at) for s in playlist.slots] == [
        (0, START, START + timedelta(seconds=100)),
        (100, START + timedelta(seconds=100), START + timedelta(seconds=150)),
    ]
    assert (playlist.seconds, playlist.total, playlist.spare) == (300, 150, 150)


def test_a_message_longer_than_every_break_does_not_fit_any():
    breaks = [brk(1, minutes=2), brk(2, minutes=4, start=START + timedelta(hours=2))]
    long_one, short = msg(1, 5 * 60), msg(2, 60)
    screening = build_playlists(breaks, [scr(1)], [long_one, short])
    assert screening.too_long == [long_one]
    assert all(long_one not in [s.message for s in p.slots] for p in screening.playlists)


def test_crowded_out_messages_are_listed_as_unscheduled():
    screening = build_playlists([brk(1, minutes=1)], [scr(1)], [msg(1, 60), msg(2, 30)])
    assert ids(screening.unscheduled) == [2]
    assert screening.too_long == []


def test_no_breaks_nothing_too_long_everything_unscheduled():
    screening = build_playlists([], [scr(1)], [msg(1, 60)])
    assert screening.playlists == [] and screening.too_long == []
    assert ids(screening.unscheduled) == [1]


def test_which_screen_plays_in_which_break():
    venue_break, room_break = brk(1, minutes=5), brk(2, minutes=5, room_id=7)
    lobby = scr(3, "Lobby")
    in_room, elsewhere = scr(2, "Room 7", room_id=7), scr(1, "Room 8", room_id=8)
    assert plays_in(venue_break, lobby) and plays_in(venue_break, in_room)
    assert plays_in(venue_break, elsewhere)
    assert plays_in(room_break, in_room)
    assert not plays_in(room_break, lobby) and not plays_in(room_break, elsewhere)
    screening = build_playlists([venue_break, room_break], [lobby, in_room, elsewhere], [])
    pairs = [(p.block.id, p.screen.id) for p in screening.playlists]
    assert pairs == [(1, 3), (1, 2), (1, 1), (2, 2)]  # screens by name
    assert [(b.id, len(lists)) for b, lists in screening.by_block()] == [(1, 3), (2, 1)]


def test_breaks_are_filled_in_time_order():
    late = brk(1, minutes=1, start=START + timedelta(hours=3))
    early = brk(2, minutes=1, start=START)
    screening = build_playlists([late, early], [scr(1)], [msg(1, 60), msg(2, 60)])
    assert [(p.block.id, ids(s.message for s in p.slots)) for p in screening.playlists] == [
        (2, [1]),
        (1, [2]),
    ]


def test_m3u_and_csv():
    screen = scr(1, "Lobby\nscreen")
    screening = build_playlists(
        [brk(1, minutes=5, title="Coffee\nbreak")], [screen], [msg(1, 90, "Hello\r\nworld")]
    )
    text = m3u(screening, screen, lambda m: f"https://x.org/{m.id}")
    assert text.split("\r\n") == [
        "#EXTM3U",
        "#PLAYLIST:Lobby screen",
        "# 2027-11-09 10:30-10:35 Coffee break",
        "#EXTINF:90,Minister 1 - Hello world",
        "https://x.org/1",
        "",
    ]
    header, rows = csv_rows(screening, lambda m: "u")
    assert header[0] == "break_starts" and len(rows) == 1
    assert rows[0][5:10] == [1, "10:30:00", "10:31:30", 90, "Hello\r\nworld"]

"""Pure rules of curation: the agenda's computed times and overrun, what publishing
needs, the status moves, and the checks of links and languages."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace as NS

import pytest

from models import SessionMode, SessionPart, SessionStatus, SpeakerState
from sessions.core import ProgrammeError
from sessions.curation import MOVES, check_languages, check_url, publish_problems, timeline

S = SessionStatus


def items(*minutes):
    return [NS(minutes=m) for m in minutes]


def test_timeline_runs_items_back_to_back():
    start, end = datetime(2027, 11, 9, 14, 0), datetime(2027, 11, 9, 15, 0)
    rows, over = timeline(start, end, items(10, 30, 20))
    assert [(r.starts_at.strftime("%H:%M"), r.ends_at.strftime("%H:%M")) for r in rows] == [
        ("14:00", "14:10"),
        ("14:10", "14:40"),
        ("14:40", "15:00"),
    ]
    assert over == 0 and not any(r.late for r in rows)


def test_timeline_marks_what_runs_late():
    start, end = datetime(2027, 11, 9, 14, 0), datetime(2027, 11, 9, 14, 45)
    rows, over = timeline(start, end, items(30, 30))
    assert [r.late for r in rows] == [False, True]
    assert over == 15


def test_timeline_of_an_unplaced_session_has_no_times():
    rows, over = timeline(None, None, items(10))
    assert rows[0].starts_at is None and over == 0
    assert timeline(None, None, []) == ([], 0)


def session(**kw):
    values = {
        "title": "A panel",
        "starts_at": datetime(2027, 11, 9, 14),
        "ends_at": datetime(2027, 11, 9, 15),
        "room_id": 1,
        "mode": SessionMode.IN_PERSON,
        "stream_url": "",
        "people": [NS(part=SessionPart.MODERATOR, state=SpeakerState.ASKED)],
    }
    values.update(kw)
    return NS(**values)


def fields(problems):
    return [field for field, _message in problems]


def test_a_complete_session_may_be_published():
    assert publish_problems(session()) == []


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"title": " "}, ["title"]),
        ({"starts_at": None, "ends_at": None}, ["starts_at"]),
        ({"room_id": None}, ["room"]),
        ({"mode": SessionMode.HYBRID}, ["stream_url"]),
        ({"mode": SessionMode.ONLINE, "room_id": None}, ["stream_url"]),
        ({"people": []}, ["people"]),
        ({"people": [NS(part=SessionPart.RAPPORTEUR, state=SpeakerState.CONFIRMED)]}, ["people"]),
        ({"people": [NS(part=SessionPart.SPEAKER, state=SpeakerState.DECLINED)]}, ["people"]),
    ],
)
def test_what_publishing_needs(changes, missing):
    assert fields(publish_problems(session(**changes))) == missing


def test_online_with_a_link_needs_no_room():
    online = session(mode=SessionMode.ONLINE, room_id=None, stream_url="https://x.org/live")
    assert publish_problems(online) == []


def test_moves_go_one_step_and_back():
    assert MOVES[S.DRAFT] == (S.PROPOSED,)
    assert S.PUBLISHED in MOVES[S.CONFIRMED] and S.DRAFT in MOVES[S.CONFIRMED]
    assert MOVES[S.PUBLISHED] == (S.CONFIRMED,)
    assert all(S.PUBLISHED not in targets for s, targets in MOVES.items() if s != S.CONFIRMED)


@pytest.mark.parametrize(
    "value", ["https://stream.example.org/live?id=3", "http://10.0.0.1:8080/x", "", "  "]
)
def test_good_urls(value):
    assert check_url(value) == value.strip()


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "ftp://x.org",
        "https://",
        "stream.example.org",
        "https://a b.org",
        "https://x.org/a\tb",  # any white space, as for video links (one rule for both)
    ],
)
def test_bad_urls(value):
    with pytest.raises(ProgrammeError) as caught:
        check_url(value)
    assert caught.value.field == "stream_url"


def test_languages_in_order_once():
    assert check_languages(["fr", "ar", "fr"], "languages") == ["ar", "fr"]
    assert check_languages(None, "languages") == []
    with pytest.raises(ProgrammeError):
        check_languages(["en", "de"], "interpretation")

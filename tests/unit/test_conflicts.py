"""Conflict detection on plain data: each kind met and not, touching times, drafts holding
no room, online and unplaced sessions, cross-area sessions and the segment window."""

from __future__ import annotations

from datetime import datetime

from sessions.conflicts import BlockSlot, Booking, RoomInfo, Slot, counts, detect, overlaps

WINDOW = (datetime(2027, 11, 9, 14, 0), datetime(2027, 11, 11, 18, 0))
BOUNDS = (datetime(2027, 11, 8), datetime(2027, 11, 18))
ROOMS = [RoomInfo(1, "Room A", 100), RoomInfo(2, "Room B", 0)]


def at(hour: int, minute: int = 0, day: int = 9) -> datetime:
    return datetime(2027, 11, day, hour, minute)


def slot(id, start=None, end=None, *, room=1, status="proposed", area=1, capacity=None):
    return Slot(id, f"Session {id}", status, start, end, room, area, capacity)


def run(sessions, blocks=(), people=(), attendance=None, window=WINDOW, rooms=ROOMS):
    return detect(sessions, blocks, rooms, window, attendance or {}, people, bounds=BOUNDS)


def kinds(conflicts, session_id=None):
    return sorted(c.kind for c in conflicts if session_id in (None, c.session_id))


def test_overlap_is_half_open():
    assert overlaps(at(14), at(15), at(14, 30), at(16))
    assert not overlaps(at(14), at(15), at(15), at(16))
    assert not overlaps(at(15), at(16), at(14), at(15))
    assert overlaps(at(14), at(18), at(15), at(16))


def test_no_conflicts_for_a_clean_programme():
    sessions = [slot(1, at(14), at(15)), slot(2, at(15), at(16)), slot(3, at(14), at(15), room=2)]
    assert run(sessions) == []


# --- room double-booked ---------------------------------------------------------------


def test_room_double_booked_both_ways_and_hard():
    found = run([slot(1, at(14), at(15, 30)), slot(2, at(15), at(16))])
    assert kinds(found) == ["room_double_booked", "room_double_booked"]
    assert all(c.hard for c in found)
    one = next(c for c in found if c.session_id == 1)
    assert one.other_session_id == 2
    assert "Room A" in one.message and "Session 2" in one.message and "15:00" in one.message
    assert one.link is None  # links are the loaders' business


def test_touching_sessions_in_one_room_do_not_clash():
    assert run([slot(1, at(14), at(15)), slot(2, at(15), at(16))]) == []


def test_drafts_hold_no_room_but_are_checked_against_others():
    found = run([slot(1, at(14), at(15), status="draft"), slot(2, at(14), at(15))])
    assert [(c.session_id, c.kind) for c in found] == [(1, "room_double_booked")]
    assert (
        run([slot(1, at(14), at(15), status="draft"), slot(2, at(14), at(15), status="draft")])
        == []
    )


def test_sessions_without_room_never_double_book():
    found = run([slot(1, at(14), at(15), room=None), slot(2, at(14), at(15), room=None)])
    assert found == []


def test_unplaced_sessions_are_ignored():
    assert run([slot(1), slot(2, at(14), at(15)), slot(3, at(14), None)]) == []


# --- people ---------------------------------------------------------------------------


def test_person_in_two_places_at_once():
    sessions = [slot(1, at(14), at(15)), slot(2, at(14, 30), at(16), room=2)]
    people = [Booking(1, 7, "Ana Lima"), Booking(2, 7, "Ana Lima"), Booking(2, 8, "Bo Li")]
    found = run(sessions, people=people)
    assert kinds(found) == ["person_double_booked", "person_double_booked"]
    first = next(c for c in found if c.session_id == 1)
    assert first.hard and first.other_session_id == 2 and "Ana Lima" in first.message


def test_person_on_touching_or_draft_sessions_is_fine():
    people = [Booking(1, 7, "Ana"), Booking(2, 7, "Ana")]
    touching = [slot(1, at(14), at(15)), slot(2, at(15), at(16), room=2)]
    assert run(touching, people=people) == []
    draft_other = [slot(1, at(14), at(15)), slot(2, at(14), at(15), room=2, status="draft")]
    # The non-draft session is not bothered; the draft is told its speaker is taken.
    found = run(draft_other, people=people)
    assert [(c.session_id, c.kind) for c in found] == [(2, "person_double_booked")]


def test_different_people_do_not_clash():
    sessions = [slot(1, at(14), at(15)), slot(2, at(14), at(15), room=2)]
    assert run(sessions, people=[Booking(1, 7, "Ana"), Booking(2, 8, "Bo")]) == []


# --- the segment window ---------------------------------------------------------------


def test_area_session_outside_the_window():
    found = run([slot(1, at(13), at(14, 30))])
    assert kinds(found) == ["outside_window"] and found[0].hard
    assert run([slot(1, at(17), at(18, 0, day=11))]) == []
    assert run([slot(1, at(17), at(18, 30, day=11))])[0].kind == "outside_window"


def test_session_exactly_filling_the_window_is_inside():
    assert run([slot(1, WINDOW[0], WINDOW[0].replace(hour=18))]) == []
    assert run([slot(2, WINDOW[1].replace(hour=14), WINDOW[1])]) == []


def test_cross_area_sessions_may_sit_anywhere_in_the_event():
    assert run([slot(1, at(9, 0, day=8), at(10, 0, day=8), area=None)]) == []
    outside = run([slot(1, at(9, 0, day=7), at(10, 0, day=7), area=None)])
    assert kinds(outside) == ["outside_window"]


def test_no_window_means_area_sessions_are_outside():
    found = run([slot(1, at(14), at(15))], window=(None, None))
    assert kinds(found) == ["outside_window"]


# --- blocks ---------------------------------------------------------------------------


def test_venue_wide_plenary_blocks_every_session_even_online():
    plenary = BlockSlot(5, "plenary", "Plenary 3", None, at(15), at(17))
    found = run([slot(1, at(14), at(15, 30)), slot(2, at(16), at(17), room=None)], [plenary])
    assert kinds(found) == ["plenary_overlap", "plenary_overlap"]
    assert all(c.hard and "Plenary 3" in c.message for c in found)
    assert run([slot(1, at(14), at(15))], [plenary]) == []  # touching


def test_room_plenary_only_blocks_its_room():
    plenary = BlockSlot(5, "plenary", "Committee 1", 2, at(14), at(17))
    assert run([slot(1, at(14), at(15))], [plenary]) == []
    assert kinds(run([slot(1, at(14), at(15), room=2)], [plenary])) == ["plenary_overlap"]
    assert run([slot(1, at(14), at(15), room=None)], [plenary]) == []


def test_break_overlap_is_soft():
    coffee = BlockSlot(6, "break", "Coffee", None, at(15, 30), at(16))
    found = run([slot(1, at(15), at(16))], [coffee])
    assert kinds(found) == ["break_overlap"] and not found[0].hard
    assert "Coffee" in found[0].message
    assert run([slot(1, at(14), at(15, 30))], [coffee]) == []
    room_break = BlockSlot(7, "break", "Lunch", 2, at(12), at(16))
    assert run([slot(1, at(14), at(15))], [room_break]) == []


# --- capacity -------------------------------------------------------------------------


def test_more_expected_than_the_room_holds():
    found = run([slot(1, at(14), at(15))], attendance={1: 101})
    assert kinds(found) == ["over_capacity"] and not found[0].hard
    assert "101" in found[0].message and "100" in found[0].message
    assert run([slot(1, at(14), at(15))], attendance={1: 100}) == []


def test_session_capacity_above_the_room():
    assert kinds(run([slot(1, at(14), at(15), capacity=120)])) == ["over_capacity"]
    assert run([slot(1, at(14), at(15), capacity=80)]) == []


def test_unknown_room_capacity_or_no_room_is_never_exceeded():
    assert run([slot(1, at(14), at(15), room=2, capacity=500)], attendance={1: 999}) == []
    assert run([slot(1, at(14), at(15), room=None)], attendance={1: 999}) == []


# --- order and counts -----------------------------------------------------------------


def test_hard_conflicts_come_first_and_counts():
    coffee = BlockSlot(6, "break", "Coffee", None, at(14), at(14, 30))
    sessions = [slot(1, at(14), at(15)), slot(2, at(16), at(17)), slot(3, at(16), at(17))]
    found = run(sessions, [coffee])
    assert [c.hard for c in found] == [True, True, False]
    assert counts(found) == {"hard": 2, "soft": 1, "sessions": 3}


def test_orm_like_rows_work_too():
    class Row:
        id, title, status, room_id, focus_area_id, capacity = 1, "Row", "published", 1, 1, None
        starts_at, ends_at = at(14), at(15)

    other = slot(2, at(14), at(15))
    assert kinds(run([Row(), other]), 1) == ["room_double_booked"]

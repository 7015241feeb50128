"""Target-list services called directly (no HTTP): the status pipeline, adding and
changing entries, what owners may do, bulk actions and group targets."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from invitations import targets
from invitations.targets import (
    EntryFilters,
    TargetError,
    TargetForbidden,
    add_entry,
    set_group_target,
    set_status,
    update_entry,
)
from models import (
    AuditEntry,
    EntryStatus,
    Event,
    Invitation,
    Organization,
    Person,
    TargetEntry,
    User,
    Wave,
    utcnow,
)
from webapp.extensions import db

S = EntryStatus


@pytest.fixture
def world(ctx, make_user, make_event):
    """An event, its organizer, a staff member of another event, a participant and two
    people in the directory (one in a private-sector company, one without a group)."""
    event = db.session.get(Event, make_event("EV-A"))
    other = db.session.get(Event, make_event("EV-B"))
    company = Organization(name="Example Telecom", constituent_group="PRIV", country_iso2="CN")
    loose = Organization(name="No Group Inc")
    db.session.add_all([company, loose])
    db.session.flush()
    li = Person(first_name="Wei", last_name="Li", email="li@x.org", organization_id=company.id)
    ana = Person(first_name="Ana", last_name="Silva", email="ana@x.org", organization_id=loose.id)
    db.session.add_all([li, ana])
    db.session.commit()
    users = {
        "organizer": make_user("org@x.org", "Olga Organizer", organizer_of=event.id),
        "staff": make_user("staff@x.org", "Sam Staff", organizer_of=other.id),
        "participant": make_user("someone@x.org", "Pat Participant"),
    }
    return {
        "event": event,
        "other": other,
        "li": li,
        "ana": ana,
        **{k: db.session.get(User, v) for k, v in users.items()},
    }


def entry_for(world, person="li", **values) -> TargetEntry:
    return add_entry(world["organizer"], world["event"], world[person], **values)


# --- the pipeline -------------------------------------------------------------------------


def test_pipeline_follows_transitions_and_writes_the_audit_log(world):
    entry = entry_for(world)
    assert entry.status == S.IDENTIFIED
    for status in (S.INVITED, S.REMINDED, S.REMINDED, S.ACCEPTED, S.REGISTERED, S.ATTENDED):
        set_status(entry, status)
    assert entry.status == S.ATTENDED
    changes = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "target.status_changed")
        .order_by(AuditEntry.id)
    ).all()
    # Reminding a reminded person is no change and no audit entry.
    assert [c.data["new"] for c in changes] == [
        "invited",
        "reminded",
        "accepted",
        "registered",
        "attended",
    ]


@pytest.mark.parametrize(
    ("start", "move"),
    [
        (S.IDENTIFIED, S.ACCEPTED),
        (S.IDENTIFIED, S.REMINDED),
        (S.ACCEPTED, S.REMINDED),  # a late reminder never undoes an acceptance
        (S.ACCEPTED, S.NO_ANSWER),
        (S.ATTENDED, S.DECLINED),
        (S.DECLINED, S.REGISTERED),
    ],
)
def test_illegal_automatic_moves_are_refused(world, start, move):
    entry = entry_for(world)
    entry.status = start
    with pytest.raises(TargetError, match="cannot go from"):
        set_status(entry, move)
    assert entry.status == start


def test_manual_override_may_set_any_status(world):
    entry = entry_for(world)
    assert set_status(entry, S.ATTENDED, actor=world["organizer"], manual=True)
    assert set_status(entry, S.IDENTIFIED, actor=world["organizer"], manual=True)
    assert not set_status(entry, S.IDENTIFIED, manual=True)
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last.data["manual"] is True and last.actor_id == world["organizer"].id


# --- adding -------------------------------------------------------------------------------


def test_add_entry_takes_the_organizations_group_and_defaults(world):
    entry = entry_for(world)
    assert (entry.constituent_group, entry.priority, entry.star, entry.owner_id, entry.notes) == (
        "PRIV",
        2,
        False,
        None,
        "",
    )
    assert entry.event_id == world["event"].id


def test_add_entry_with_explicit_values(world):
    entry = entry_for(
        world, "ana", constituent_group="cso", priority=1, star=True, owner=world["staff"]
    )
    assert (entry.constituent_group, entry.priority, entry.star, entry.owner_id) == (
        "CSO",
        1,
        True,
        world["staff"].id,
    )


@pytest.mark.parametrize(
    ("person", "values", "field"),
    [
        ("ana", {}, "constituent_group"),  # no group given, organization has none
        ("li", {"constituent_group": "NOPE"}, "constituent_group"),
        ("li", {"priority": 4}, "priority"),
        ("li", {"priority": "high"}, "priority"),
        ("li", {"priority": True}, "priority"),
        ("li", {"notes": "x" * 5001}, "notes"),
    ],
)
def test_add_entry_refuses_bad_values(world, person, values, field):
    with pytest.raises(TargetError) as error:
        entry_for(world, person, **values)
    assert error.value.field == field


def test_add_entry_refuses_an_owner_outside_the_secretariat(world):
    with pytest.raises(TargetError) as error:
        entry_for(world, owner=world["participant"])
    assert error.value.field == "owner"


def test_a_person_is_on_a_list_once(world):
    entry_for(world)
    with pytest.raises(TargetError, match="already on the target list"):
        entry_for(world)
    # On another event's list they may well be.
    add_entry(None, world["other"], world["li"])
    assert db.session.scalar(select(func.count(TargetEntry.id))) == 2


def test_only_organizers_add(world):
    with pytest.raises(TargetForbidden):
        add_entry(world["staff"], world["event"], world["li"])


# --- updating -----------------------------------------------------------------------------


def test_organizer_updates_every_field(world):
    entry = entry_for(world)
    changed = update_entry(
        world["organizer"],
        entry,
        priority=3,
        star=True,
        owner=world["staff"],
        notes="  Call in May  ",
        constituent_group="SM",
        status="accepted",
    )
    assert changed == {"priority", "star", "owner_id", "notes", "constituent_group", "status"}
    assert (entry.priority, entry.star, entry.owner_id, entry.notes) == (
        3,
        True,
        world["staff"].id,
        "Call in May",
    )
    assert (entry.constituent_group, entry.status) == ("SM", S.ACCEPTED)
    assert update_entry(world["organizer"], entry, priority=3) == set()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": "x"}, "priority"),
        ({"notes": "n" * 5001}, "notes"),
        ({"constituent_group": "ZZZ"}, "constituent_group"),
        ({"status": "maybe"}, "status"),
    ],
)
def test_update_refuses_bad_values(world, values, field):
    entry = entry_for(world)
    with pytest.raises(TargetError) as error:
        update_entry(world["organizer"], entry, **values)
    assert error.value.field == field


def test_update_refuses_an_owner_outside_the_secretariat(world):
    entry = entry_for(world)
    with pytest.raises(TargetError) as error:
        update_entry(world["organizer"], entry, owner=world["participant"])
    assert error.value.field == "owner"
    assert entry.owner_id is None


def test_unknown_field_is_a_programming_error(world):
    with pytest.raises(TypeError):
        update_entry(world["organizer"], entry_for(world), person_id=3)


def test_owner_updates_priority_notes_and_status_of_own_entries(world):
    entry = entry_for(world, owner=world["staff"])
    update_entry(world["staff"], entry, priority=1, notes="Met in Kigali", status="declined")
    assert (entry.priority, entry.notes, entry.status) == (1, "Met in Kigali", S.DECLINED)


@pytest.mark.parametrize(
    "values",
    [{"star": True}, {"owner": None}, {"constituent_group": "SM"}, {"priority": 1, "star": True}],
)
def test_owner_may_not_star_reassign_or_regroup(world, values):
    entry = entry_for(world, owner=world["staff"])
    with pytest.raises(TargetForbidden):
        update_entry(world["staff"], entry, **values)
    assert (entry.star, entry.owner_id, entry.priority, entry.constituent_group) == (
        False,
        world["staff"].id,
        2,
        "PRIV",
    )


def test_others_may_not_update_an_entry_that_is_not_theirs(world):
    entry = entry_for(world)  # no owner
    for who in ("staff", "participant"):
        with pytest.raises(TargetForbidden):
            update_entry(world[who], entry, notes="mine now")
    assert entry.notes == ""


# --- removing -----------------------------------------------------------------------------


def test_remove_entry_until_invited(world):
    entry = entry_for(world)
    with pytest.raises(TargetForbidden):
        targets.remove_entry(world["staff"], entry)
    targets.remove_entry(world["organizer"], entry)
    assert db.session.scalar(select(func.count(TargetEntry.id))) == 0
    assert world["li"].id is not None  # the person stays in the directory

    invited = entry_for(world)
    wave = Wave(event_id=world["event"].id, name="W1", send_by_days=-365, rsvp_by_days=-300)
    db.session.add(wave)
    db.session.flush()
    db.session.add(
        Invitation(
            wave_id=wave.id,
            entry_id=invited.id,
            email="li@x.org",
            token_salt="s" * 32,
            token_hash="h" * 64,
            expires_at=utcnow(),
        )
    )
    db.session.flush()
    with pytest.raises(TargetError, match="already been invited"):
        targets.remove_entry(world["organizer"], invited)


# --- bulk ---------------------------------------------------------------------------------


def test_bulk_actions_touch_only_this_events_entries(world):
    mine = entry_for(world)
    theirs = add_entry(None, world["other"], world["ana"], constituent_group="CSO")
    ids = [mine.id, theirs.id]
    assert targets.bulk_update(world["organizer"], world["event"], ids, "star") == 1
    assert mine.star and not theirs.star
    assert targets.bulk_update(world["organizer"], world["event"], ids, "star") == 0
    assert (
        targets.bulk_update(world["organizer"], world["event"], ids, "owner", owner=world["staff"])
        == 1
    )
    assert mine.owner_id == world["staff"].id and theirs.owner_id is None
    assert (
        targets.bulk_update(world["organizer"], world["event"], ids, "status", status="accepted")
        == 1
    )
    assert mine.status == S.ACCEPTED and theirs.status == S.IDENTIFIED
    assert targets.bulk_update(world["organizer"], world["event"], ids, "unstar") == 1
    assert not mine.star


@pytest.mark.parametrize(
    ("action", "extra", "field"),
    [
        ("explode", {}, "action"),
        ("status", {"status": "nonsense"}, "status"),
        ("star", {"ids": []}, "entry_id"),
    ],
)
def test_bulk_refuses_bad_requests(world, action, extra, field):
    entry = entry_for(world)
    ids = extra.pop("ids", [entry.id])
    with pytest.raises(TargetError) as error:
        targets.bulk_update(world["organizer"], world["event"], ids, action, **extra)
    assert error.value.field == field


def test_bulk_is_for_organizers(world):
    entry = entry_for(world, owner=world["staff"])
    with pytest.raises(TargetForbidden):
        targets.bulk_update(world["staff"], world["event"], [entry.id], "star")


# --- group targets ------------------------------------------------------------------------


def test_group_targets_set_and_read(world):
    set_group_target(world["organizer"], world["event"], "priv", 35, 700)
    set_group_target(world["organizer"], world["event"], "CSO", "15.5", "300")
    found = targets.group_targets(world["event"])
    assert {c: (g.target_share, g.target_count) for c, g in found.items()} == {
        "PRIV": (35.0, 700),
        "CSO": (15.5, 300),
    }
    # Changing a group replaces its share rather than adding to it.
    set_group_target(world["organizer"], world["event"], "PRIV", 84.5, 10)
    assert targets.group_targets(world["event"])["PRIV"].target_share == 84.5


def test_shares_over_100_are_refused_with_the_total(world):
    set_group_target(world["organizer"], world["event"], "PRIV", 60, 0)
    with pytest.raises(TargetError, match="add up to 110%"):
        set_group_target(world["organizer"], world["event"], "CSO", 50, 0)
    assert "CSO" not in targets.group_targets(world["event"])
    # Shares of another event do not count.
    set_group_target(None, world["other"], "CSO", 90, 0)


def test_moving_share_between_groups_at_once(world):
    set_group_target(world["organizer"], world["event"], "PRIV", 60, 0)
    set_group_target(world["organizer"], world["event"], "CSO", 40, 0)
    targets.set_group_targets(world["organizer"], world["event"], {"PRIV": (20, 0), "CSO": (80, 0)})
    assert targets.group_targets(world["event"])["CSO"].target_share == 80


@pytest.mark.parametrize(
    ("share", "count", "field"),
    [
        (-1, 0, "share-PRIV"),
        (101, 0, "share-PRIV"),
        ("abc", 0, "share-PRIV"),
        ("nan", 0, "share-PRIV"),
        (10, -1, "count-PRIV"),
        (10, "2.5", "count-PRIV"),
        (10, "lots", "count-PRIV"),
    ],
)
def test_bad_group_targets(world, share, count, field):
    with pytest.raises(TargetError) as error:
        set_group_target(world["organizer"], world["event"], "PRIV", share, count)
    assert error.value.field == field


def test_unknown_group_and_non_organizers_refused(world):
    with pytest.raises(TargetError):
        set_group_target(world["organizer"], world["event"], "NOPE", 10, 1)
    with pytest.raises(TargetForbidden):
        set_group_target(world["staff"], world["event"], "PRIV", 10, 1)


# --- reading ------------------------------------------------------------------------------


def test_status_counts_and_filters(world):
    li = entry_for(world, star=True, owner=world["staff"])
    entry_for(world, "ana", constituent_group="CSO")
    set_status(li, S.INVITED)
    counts = targets.status_counts(world["event"])
    assert counts[S.INVITED] == 1 and counts[S.IDENTIFIED] == 1 and counts[S.ATTENDED] == 0
    # The status filter does not narrow the counts; the others do.
    assert (
        targets.status_counts(world["event"], EntryFilters(statuses=["invited"]))[S.IDENTIFIED] == 1
    )
    assert targets.status_counts(world["event"], EntryFilters(stars_only=True))[S.IDENTIFIED] == 0
    owned = db.session.scalars(
        targets.entries_query(world["event"], EntryFilters(owner_id=world["staff"].id))
    ).all()
    assert [e.person.last_name for e in owned] == ["Li"]
    assert targets.group_counts(world["event"]) == {"PRIV": 1, "CSO": 1}


def test_owner_candidates_are_the_secretariat(world):
    emails = [u.email for u in targets.owner_candidates()]
    assert emails == ["org@x.org", "staff@x.org"]

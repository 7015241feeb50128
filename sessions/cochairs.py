"""Co-chairs of the focus areas: appointment by an organizer, the rule checker, and the
accept/decline link sent to the appointed person.

The rules (DESIGN.md): each focus area has 3–4 co-chairs — 1–2 from Member States, exactly
1 from the private sector, exactly 1 from civil society or an international organization —
and across the areas the Member State co-chairs come from all six ITU-D regions.
Appointments awaiting an answer count (the seat is held for them); declined and withdrawn
ones do not.

`check_rules` and `refusal` are pure (unit-tested); the rest reads and writes the session,
writes the audit log and leaves the commit to the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import abort, current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from models import (
    AppointmentState,
    CochairAppointment,
    Event,
    FocusArea,
    Person,
    ReferenceItem,
    Role,
    RoleGrant,
    SeatCategory,
    User,
    utcnow,
)
from webapp import audit, mail
from webapp.auth.services import AuthError, check_password_rules, normalize_email
from webapp.config import LANGUAGES
from webapp.extensions import db
from webapp.reference import REGIONS
from webapp.security import hash_password, hash_token, new_token

from .balance import REGION_LABELS
from .core import MAX_ID, SEAT_LABELS, ProgrammeConflict, ProgrammeError

MS, PS, CS = SeatCategory.MEMBER_STATE, SeatCategory.PRIVATE_SECTOR, SeatCategory.CIVIL_SOCIETY_IO

#: Seats per area, and per category (min, max).
MIN_SEATS, MAX_SEATS = 3, 4
SEAT_LIMITS = {MS: (1, 2), PS: (1, 1), CS: (1, 1)}
#: Appointments that hold a seat.
ACTIVE = (AppointmentState.INVITED, AppointmentState.ACCEPTED)
#: How long an accept/decline link works.
LINK_DAYS = 30
MAX_REASON = 2000
MAX_EMAIL = 254
MAX_TOKEN = 200
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")

#: Seats a person may hold, by their organization's constituent group (reference.json).
#: Governments sit for Member States; firms, investors and rating agencies for the private
#: sector; NGOs, the UN system, banks, donors, RTOs, academia, youth and community
#: representatives for civil society or international organizations. Associates and
#: community networks / small operators may be either of the non-government seats.
#: A group not listed here (or none) restricts nothing.
GROUP_SEATS: dict[str, frozenset[SeatCategory]] = {
    "MS_MIN": frozenset({MS}),
    "MS_SO": frozenset({MS}),
    "SM": frozenset({PS}),
    "PRIV": frozenset({PS}),
    "INV": frozenset({PS}),
    "RATING": frozenset({PS}),
    "ASSOC": frozenset({PS, CS}),
    "CN": frozenset({PS, CS}),
    **{
        code: frozenset({CS})
        for code in (
            "CSO",
            "UN",
            "IFI",
            "RDB",
            "DONOR",
            "RTO",
            "ACAD",
            "YOUTH",
            "MARG_WG",
            "MARG_IP",
            "MARG_PWD",
        )
    },
}

#: Phrases naming one seat of a category, for "Missing: ..." messages.
A_SEAT = {
    MS: _l("a Member State co-chair"),
    PS: _l("a private-sector co-chair"),
    CS: _l("a civil-society or international-organization co-chair"),
}

#: Why one more seat of a category is refused.
FULL = {
    MS: _l("This focus area already has 2 Member State co-chairs, the most it may have."),
    PS: _l("This focus area already has its private-sector co-chair."),
    CS: _l("This focus area already has its civil-society or international-organization co-chair."),
}


class CochairLinkError(Exception):
    """An accept/decline link that cannot be used: kind "invalid" (unknown, forged,
    replaced by a newer one), "expired", or "used" (answered, withdrawn)."""

    def __init__(self, message, kind: str, appointment: CochairAppointment | None = None):
        super().__init__(str(message))
        self.message = message
        self.kind = kind
        self.appointment = appointment


# --- the rule checker (pure) ----------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """An appointment as the rule checker sees it."""

    area: str  # focus area code
    seat: SeatCategory
    state: AppointmentState = AppointmentState.ACCEPTED
    region: str | None = None  # region code of the person's country

    @property
    def counts(self) -> bool:
        return self.state in ACTIVE


@dataclass(frozen=True)
class Rule:
    key: str  # seats, member_state, private_sector, civil_society_io, regions
    met: bool
    message: str


@dataclass(frozen=True)
class AreaStatus:
    code: str
    rules: tuple[Rule, ...]
    #: Seats held (invited or accepted), and how many of them await an answer.
    held: int
    awaiting: int
    by_seat: dict[SeatCategory, int]

    @property
    def met(self) -> bool:
        return all(r.met for r in self.rules)

    @property
    def missing(self) -> list[Rule]:
        return [r for r in self.rules if not r.met]


@dataclass(frozen=True)
class RuleReport:
    areas: tuple[AreaStatus, ...]
    regions: Rule
    covered: tuple[str, ...]  # region codes with a Member State co-chair
    uncovered: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.regions.met and all(a.met for a in self.areas)

    def area(self, code: str) -> AreaStatus:
        return next(a for a in self.areas if a.code == code)


def _seat_count_rule(held: int) -> Rule:
    if held < MIN_SEATS:
        message = lazy_ngettext(
            "Missing: %(num)s more co-chair; an area has 3 to 4 (now %(held)s).",
            "Missing: %(num)s more co-chairs; an area has 3 to 4 (now %(held)s).",
            MIN_SEATS - held,
            held=held,
        )
        return Rule("seats", False, str(message))
    if held > MAX_SEATS:
        return Rule("seats", False, str(_l("Too many co-chairs: %(held)s; at most 4.", held=held)))
    return Rule("seats", True, str(_l("%(held)s co-chairs (3 to 4 needed).", held=held)))


def _category_rule(seat: SeatCategory, n: int) -> Rule:
    low, high = SEAT_LIMITS[seat]
    if n < low:
        return Rule(seat.value, False, str(_l("Missing: %(seat)s.", seat=A_SEAT[seat])))
    if n > high:
        return Rule(
            seat.value,
            False,
            str(
                _l(
                    "Too many co-chairs in the seat “%(seat)s”: %(n)s; at most %(max)s.",
                    seat=SEAT_LABELS[seat],
                    n=n,
                    max=high,
                )
            ),
        )
    if low == high:
        message = _l("%(seat)s: exactly one, as required.", seat=SEAT_LABELS[seat])
    else:
        message = _l("%(seat)s: %(n)s (1 to 2 required).", seat=SEAT_LABELS[seat], n=n)
    return Rule(seat.value, True, str(message))


def region_names(codes: Iterable[str]) -> str:
    return ", ".join(str(REGION_LABELS.get(c, c)) for c in codes)


def check_rules(area_codes: Sequence[str], seats: Iterable[Seat]) -> RuleReport:
    """What is met and what is missing, per area and across areas."""
    held = [s for s in seats if s.counts]
    statuses = []
    for code in area_codes:
        mine = [s for s in held if s.area == code]
        by_seat = {seat: sum(1 for s in mine if s.seat == seat) for seat in SeatCategory}
        rules = (_seat_count_rule(len(mine)),) + tuple(
            _category_rule(seat, by_seat[seat]) for seat in SeatCategory
        )
        awaiting = sum(1 for s in mine if s.state == AppointmentState.INVITED)
        statuses.append(AreaStatus(code, rules, len(mine), awaiting, by_seat))
    covered = {s.region for s in held if s.seat == MS and s.region and s.area in area_codes}
    uncovered = tuple(c for c in REGIONS if c not in covered)
    if uncovered:
        regions = Rule(
            "regions",
            False,
            str(_l("Regions without a Member State co-chair: %(r)s.", r=region_names(uncovered))),
        )
    else:
        regions = Rule(
            "regions", True, str(_l("Member State co-chairs come from all six regions."))
        )
    return RuleReport(
        tuple(statuses), regions, tuple(c for c in REGIONS if c in covered), uncovered
    )


def refusal(area_seats: Iterable[Seat], seat: SeatCategory) -> str | None:
    """Why one more `seat` in an area holding `area_seats` would break the rules (None if
    it would not): too many of its category, or a fifth co-chair."""
    held = [s for s in area_seats if s.counts]
    n = sum(1 for s in held if s.seat == seat)
    high = SEAT_LIMITS[seat][1]
    if n >= high:
        return str(FULL[seat])
    if len(held) >= MAX_SEATS:
        return str(_l("This focus area already has 4 co-chairs, the most it may have."))
    return None


def seat_fits_group(seat: SeatCategory, group: str | None) -> bool:
    """Whether a person of constituent group `group` may hold `seat`."""
    return seat in GROUP_SEATS.get(group or "", frozenset(SeatCategory))


# --- reading the database -------------------------------------------------------------


def region_of(person: Person) -> str | None:
    """The region follows from the person's own country."""
    return person.country.region_code if person.country is not None else None


def appointments(event: Event) -> list[CochairAppointment]:
    """Every appointment of the event (any state), people and areas loaded, in area
    order, then by seat (Member State, private sector, civil society) and name."""
    rows = db.session.scalars(
        select(CochairAppointment)
        .where(CochairAppointment.event_id == event.id)
        .options(
            joinedload(CochairAppointment.person).joinedload(Person.organization),
            joinedload(CochairAppointment.focus_area),
        )
    ).unique()
    seats = list(SeatCategory)
    return sorted(
        rows,
        key=lambda a: (
            a.focus_area.position,
            a.focus_area.code,
            seats.index(a.seat),
            a.person.last_name.lower(),
            (a.person.first_name or "").lower(),
            a.id,
        ),
    )


def seat_of(appointment: CochairAppointment) -> Seat:
    return Seat(
        appointment.focus_area.code,
        appointment.seat,
        appointment.state,
        region_of(appointment.person),
    )


def report(areas: Sequence[FocusArea], current: Iterable[CochairAppointment]) -> RuleReport:
    return check_rules([a.code for a in areas], [seat_of(a) for a in current])


def parse_seat(value: object) -> SeatCategory:
    try:
        return SeatCategory(value)
    except ValueError:
        raise ProgrammeError(_l("Choose a seat category."), "seat") from None


def find_person(person_id: object = None, email: object = None) -> Person:
    """The directory person named by id (404 when unknown) or else by email (400 when no
    one in the directory has it)."""
    if person_id not in (None, ""):
        try:
            number = int(str(person_id))
        except ValueError:
            raise ProgrammeError(_l("Choose a person from the directory."), "email") from None
        person = db.session.get(Person, number) if 0 < number <= MAX_ID else None
        if person is None:
            abort(404)
        return person
    address = normalize_email(email if isinstance(email, str) else "")
    if not address:
        raise ProgrammeError(_l("Give the email address of a directory person."), "email")
    if len(address) > MAX_EMAIL:
        raise ProgrammeError(_l("Use at most %(n)d characters.", n=MAX_EMAIL), "email")
    person = db.session.scalar(select(Person).where(Person.email == address))
    if person is None:
        raise ProgrammeError(
            _l("No one with the address %(email)s is in the directory.", email=address),
            "email",
        )
    return person


def check_appointment(
    area: FocusArea,
    person: Person,
    seat: SeatCategory,
    current: Sequence[CochairAppointment],
) -> None:
    """Raise ProgrammeError/ProgrammeConflict unless `person` may take `seat` in `area`,
    given the event's `current` appointments."""
    for other in current:
        if other.person_id == person.id and other.state in ACTIVE:
            if other.focus_area_id == area.id:
                message = _l("%(name)s already co-chairs this focus area.", name=person.full_name)
            else:
                message = _l(
                    "%(name)s already co-chairs %(area)s; a person co-chairs one area.",
                    name=person.full_name,
                    area=other.focus_area.label,
                )
            raise ProgrammeConflict(message, "email")
    if not person.email:
        raise ProgrammeError(
            _l(
                "%(name)s has no email address in the directory: add one first.",
                name=person.full_name,
            ),
            "email",
        )
    if seat == MS and person.country is None:
        raise ProgrammeError(
            _l(
                "A Member State co-chair needs a country: %(name)s has none in the directory.",
                name=person.full_name,
            ),
            "seat",
        )
    group = person.organization.constituent_group if person.organization else None
    if not seat_fits_group(seat, group):
        name = db.session.scalar(
            select(ReferenceItem.name_en).where(
                ReferenceItem.kind == "constituent_group", ReferenceItem.code == group
            )
        )
        raise ProgrammeError(
            _l(
                "%(organization)s is in the constituent group “%(group)s”, which does not sit "
                "in the %(seat)s seat.",
                organization=person.organization.name,
                group=name or group,
                seat=SEAT_LABELS[seat],
            ),
            "seat",
        )
    message = refusal([seat_of(a) for a in current if a.focus_area_id == area.id], seat)
    if message:
        raise ProgrammeConflict(message, "seat")


def preview(
    areas: Sequence[FocusArea],
    current: Sequence[CochairAppointment],
    area: FocusArea,
    seat: SeatCategory,
    person: Person | None,
) -> RuleReport:
    """The rules as they would stand with one more `seat` in `area` (for the live preview
    beside the appointment form)."""
    extra = Seat(area.code, seat, AppointmentState.INVITED, region_of(person) if person else None)
    return check_rules([a.code for a in areas], [seat_of(a) for a in current] + [extra])


# --- appointing -----------------------------------------------------------------------


def mail_locale(person: Person, event: Event) -> str:
    """The person's first UN language, else their account's, else the event's first (the
    one rule for every P2C mail: speakers are asked in it too)."""
    for code in person.languages or []:
        if code in LANGUAGES:
            return code
    if person.user_id is not None:
        user = db.session.get(User, person.user_id)
        if user is not None and user.locale in LANGUAGES:
            return user.locale
    return next((c for c in event.languages or [] if c in LANGUAGES), "en")


def _link(token: str) -> str:
    path = url_for("sessions.cochair_answer", token=token)
    return current_app.config["BASE_URL"].rstrip("/") + path


def _send_invitation(appointment: CochairAppointment) -> None:
    """A new link (earlier ones stop working) and the mail carrying it."""
    token, digest = new_token()
    appointment.token_hash = digest
    appointment.token_expires_at = utcnow() + timedelta(days=LINK_DAYS)
    person, event, area = appointment.person, appointment.event, appointment.focus_area
    locale = mail_locale(person, event)
    mail.send(
        person.email,
        "sessions/cochair_invitation",
        to_name=person.full_name,
        locale=locale,
        event_id=event.id,
        tags={"cochair_appointment_id": appointment.id},
        event_name=event.name,
        acronym=event.acronym,
        area_label=area.label,
        area_name=area.text("name", locale),
        seat=appointment.seat,
        seat_labels=SEAT_LABELS,
        url=_link(token),
        expires=appointment.token_expires_at,
        days=LINK_DAYS,
    )


def appoint(
    actor: User | None,
    event: Event,
    area: FocusArea,
    person: Person,
    seat: SeatCategory,
) -> CochairAppointment:
    """Appoint `person` to `area` in `seat` (rules checked) and mail them the link. A
    person who declined or was withdrawn in this area before is asked again."""
    if area.event_id != event.id:
        raise ProgrammeError(_l("Choose a focus area of this event."), "focus_area")
    current = appointments(event)
    check_appointment(area, person, seat, current)
    appointment = next(
        (a for a in current if a.focus_area_id == area.id and a.person_id == person.id), None
    )
    if appointment is None:
        appointment = CochairAppointment(event=event, focus_area=area, person=person)
        db.session.add(appointment)
    appointment.seat = seat
    appointment.state = AppointmentState.INVITED
    appointment.invited_at = utcnow()
    appointment.answered_at = None
    appointment.decline_reason = ""
    appointment.appointed_by_id = actor.id if actor is not None else None
    db.session.flush()
    _send_invitation(appointment)
    audit.record(
        "cochair.appointed",
        actor=actor,
        event_id=event.id,
        obj=appointment,
        summary=f"{person.full_name} to {area.label} ({seat.value})",
        focus_area=area.code,
        seat=seat.value,
        person_id=person.id,
    )
    db.session.flush()
    return appointment


def appointment_or_404(event: Event, appointment_id: int) -> CochairAppointment:
    appointment = db.session.get(CochairAppointment, appointment_id)
    if appointment is None or appointment.event_id != event.id:
        abort(404)
    return appointment


def resend(actor: User | None, appointment: CochairAppointment) -> CochairAppointment:
    """A new link and a new mail for an appointment still awaiting its answer."""
    if appointment.state != AppointmentState.INVITED:
        raise ProgrammeConflict(_l("Only an appointment awaiting an answer can be sent again."))
    _send_invitation(appointment)
    audit.record(
        "cochair.resent",
        actor=actor,
        event_id=appointment.event_id,
        obj=appointment,
        summary=f"{appointment.person.full_name} ({appointment.focus_area.label})",
    )
    db.session.flush()
    return appointment


def _revoke(appointment: CochairAppointment) -> int:
    """Remove the co-chair grant of this area from the appointee's account."""
    user_id = appointment.user_id or appointment.person.user_id
    if user_id is None:
        return 0
    return db.session.execute(
        delete(RoleGrant)
        .where(
            RoleGrant.user_id == user_id,
            RoleGrant.event_id == appointment.event_id,
            RoleGrant.role == Role.COCHAIR,
            RoleGrant.focus_area_code == appointment.focus_area.code,
        )
        .execution_options(synchronize_session="fetch")
    ).rowcount


def withdraw(actor: User | None, appointment: CochairAppointment) -> CochairAppointment:
    """End an appointment (awaiting or accepted): its link stops working and the
    co-chair role for the area is taken back."""
    if appointment.state not in ACTIVE:
        raise ProgrammeConflict(_l("This appointment has already ended."))
    appointment.state = AppointmentState.WITHDRAWN
    revoked = _revoke(appointment)
    audit.record(
        "cochair.withdrawn",
        actor=actor,
        event_id=appointment.event_id,
        obj=appointment,
        summary=f"{appointment.person.full_name} ({appointment.focus_area.label})",
        grants_revoked=revoked,
    )
    db.session.flush()
    return appointment


# --- the appointee's answer -----------------------------------------------------------


def find_by_token(raw_token: object) -> CochairAppointment:
    """The appointment a link opens, awaiting its answer; CochairLinkError otherwise."""
    if (
        not isinstance(raw_token, str)
        or not raw_token
        or len(raw_token) > MAX_TOKEN
        or not _TOKEN_CHARS.match(raw_token)
    ):
        raise CochairLinkError(_l("This link is not valid."), "invalid")
    appointment = db.session.scalar(
        select(CochairAppointment)
        .where(CochairAppointment.token_hash == hash_token(raw_token))
        .options(
            joinedload(CochairAppointment.person),
            joinedload(CochairAppointment.focus_area),
            joinedload(CochairAppointment.event),
        )
    )
    if appointment is None:
        raise CochairLinkError(_l("This link is not valid."), "invalid")
    _check_open(appointment)
    return appointment


def _check_open(appointment: CochairAppointment) -> None:
    if appointment.state == AppointmentState.WITHDRAWN:
        raise CochairLinkError(
            _l("This appointment was withdrawn by the organizers."), "used", appointment
        )
    if appointment.state != AppointmentState.INVITED:
        raise CochairLinkError(
            _l("This appointment has already been answered."), "used", appointment
        )
    if appointment.token_expires_at is None or appointment.token_expires_at < utcnow():
        raise CochairLinkError(
            _l("This link has expired. Ask the organizers to send a new one."),
            "expired",
            appointment,
        )


def _take(appointment: CochairAppointment, state: AppointmentState, **values) -> None:
    """Record the answer; of two answers at once only one wins (the link is single-use)."""
    taken = db.session.execute(
        update(CochairAppointment)
        .where(
            CochairAppointment.id == appointment.id,
            CochairAppointment.state == AppointmentState.INVITED,
            CochairAppointment.token_hash == appointment.token_hash,
        )
        .values(state=state, answered_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(appointment)
    if not taken:
        raise CochairLinkError(
            _l("This appointment has already been answered."), "used", appointment
        )


def account_for(person: Person) -> User | None:
    """The account of the person: the one linked to them, else the one using their
    address."""
    if person.user_id is not None:
        user = db.session.get(User, person.user_id)
        if user is not None:
            return user
    if not person.email:
        return None
    return db.session.scalar(select(User).where(User.email == normalize_email(person.email)))


def _create_account(person: Person, password: str, locale: str) -> User:
    email = normalize_email(person.email or "")
    try:
        check_password_rules(password or "", email)
    except AuthError as error:
        raise ProgrammeError(str(error), "password") from None
    name = " ".join(p for p in (person.first_name, person.last_name) if p) or email
    user = User(
        email=email,
        name=name[:200],
        password_hash=hash_password(password),
        locale=locale if locale in LANGUAGES else "en",
        email_verified_at=utcnow(),  # the link in the mail proved the address
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.signed_up", actor=user, obj=user, summary=f"{email} (co-chair link)")
    return user


def _link_person(person: Person, user: User) -> None:
    """Link the person to the account unless another directory person already is."""
    if person.user_id is not None:
        return
    taken = db.session.scalar(select(Person.id).where(Person.user_id == user.id).limit(1))
    if taken is None:
        person.user_id = user.id


def _grant(appointment: CochairAppointment, user: User) -> None:
    code = appointment.focus_area.code
    exists = db.session.scalar(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user.id,
            RoleGrant.event_id == appointment.event_id,
            RoleGrant.role == Role.COCHAIR,
            RoleGrant.focus_area_code == code,
        )
    )
    if exists is None:
        db.session.add(
            RoleGrant(
                user_id=user.id,
                event_id=appointment.event_id,
                role=Role.COCHAIR,
                focus_area_code=code,
                granted_by_id=appointment.appointed_by_id,
            )
        )


def accept(
    appointment: CochairAppointment, password: str | None = None, locale: str = "en"
) -> tuple[User, bool]:
    """The appointee accepts: their account (found, or created with `password` when they
    have none) gets the co-chair role of the area. Returns (account, created)."""
    _check_open(appointment)
    person = appointment.person
    user = account_for(person)
    created = False
    if user is None:
        if not password:
            raise ProgrammeError(_l("Choose a password for your Convene account."), "password")
        user = _create_account(person, password, locale)
        created = True
    _take(appointment, AppointmentState.ACCEPTED, user_id=user.id)
    _link_person(person, user)
    _grant(appointment, user)
    audit.record(
        "cochair.accepted",
        actor=user,
        event_id=appointment.event_id,
        obj=appointment,
        summary=f"{person.full_name} accepted {appointment.focus_area.label}",
        account_created=created,
    )
    db.session.flush()
    return user, created


def decline(appointment: CochairAppointment, reason: str = "") -> CochairAppointment:
    """The appointee declines, with an optional reason."""
    _check_open(appointment)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if len(reason) > MAX_REASON:
        raise ProgrammeError(_l("Use at most %(n)d characters.", n=MAX_REASON), "reason")
    _take(appointment, AppointmentState.DECLINED, decline_reason=reason)
    audit.record(
        "cochair.declined",
        actor=None,
        event_id=appointment.event_id,
        obj=appointment,
        summary=f"{appointment.person.full_name} declined {appointment.focus_area.label}",
        reason=reason,
    )
    db.session.flush()
    return appointment

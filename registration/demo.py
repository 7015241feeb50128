"""Demo data for registration: an in-person pool that is full (so the waiting list, with
its order and one seat offered until tomorrow, shows), unlimited online seats, ~85
registrations of directory people in every approval and seat state (the focal point's
member has requests waiting for the focal point; rejections give a reason), the demo
participant's approved in-person registration with its badge code and a paid order, and
three paid items (an exhibition stand, a side-event room, a gala dinner ticket) with
orders paid by bank transfer, awaiting payment, cancelled, refunded and partly refunded.

Rows are made with the models directly: no mail is sent and nothing is audited, as if
the decisions had been taken and told earlier. The event is in the future, so nobody is
checked in. The pools' `taken` is set to the registrations holding or offered a seat,
as registration/seats.py keeps it.

Idempotent: everything is made only when the event has no registration yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from models import (
    Approval,
    AttendanceMode,
    Event,
    MembershipCategory,
    Order,
    OrderStatus,
    Organization,
    PaidItem,
    PaymentMethod,
    Person,
    Refund,
    Registration,
    RegistrationCategory,
    Role,
    RoleGrant,
    SeatPool,
    SeatState,
    User,
    utcnow,
)
from webapp.extensions import db

from . import seats
from .badges import new_nonce

DOMAIN = "demo.convene.test"
PARTICIPANT = f"participant@{DOMAIN}"
FOCAL_POINT = f"focalpoint@{DOMAIN}"
#: Hours left on the one seat offered to the head of the waiting list.
OFFER_HOURS_LEFT = 30

IN, ON = AttendanceMode.IN_PERSON, AttendanceMode.ONLINE
A, P, R = Approval.APPROVED, Approval.PENDING, Approval.REJECTED
HELD, WAITING, OFFERED, NONE = SeatState.HELD, SeatState.WAITING, SeatState.OFFERED, SeatState.NONE

#: (mode, approval, seat, how many) for the directory people, after the focal point's
#: member's delegates (pending) and the demo accounts (approved, held).
PLAN = [
    (IN, A, HELD, 51),  # less the demo accounts and delegates holding a seat
    (IN, P, HELD, 6),
    (IN, A, OFFERED, 1),
    (IN, A, WAITING, 4),
    (IN, P, WAITING, 2),
    (IN, R, NONE, 2),
    (IN, A, NONE, 1),  # cancelled by the participant
    (ON, A, HELD, 12),
    (ON, P, HELD, 2),
    (ON, R, NONE, 1),
]
REJECTION_REASONS = [
    "The administration has designated its full delegation; this person is not part of it.",
    "Please register with your work email address so that your affiliation can be checked.",
    "Registration as an observer needs a letter from your organization; please send it to"
    " the secretariat and register again.",
]
DIETARY = ["", "", "", "", "Vegetarian", "Halal", "No nuts", "Vegan", "Gluten-free"]
ACCESSIBILITY = [
    "Wheelchair access to the plenary hall and a reserved seat near the aisle.",
    "Live captioning (CART) for the sessions I attend.",
]
#: Non-member constituent groups -> registration category.
GROUP_CATEGORIES = {
    "UN": RegistrationCategory.INTERNATIONAL_ORGANIZATION,
    "IFI": RegistrationCategory.INTERNATIONAL_ORGANIZATION,
    "RDB": RegistrationCategory.INTERNATIONAL_ORGANIZATION,
    "RTO": RegistrationCategory.INTERNATIONAL_ORGANIZATION,
    "PRIV": RegistrationCategory.INVITED_GUEST,
    "DONOR": RegistrationCategory.INVITED_GUEST,
    "YOUTH": RegistrationCategory.INVITED_GUEST,
}
MEMBERSHIP_CATEGORIES = {
    MembershipCategory.MEMBER_STATE: RegistrationCategory.MEMBER_STATE,
    MembershipCategory.SECTOR_MEMBER: RegistrationCategory.SECTOR_MEMBER,
    MembershipCategory.ASSOCIATE: RegistrationCategory.ASSOCIATE,
    MembershipCategory.ACADEMIA: RegistrationCategory.ACADEMIA,
}
MEDIA = [
    ("Lena", "Fischer", "Digital Policy Weekly", "DE"),
    ("Moussa", "Traoré", "Radio Sahel Tech", "ML"),
]


@dataclass
class _Deciders:
    organizer: User | None
    focal_point: User | None
    member: Organization | None


def _category(organization: Organization | None) -> RegistrationCategory:
    if organization is None:
        return RegistrationCategory.OBSERVER
    if organization.membership in MEMBERSHIP_CATEGORIES:
        return MEMBERSHIP_CATEGORIES[organization.membership]
    return GROUP_CATEGORIES.get(organization.constituent_group or "", RegistrationCategory.OBSERVER)


def _represented(organization: Organization | None) -> Organization | None:
    """The member whose focal points accredit the person (Member State or Sector Member)."""
    if organization is not None and organization.membership in (
        MembershipCategory.MEMBER_STATE,
        MembershipCategory.SECTOR_MEMBER,
    ):
        return organization
    return None


def _deciders(event: Event, organizer: User | None) -> _Deciders:
    grant = db.session.scalar(
        select(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(
            RoleGrant.event_id == event.id,
            RoleGrant.role == Role.FOCAL_POINT,
            User.email == FOCAL_POINT,
        )
        .order_by(RoleGrant.id)
        .limit(1)
    )
    if grant is None:
        return _Deciders(organizer, None, None)
    return _Deciders(
        organizer,
        db.session.get(User, grant.user_id),
        db.session.get(Organization, grant.organization_id),
    )


def _people() -> list[Person]:
    """The demo directory's people without an account, oldest first."""
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.email.like(f"%@{DOMAIN}"), Person.user_id.is_(None))
            .order_by(Person.id)
        )
    )


def _account_person(email: str) -> tuple[User | None, Person | None]:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        return None, None
    return user, db.session.scalar(select(Person).where(Person.user_id == user.id))


def _registration(
    event: Event,
    person: Person | None,
    mode: AttendanceMode,
    approval: Approval,
    seat: SeatState,
    index: int,
    rng: random.Random,
    deciders: _Deciders,
    *,
    user: User | None = None,
) -> Registration:
    now = utcnow()
    organization = person.organization if person is not None else None
    member = _represented(organization)
    country = person.country_iso2 if person is not None else None
    category = _category(organization)
    created = now - timedelta(days=40 - (index % 38), hours=index % 11)
    registration = Registration(
        event_id=event.id,
        user_id=user.id if user is not None else None,
        person_id=person.id if person is not None else None,
        organization_id=member.id if member is not None else None,
        category=category,
        mode=mode,
        first_name=person.first_name if person is not None else "",
        last_name=person.last_name if person is not None else "",
        email=(person.email or "") if person is not None else "",
        organization_name=organization.name if organization is not None else "",
        country_iso2=country,
        function=person.function if person is not None else "",
        listed_publicly=rng.random() < 0.6,
        dietary_needs=rng.choice(DIETARY) if mode == IN else "",
        approval=approval,
        seat=seat,
        created_at=created,
        updated_at=created,
    )
    if category == RegistrationCategory.MEMBER_STATE and organization is not None:
        country_name = organization.country.name_en if organization.country else ""
        registration.delegation = f"Delegation of {country_name}".strip()[:200]
        registration.head_of_delegation = (person.function or "").startswith(
            ("Minister", "Head of Delegation")
        )
    if mode == IN and index % 9 == 4:
        registration.visa_support = True
        registration.passport_number = f"P{rng.randint(1_000_000, 9_999_999)}"
        registration.nationality_iso2 = country
        registration.date_of_birth = f"19{rng.randint(60, 99)}-{rng.randint(1, 12):02d}-15"
    if mode == IN and index % 23 == 5:
        registration.accessibility_needs = ACCESSIBILITY[index % len(ACCESSIBILITY)]
    if approval != Approval.PENDING:
        by_focal_point = (
            member is not None
            and deciders.member is not None
            and member.id == deciders.member.id
            and deciders.focal_point is not None
        )
        decider = deciders.focal_point if by_focal_point else deciders.organizer
        registration.decided_by_id = decider.id if decider is not None else None
        registration.decided_at = created + timedelta(days=2)
    if approval == Approval.REJECTED:
        registration.decision_reason = REJECTION_REASONS[index % len(REJECTION_REASONS)]
    if seat == SeatState.WAITING:
        # Queue order: later registrations wait behind earlier ones.
        registration.waiting_since = now - timedelta(days=10) + timedelta(hours=index)
    if seat == SeatState.OFFERED:
        registration.waiting_since = now - timedelta(days=12)
        registration.offer_expires_at = now + timedelta(hours=OFFER_HOURS_LEFT)
    if approval == Approval.APPROVED and mode == IN and seat == SeatState.HELD:
        registration.badge_nonce = new_nonce()
    db.session.add(registration)
    return registration


def _registrations(event: Event, deciders: _Deciders, rng: random.Random) -> list[Registration]:
    people = _people()
    made: list[Registration] = []
    index = 0
    member_id = deciders.member.id if deciders.member is not None else None
    # The focal point's member: its delegates' requests wait for the focal point, one
    # of them on the waiting list; the focal point registered one delegate themselves.
    delegates = [p for p in people if member_id is not None and p.organization_id == member_id]
    others = [p for p in people if member_id is None or p.organization_id != member_id]
    for n, person in enumerate(delegates[:4]):
        seat = WAITING if n == 3 else HELD
        registration = _registration(event, person, IN, P, seat, index, rng, deciders)
        made.append(registration)
        index += 1
    # The demo accounts: the participant (approved, in person, a badge), the focal point
    # (approved at once: their own registration needs nobody's approval).
    for email in (PARTICIPANT, FOCAL_POINT):
        user, person = _account_person(email)
        if user is None or person is None:
            continue
        registration = _registration(event, person, IN, A, HELD, index, rng, deciders, user=user)
        registration.email = user.email
        if email == FOCAL_POINT:  # their own registration needs nobody's approval
            registration.approval_waived = True
            registration.decided_by_id = None
            registration.decided_at = registration.created_at
        registration.listed_publicly = True
        registration.badge_nonce = registration.badge_nonce or new_nonce()
        made.append(registration)
        index += 1
    # Everybody else, spread over the directory (every group and region).
    step = max(1, len(others) // sum(n for *_, n in PLAN))
    spread = others[::step]
    chosen = {p.id for p in spread}
    people_iter = iter(spread + [p for p in others if p.id not in chosen])
    held_in_person = sum(
        1 for r in made if r.mode == IN and r.seat in (SeatState.HELD, SeatState.OFFERED)
    )
    for mode, approval, seat, count in PLAN:
        if mode == IN and approval == A and seat == HELD:
            count = max(0, count - held_in_person)
        for _ in range(count):
            person = next(people_iter, None)
            registration = _registration(event, person, mode, approval, seat, index, rng, deciders)
            if person is None:  # a small directory: invent a name rather than stop
                registration.first_name, registration.last_name = "Demo", f"Participant {index}"
                registration.email = f"registrant{index}@{DOMAIN}"
            if seat == NONE and approval == A:
                registration.cancelled_at = utcnow() - timedelta(days=3)
            made.append(registration)
            index += 1
    # Two journalists who are not in the directory (no person, no account).
    for first, last, outlet, country in MEDIA:
        registration = _registration(event, None, IN, P, HELD, index, rng, deciders)
        registration.category = RegistrationCategory.MEDIA
        registration.first_name, registration.last_name = first, last
        registration.email = f"{first}.{last}@press.{DOMAIN}".lower()
        registration.organization_name = outlet
        registration.country_iso2 = country
        made.append(registration)
        index += 1
    # Registered by the focal point for their member: approved at once.
    if deciders.focal_point is not None and deciders.member is not None:
        for registration in made:
            if (
                registration.organization_id == deciders.member.id
                and registration.approval == Approval.PENDING
                and registration.seat == SeatState.HELD
            ):
                registration.approval = Approval.APPROVED
                registration.registered_by_id = deciders.focal_point.id
                registration.decided_by_id = deciders.focal_point.id
                registration.decided_at = registration.created_at
                registration.badge_nonce = new_nonce()
                break
    db.session.flush()
    return made


def _pools(event: Event) -> None:
    """In person: as many seats as are held or offered (60), so the pool is full while
    people wait; online: no limit. `taken` as the seat states say."""
    for mode in AttendanceMode:
        taken = db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == event.id,
                Registration.mode == mode,
                Registration.seat.in_([SeatState.HELD, SeatState.OFFERED]),
            )
        )
        pool = seats.pool(event, mode)
        pool.capacity = taken if mode == IN else None
        pool.taken = taken
    db.session.flush()


def _items(event: Event) -> dict[str, PaidItem]:
    items = {
        "stand": PaidItem(
            event_id=event.id,
            name="Exhibition stand (3 × 3 m, ITU Digital Exhibition)",
            description="A furnished stand in the exhibition hall for the whole conference:"
            " two chairs, a table, power and a screen.",
            price_cents=450_000,
            currency="CHF",
            quantity_limit=12,
            max_per_order=1,
            audience={
                "modes": [IN.value],
                "categories": [
                    RegistrationCategory.SECTOR_MEMBER.value,
                    RegistrationCategory.ASSOCIATE.value,
                    RegistrationCategory.ACADEMIA.value,
                    RegistrationCategory.INVITED_GUEST.value,
                ],
            },
        ),
        "room": PaidItem(
            event_id=event.id,
            name="Side-event room, half day (40 seats)",
            description="A meeting room with interpretation booths for a side event, morning"
            " or afternoon.",
            price_cents=120_000,
            currency="CHF",
            quantity_limit=8,
            max_per_order=2,
            audience={"modes": [IN.value], "categories": []},
        ),
        "dinner": PaidItem(
            event_id=event.id,
            name="Gala dinner ticket",
            description="The conference dinner on the evening of the second day.",
            price_cents=15_000,
            currency="CHF",
            quantity_limit=250,
            max_per_order=4,
            audience={"modes": [IN.value], "categories": []},
        ),
    }
    db.session.add_all(items.values())
    db.session.flush()
    return items


def _orders(
    event: Event,
    items: dict[str, PaidItem],
    registrations: list[Registration],
    organizer: User | None,
) -> int:
    """Orders of in-person registrants holding a seat: paid by bank transfer, awaiting
    payment, cancelled, refunded in full and in part. `sold` counts the units of open and
    paid (also partly refunded) orders."""
    now = utcnow()
    buyers = [
        r
        for r in registrations
        if r.mode == IN and r.seat == SeatState.HELD and r.approval != Approval.REJECTED
    ]
    participant = next((r for r in buyers if r.email == PARTICIPANT), None)
    sector = [r for r in buyers if r.category == RegistrationCategory.SECTOR_MEMBER]
    others = [r for r in buyers if r.user_id is None and r not in sector]
    sector = sector + others  # enough buyers even in a small directory
    if participant is None or len(others) < 8:
        return 0
    plan: list[tuple[str, Registration | None, int, OrderStatus, PaymentMethod, int]] = [
        # (item, buyer, quantity, status, method, refunded cents)
        ("dinner", participant, 1, OrderStatus.PAID, PaymentMethod.BANK_TRANSFER, 0),
        ("stand", sector[0], 1, OrderStatus.PAID, PaymentMethod.BANK_TRANSFER, 0),
        ("stand", sector[1], 1, OrderStatus.PAID, PaymentMethod.BANK_TRANSFER, 0),
        ("stand", sector[2], 1, OrderStatus.OPEN, PaymentMethod.STRIPE, 0),
        ("room", others[3], 2, OrderStatus.PARTLY_REFUNDED, PaymentMethod.BANK_TRANSFER, 120_000),
        ("room", others[4], 1, OrderStatus.OPEN, PaymentMethod.BANK_TRANSFER, 0),
        ("dinner", others[5], 2, OrderStatus.PAID, PaymentMethod.BANK_TRANSFER, 0),
        ("dinner", others[6], 1, OrderStatus.REFUNDED, PaymentMethod.BANK_TRANSFER, 15_000),
        ("dinner", others[7], 1, OrderStatus.CANCELLED, PaymentMethod.STRIPE, 0),
    ]
    receipt = 0
    made = 0
    for n, (key, buyer, quantity, status, method, refunded) in enumerate(plan):
        if buyer is None:
            continue
        item = items[key]
        order = Order(
            event_id=event.id,
            item_id=item.id,
            registration_id=buyer.id,
            user_id=buyer.user_id,
            quantity=quantity,
            amount_cents=item.price_cents * quantity,
            currency=item.currency,
            status=status,
            method=method,
            refunded_cents=refunded,
            created_at=now - timedelta(days=20 - n),
            updated_at=now - timedelta(days=20 - n),
        )
        if status in (OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED):
            receipt += 1
            order.paid_at = now - timedelta(days=18 - n)
            order.payment_reference = f"Bank transfer {event.acronym}/{1040 + n}"
            order.receipt_number = f"{event.acronym}-R-{receipt:05d}"
        if status in (OrderStatus.OPEN, OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED):
            # Units reserved while open, kept once paid; given back when cancelled or
            # refunded in full (registration/payments.py).
            order.reserved = True
            item.sold += quantity
        db.session.add(order)
        db.session.flush()
        if refunded:
            db.session.add(
                Refund(
                    order_id=order.id,
                    amount_cents=refunded,
                    reason="One of the two half-days was cancelled by the organizers."
                    if status == OrderStatus.PARTLY_REFUNDED
                    else "The participant can no longer attend the dinner.",
                    created_by_id=organizer.id if organizer is not None else None,
                    created_at=now - timedelta(days=5),
                )
            )
        made += 1
    db.session.flush()
    return made


def load_registration_demo(event: Event, organizer: User | None) -> str:
    """Load the registration demo for the event; returns a line for the demo's summary."""
    exists = db.session.scalar(
        select(Registration.id).where(Registration.event_id == event.id).limit(1)
    )
    if exists is None:
        rng = random.Random(2027_06)
        deciders = _deciders(event, organizer)
        registrations = _registrations(event, deciders, rng)
        _pools(event)
        has_items = db.session.scalar(
            select(PaidItem.id).where(PaidItem.event_id == event.id).limit(1)
        )
        if has_items is None:
            _orders(event, _items(event), registrations, organizer)
    return _summary(event)


def _summary(event: Event) -> str:
    rows = db.session.execute(
        select(Registration.mode, Registration.seat, Registration.approval, func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.mode, Registration.seat, Registration.approval)
    ).all()
    total = sum(n for *_, n in rows)
    pending = sum(n for _, _, approval, n in rows if approval == Approval.PENDING)
    waiting = sum(n for _, seat, _, n in rows if seat == SeatState.WAITING)
    pool = db.session.scalar(
        select(SeatPool).where(SeatPool.event_id == event.id, SeatPool.mode == IN)
    )
    seats_text = (
        f"{pool.taken}/{pool.capacity} in-person seats taken"
        if pool is not None and pool.capacity is not None
        else "no in-person limit"
    )
    orders = db.session.scalar(select(func.count(Order.id)).where(Order.event_id == event.id))
    return (
        f"Registration: {total} registrations ({pending} awaiting approval), {seats_text},"
        f" {waiting} on the waiting list; {orders} orders."
    )

"""`convene demo`: a demo conference a newcomer can click through at once.

Idempotent: every record is found by its natural key (acronym, email, organization name,
deadline key) before it is created, so running it twice changes nothing.
Dates are placed around today so that deadlines look alive: some done, one overdue,
several ahead.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from models import (
    Country,
    Deadline,
    DeadlineKind,
    Event,
    MembershipCategory,
    Organization,
    Person,
    Role,
    RoleGrant,
    User,
    utcnow,
)

from . import mail
from .extensions import db
from .reference import load_reference_data
from .security import hash_password

PASSWORD = "convene-demo"
ACRONYM = "WTDC-27"
DOMAIN = "demo.convene.test"

#: (key, label, days relative to the opening, done?) — the secretariat's usual milestones.
DEADLINES = [
    ("event.prep.regional_meetings", "Regional preparatory meetings completed", -420, True),
    ("event.expert_nominations", "Expert nominations for P2C focus areas", -240, False),
    ("sessions.cochairs_appointed", "Co-chairs of the four focus areas appointed", -200, False),
    ("registration.opens", "Registration opens", -320, True),
    ("sessions.programme_published", "P2C programme published", -60, False),
    ("pledges.plenary_submissions", "Pledges for the plenary pledging session", -21, False),
    ("registration.closes", "Registration closes", -7, False),
    ("pledges.first_progress_reports", "First annual progress reports on pledges", 365, False),
]

FIRST = [
    "Amina",
    "Carlos",
    "Mei",
    "Olga",
    "Youssef",
    "Priya",
    "Kwame",
    "Sofia",
    "Hiroshi",
    "Fatima",
    "Liam",
    "Ana",
    "Tariq",
    "Elena",
    "Chen",
    "Nadia",
    "Samuel",
    "Isabel",
    "Dmitri",
    "Aisha",
    "Lucas",
    "Zainab",
    "Ivan",
    "Maria",
    "Kofi",
    "Laila",
    "Jun",
    "Grace",
    "Omar",
    "Ingrid",
]
LAST = [
    "Diallo",
    "Silva",
    "Wang",
    "Petrova",
    "El-Amin",
    "Sharma",
    "Mensah",
    "Rossi",
    "Tanaka",
    "Haddad",
    "Murphy",
    "Costa",
    "Rahman",
    "Ivanova",
    "Li",
    "Benali",
    "Okafor",
    "García",
    "Volkov",
    "Bello",
    "Martin",
    "Yusuf",
    "Smirnov",
    "Lopez",
    "Asante",
    "Karimi",
    "Zhang",
    "Njoroge",
    "Farouk",
    "Larsen",
]
HONORIFICS = ["H.E. Mr", "H.E. Ms", "Dr", "Mr", "Ms", "Prof."]

#: constituent group -> (membership, organization name patterns, functions)
GROUPS = {
    "MS_MIN": (
        MembershipCategory.MEMBER_STATE,
        ["Ministry of ICT of {c}"],
        ["Minister of ICT", "Deputy Minister", "Head of Delegation"],
    ),
    "MS_SO": (
        MembershipCategory.MEMBER_STATE,
        ["Telecommunication Regulatory Authority of {c}", "National ICT Agency of {c}"],
        ["Director-General", "Head of Spectrum", "Senior Policy Officer"],
    ),
    "SM": (
        MembershipCategory.SECTOR_MEMBER,
        ["{c} Telecom", "Nimbus Networks {c}"],
        ["Chief Executive Officer", "Head of Public Policy", "Chief Technology Officer"],
    ),
    "ACAD": (
        MembershipCategory.ACADEMIA,
        ["University of Technology of {c}"],
        ["Professor", "Research Director"],
    ),
    "PRIV": (
        MembershipCategory.NON_MEMBER,
        ["Orbit Satellite Services", "Kiosk Digital", "Baobab Cloud"],
        ["Chief Executive Officer", "Vice-President, Emerging Markets"],
    ),
    "CSO": (
        MembershipCategory.NON_MEMBER,
        ["Connect the Unconnected Foundation", "Digital Rights Alliance"],
        ["Executive Director", "Programme Lead"],
    ),
    "UN": (
        MembershipCategory.NON_MEMBER,
        ["UNDP", "UNESCO", "UNICEF"],
        ["Assistant Secretary-General", "Chief, Digital Policy"],
    ),
    "IFI": (MembershipCategory.NON_MEMBER, ["World Bank"], ["Vice-President, Infrastructure"]),
    "RDB": (
        MembershipCategory.NON_MEMBER,
        ["African Development Bank", "Asian Development Bank"],
        ["Director, ICT"],
    ),
    "DONOR": (MembershipCategory.NON_MEMBER, ["Open Horizons Foundation"], ["Programme Director"]),
    "YOUTH": (MembershipCategory.NON_MEMBER, ["Generation Connect Youth Network"], ["Youth Envoy"]),
    "RTO": (
        MembershipCategory.NON_MEMBER,
        ["Regional Telecommunication Organization of {r}"],
        ["Secretary-General"],
    ),
    "CN": (
        MembershipCategory.NON_MEMBER,
        ["Village Mesh Cooperative of {c}"],
        ["Network Coordinator"],
    ),
}

ACCOUNTS = [
    ("admin", "Site Administrator", "admin"),
    ("organizer", "Olivia Organizer", "organizer"),
    ("cochair", "Carlos Co-chair", "cochair"),
    ("focalpoint", "Fatima Focal Point", "focal_point"),
    ("participant", "Paul Participant", "participant"),
]


def _get_or_create(model, lookup: dict, **fields):
    obj = db.session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **fields)
        db.session.add(obj)
        db.session.flush()
    return obj


def _event(today: date) -> Event:
    event = db.session.scalar(select(Event).where(Event.acronym == ACRONYM))
    if event is not None:
        return event
    opening = today + timedelta(days=300)
    event = Event(
        name="World Telecommunication Development Conference 2027",
        acronym=ACRONYM,
        city="Geneva",
        country_iso2="CH",
        venue="International Conference Centre Geneva (CICG)",
        timezone="Europe/Zurich",
        opening_date=opening,
        closing_date=opening + timedelta(days=10),
        languages=["ar", "zh", "en", "fr", "ru", "es"],
        description=(
            "The conference sets the strategy and priorities of ITU-D for the next four "
            "years. Its Partner2Connect segment gathers governments, industry, civil "
            "society and financiers around four focus areas, and collects pledges to the "
            "Digital Coalition."
        ),
        p2c_start=datetime.combine(opening + timedelta(days=1), time(14, 0)),
        p2c_end=datetime.combine(opening + timedelta(days=3), time(18, 0)),
    )
    db.session.add(event)
    db.session.flush()
    return event


def _deadlines(event: Event) -> None:
    existing = {d.key for d in event.deadlines}
    for key, label, offset, done in DEADLINES:
        if key in existing:
            continue
        source = key.split(".")[0]
        deadline = Deadline(
            event=event,
            key=key,
            label=label,
            source=source,
            kind=DeadlineKind.RELATIVE,
            offset_days=offset,
        )
        if done:
            deadline.completed_at = utcnow()
        db.session.add(deadline)
    if "event.prep.wtdc_dialogue" not in existing:
        db.session.add(
            Deadline(
                event=event,
                key="event.prep.wtdc_dialogue",
                label="Comments on the draft declaration (fixed date)",
                source="event",
                kind=DeadlineKind.FIXED,
                fixed_date=event.opening_date - timedelta(days=90),
            )
        )
    db.session.flush()


def _directory(rng: random.Random) -> dict[str, Organization]:
    countries = list(db.session.scalars(select(Country).order_by(Country.iso2)))
    by_region: dict[str, list[Country]] = {}
    for country in countries:
        by_region.setdefault(country.region_code, []).append(country)
    regions = sorted(by_region)
    orgs: dict[str, Organization] = {o.name: o for o in db.session.scalars(select(Organization))}
    people = {p.email for p in db.session.scalars(select(Person))}
    serial = 0
    for group, (membership, patterns, functions) in GROUPS.items():
        for region in regions:
            for country in rng.sample(by_region[region], k=2):
                pattern = rng.choice(patterns)
                name = pattern.format(c=country.name_en, r=region)
                org = orgs.get(name)
                if org is None:
                    org = Organization(
                        name=name,
                        constituent_group=group,
                        country_iso2=country.iso2,
                        membership=membership,
                    )
                    db.session.add(org)
                    orgs[name] = org
                for _ in range(4 if group in ("MS_MIN", "UN", "IFI", "RDB") else 3):
                    serial += 1
                    # Draw every random value before the existence check, so a second
                    # run draws the same sequence and finds the same people.
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    fields = dict(
                        honorific=rng.choice(HONORIFICS),
                        first_name=first,
                        last_name=last,
                        function=rng.choice(functions),
                        gender=rng.choice("fm"),
                        languages=sorted({"en", rng.choice(["fr", "es", "ar", "ru", "zh"])}),
                    )
                    email = f"{first}.{last}.{serial}@{DOMAIN}".lower()
                    if email in people:
                        continue
                    db.session.add(
                        Person(email=email, organization=org, country_iso2=country.iso2, **fields)
                    )
                    people.add(email)
    db.session.flush()
    return orgs


def _accounts(event: Event, member: Organization) -> list[tuple[str, str]]:
    password_hash = None
    created = []
    for local, name, role in ACCOUNTS:
        email = f"{local}@{DOMAIN}"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            password_hash = password_hash or hash_password(PASSWORD)
            user = User(
                email=email,
                name=name,
                password_hash=password_hash,
                email_verified_at=utcnow(),
                is_admin=(role == "admin"),
            )
            db.session.add(user)
            db.session.flush()
            first, _, last = name.partition(" ")
            _get_or_create(
                Person,
                {"email": email},
                first_name=first,
                last_name=last,
                user_id=user.id,
                organization=member if role == "focal_point" else None,
                country_iso2=member.country_iso2,
            )
        scope = {}
        if role == "organizer":
            scope = {"role": Role.ORGANIZER}
        elif role == "cochair":
            scope = {"role": Role.COCHAIR, "focus_area_code": "ACCESS"}
        elif role == "focal_point":
            scope = {"role": Role.FOCAL_POINT, "organization_id": member.id}
        if scope:
            _get_or_create(RoleGrant, {"user_id": user.id, "event_id": event.id, **scope})
        created.append((email, role))
    return created


def _welcome_mail(event: Event) -> None:
    """One message in the outbox, so the outbox page is not empty on first look."""
    from models import OutboxMessage

    email = f"participant@{DOMAIN}"
    exists = db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.to_email == email, OutboxMessage.template == "demo/welcome"
        )
    )
    if exists is None:
        mail.send(
            email,
            "demo/welcome",
            to_name="Paul Participant",
            event_id=event.id,
            event_name=event.name,
            acronym=event.acronym,
        )


def load_demo(today: date | None = None) -> str:
    """Load everything; returns the text printed at the end."""
    today = today or date.today()
    load_reference_data()
    event = _event(today)
    _deadlines(event)
    orgs = _directory(random.Random(2027))
    # The lowest id, so every run picks the same member whatever order the rows came in.
    member = min(
        (o for o in orgs.values() if o.membership == MembershipCategory.MEMBER_STATE),
        key=lambda o: o.id,
    )
    accounts = _accounts(event, member)
    _welcome_mail(event)
    # Feature demos; imported here only, as create_app does with their blueprints.
    from invitations.demo import load_invitations_demo
    from pledges.demo import load_pledges_demo
    from registration.demo import load_registration_demo
    from sessions.demo import load_sessions_demo

    organizer = db.session.scalar(select(User).where(User.email == f"organizer@{DOMAIN}"))
    load_invitations_demo(event, organizer)
    pledges_line = load_pledges_demo(event, organizer)
    sessions_line = load_sessions_demo(event, organizer)
    registration_line = load_registration_demo(event, organizer)
    people = db.session.scalar(select(db.func.count(Person.id)))
    lines = [
        f"Demo conference {event.acronym}: {event.name}, opening {event.opening_date}.",
        f"Directory: {len(orgs)} organizations, {people} people.",
        pledges_line,
        sessions_line,
        registration_line,
        f"Accounts (password: {PASSWORD}):",
    ]
    lines += [f"  {role:<12} {email}" for email, role in accounts]
    return "\n".join(lines)

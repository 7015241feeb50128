"""Demo data for the P2C programme: the four focus areas with pillars, co-chairs that meet
most rules (the checker still shows a missing private-sector seat and missing regions),
five rooms, plenary blocks and breaks, screens, ~20 sessions in every status with agenda
items and people, one room clash and one session running into lunch (so the conflicts
page has something to show), video messages, and the demo participant's agenda.

Idempotent: focus areas are seeded once; everything else is made only when the event has
no rooms yet. No mail is sent: the asks stand as if their mails had gone out.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from models import (
    AgendaItem,
    AgendaSave,
    AppointmentState,
    BlockKind,
    CochairAppointment,
    Event,
    FocusArea,
    Organization,
    Person,
    ProgrammeBlock,
    ProgrammeSession,
    Room,
    Screen,
    SeatCategory,
    SessionFormat,
    SessionMode,
    SessionPart,
    SessionPerson,
    SessionStatus,
    SpeakerState,
    User,
    VideoMessage,
    VideoState,
    Visibility,
    utcnow,
)
from webapp.extensions import db

from .core import ensure_focus_areas

DOMAIN = "demo.convene.test"

PILLARS = {
    "ACCESS": ["Infrastructure deployment", "Affordability", "Resilience and trust"],
    "ADOPTION": ["Digital skills", "Digital inclusion", "Local content and services"],
    "VALUE_CREATION": ["Digital ecosystems", "Entrepreneurship and innovation"],
    "ACCELERATE": ["Innovative financing", "Project viability", "Investor constellation"],
}
PILLARS_ZH = {
    "ACCESS": ["基础设施部署", "可负担性", "韧性与信任"],
    "ADOPTION": ["数字技能", "数字包容", "本地内容和服务"],
    "VALUE_CREATION": ["数字生态系统", "创业与创新"],
    "ACCELERATE": ["创新融资", "项目可行性", "投资者群体"],
}

ROOMS = [
    ("Plenary Hall", 1200),
    ("Room A", 300),
    ("Room B", 150),
    ("Room C", 80),
    ("Room D", 40),
]

TITLES = {
    "ACCESS": [
        "Closing the coverage gap in rural areas",
        "Satellite and terrestrial networks together",
        "Ministerial dialogue on affordable devices",
        "Spectrum for meaningful connectivity",
        "Energy for off-grid base stations",
    ],
    "ADOPTION": [
        "Digital skills for one million young people",
        "Women and girls online: what works",
        "Ministerial dialogue on digital inclusion",
        "Local content in local languages",
        "Community networks that last",
    ],
    "VALUE_CREATION": [
        "Start-up ecosystems beyond the capitals",
        "Digital public infrastructure",
        "High-level dialogue on digital trade",
        "Innovation hubs and universities",
        "Open data for local services",
    ],
    "ACCELERATE": [
        "Blended finance for last-mile networks",
        "Making rural projects bankable",
        "Investors meet problem owners",
        "Universal service funds that deliver",
        "De-risking investment in LDCs",
    ],
}

#: (day offset from opening, start, end) of the area sessions, in the area's room.
SLOTS = [
    (1, time(14, 30), time(16, 0)),
    (2, time(9, 0), time(10, 30)),
    (2, time(14, 0), time(16, 0)),
    (3, time(9, 0), time(10, 30)),
]
STATUSES = [
    SessionStatus.PUBLISHED,
    SessionStatus.PUBLISHED,
    SessionStatus.CONFIRMED,
    SessionStatus.PROPOSED,
    SessionStatus.DRAFT,
]
FORMATS = [
    SessionFormat.PANEL,
    SessionFormat.ROUNDTABLE,
    SessionFormat.HIGH_LEVEL_DIALOGUE,
    SessionFormat.PANEL,
    SessionFormat.ROUNDTABLE,
]
PARTS = [SessionPart.MODERATOR, SessionPart.SPEAKER, SessionPart.PANELLIST, SessionPart.PANELLIST]
ROLES = ["problem_owner", "solution_provider", "funder", "beneficiary"]
AGENDA = [("Opening remarks", 10), ("Discussion", 50), ("Questions from the floor", 20)]


def _at(event: Event, day: int, clock: time) -> datetime:
    return datetime.combine(event.opening_date + timedelta(days=day), clock)


def _people_of(group: str) -> list[Person]:
    """Directory people of one constituent group, in a stable order."""
    return list(
        db.session.scalars(
            select(Person)
            .join(Organization, Person.organization_id == Organization.id)
            .where(Organization.constituent_group == group, Person.user_id.is_(None))
            .order_by(Person.id)
        )
    )


def _focus_areas(event: Event) -> list[FocusArea]:
    areas = ensure_focus_areas(event)
    for area in areas:
        if not area.pillars and area.code in PILLARS:
            area.pillars = {"en": PILLARS[area.code], "zh": PILLARS_ZH[area.code]}
    return areas


def _venue(event: Event) -> dict[str, Room]:
    rooms = {}
    for position, (name, capacity) in enumerate(ROOMS):
        rooms[name] = Room(event_id=event.id, name=name, capacity=capacity, position=position)
        db.session.add(rooms[name])
    db.session.flush()
    blocks = [
        (BlockKind.PLENARY, "Opening ceremony and plenary", 0, time(9, 30), time(18, 0)),
        (BlockKind.PLENARY, "Plenary: policy statements", 1, time(9, 30), time(12, 30)),
    ]
    for day in (1, 2, 3):
        if day > 1:
            blocks.append((BlockKind.BREAK, "Coffee break", day, time(10, 30), time(11, 0)))
            blocks.append((BlockKind.BREAK, "Lunch", day, time(12, 30), time(14, 0)))
        blocks.append((BlockKind.BREAK, "Coffee break", day, time(16, 0), time(16, 30)))
    for kind, title, day, start, end in blocks:
        db.session.add(
            ProgrammeBlock(
                event_id=event.id,
                kind=kind,
                title=title,
                starts_at=_at(event, day, start),
                ends_at=_at(event, day, end),
            )
        )
    for name, room in (("Foyer screen", None), ("Room A screen", rooms["Room A"])):
        db.session.add(Screen(event_id=event.id, name=name, room_id=room.id if room else None))
    db.session.add(Screen(event_id=event.id, name="Coffee area screen"))
    return rooms


def _cochairs(event: Event, areas: list[FocusArea], organizer: User | None) -> int:
    """Every area but ACCELERATE meets its seat rules; regions stay incomplete."""
    ministers = _people_of("MS_MIN")
    private = _people_of("PRIV")
    civil = _people_of("CSO")
    by_region: dict[str, Person] = {}
    for person in ministers:
        if person.country is not None:
            by_region.setdefault(person.country.region_code, person)
    carlos = db.session.scalar(select(Person).where(Person.email == f"cochair@{DOMAIN}"))
    plan = {
        "ACCESS": [
            (carlos, SeatCategory.MEMBER_STATE),
            (by_region.get("AFR"), SeatCategory.MEMBER_STATE),
        ],
        "ADOPTION": [(by_region.get("ASP"), SeatCategory.MEMBER_STATE)],
        "VALUE_CREATION": [(by_region.get("AMS"), SeatCategory.MEMBER_STATE)],
        "ACCELERATE": [(by_region.get("ARB"), SeatCategory.MEMBER_STATE)],
    }
    for i, code in enumerate(("ACCESS", "ADOPTION", "VALUE_CREATION")):
        plan[code].append((private[i * 3], SeatCategory.PRIVATE_SECTOR))
    for i, code in enumerate(("ACCESS", "ADOPTION", "VALUE_CREATION", "ACCELERATE")):
        plan[code].append((civil[i * 3], SeatCategory.CIVIL_SOCIETY_IO))
    count = 0
    for area in areas:
        for person, seat in plan.get(area.code, []):
            if person is None:
                continue
            pending = area.code == "VALUE_CREATION" and seat == SeatCategory.PRIVATE_SECTOR
            db.session.add(
                CochairAppointment(
                    event_id=event.id,
                    focus_area_id=area.id,
                    person_id=person.id,
                    seat=seat,
                    state=AppointmentState.INVITED if pending else AppointmentState.ACCEPTED,
                    answered_at=None if pending else utcnow(),
                    user_id=person.user_id,
                    appointed_by_id=organizer.id if organizer else None,
                )
            )
            count += 1
    return count


def _speakers(exclude: set[int]) -> list[Person]:
    """A pool of directory people for the panels, each used once."""
    return [
        p
        for p in db.session.scalars(
            select(Person).where(Person.user_id.is_(None)).order_by(Person.id.desc())
        )
        if p.id not in exclude
    ]


def _session(event, area, room, title, fmt, status, start, end, **fields) -> ProgrammeSession:
    session = ProgrammeSession(
        event_id=event.id,
        focus_area_id=area.id if area else None,
        title=title,
        format=fmt,
        description=fields.pop(
            "description",
            f"{title}: problem owners, solution providers, funders and beneficiaries compare "
            "what has worked and agree on next steps.",
        ),
        room_id=room.id if room else None,
        starts_at=start,
        ends_at=end,
        status=status,
        languages=["en", "fr"],
        interpretation=["ar", "zh", "es", "ru"],
        published_at=utcnow() if status == SessionStatus.PUBLISHED else None,
        **fields,
    )
    for position, (item, minutes) in enumerate(AGENDA):
        session.agenda_items.append(AgendaItem(position=position, title=item, minutes=minutes))
    db.session.add(session)
    return session


def _cast(session: ProgrammeSession, pool: list[Person], status: SessionStatus) -> None:
    for position, part in enumerate(PARTS):
        person = pool.pop()
        if status in (SessionStatus.PUBLISHED, SessionStatus.CONFIRMED):
            state = SpeakerState.CONFIRMED
        else:
            state = SpeakerState.ASKED if position else SpeakerState.CONFIRMED
        session.people.append(
            SessionPerson(
                person_id=person.id,
                part=part,
                stakeholder_role=ROLES[position % len(ROLES)],
                position=position,
                state=state,
                asked_at=utcnow(),
                answered_at=utcnow() if state != SpeakerState.ASKED else None,
            )
        )


def _sessions(event: Event, areas: list[FocusArea], rooms: dict[str, Room]) -> list:
    area_rooms = [rooms["Room A"], rooms["Room B"], rooms["Room C"], rooms["Room D"]]
    taken = set(db.session.scalars(select(CochairAppointment.person_id)))
    pool = _speakers(taken)
    sessions = []
    for i, area in enumerate(areas[:4]):
        room = area_rooms[i]
        for n, title in enumerate(TITLES.get(area.code, [])):
            status = STATUSES[n]
            if n < len(SLOTS):
                day, start, end = SLOTS[n]
                starts_at, ends_at = _at(event, day, start), _at(event, day, end)
            else:
                starts_at = ends_at = None
            extra = {}
            if area.code == "ADOPTION" and n == 1:
                extra["chatham_house"] = True
            if area.code == "VALUE_CREATION" and n == 1:
                extra["visibility"] = Visibility.INVITATION_ONLY
            if n == 0:
                extra["mode"] = SessionMode.HYBRID
                extra["stream_url"] = f"https://stream.example.org/{event.acronym.lower()}/{i + 1}"
            if area.code == "ACCESS" and n == 3:
                # Proposed into the confirmed dialogue's room and time: a room clash.
                starts_at, ends_at = _at(event, 2, time(14, 30)), _at(event, 2, time(15, 30))
            if area.code == "VALUE_CREATION" and n == 3:
                # Runs into lunch: a soft conflict.
                starts_at, ends_at = _at(event, 3, time(12, 0)), _at(event, 3, time(13, 0))
            session = _session(
                event,
                area,
                room if starts_at else None,
                title,
                FORMATS[n],
                status,
                starts_at,
                ends_at,
                **extra,
            )
            _cast(session, pool, status)
            sessions.append(session)
    hall = rooms["Plenary Hall"]
    for title, fmt, start, end in (
        ("Plenary pledging session", SessionFormat.PLENARY_PLEDGING, time(14, 0), time(16, 0)),
        (
            "Digital Coalition signing ceremony",
            SessionFormat.SIGNING_CEREMONY,
            time(16, 30),
            time(17, 30),
        ),
    ):
        session = _session(
            event,
            None,
            hall,
            title,
            fmt,
            SessionStatus.PUBLISHED,
            _at(event, 3, start),
            _at(event, 3, end),
            mode=SessionMode.HYBRID,
            stream_url=f"https://stream.example.org/{event.acronym.lower()}/plenary",
        )
        _cast(session, pool, SessionStatus.PUBLISHED)
        sessions.append(session)
    return sessions


def _videos(event: Event, areas: list[FocusArea], organizer: User | None) -> int:
    speakers = _people_of("MS_MIN")[-6:]
    plan = [
        ("Why connectivity is a development priority", 95, VideoState.APPROVED),
        ("A message to the coalition", 120, VideoState.APPROVED),
        ("Skills first: our national plan", 45, VideoState.APPROVED),
        ("Financing the last mile", 150, VideoState.APPROVED),
        ("Greetings from our ministry", 60, VideoState.SUBMITTED),
        ("Our pledge in numbers", 2400, VideoState.REJECTED),
    ]
    for n, ((title, seconds, state), person) in enumerate(zip(plan, speakers, strict=False)):
        db.session.add(
            VideoMessage(
                event_id=event.id,
                focus_area_id=areas[n % len(areas)].id if areas else None,
                person_id=person.id,
                title=title,
                url=f"https://media.example.org/{event.acronym.lower()}/message-{n + 1}.mp4",
                duration_seconds=seconds,
                language="en",
                transcript=f"{title}. (Transcript of the recorded message.)",
                state=state,
                review_note="Longer than any break: please send a cut of two minutes."
                if state == VideoState.REJECTED
                else "",
                reviewed_by_id=organizer.id
                if organizer and state != VideoState.SUBMITTED
                else None,
                reviewed_at=utcnow() if state != VideoState.SUBMITTED else None,
            )
        )
    return len(plan)


def _agenda(sessions: list[ProgrammeSession]) -> None:
    participant = db.session.scalar(select(User).where(User.email == f"participant@{DOMAIN}"))
    if participant is None:
        return
    published = [s for s in sessions if s.status == SessionStatus.PUBLISHED][:3]
    for session in published:
        db.session.add(AgendaSave(user_id=participant.id, session_id=session.id))


def load_sessions_demo(event: Event, organizer: User | None) -> str:
    """Load the programme demo; returns the line printed at the end."""
    areas = _focus_areas(event)
    has_rooms = db.session.scalar(select(Room.id).where(Room.event_id == event.id).limit(1))
    if has_rooms is None:
        rooms = _venue(event)
        _cochairs(event, areas, organizer)
        db.session.flush()
        sessions = _sessions(event, areas, rooms)
        _videos(event, areas, organizer)
        db.session.flush()
        _agenda(sessions)
        db.session.flush()
    total, published = db.session.execute(
        select(
            func.count(ProgrammeSession.id),
            func.count(ProgrammeSession.id).filter(
                ProgrammeSession.status == SessionStatus.PUBLISHED
            ),
        ).where(ProgrammeSession.event_id == event.id)
    ).one()
    return f"Programme: {total} P2C sessions ({published} published) in {len(ROOMS)} rooms."

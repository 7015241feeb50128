"""Badges: the signed code a badge's QR code holds, its verification, and the badge PDFs.

A badge code reads `CV1-<registration id, base32>-<nonce>-<signature>`: the nonce is
random per badge (Registration.badge_nonce, made when the first badge is printed), the
signature an HMAC-SHA256 with the app's SECRET_KEY over the event, the registration and
the nonce, cut to 80 bits. Nobody can make a valid code without the key; reissuing a
badge draws a new nonce, which voids every badge printed before ("revoked").

`verify` is pure (the registration lookup is passed in) so every verdict is unit-tested.
The fonts and safe text of the PDFs are in registration/pdf.py (shared with the visa
support letter and the receipt).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from sqlalchemy import Select, select, update

from models import (
    Approval,
    AttendanceMode,
    Country,
    Event,
    Organization,
    Registration,
    RegistrationCategory,
    SeatState,
    User,
)
from webapp import audit
from webapp.extensions import db

from .core import CATEGORY_COLOURS, CATEGORY_LABELS, RegistrationError
from .pdf import FontSet, PdfDocument, date_span, printable

# --------------------------------------------------------------------------------------
# The code
# --------------------------------------------------------------------------------------

CODE_VERSION = "CV1"
#: Random bytes of a nonce (8 base32 characters): it only has to differ between issues.
NONCE_BYTES = 5
#: Bytes of the HMAC kept (80 bits, 16 base32 characters): what makes a code unguessable.
SIGNATURE_BYTES = 10
#: Registration ids are 32-bit integers (PostgreSQL's INTEGER): larger ones are unknown.
MAX_ID = 2**31 - 1
#: Longer input is not a code (typed or scanned): refused before any work.
MAX_CODE_LENGTH = 120
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: Characters people type for the ones base32 leaves out.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
_NONCE_RE = re.compile(r"^[A-Z2-7]{8}$")
_CODE_RE = re.compile(r"^CV1-([A-Z2-7]{1,13})-([A-Z2-7]{8})-([A-Z2-7]{16})$")


class Verdict(enum.StrEnum):
    """What a scanned or typed code turned out to be."""

    VALID = "valid"
    #: Not shaped like a badge code at all.
    MALFORMED = "malformed"
    #: Shaped like one, but the signature is wrong: made up or altered.
    FORGED = "forged"
    #: Signed by us, for a registration that no longer exists.
    UNKNOWN = "unknown"
    #: A genuine badge of another event.
    OTHER_EVENT = "other_event"
    #: A genuine badge that was reissued since: an older print.
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    #: Pending or rejected.
    NOT_APPROVED = "not_approved"
    #: Registered to follow online: no badge, no entry.
    ONLINE = "online"
    #: Approved, in person, but without a seat (waiting list, offer not taken).
    NO_SEAT = "no_seat"


@dataclass(frozen=True)
class ParsedCode:
    registration_id: int
    nonce: str
    signature: str


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    registration: Any = None

    @property
    def valid(self) -> bool:
        return self.verdict == Verdict.VALID


def new_nonce() -> str:
    """A fresh random nonce (base32, 8 characters)."""
    return base64.b32encode(secrets.token_bytes(NONCE_BYTES)).decode("ascii")


def encode_id(number: int) -> str:
    """A registration id in base32 digits (A = 0)."""
    if number < 0:
        raise ValueError("ids are positive")
    digits = []
    while True:
        number, rest = divmod(number, 32)
        digits.append(_ALPHABET[rest])
        if number == 0:
            return "".join(reversed(digits))


def decode_id(text: str) -> int:
    number = 0
    for char in text:
        number = number * 32 + _ALPHABET.index(char)
    return number


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def signature(secret: str | bytes, event_id: int, registration_id: int, nonce: str) -> str:
    """The code's signature: HMAC-SHA256 over "badge|event|registration|nonce", 80 bits."""
    message = f"badge|{event_id}|{registration_id}|{nonce}".encode()
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.b32encode(digest).decode("ascii")


def make_code(secret: str | bytes, event_id: int, registration_id: int, nonce: str) -> str:
    sig = signature(secret, event_id, registration_id, nonce)
    return f"{CODE_VERSION}-{encode_id(registration_id)}-{nonce}-{sig}"


def normalize(code: Any) -> str:
    """What a person typed or a scanner read, as a code: upper case, no spaces, the
    usual look-alikes (0/O, 1/I, 8/B) mapped, any dash-like character a hyphen."""
    if not isinstance(code, str):
        return ""
    code = code[: MAX_CODE_LENGTH * 2]
    code = "".join(ch for ch in code if not ch.isspace())
    code = re.sub(r"[\u2010-\u2015\u2212_]", "-", code).upper()
    # Only the three parts after the version may hold look-alikes ("CV1" itself has a 1).
    head, sep, rest = code.partition("-")
    return head + sep + rest.translate(_LOOKALIKES)


def parse_code(code: Any) -> ParsedCode | None:
    """The parts of a well-formed code, or None."""
    text = normalize(code)
    if not text or len(text) > MAX_CODE_LENGTH:
        return None
    match = _CODE_RE.match(text)
    if match is None:
        return None
    return ParsedCode(decode_id(match.group(1)), match.group(2), match.group(3))


def verify(
    code: Any,
    *,
    event_id: int,
    secret: str | bytes,
    lookup: Callable[[int], Any],
) -> Verification:
    """Check a code for the event being checked in. The signature is checked before the
    registration's details are looked at, so a made-up code learns nothing about which
    registrations exist; every comparison of secrets is constant-time."""
    parsed = parse_code(code)
    if parsed is None:
        return Verification(Verdict.MALFORMED)
    registration = lookup(parsed.registration_id)
    # A genuine badge of another event is signed over that event's id.
    signed_event = registration.event_id if registration is not None else event_id
    expected = signature(secret, signed_event, parsed.registration_id, parsed.nonce)
    if not hmac.compare_digest(expected.encode(), parsed.signature.encode()):
        return Verification(Verdict.FORGED)
    if registration is None:
        return Verification(Verdict.UNKNOWN)
    if registration.event_id != event_id:
        return Verification(Verdict.OTHER_EVENT)
    current = registration.badge_nonce or ""
    if not hmac.compare_digest(current.encode(), parsed.nonce.encode()):
        return Verification(Verdict.REVOKED, registration)
    if registration.cancelled_at is not None:
        return Verification(Verdict.CANCELLED, registration)
    if registration.approval != Approval.APPROVED:
        return Verification(Verdict.NOT_APPROVED, registration)
    if registration.mode != AttendanceMode.IN_PERSON:
        return Verification(Verdict.ONLINE, registration)
    if registration.seat != SeatState.HELD:
        return Verification(Verdict.NO_SEAT, registration)
    return Verification(Verdict.VALID, registration)


# --------------------------------------------------------------------------------------
# Badges of registrations (database)
# --------------------------------------------------------------------------------------


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def eligible(registration: Registration) -> bool:
    """Badges go to approved in-person participants holding a seat."""
    return (
        registration.cancelled_at is None
        and registration.approval == Approval.APPROVED
        and registration.mode == AttendanceMode.IN_PERSON
        and registration.seat == SeatState.HELD
    )


def ineligible_reason(registration: Registration) -> str:
    """Why a registration has no badge (for the 403 page), or ""."""
    if registration.cancelled_at is not None:
        return str(_l("This registration is cancelled: it has no badge."))
    if registration.approval != Approval.APPROVED:
        return str(_l("The badge is available once the registration is approved."))
    if registration.mode != AttendanceMode.IN_PERSON:
        return str(_l("Online participants have no badge: badges are for attending in person."))
    if registration.seat != SeatState.HELD:
        return str(_l("The badge is available once a seat is confirmed."))
    return ""


def ensure_nonce(registration: Registration, actor: User | None = None) -> str:
    """The registration's badge nonce, made on the first badge. A conditional UPDATE: two
    first prints at once agree on one nonce (the later print does not void the other).
    A stored value not shaped like our nonces (set by other means) cannot be on any badge
    printed here, and is replaced the same way."""
    current = registration.badge_nonce
    if current and _NONCE_RE.match(current):
        return current
    unset = (
        Registration.badge_nonce.is_(None)
        if current is None
        else Registration.badge_nonce == current
    )
    db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, unset)
        .values(badge_nonce=new_nonce())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(registration, ["badge_nonce"])
    audit.record(
        "registration.badge_issued",
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=f"Badge issued to {registration.full_name}",
    )
    return registration.badge_nonce


def code_for(registration: Registration, actor: User | None = None) -> str:
    """The badge code of a registration (making its nonce on the first badge)."""
    nonce = ensure_nonce(registration, actor)
    return make_code(_secret(), registration.event_id, registration.id, nonce)


def reissue(actor: User, registration: Registration) -> str:
    """A new nonce: badges printed before stop working at check-in (lost or stolen
    badge). Returns the new code."""
    if registration.cancelled_at is not None:
        raise RegistrationError(
            _l("This registration is cancelled: it has no badge to reissue."), status=409
        )
    old = registration.badge_nonce
    nonce = new_nonce()
    while nonce == old:  # pragma: no cover - 40 random bits
        nonce = new_nonce()
    registration.badge_nonce = nonce
    audit.record(
        "registration.badge_reissued",
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=f"Badge reissued for {registration.full_name}; earlier prints are void",
        had_badge=old is not None,
    )
    return make_code(_secret(), registration.event_id, registration.id, nonce)


def verify_for_event(event: Event, code: Any) -> Verification:
    """Check a code against the database for this event."""

    def lookup(registration_id: int) -> Registration | None:
        if registration_id > MAX_ID:  # beyond the id column's integers: no such row
            return None
        return db.session.get(Registration, registration_id)

    return verify(code, event_id=event.id, secret=_secret(), lookup=lookup)


def badge_query(
    event: Event,
    category: RegistrationCategory | None = None,
    organization_id: int | None = None,
) -> Select:
    """Approved in-person participants holding a seat, by name."""
    query = select(Registration).where(
        Registration.event_id == event.id,
        Registration.cancelled_at.is_(None),
        Registration.approval == Approval.APPROVED,
        Registration.mode == AttendanceMode.IN_PERSON,
        Registration.seat == SeatState.HELD,
    )
    if category is not None:
        query = query.where(Registration.category == category)
    if organization_id is not None:
        query = query.where(Registration.organization_id == organization_id)
    return query.order_by(Registration.last_name, Registration.first_name, Registration.id)


def badge_members(event: Event) -> list[Organization]:
    """The members (organizations) represented among badge holders, for the filter."""
    ids = select(Registration.organization_id).where(
        Registration.event_id == event.id,
        Registration.organization_id.is_not(None),
        Registration.cancelled_at.is_(None),
        Registration.approval == Approval.APPROVED,
        Registration.mode == AttendanceMode.IN_PERSON,
    )
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.id.in_(ids))
            .order_by(Organization.name, Organization.id)
        )
    )


def country_names(iso2s: Iterable[str | None]) -> dict[str, str]:
    wanted = {c for c in iso2s if c}
    if not wanted:
        return {}
    rows = db.session.execute(select(Country.iso2, Country.name_en).where(Country.iso2.in_(wanted)))
    return {iso2: name for iso2, name in rows}


# --------------------------------------------------------------------------------------
# Badge PDFs
# --------------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


#: A badge is A6 (105 × 148 mm); the bulk PDF puts four on each A4 page, to cut.
BADGE_W, BADGE_H = 105.0, 148.0
A4_W, A4_H = 210.0, 297.0


@dataclass(frozen=True)
class BadgeContent:
    """Everything printed on one badge."""

    first_name: str
    last_name: str
    organization: str
    country: str
    category: str
    colour: str
    event_name: str
    event_dates: str
    code: str

    @property
    def lines(self) -> list[str]:
        return [
            self.category,
            self.event_name,
            self.event_dates,
            self.first_name,
            self.last_name,
            self.organization,
            self.country,
            self.code,
        ]


def badge_content(
    registration: Registration,
    countries: dict[str, str] | None = None,
    actor: User | None = None,
) -> BadgeContent:
    """What a registration's badge shows (in the current locale)."""
    event = registration.event
    if countries is None:
        countries = country_names([registration.country_iso2])
    return BadgeContent(
        first_name=registration.first_name,
        last_name=registration.last_name,
        organization=registration.organization_name
        or (registration.organization.name if registration.organization else ""),
        country=countries.get(registration.country_iso2 or "", ""),
        category=str(CATEGORY_LABELS.get(registration.category, registration.category)),
        colour=CATEGORY_COLOURS.get(registration.category, "#616161"),
        event_name=f"{event.acronym} · {event.name}",
        event_dates=", ".join(
            p for p in (date_span(event.opening_date, event.closing_date), event.city) if p
        ),
        code=code_for(registration, actor),
    )


def qr_code(code: str) -> segno.QRCode:
    """The code as a QR code (error correction M: a scratched badge still reads). The
    code's characters are all in QR's alphanumeric set, so the symbol stays small."""
    return segno.make(code, error="m", micro=False)


def qr_png(code: str) -> bytes:
    """The code as a QR code PNG (in memory), for screens."""
    buffer = io.BytesIO()
    qr_code(code).save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def qr_runs(code: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code's dark modules as horizontal runs (row, first column, length), with
    the symbol's width in modules: drawn as vector rectangles, sharp at any print size
    and much cheaper than an image per badge."""
    qr = qr_code(code)
    runs = []
    for row, line in enumerate(qr.matrix):
        start = None
        for col, dark in enumerate([*line, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((row, start, col - start))
                start = None
    return qr.symbol_size(scale=1, border=0)[0], runs


def draw_qr(pdf: FPDF, code: str, x: float, y: float, side: float) -> None:
    """The QR code in a white square of `side` mm (quiet zone of two modules included)."""
    width, runs = qr_runs(code)
    module = side / (width + 4)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, side, side, style="F")
    pdf.set_fill_color(0, 0, 0)
    left, top = x + 2 * module, y + 2 * module
    for row, col, length in runs:
        # A hair wider than the module so no seam shows between neighbouring runs.
        pdf.rect(left + col * module, top + row * module, length * module, module * 1.01, style="F")


def draw_badge(pdf: PdfDocument, badge: BadgeContent, x: float, y: float) -> None:
    """One badge with its top-left corner at (x, y)."""
    w, h = BADGE_W, BADGE_H
    pad = 7.0
    inner = w - 2 * pad
    r, g, b = _rgb(badge.colour)
    # The category band, top and bottom (the category is written too: colour alone is
    # not enough for everyone).
    pdf.set_fill_color(r, g, b)
    pdf.rect(x, y, w, 17, style="F")
    pdf.rect(x, y + h - 9, w, 9, style="F")
    pdf.set_text_color(255, 255, 255)
    text, size = pdf.fit(badge.category.upper(), inner, 15, 8, bold=True)
    pdf.set_xy(x + pad, y + 4.5)
    pdf.cell(inner, 8, text, align="C")
    text, size = pdf.fit(badge.event_name, inner, 8, 6)
    pdf.set_xy(x + pad, y + h - 7.5)
    pdf.cell(inner, 6, text, align="C")

    pdf.set_text_color(70, 76, 86)
    text, size = pdf.fit(badge.event_name, inner, 8.5, 6)
    pdf.set_xy(x + pad, y + 20)
    pdf.cell(inner, 5, text, align="C")
    text, size = pdf.fit(badge.event_dates, inner, 8.5, 6)
    pdf.set_xy(x + pad, y + 25)
    pdf.cell(inner, 5, text, align="C")

    pdf.set_text_color(20, 24, 30)
    top = y + 35
    for part in (badge.first_name, badge.last_name):
        if not part:
            continue
        text, size = pdf.fit(part, inner, 22, 11, bold=True)
        pdf.set_xy(x + pad, top)
        pdf.cell(inner, 9, text, align="C")
        top += 10
    top = max(top, y + 55) + 2
    if badge.organization:
        text, size = pdf.fit(badge.organization, inner, 12, 7.5)
        pdf.set_xy(x + pad, top)
        pdf.cell(inner, 6, text, align="C")
        top += 7
    if badge.country:
        pdf.set_text_color(70, 76, 86)
        text, size = pdf.fit(badge.country, inner, 11, 7.5)
        pdf.set_xy(x + pad, top)
        pdf.cell(inner, 6, text, align="C")

    side = 44.0
    qr_top = y + h - 9 - 6 - 5 - side
    draw_qr(pdf, badge.code, x + (w - side) / 2, qr_top, side)
    pdf.set_text_color(20, 24, 30)
    text, size = pdf.fit(badge.code, inner, 7, 5)
    pdf.set_xy(x + pad, qr_top + side + 0.5)
    pdf.cell(inner, 4, text, align="C")
    pdf.set_text_color(0, 0, 0)


def _cut_marks(pdf: PdfDocument) -> None:
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    top = (A4_H - 2 * BADGE_H) / 2
    pdf.set_dash_pattern(dash=2, gap=2)
    pdf.line(A4_W / 2, 0, A4_W / 2, A4_H)
    pdf.line(0, top + BADGE_H, A4_W, top + BADGE_H)
    pdf.set_dash_pattern()


def badge_pdf(
    badges: Sequence[BadgeContent],
    *,
    sheet: bool = False,
    fonts: FontSet | None = None,
    compress: bool | None = None,
    title: str = "",
) -> bytes:
    """One badge per A6 page, or (`sheet`) four per A4 page with cut lines."""
    pdf = PdfDocument("A4" if sheet else (BADGE_W, BADGE_H), fonts=fonts, compress=compress)
    pdf.set_margins(0, 0)
    if title:
        pdf.set_title(pdf.clean(title))
    if not badges:
        pdf.add_page()
        pdf.use(12)
        pdf.set_xy(10, 20)
        pdf.cell(0, 8, pdf.clean(_l("No badge to print.")))
        return bytes(pdf.output())
    if not sheet:
        for badge in badges:
            pdf.add_page()
            draw_badge(pdf, badge, 0, 0)
        return bytes(pdf.output())
    left = (A4_W - 2 * BADGE_W) / 2
    top = (A4_H - 2 * BADGE_H) / 2
    for index, badge in enumerate(badges):
        slot = index % 4
        if slot == 0:
            pdf.add_page()
            _cut_marks(pdf)
        draw_badge(pdf, badge, left + (slot % 2) * BADGE_W, top + (slot // 2) * BADGE_H)
    return bytes(pdf.output())


def registration_badges_pdf(
    registrations: Sequence[Registration],
    actor: User | None = None,
    *,
    sheet: bool = False,
    title: str = "",
    fonts: FontSet | None = None,
    compress: bool | None = None,
) -> bytes:
    """The badge PDF of these registrations (making nonces for first prints)."""
    countries = country_names(r.country_iso2 for r in registrations)

    def render() -> bytes:
        contents = [badge_content(r, countries, actor) for r in registrations]
        return badge_pdf(contents, sheet=sheet, fonts=fonts, compress=compress, title=title)

    return printable(render, fonts)

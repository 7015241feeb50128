"""The visa support letter: a PDF on the event's behalf for a participant who asked for
one, once their registration is approved, to show at a consulate. It names the person
and their passport, the event, where and when it is, and says plainly that it does not
commit the organizers to any costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from models import Approval, Registration

from .badges import country_names
from .core import RegistrationError
from .pdf import FontSet, PdfDocument, date_span, printable


@dataclass(frozen=True)
class LetterContent:
    reference: str
    issued_on: str
    heading: str
    event_line: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str
    signature: str

    @property
    def text(self) -> str:
        return "\n".join(
            (
                self.heading,
                self.event_line,
                self.reference,
                self.issued_on,
                self.salutation,
                *self.paragraphs,
                self.closing,
                self.signature,
            )
        )


def reference(registration: Registration) -> str:
    """The letter's reference number: stable for a registration, e.g. WTDC-27/VISA/00042."""
    return f"{registration.event.acronym}/VISA/{registration.id:05d}"


def check_letter(registration: Registration) -> None:
    """404 when no letter was asked for, 403 with the reason before approval."""
    if not registration.visa_support:
        raise RegistrationError(_("No visa support letter was requested."), status=404)
    if registration.cancelled_at is not None:
        raise RegistrationError(
            _("This registration is cancelled: no visa support letter is issued."), status=403
        )
    if registration.approval != Approval.APPROVED:
        raise RegistrationError(
            _(
                "The visa support letter is issued once the registration is approved. "
                "It is not approved yet."
            ),
            status=403,
        )


def letter_content(registration: Registration, today: date | None = None) -> LetterContent:
    """The letter's text in the current locale."""
    event = registration.event
    countries = country_names(
        [registration.nationality_iso2, registration.country_iso2, event.country_iso2]
    )
    place = ", ".join(p for p in (event.city, countries.get(event.country_iso2 or "", "")) if p)
    dash = "—"
    birth = dash
    if registration.date_of_birth:
        try:
            birth = format_date(date.fromisoformat(registration.date_of_birth), "long")
        except ValueError:
            birth = registration.date_of_birth
    nationality = countries.get(registration.nationality_iso2 or "", "") or dash
    organization = registration.organization_name or (
        registration.organization.name if registration.organization else ""
    )
    if registration.function and organization:
        role = _(
            "%(function)s at %(organization)s",
            function=registration.function,
            organization=organization,
        )
    else:
        role = registration.function or organization or dash
    details = _(
        "Name: %(name)s\n"
        "Date of birth: %(birth)s\n"
        "Nationality: %(nationality)s\n"
        "Passport number: %(passport)s\n"
        "Organization and function: %(role)s",
        name=registration.full_name,
        birth=birth,
        nationality=nationality,
        passport=registration.passport_number or dash,
        role=role,
    )
    dates = date_span(event.opening_date, event.closing_date)
    paragraphs = (
        _(
            "This letter confirms that the person named below is registered to attend "
            "%(event)s (%(acronym)s), to be held in %(place)s from %(first)s to %(last)s, "
            "and that the registration has been approved.",
            event=event.name,
            acronym=event.acronym,
            place=place or dash,
            first=format_date(event.opening_date, "long"),
            last=format_date(event.closing_date, "long"),
        ),
        details,
        _(
            "We would be grateful for any assistance you can give in issuing the visa "
            "this person needs to attend the event."
        ),
        _(
            "This letter does not commit the organizers to cover any cost of the "
            "participant's travel, accommodation, subsistence, insurance or other "
            "expenses, which remain the participant's or their organization's "
            "responsibility. It is not an invitation to stay beyond the dates of the event."
        ),
    )
    return LetterContent(
        reference=_("Reference: %(reference)s", reference=reference(registration)),
        issued_on=_("Date: %(date)s", date=format_date(today or date.today(), "long")),
        heading=_("Visa support letter"),
        event_line=f"{event.name} ({event.acronym}) · {place} · {dates}",
        salutation=_("To the consular authorities concerned,"),
        paragraphs=paragraphs,
        closing=_("Yours faithfully,"),
        signature=_("The secretariat of %(event)s", event=event.name),
    )


def letter_pdf(
    registration: Registration,
    *,
    today: date | None = None,
    fonts: FontSet | None = None,
    compress: bool | None = None,
) -> bytes:
    """The letter as an A4 PDF (in the reader's language if the fonts can show it)."""

    def render() -> bytes:
        content = letter_content(registration, today)
        pdf = PdfDocument("A4", fonts=fonts, compress=compress)
        pdf.set_margins(25, 25, 25)
        pdf.set_auto_page_break(True, margin=20)
        pdf.set_title(pdf.clean(f"{content.heading} {reference(registration)}"))
        pdf.add_page()
        width = pdf.w - 50
        pdf.set_xy(25, 25)
        pdf.use(9)
        pdf.set_text_color(70, 76, 86)
        pdf.multi_cell(
            width, 5, pdf.clean(content.event_line), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.ln(6)
        pdf.set_text_color(20, 24, 30)
        pdf.use(16, bold=True)
        pdf.multi_cell(
            width, 8, pdf.clean(content.heading), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.ln(2)
        pdf.use(10)
        for line in (content.reference, content.issued_on):
            pdf.multi_cell(width, 5.5, pdf.clean(line), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(6)
        pdf.use(11)
        pdf.multi_cell(
            width, 6, pdf.clean(content.salutation), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.ln(3)
        for number, paragraph in enumerate(content.paragraphs):
            if number == 1:  # the person's details, set apart
                pdf.set_x(35)
                pdf.multi_cell(
                    width - 10, 6, pdf.clean(paragraph), new_x="LMARGIN", new_y="NEXT", align="L"
                )
            else:
                pdf.multi_cell(
                    width, 6, pdf.clean(paragraph), new_x="LMARGIN", new_y="NEXT", align="L"
                )
            pdf.ln(3)
        pdf.ln(4)
        pdf.multi_cell(
            width, 6, pdf.clean(content.closing), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.ln(10)
        pdf.use(11, bold=True)
        pdf.multi_cell(
            width, 6, pdf.clean(content.signature), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        return bytes(pdf.output())

    return printable(render, fonts)

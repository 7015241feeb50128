"""Invitation letters: placeholders, checking an organizer's text, rendering per recipient.

Letters are rendered with plain string assembly, not Jinja: a wave of 10,000 invitees
renders 10,000 letters, and the organizer's text must never be able to run template code.
A parsed letter is a list of (literal, placeholder) pieces, cached per text.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from html import escape

from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l

from models import TargetEntry, Wave

#: Every placeholder a letter may use, in the order the help lists them.
PLACEHOLDERS = (
    "name",
    "first_name",
    "last_name",
    "function",
    "organization",
    "country",
    "event",
    "event_acronym",
    "opening_date",
    "rsvp_link",
    "deadline",
)
#: The language used when a person's languages match no letter.
FALLBACK_LANGUAGE = "en"


class LetterError(Exception):
    """A letter's text cannot be used; the message is for the user, `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


def placeholder_list() -> str:
    """'{name}, {first_name}, …' for help texts and messages."""
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


@lru_cache(maxsize=256)
def _parse(text: str) -> tuple[tuple[str, str | None], ...]:
    """(literal, placeholder or None) pieces; raises ValueError for malformed braces."""
    pieces = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None and (spec or conversion):
            # {name:>10} or {name!r}: not a placeholder we offer.
            name = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        pieces.append((literal, name))
    return tuple(pieces)


def check_letter(text: str, field: str | None = None) -> None:
    """Raise LetterError for malformed braces or a placeholder we do not know."""
    try:
        pieces = _parse(text)
    except ValueError:
        raise LetterError(
            _l(
                "A brace { or } is not closed. Write placeholders like {name}; "
                "for a brace itself write {{ or }}."
            ),
            field,
        ) from None
    for _literal, name in pieces:
        if name is not None and name not in PLACEHOLDERS:
            raise LetterError(
                _l(
                    "Unknown placeholder {%(name)s}; use one of %(placeholders)s.",
                    name=name,
                    placeholders=placeholder_list(),
                ),
                field,
            )


def choose_language(wave: Wave, languages: list[str] | None) -> str:
    """The first of the person's languages the wave has a letter for, else English if the
    wave has it, else the wave's first letter."""
    for code in languages or []:
        if code in wave.letters:
            return code
    if FALLBACK_LANGUAGE in wave.letters:
        return FALLBACK_LANGUAGE
    return next(iter(wave.letters))


def rsvp_date(wave: Wave) -> date:
    """The day of the wave's RSVP deadline."""
    return wave.event.opening_date + timedelta(days=wave.rsvp_by_days)


def link_expiry(wave: Wave) -> datetime:
    """When the wave's RSVP links stop working: the end of the RSVP day anywhere on earth
    (UTC−12), so no invitee loses a day to their time zone."""
    return datetime.combine(rsvp_date(wave) + timedelta(days=1), time(11, 59, 59), tzinfo=UTC)


def send_by_date(wave: Wave) -> date:
    """The day the wave should be sent by."""
    return wave.event.opening_date + timedelta(days=wave.send_by_days)


def _fill(pieces, values: dict[str, str], html: bool = False) -> str:
    out = []
    for literal, name in pieces:
        out.append(escape(literal, quote=False) if html else literal)
        if name is None:
            continue
        value = values.get(name, "{" + name + "}")
        if html:
            if name == "rsvp_link":
                link = escape(value)
                value = f'<a href="{link}">{link}</a>'
            else:
                value = escape(value, quote=False)
        out.append(value)
    return "".join(out)


def _paragraphs(html_text: str) -> str:
    """Blank lines separate paragraphs; single line breaks stay line breaks."""
    blocks = [b.strip() for b in html_text.replace("\r\n", "\n").split("\n\n")]
    return "\n".join("<p>" + b.replace("\n", "<br>\n") + "</p>" for b in blocks if b)


@dataclass
class LetterRenderer:
    """Renders one wave's letters; what is the same for every recipient is computed once
    per language."""

    wave: Wave
    _shared: dict[str, dict[str, str]] = field(default_factory=dict)

    def shared(self, locale: str) -> dict[str, str]:
        """The event's values, with dates in the long form of `locale`."""
        if locale not in self._shared:
            event = self.wave.event
            with force_locale(locale):
                self._shared[locale] = {
                    "event": event.name,
                    "event_acronym": event.acronym,
                    "opening_date": format_date(event.opening_date, "long"),
                    "deadline": format_date(rsvp_date(self.wave), "long"),
                }
        return self._shared[locale]

    def language(self, entry: TargetEntry, locale: str | None = None) -> str:
        """`locale` when the wave has a letter in it, else the person's best match."""
        if locale and locale in self.wave.letters:
            return locale
        return choose_language(self.wave, entry.person.languages)

    def values(self, entry: TargetEntry, link: str, locale: str) -> dict[str, str]:
        """Every placeholder's value for one recipient."""
        person = entry.person
        organization = person.organization
        country = person.country or (organization.country if organization else None)
        return {
            **self.shared(locale),
            "name": person.full_name,
            "first_name": person.first_name or "",
            "last_name": person.last_name or "",
            "function": person.function or "",
            "organization": organization.name if organization else "",
            "country": country.name_en if country else "",
            "rsvp_link": link,
        }

    def render(
        self, entry: TargetEntry, link: str, locale: str | None = None
    ) -> tuple[str, str, str, str]:
        """(language, subject, text, html body) of the letter for `entry`."""
        language = self.language(entry, locale)
        letter = self.wave.letters[language]
        values = self.values(entry, link, language)
        subject = _fill(_parse(letter["subject"]), values)
        subject = " ".join(subject.split())[:300]
        body = _parse(letter["body"])
        text = _fill(body, values).strip() + "\n"
        html = _paragraphs(_fill(body, values, html=True))
        return language, subject, text, html


def render_letter(
    wave: Wave, entry: TargetEntry, link: str, locale: str | None = None
) -> tuple[str, str, str]:
    """Subject, plain text and HTML body of `wave`'s letter for `entry`, in `locale` when
    the wave has a letter in it, else in the language chosen for the person."""
    _language, subject, text, html = LetterRenderer(wave).render(entry, link, locale)
    return subject, text, html

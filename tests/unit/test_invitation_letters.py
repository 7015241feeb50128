"""Invitation letters: placeholder checking, rendering, HTML escaping, language choice."""

from datetime import date

import pytest

from invitations.letters import (
    LetterError,
    LetterRenderer,
    check_letter,
    choose_language,
    render_letter,
)
from models import Country, EntryStatus, Event, Organization, Person, TargetEntry, Wave

OPENING = date(2031, 3, 10)


def make_wave(**letters) -> Wave:
    """An unsaved wave of an unsaved event (rendering needs no database)."""
    event = Event(name="World Conference", acronym="WC-31", opening_date=OPENING, languages=[])
    return Wave(
        event=event,
        name="Ministers",
        letters=letters or {"en": {"subject": "Invitation to {event}", "body": "Dear {name},"}},
        send_by_days=-400,
        rsvp_by_days=-300,
    )


def make_entry(languages=None, **person) -> TargetEntry:
    values = {
        "honorific": "H.E.",
        "first_name": "Amina",
        "last_name": "Diallo",
        "function": "Minister of ICT",
        "email": "amina@example.org",
        "languages": languages or [],
    }
    values.update(person)
    organization = Organization(
        name="Ministry of ICT", country=Country(iso2="SN", name_en="Senegal")
    )
    return TargetEntry(
        person=Person(organization=organization, **values),
        status=EntryStatus.IDENTIFIED,
        constituent_group="MS_MIN",
    )


# ------------------------------------------------------------------------- checking


@pytest.mark.parametrize(
    "text",
    [
        "Dear {name},",
        "{first_name} {last_name}, {function} at {organization} ({country})",
        "{event} ({event_acronym}) opens on {opening_date}; answer by {deadline}: {rsvp_link}",
        "Braces themselves: {{ and }}",
        "No placeholder at all",
    ],
)
def test_check_letter_accepts(text):
    check_letter(text)


def test_unknown_placeholder_is_named_with_the_known_ones():
    with pytest.raises(LetterError) as error:
        check_letter("Dear {nmae},", field="body_en")
    assert str(error.value).startswith("Unknown placeholder {nmae}; use one of {name}, ")
    assert "{rsvp_link}" in str(error.value)
    assert error.value.field == "body_en"


@pytest.mark.parametrize(
    "text",
    [
        "Dear {name",
        "Dear name}",
        "{",
        "}",
        "{name.__class__}",
        "{name!r}",
        "{name:>30}",
        "{0}",
        "{}",
    ],
)
def test_malformed_or_foreign_placeholders_are_refused(text):
    with pytest.raises(LetterError):
        check_letter(text)


# ------------------------------------------------------------------------ rendering


def test_render_fills_every_placeholder(app):
    wave = make_wave(
        en={
            "subject": "{event_acronym}: invitation for {name}",
            "body": "Dear {name},\n\n{first_name} {last_name}, {function}, {organization}, "
            "{country}.\n{event} opens on {opening_date}. Answer by {deadline}: {rsvp_link}",
        }
    )
    with app.test_request_context():
        subject, text, html = render_letter(wave, make_entry(), "https://x.test/rsvp/abc", "en")
    assert subject == "WC-31: invitation for H.E. Amina Diallo"
    assert text.startswith(
        "Dear H.E. Amina Diallo,\n\nAmina Diallo, Minister of ICT, Ministry of ICT"
    )
    assert "Senegal." in text
    assert "World Conference opens on March 10, 2031." in text
    assert "Answer by May 14, 2030: https://x.test/rsvp/abc" in text  # 300 days before
    assert html.startswith("<p>Dear H.E. Amina Diallo,</p>")
    assert '<a href="https://x.test/rsvp/abc">https://x.test/rsvp/abc</a>' in html


def test_deadline_in_the_letters_language(app):
    wave = make_wave(
        en={"subject": "S", "body": "{deadline}"}, fr={"subject": "S", "body": "{deadline}"}
    )
    with app.test_request_context():
        renderer = LetterRenderer(wave)
        _lang, _s, french, _h = renderer.render(make_entry(["fr"]), "L")
        _lang, _s, english, _h = renderer.render(make_entry(["en"]), "L")
    assert french.strip() == "14 mai 2030"
    assert english.strip() == "May 14, 2030"


def test_html_escapes_organizer_text_and_names(app):
    wave = make_wave(
        en={"subject": "<b>{name}</b>", "body": "<script>alert(1)</script> {name}\n{rsvp_link}"}
    )
    entry = make_entry(first_name="<img src=x onerror=alert(1)>", last_name='"Bob" & co')
    with app.test_request_context():
        subject, text, html = render_letter(wave, entry, 'https://x.test/rsvp/a"b<c>', "en")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x" in html
    assert "&amp; co" in html
    assert '<a href="https://x.test/rsvp/a&quot;b&lt;c&gt;">' in html
    assert "<br>" in html  # the single line break stays a break
    # The plain text and the subject are text: nothing to escape there.
    assert subject == '<b>H.E. <img src=x onerror=alert(1)> "Bob" & co</b>'
    assert "<script>" in text


def test_subject_stays_one_line(app):
    wave = make_wave(en={"subject": "For {name}", "body": "B"})
    with app.test_request_context():
        subject, _text, _html = render_letter(wave, make_entry(last_name="Diallo\r\nBcc: x"), "L")
    assert "\n" not in subject and "\r" not in subject


def test_paragraphs_split_on_blank_lines(app):
    wave = make_wave(en={"subject": "S", "body": "One\r\n\r\nTwo\nlines\n\n\n\nThree"})
    with app.test_request_context():
        _s, _t, html = render_letter(wave, make_entry(), "L")
    assert html == "<p>One</p>\n<p>Two<br>\nlines</p>\n<p>Three</p>"


# ------------------------------------------------------------------------ languages


LETTER = {"subject": "S", "body": "B"}


@pytest.mark.parametrize(
    ("letters", "person", "expected"),
    [
        (["en", "fr"], ["fr", "en"], "fr"),
        (["en", "fr"], ["es", "fr"], "fr"),
        (["en", "fr"], ["zh"], "en"),
        (["en", "fr"], [], "en"),
        (["zh", "fr"], ["ru"], "zh"),
        (["fr", "zh"], None, "fr"),
        (["ar"], ["ar"], "ar"),
    ],
)
def test_language_choice(letters, person, expected):
    wave = make_wave(**{code: LETTER for code in letters})
    assert choose_language(wave, person) == expected


def test_explicit_locale_wins_when_the_wave_has_it(app):
    wave = make_wave(en=LETTER, fr={"subject": "Objet", "body": "Corps"})
    renderer = LetterRenderer(wave)
    with app.test_request_context():
        assert renderer.render(make_entry(["en"]), "L", "fr")[:2] == ("fr", "Objet")
        assert renderer.render(make_entry(["en"]), "L", "zh")[:2] == ("en", "S")

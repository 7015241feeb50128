"""Badge codes: signing, parsing, and every verdict of `verify` (pure: the registration
lookup is a dict here), the constant-time comparisons, and the PDF text clean-up that
keeps names no font can show from breaking a badge."""

from __future__ import annotations

import hmac
import re
from types import SimpleNamespace

import pytest

from models import Approval, AttendanceMode, SeatState
from registration import badges, pdf
from registration.badges import FontSet, PdfDocument, Verdict

SECRET = "unit-test-secret-key"
EVENT = 7
OTHER_EVENT = 8


def reg(id=42, event_id=EVENT, nonce="ABCDEFGH", **fields):
    values = dict(
        id=id,
        event_id=event_id,
        badge_nonce=nonce,
        cancelled_at=None,
        approval=Approval.APPROVED,
        mode=AttendanceMode.IN_PERSON,
        seat=SeatState.HELD,
    )
    values.update(fields)
    return SimpleNamespace(**values)


def check(code, *registrations, event_id=EVENT, secret=SECRET):
    table = {r.id: r for r in registrations}
    return badges.verify(code, event_id=event_id, secret=secret, lookup=table.get)


def code_of(r, secret=SECRET):
    return badges.make_code(secret, r.event_id, r.id, r.badge_nonce)


def test_code_shape_and_round_trip():
    r = reg(id=123456789)
    code = code_of(r)
    assert re.fullmatch(r"CV1-[A-Z2-7]+-[A-Z2-7]{8}-[A-Z2-7]{16}", code)
    parsed = badges.parse_code(code)
    assert parsed.registration_id == 123456789
    assert parsed.nonce == "ABCDEFGH"
    # 16 base32 characters: 80 bits of HMAC-SHA256.
    assert len(parsed.signature) * 5 == 80
    assert badges.SIGNATURE_BYTES * 8 >= 80


@pytest.mark.parametrize("number", [0, 1, 31, 32, 1023, 2**40 + 5, 2**63 - 1])
def test_ids_encode_and_decode(number):
    assert badges.decode_id(badges.encode_id(number)) == number


def test_signature_covers_event_registration_and_nonce():
    base = badges.signature(SECRET, EVENT, 42, "ABCDEFGH")
    assert base != badges.signature(SECRET, OTHER_EVENT, 42, "ABCDEFGH")
    assert base != badges.signature(SECRET, EVENT, 43, "ABCDEFGH")
    assert base != badges.signature(SECRET, EVENT, 42, "ABCDEFGI")
    assert base != badges.signature("another-secret-key!", EVENT, 42, "ABCDEFGH")
    assert base == badges.signature(SECRET.encode(), EVENT, 42, "ABCDEFGH")


def test_nonces_are_random_and_shaped():
    nonces = {badges.new_nonce() for _ in range(200)}
    assert len(nonces) == 200
    assert all(re.fullmatch(r"[A-Z2-7]{8}", n) for n in nonces)


def test_valid_code_and_typing_tolerance():
    r = reg()
    code = code_of(r)
    assert check(code, r).verdict == Verdict.VALID
    assert check(code, r).registration is r
    # Lower case, spaces, a typographic dash and look-alike digits are forgiven.
    typed = "  " + code.lower().replace("-", " - ", 1).replace("-", "\u2013", 1) + "\n"
    assert check(typed, r).valid
    swapped = code.replace("O", "0").replace("I", "1").replace("B", "8")
    assert check("CV1" + swapped[3:], r).valid


@pytest.mark.parametrize(
    "code",
    [
        None,
        "",
        "   ",
        42,
        ["CV1"],
        "hello",
        "CV1",
        "CV1--ABCDEFGH-AAAAAAAAAAAAAAAA",
        "CV2-BK-ABCDEFGH-AAAAAAAAAAAAAAAA",
        "CV1-BK-ABCDEFG-AAAAAAAAAAAAAAAA",
        "CV1-BK-ABCDEFGH-AAAAAAAAAAAAAAA",
        "CV1-BK-ABCDEFGH-AAAAAAAAAAAAAAAAA",
        "CV1-B!-ABCDEFGH-AAAAAAAAAAAAAAAA",
        "CV1-BK-ABCDEFGH-AAAAAAAAAAAAAAAA-EXTRA",
        "CV1-" + "A" * 200 + "-ABCDEFGH-AAAAAAAAAAAAAAAA",
        "x" * 10_000,
    ],
)
def test_malformed(code):
    assert check(code, reg()).verdict == Verdict.MALFORMED


def test_forged_codes():
    r = reg()
    code = code_of(r)
    head, sig = code.rsplit("-", 1)
    flipped = head + "-" + ("A" if sig[0] != "A" else "B") + sig[1:]
    assert check(flipped, r).verdict == Verdict.FORGED
    # Another registration's id with this signature, another nonce, another key.
    other = reg(id=43)
    assert (
        check(
            code.replace(f"-{badges.encode_id(42)}-", f"-{badges.encode_id(43)}-"), r, other
        ).verdict
        == Verdict.FORGED
    )
    assert check(badges.make_code("not-our-secret-key", EVENT, 42, "ABCDEFGH"), r).verdict == (
        Verdict.FORGED
    )
    assert check(head.replace("ABCDEFGH", "ABCDEFGZ") + "-" + sig, r).verdict == Verdict.FORGED
    # A made-up code for an id that does not exist is forged, not "unknown": a guess
    # learns nothing about which registrations exist.
    assert check(flipped.replace(f"-{badges.encode_id(42)}-", "-ZZZZ-"), r).verdict == (
        Verdict.FORGED
    )
    # Forged results never carry the registration.
    assert check(flipped, r).registration is None


def test_unknown_registration():
    gone = reg(id=99)
    assert check(code_of(gone)).verdict == Verdict.UNKNOWN


def test_badge_of_another_event():
    elsewhere = reg(event_id=OTHER_EVENT)
    assert check(code_of(elsewhere), elsewhere).verdict == Verdict.OTHER_EVENT
    # Signed for this event but the registration is another event's: forged.
    r = reg(event_id=OTHER_EVENT)
    assert check(badges.make_code(SECRET, EVENT, 42, "ABCDEFGH"), r).verdict == Verdict.FORGED


def test_revoked_after_reissue():
    old = reg(nonce="ABCDEFGH")
    code = code_of(old)
    reissued = reg(nonce="ZYXWVUTS")
    assert check(code, reissued).verdict == Verdict.REVOKED
    assert check(code_of(reissued), reissued).verdict == Verdict.VALID
    never = reg(nonce=None)
    assert check(code, never).verdict == Verdict.REVOKED


@pytest.mark.parametrize(
    "fields, verdict",
    [
        ({"cancelled_at": "2027-01-01"}, Verdict.CANCELLED),
        ({"approval": Approval.PENDING}, Verdict.NOT_APPROVED),
        ({"approval": Approval.REJECTED}, Verdict.NOT_APPROVED),
        ({"mode": AttendanceMode.ONLINE}, Verdict.ONLINE),
        ({"seat": SeatState.WAITING}, Verdict.NO_SEAT),
        ({"seat": SeatState.OFFERED}, Verdict.NO_SEAT),
        ({"seat": SeatState.NONE}, Verdict.NO_SEAT),
    ],
)
def test_genuine_badge_not_admitted(fields, verdict):
    r = reg(**fields)
    result = check(code_of(r), r)
    assert result.verdict == verdict
    assert result.registration is r


def test_comparisons_are_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(badges.hmac, "compare_digest", spy)
    r = reg()
    assert check(code_of(r), r).valid
    # The signature and the nonce: both compared with hmac.compare_digest.
    assert len(calls) == 2
    assert calls[1] == (b"ABCDEFGH", b"ABCDEFGH")
    calls.clear()
    assert check(code_of(r)[:-1] + "A", r).verdict in (Verdict.FORGED, Verdict.VALID)
    assert len(calls) == 1


# --------------------------------------------------------------------------------------
# PDF text: what no font can show becomes "?" (never an error)
# --------------------------------------------------------------------------------------


def core_pdf():
    return PdfDocument("A4", fonts=FontSet(), compress=False)


def test_core_font_text_is_latin1_with_transliteration():
    pdf = core_pdf()
    assert pdf.clean("Zoë Ångström") == "Zoë Ångström"
    assert pdf.clean("Łukasz Dvořák") == "Lukasz Dvorák"
    assert pdf.clean("12–21 November") == "12-21 November"
    assert pdf.clean("“Quoted” …") == '"Quoted" ...'
    assert pdf.clean("王小明") == "???"
    assert pdf.clean("Иван") == "????"
    assert pdf.clean("a\u200bb\x00c") == "abc"
    assert pdf.clean(None) == ""


def test_text_that_does_not_fit_shrinks_then_is_cut():
    pdf = core_pdf()
    pdf.add_page()
    text, size = pdf.fit("Short", 80, 20, 10)
    assert (text, size) == ("Short", 20)
    text, size = pdf.fit("A rather long organization name " * 2, 80, 20, 10)
    assert size == 10 and text.endswith("...")
    pdf.use(size)
    assert pdf.get_string_width(text) <= 80


def test_badge_pdf_without_any_font_file_prints_every_script():
    content = badges.BadgeContent(
        first_name="小明",
        last_name="王",
        organization="وزارة الاتصالات",
        country="China",
        category="Member State delegate",
        colour="#0b4f8a",
        event_name="WTDC · Conference",
        event_dates="1 – 9 November 2027",
        code=badges.make_code(SECRET, EVENT, 42, "ABCDEFGH"),
    )
    data = badges.badge_pdf([content], fonts=FontSet(), compress=False)
    assert data.startswith(b"%PDF")
    assert b"(?)" in data and b"(??)" in data
    assert content.code.encode() in data
    sheet = badges.badge_pdf([content] * 5, sheet=True, fonts=FontSet(), compress=False)
    assert sheet.count(b"/Type /Page\n") == 2
    assert badges.badge_pdf([], fonts=FontSet(), compress=False).startswith(b"%PDF")


def test_qr_code_holds_the_code_and_is_drawn_module_for_module():
    code = badges.make_code(SECRET, EVENT, 123456, "ABCDEFGH")
    qr = badges.qr_code(code)
    assert qr.mode == "alphanumeric"  # the code's characters keep the symbol small
    assert qr.error == "M"
    assert badges.qr_png(code).startswith(b"\x89PNG")
    width, runs = badges.qr_runs(code)
    drawn = [[0] * width for _ in range(width)]
    for row, col, length in runs:
        for c in range(col, col + length):
            drawn[row][c] = 1
    assert drawn == [[int(bool(v)) for v in line] for line in qr.matrix]


def test_font_discovery_without_fonts(tmp_path):
    assert pdf.find_fonts((str(tmp_path),)) == FontSet()


def test_font_discovery_pairs_the_bold_with_its_regular(tmp_path):
    """Badges, letters and receipts share one font lookup: Liberation Sans when DejaVu is
    missing, and the bold of the same family."""
    folder = tmp_path / "truetype" / "liberation"
    folder.mkdir(parents=True)
    for name in ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"):
        (folder / name).write_bytes(b"")
    found = pdf.find_fonts((str(tmp_path),))
    assert found.regular == str(folder / "LiberationSans-Regular.ttf")
    assert found.bold == str(folder / "LiberationSans-Bold.ttf")

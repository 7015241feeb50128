"""Every user-facing string has a Chinese translation, and the compiled catalogues are
current. (English is the source language: its msgids are the English text.)"""

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webapp" / "translations"
COMPLETE = ["zh"]
WIRED = ["zh", "fr", "es", "ru", "ar"]


def _extract(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _translated(message) -> bool:
    string = message.string
    return all(string) if isinstance(string, (list, tuple)) else bool(string)


def _catalog(locale):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_chinese_is_complete(tmp_path):
    wanted = _extract(tmp_path)
    for locale in COMPLETE:
        catalog = _catalog(locale)
        translated = {
            (m.id if isinstance(m.id, str) else m.id[0])
            for m in catalog
            if m.id and _translated(m) and not m.fuzzy
        }
        missing = sorted(wanted - translated)
        assert not missing, f"{len(missing)} strings lack a {locale} translation: {missing[:20]}"


def test_every_un_language_has_a_compiled_catalogue():
    for locale in WIRED:
        po = _catalog(locale)
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
            mo = read_mo(handle)
        expected = {
            _key(m.id): _key(m.string) for m in po if m.id and _translated(m) and not m.fuzzy
        }
        compiled = {_key(m.id): _key(m.string) for m in mo if m.id and _translated(m)}
        stale = {k for k, v in expected.items() if compiled.get(k) != v}
        assert not stale, f"{locale}: run `pybabel compile -d webapp/translations`: {stale}"

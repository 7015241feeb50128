"""PDF basics shared by badges, visa support letters and receipts: the fonts installed
that cover the names (DejaVu Sans, else Liberation Sans; a CJK font as fallback when one
is installed), an FPDF page in millimetres whose text goes through `clean` (characters
no font can show become "?" instead of an error), and the language a document is
printed in (the reader's if the fonts can show it, else English).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_date, get_locale
from fpdf import FPDF

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
#: Unicode fonts (Latin, Greek, Cyrillic, Arabic letters), first found wins.
REGULAR_FONTS = (
    "truetype/dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSans.ttf",
    "TTF/DejaVuSans.ttf",
    "dejavu-sans-fonts/DejaVuSans.ttf",
    "truetype/liberation/LiberationSans-Regular.ttf",
    "truetype/liberation2/LiberationSans-Regular.ttf",
    "truetype/croscore/Arimo-Regular.ttf",
)
#: The bold of the regular font found (same position in the list).
BOLD_FONTS = (
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
    "TTF/DejaVuSans-Bold.ttf",
    "dejavu-sans-fonts/DejaVuSans-Bold.ttf",
    "truetype/liberation/LiberationSans-Bold.ttf",
    "truetype/liberation2/LiberationSans-Bold.ttf",
    "truetype/croscore/Arimo-Bold.ttf",
)
#: Fonts for what DejaVu lacks (Chinese, Japanese, Korean), each used when present.
FALLBACK_FONTS = (
    "opentype/noto/NotoSansCJK-Regular.ttc",
    "noto-cjk/NotoSansCJK-Regular.ttc",
    "google-noto-cjk/NotoSansCJK-Regular.ttc",
    "truetype/wqy/wqy-microhei.ttc",
    "truetype/wqy/wqy-zenhei.ttc",
    "truetype/droid/DroidSansFallbackFull.ttf",
    "truetype/arphic/uming.ttc",
)
#: Replacements for characters a font lacks (core fonts only know Latin-1).
_REPLACEMENTS = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2022": "-",
    "\u0131": "i",
    "\u0141": "L",
    "\u0142": "l",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u00df": "ss",
}
#: A sample of each UN language's script: documents print in English when the fonts at
#: hand cannot show the reader's language.
_LOCALE_SAMPLES = {
    "zh": "中文注册证件",
    "ru": "Регистрация",
    "ar": "التسجيل",
}
_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_MIRRORED = str.maketrans("()[]{}<>", ")(][}{><")


@dataclass(frozen=True)
class FontSet:
    """TTF files to embed; `regular` None means fpdf2's core fonts (Latin-1 only)."""

    regular: str | None = None
    bold: str | None = None
    fallbacks: tuple[str, ...] = ()


def _first(dirs: Sequence[str], candidates: Sequence[str]) -> str | None:
    for directory in dirs:
        for name in candidates:
            path = Path(directory) / name
            if path.is_file():
                return str(path)
    return None


@lru_cache(maxsize=4)
def find_fonts(dirs: tuple[str, ...] = FONT_DIRS) -> FontSet:
    """The fonts installed on this machine (Debian: fonts-dejavu-core or
    fonts-liberation, and for Chinese fonts-noto-cjk, fonts-wqy-microhei or
    fonts-droid-fallback)."""
    regular = bold = None
    for directory in dirs:
        for regular_name, bold_name in zip(REGULAR_FONTS, BOLD_FONTS, strict=True):
            if (Path(directory) / regular_name).is_file():
                regular = str(Path(directory) / regular_name)
                bold_path = Path(directory) / bold_name
                bold = str(bold_path) if bold_path.is_file() else None
                break
        if regular:
            break
    if regular is None:
        return FontSet()
    fallbacks = []
    for name in FALLBACK_FONTS:
        found = _first(dirs, (name,))
        if found and found not in fallbacks:
            fallbacks.append(found)
    return FontSet(regular, bold, tuple(fallbacks[:1]))


@lru_cache(maxsize=8)
def _coverage(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def shaping_available() -> bool:
    """Arabic letters join only with a shaping engine (uharfbuzz)."""
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True  # pragma: no cover - uharfbuzz is optional


def _visual_order(text: str) -> str:
    """Right-to-left words written left to right without a shaping engine: reverse the
    order so they read correctly (letters stay unjoined, but in the right order)."""
    if not _RTL.search(text):
        return text
    words = text.split(" ")
    out = [w[::-1].translate(_MIRRORED) if _RTL.search(w) else w for w in words]
    return " ".join(reversed(out))


def font_coverage(fonts: FontSet) -> frozenset[int] | None:
    """The code points the font set can show; None for the core fonts (Latin-1)."""
    if not fonts.regular:
        return None
    covered = set(_coverage(fonts.regular))
    for path in fonts.fallbacks:
        covered |= _coverage(path)
    return frozenset(covered)


def _covers(covered: frozenset[int] | None, char: str) -> bool:
    if covered is None:
        return ord(char) < 256 and char.isprintable()
    return ord(char) in covered


def document_locale(fonts: FontSet | None = None) -> str:
    """The reader's language if the fonts can show it, else English (a Chinese label
    would print as "???" without a Chinese font; Arabic needs a shaping engine)."""
    fonts = find_fonts() if fonts is None else fonts
    locale = str(get_locale() or "en")
    language = locale.split("_")[0]
    if language == "ar" and not (fonts.regular and shaping_available()):
        return "en"
    sample = _LOCALE_SAMPLES.get(language)
    covered = font_coverage(fonts)
    if sample and not all(_covers(covered, c) for c in sample):
        return "en"
    return locale


class PdfDocument(FPDF):
    """An A4/A6 page in millimetres with a Unicode font when one is installed. Text goes
    through `clean`: characters no font can show become "?" instead of an error."""

    def __init__(
        self,
        page_format: str | tuple[float, float] = "A4",
        *,
        fonts: FontSet | None = None,
        compress: bool | None = None,
    ):
        super().__init__(orientation="portrait", unit="mm", format=page_format)
        fonts = find_fonts() if fonts is None else fonts
        if compress is None:
            compress = current_app.config.get("PDF_COMPRESS", True)
        self.set_compression(bool(compress))
        self.set_auto_page_break(False)
        self.set_creator("Convene")
        self.shaping = False
        if fonts.regular:
            self.add_font("body", "", fonts.regular)
            self.add_font("body", "B", fonts.bold or fonts.regular)
            names = []
            for number, path in enumerate(fonts.fallbacks):
                name = f"fallback{number}"
                self.add_font(name, "", path)
                names.append(name)
            if names:
                self.set_fallback_fonts(names, exact_match=False)
            if shaping_available():  # pragma: no cover - uharfbuzz is optional
                self.set_text_shaping(True)
                self.shaping = True
            self.body_family = "body"
        else:
            self.body_family = "helvetica"
        self.fonts_used = fonts
        self.covered = font_coverage(fonts)

    def output(self, *args: Any, **kwargs: Any) -> Any:
        """The document; the font files (kept open by fontTools) are closed after it."""
        try:
            return super().output(*args, **kwargs)
        finally:
            for font in self.fonts.values():
                close = getattr(font, "close", None)
                if close is not None:
                    close()

    def covers(self, char: str) -> bool:
        return _covers(self.covered, char)

    def clean(self, text: Any) -> str:
        """Text every character of which the fonts can show: look-alike replacements,
        accents dropped where the base letter exists, else "?"."""
        text = "" if text is None else str(text)
        text = unicodedata.normalize("NFC", text.replace("\r", "").replace("\t", " "))
        out = []
        for char in text:
            if char == "\n" or self.covers(char):
                out.append(char)
                continue
            if char in _REPLACEMENTS:
                out.append(_REPLACEMENTS[char])
                continue
            if unicodedata.category(char).startswith("C"):
                continue  # control and format characters: nothing to print
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(base if base and all(self.covers(c) for c in base) else "?")
        result = "".join(out)
        if not self.shaping:
            result = "\n".join(_visual_order(line) for line in result.split("\n"))
        return result

    def covers_text(self, text: str) -> bool:
        return all(self.covers(c) or c.isspace() for c in text)

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font(self.body_family, "B" if bold else "", size)

    def fit(
        self, text: str, width: float, size: float, min_size: float, bold: bool = False
    ) -> tuple[str, float]:
        """The largest font size (down to `min_size`) at which `text` fits `width`; text
        still too wide at the smallest size is cut with an ellipsis."""
        text = self.clean(text)
        while True:
            self.use(size, bold)
            if self.get_string_width(text) <= width or size <= min_size:
                break
            size = max(min_size, size - 0.5)
        if self.get_string_width(text) > width:
            ellipsis = "…" if self.covers("…") else "..."
            while text and self.get_string_width(text + ellipsis) > width:
                text = text[:-1]
            text = text.rstrip() + ellipsis
        return text, size


def date_span(first: date, last: date) -> str:
    if first == last:
        return format_date(first, "long")
    return f"{format_date(first, 'long')} – {format_date(last, 'long')}"


def printable(fn: Callable[[], Any], fonts: FontSet | None = None) -> Any:
    """Run `fn` in the language the PDF fonts can show (see `document_locale`)."""
    with force_locale(document_locale(fonts)):
        return fn()

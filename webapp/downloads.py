"""CSV downloads: cells no spreadsheet runs as formulas, and safe attachment headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Response

#: Spreadsheets run cells starting with these as formulas (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(value: Any) -> str:
    """A cell no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV text with a BOM, so spreadsheets open it as UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([guard(c) for c in row])
    return buffer.getvalue()


def attachment(filename: str) -> str:
    """A Content-Disposition value that survives any characters in `filename`."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: str | bytes, stem: str, suffix: str, mimetype: str) -> Response:
    """A dated download; personal data, so no copies in shared caches."""
    filename = f"{stem}-{datetime.now(UTC).date().isoformat()}.{suffix}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": attachment(filename), "Cache-Control": "no-store"},
    )


def csv_response(text: str, stem: str) -> Response:
    """A dated CSV download."""
    return _download(text, stem, "csv", "text/csv")


def xlsx_response(data: bytes, stem: str) -> Response:
    """A dated XLSX download."""
    return _download(data, stem, "xlsx", XLSX_MIMETYPE)


def write_xlsx(header: list[str], rows: Iterable[Iterable[Any]], title: str = "Sheet") -> bytes:
    """An XLSX workbook (streamed, write-only) whose cells no spreadsheet runs as formulas."""
    from openpyxl import Workbook  # imported here: only exports need it

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append([c if isinstance(c, int | float) or c is None else guard(c) for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""The people import as a background job, so a long file never holds the page."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _

from models import User

from ..extensions import db
from ..jobs import Progress, job
from .importing import import_people

IMPORT_JOB = "directory.import"


def reporter(progress: Progress):
    """A callback(done, total) for import_people that reports to the job's progress bar."""

    def report(done: int, total: int) -> None:
        message = _(
            "%(done)s of %(total)s rows", done=format_decimal(done), total=format_decimal(total)
        )
        progress.update(done, total, message)

    return report


@job(IMPORT_JOB)
def import_job(
    progress: Progress, csv: str, filename: str = "", actor_id: int | None = None
) -> dict[str, Any]:
    """Import the checked text of a people CSV; the result page shows the report.

    progress.update commits, so the people saved before a failure stay saved: running the
    file again merges them by email instead of doubling them.
    """
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    # Row reasons are stored as text: in the language of whoever uploaded the file.
    with force_locale(actor.locale) if actor is not None else nullcontext():
        report = import_people(csv, actor=actor, filename=filename, progress=reporter(progress))
        summary = _(
            "%(kept)s kept, %(refused)s refused",
            kept=format_decimal(report.kept),
            refused=format_decimal(len(report.errors)),
        )
    return {
        "summary": summary,
        "endpoint": "directory.import_result",
        "args": {"job_id": progress.run.id},
        "filename": filename,
        "report": report.as_dict(),
    }

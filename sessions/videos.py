"""Video messages of high-level people who cannot come: submission (a checked file or a
link), who sees which, and the organizers' approval that puts a message in the break
playlists (see playlists.py).

Files are checked by their extension, the type the browser declares and their first
bytes (a renamed text file is refused), then streamed in chunks to the instance folder
under a random name; the client's file name is kept only as a label.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import IO, Any

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from models import Event, FocusArea, Person, User, VideoMessage, VideoState, utcnow
from webapp import audit, mail
from webapp.config import LANGUAGES
from webapp.extensions import db
from webapp.permissions import can

from . import curation
from .core import MAX_ID, ProgrammeConflict, ProgrammeError, cochair_codes

#: Default upper size of an uploaded file; the VIDEO_MAX_BYTES setting overrides it.
VIDEO_MAX_BYTES = 200 * 1024 * 1024
#: A message plays in a break: one second to half an hour.
MAX_DURATION = 30 * 60
MAX_TITLE = 300
MAX_URL = curation.MAX_URL
MAX_EMAIL = 254
#: About an hour of speech in any language; a transcript is required for accessibility.
MAX_TRANSCRIPT = 50_000
MAX_NOTE = 2_000
#: Bytes copied at a time, so a large file never sits in memory.
CHUNK = 1024 * 1024
#: Bytes read to recognise the container.
HEAD = 64

#: Accepted extensions: the container family their first bytes must show, and the
#: content type the file is served with (never the one the client declared).
EXTENSIONS = {
    "mp4": ("isobmff", "video/mp4"),
    "m4v": ("isobmff", "video/mp4"),
    "mov": ("isobmff", "video/quicktime"),
    "webm": ("ebml", "video/webm"),
    "mkv": ("ebml", "video/x-matroska"),
}
#: Declared types browsers send for video files they do not know well.
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


class VideoTooLarge(ProgrammeError):
    """The file is over the size limit: 413."""

    status = 413


def max_bytes() -> int:
    """The size limit of an uploaded file, from the VIDEO_MAX_BYTES setting."""
    return int(current_app.config.get("VIDEO_MAX_BYTES") or VIDEO_MAX_BYTES)


def upload_dir() -> Path:
    """Where files are kept: VIDEO_UPLOAD_DIR, else <instance>/uploads/videos."""
    configured = current_app.config.get("VIDEO_UPLOAD_DIR")
    return (
        Path(configured) if configured else Path(current_app.instance_path) / "uploads" / "videos"
    )


# --- checks of single values (pure; the form uses them too) ----------------------------

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def parse_duration(text: str | int | None) -> int:
    """Seconds from "mm:ss" or a plain number of seconds, 1 s to 30 min."""
    value = str(text if text is not None else "").strip()
    if not value:
        raise ProgrammeError(_l("Give the length of the message, e.g. 2:30."), "duration")
    clock = _CLOCK.fullmatch(value)
    if clock:
        minutes, seconds = int(clock.group(1)), int(clock.group(2))
        if seconds >= 60:
            raise ProgrammeError(_l("Seconds go from 00 to 59, e.g. 2:30."), "duration")
        total = minutes * 60 + seconds
    elif value.isascii() and value.isdigit() and len(value) <= 6:
        total = int(value)
    else:
        raise ProgrammeError(
            _l("Give the length as minutes:seconds (2:30) or as seconds (150)."), "duration"
        )
    if not 1 <= total <= MAX_DURATION:
        raise ProgrammeError(
            _l("A message lasts from 1 second to %(minutes)s minutes.", minutes=MAX_DURATION // 60),
            "duration",
        )
    return total


def format_duration(seconds: int | None) -> str:
    """m:ss, e.g. 2:05."""
    seconds = max(0, int(seconds or 0))
    return f"{seconds // 60}:{seconds % 60:02d}"


def check_url(url: str) -> str:
    """A link to the video: required, and checked by the programme's one rule for links
    (`curation.check_url`: http(s), a host, no spaces, at most MAX_URL characters)."""
    checked = curation.check_url(url, "url")
    if not checked:
        raise ProgrammeError(_l("Give a web address starting with https:// (or http://)."), "url")
    return checked


def sniff(head: bytes) -> str | None:
    """The container family the first bytes show: "isobmff" (MP4, MOV: an `ftyp` box
    first) or "ebml" (WebM, Matroska), else None."""
    if len(head) >= 12 and head[4:8] == b"ftyp" and int.from_bytes(head[:4], "big") >= 8:
        return "isobmff"
    if head.startswith(EBML_MAGIC):
        return "ebml"
    return None


def check_file(head: bytes, filename: str, declared_type: str) -> tuple[str, str]:
    """The extension and content type of an upload whose name, declared type and first
    bytes all say it is an MP4, MOV, WebM or Matroska video."""
    ext = Path(filename or "").suffix.lower().lstrip(".")
    if ext not in EXTENSIONS:
        raise ProgrammeError(
            _l("Choose an MP4, MOV, WebM or MKV video file (the name ends in .mp4, .mov, .webm…)."),
            "file",
        )
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    if declared not in GENERIC_TYPES and not declared.startswith("video/"):
        raise ProgrammeError(
            _l("This file is not a video (it was sent as %(type)s).", type=declared[:80]), "file"
        )
    if not head:
        raise ProgrammeError(_l("The file is empty."), "file")
    family, content_type = EXTENSIONS[ext]
    if sniff(head) != family:
        raise ProgrammeError(
            _l(
                "This file is not a video of the kind its name says (.%(ext)s): its content "
                "does not match.",
                ext=ext,
            ),
            "file",
        )
    return ext, content_type


def store_file(stream: IO[bytes], ext: str, limit: int, directory: Path) -> tuple[str, int]:
    """Copy the upload in chunks to a new file with a random name; return the name and
    size. Over `limit` bytes the partial file is removed and VideoTooLarge raised."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    path = directory / name
    size = 0
    try:
        with path.open("xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise VideoTooLarge(too_large_message(limit), "file")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return name, size


def too_large_message(limit: int | None = None) -> Any:
    """What an oversized upload is told."""
    limit = max_bytes() if limit is None else limit
    return _l(
        "The file is too large: a video may be at most %(mb)s MB. Shorten or compress it, "
        "or give a link instead.",
        mb=f"{limit / (1024 * 1024):g}",
    )


def remove_file(name: str) -> None:
    """Delete a stored file (after a failed save); a missing one is fine."""
    if name:
        (upload_dir() / Path(name).name).unlink(missing_ok=True)


def file_path(video: VideoMessage) -> Path | None:
    """The stored file of a message, if it has one on disk."""
    if not video.file_name:
        return None
    path = upload_dir() / Path(video.file_name).name
    return path if path.is_file() else None


# --- who submits for whom, who sees what ----------------------------------------------


def own_person(user: User) -> Person | None:
    """The directory person linked to the account."""
    return db.session.scalar(select(Person).where(Person.user_id == user.id))


def submits_for_others(user: User, event: Event) -> bool:
    """Organizers and co-chairs submit on behalf of any directory person."""
    return can(user, "programme.curate", event)


def person_by_email(email: str) -> Person:
    """The directory person with this email address."""
    email = (email or "").strip().lower()
    if len(email) > MAX_EMAIL or "@" not in email:
        raise ProgrammeError(
            _l("Give the email address of a person in the directory."), "person_email"
        )
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None:
        raise ProgrammeError(
            _l(
                "No one in the directory has this email address; ask the organizers to add "
                "the person first."
            ),
            "person_email",
        )
    return person


def visible_videos(user: User, event: Event) -> Select:
    """The event's messages the user may see: organizers all; co-chairs those of their
    areas, the approved ones (they play in every break) and their own; anyone else
    those they submitted or that show them."""
    query = select(VideoMessage).where(VideoMessage.event_id == event.id)
    if can(user, "programme.manage", event):
        return query
    mine = or_(
        VideoMessage.submitted_by_id == user.id,
        VideoMessage.person_id.in_(select(Person.id).where(Person.user_id == user.id)),
    )
    codes = cochair_codes(user, event)
    if not codes:
        return query.where(mine)
    areas = select(FocusArea.id).where(FocusArea.event_id == event.id, FocusArea.code.in_(codes))
    return query.where(
        or_(mine, VideoMessage.focus_area_id.in_(areas), VideoMessage.state == VideoState.APPROVED)
    )


def video_or_404(user: User, event: Event, video_id: int) -> VideoMessage:
    """A message of the event the user may see; any other id is unknown (404)."""
    video = db.session.scalar(
        visible_videos(user, event)
        .options(
            joinedload(VideoMessage.person),
            joinedload(VideoMessage.focus_area),
            joinedload(VideoMessage.submitted_by),
        )
        .where(VideoMessage.id == video_id)
    )
    if video is None:
        abort(404)
    return video


def state_counts(query: Select) -> dict[VideoState, int]:
    """How many of the messages `query` selects are in each state (one query)."""
    counts = dict.fromkeys(VideoState, 0)
    rows = db.session.execute(
        query.order_by(None)
        .with_only_columns(VideoMessage.state, func.count())
        .group_by(VideoMessage.state)
    ).all()
    for state, n in rows:
        counts[VideoState(state)] = n
    return counts


# --- submission and review ------------------------------------------------------------


def _area(event: Event, area_id: Any) -> FocusArea | None:
    if area_id in (None, ""):
        return None
    try:
        number = int(area_id)
    except (TypeError, ValueError):
        number = 0
    # Ids beyond the column's range are as unknown as missing ones (and would overflow).
    area = db.session.get(FocusArea, number) if 0 < number <= MAX_ID else None
    if area is None or area.event_id != event.id:
        raise ProgrammeError(_l("Choose one of the event's focus areas."), "focus_area")
    return area


def _text(value: str, field: str, limit: int, required: Any = None) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ProgrammeError(required, field)
    if len(value) > limit:
        raise ProgrammeError(_l("At most %(n)s characters, please.", n=f"{limit:,}"), field)
    return value


def submit(
    actor: User,
    event: Event,
    *,
    person: Person,
    title: str,
    duration: str | int,
    language: str,
    transcript: str,
    focus_area_id: Any = None,
    url: str = "",
    stream: IO[bytes] | None = None,
    filename: str = "",
    declared_type: str = "",
) -> VideoMessage:
    """Record a message for `person`: a file (`stream`) or a link, never both. Every
    value is checked before the file is written; the file is removed again if the
    record cannot be flushed. The caller commits (and removes the file if that fails)."""
    title = _text(title, "title", MAX_TITLE, _l("Give the message a title."))
    seconds = parse_duration(duration)
    if language not in LANGUAGES:
        raise ProgrammeError(_l("Choose one of the six UN languages."), "language")
    transcript = _text(
        transcript,
        "transcript",
        MAX_TRANSCRIPT,
        _l("Give the transcript: it is shown to people who cannot hear the message."),
    )
    area = _area(event, focus_area_id)
    url = (url or "").strip()
    if stream is not None and url:
        raise ProgrammeError(_l("Give either a file or a link, not both."), "url")
    if stream is None and not url:
        raise ProgrammeError(_l("Upload a video file or give a link to it."), "file")
    video = VideoMessage(
        event_id=event.id,
        person_id=person.id,
        focus_area_id=area.id if area else None,
        title=title,
        duration_seconds=seconds,
        language=language,
        transcript=transcript,
        submitted_by_id=actor.id,
    )
    if stream is None:
        video.url = check_url(url)
    else:
        head = stream.read(HEAD)
        ext, video.content_type = check_file(head, filename, declared_type)
        stream.seek(0)
        video.file_name, video.size_bytes = store_file(stream, ext, max_bytes(), upload_dir())
        video.original_name = Path(filename).name[:300]
    try:
        db.session.add(video)
        db.session.flush()
        audit.record(
            "video.submitted",
            actor=actor,
            event_id=event.id,
            obj=video,
            summary=f"{title[:200]} ({person.full_name})",
            person_id=person.id,
            kind="file" if video.file_name else "link",
        )
        db.session.flush()
    except BaseException:
        remove_file(video.file_name)
        raise
    return video


def review(actor: User, video: VideoMessage, decision: str, note: str = "") -> VideoMessage:
    """Approve or reject a message (organizers); rejecting needs a note for the
    submitter. Mails the submitter and the person speaking, audits the step."""
    event = db.session.get(Event, video.event_id)
    if not can(actor, "programme.manage", event):
        raise ProgrammeError(_l("Only the event's organizers approve video messages."), "decision")
    try:
        state = {"approve": VideoState.APPROVED, "reject": VideoState.REJECTED}[decision]
    except KeyError:
        raise ProgrammeError(_l("Choose to approve or to reject."), "decision") from None
    note = _text(note, "note", MAX_NOTE)
    if state == VideoState.REJECTED and not note:
        raise ProgrammeError(_l("Say why: the submitter reads this note."), "note")
    if video.state == state:
        raise ProgrammeConflict(_l("The message is already in this state."), "decision")
    old = video.state
    video.state = state
    video.review_note = note
    video.reviewed_by_id = actor.id
    video.reviewed_at = utcnow()
    db.session.flush()
    audit.record(
        f"video.{state.value}",
        actor=actor,
        event_id=video.event_id,
        obj=video,
        summary=f"{video.title[:200]}: {old.value} → {state.value}",
        old=old.value,
        new=state.value,
        note=note,
    )
    _notify(video, event)
    return video


def _recipients(video: VideoMessage) -> list[User]:
    """The submitter and the account of the person speaking, once each (one query)."""
    ids = {video.submitted_by_id, video.person.user_id} - {None}
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)
        )
    )


def _notify(video: VideoMessage, event: Event) -> None:
    base = current_app.config["BASE_URL"].rstrip("/")
    link = f"{base}/events/{event.id}/p2c/videos/{video.id}"
    for user in _recipients(video):
        mail.send(
            user.email,
            "sessions/video_reviewed",
            to_name=user.name,
            locale=user.locale or "en",
            event_id=event.id,
            tags={"video_id": video.id},
            title=video.title,
            approved=video.state == VideoState.APPROVED,
            note=video.review_note,
            person_name=video.person.full_name,
            event_name=event.name,
            url=link,
        )

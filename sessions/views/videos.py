"""Sessions views: video messages — submission, the list and one message with its
review, the file itself, and the screening playlists of the breaks.

The submission page takes files far larger than the app's MAX_CONTENT_LENGTH: it sets
its own limit on the request before the body is read, and is therefore exempt from the
global CSRF hook (which would read the body first, under the small limit); the form
checks its CSRF token itself.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from models import Event, Person, Screen, User, VideoMessage
from webapp.downloads import attachment, csv_response, write_csv
from webapp.extensions import csrf, db
from webapp.forms import show_error
from webapp.pagination import page_arg, paginate
from webapp.permissions import can, require

from .. import playlists, videos
from ..blueprint import bp
from ..core import ProgrammeError, event_or_404, focus_areas, labels
from ..video_forms import ReviewForm, VideoFilterForm, VideoForm

PER_PAGE = 50
#: Room for the other fields of the form on top of the file.
FORM_SLACK = 1024 * 1024


def _actor() -> User:
    """The logged-in user as a plain model object, for services and the audit log."""
    return current_user._get_current_object()


@bp.app_template_filter("mmss")
def mmss(seconds: int | None) -> str:
    """A message's length, e.g. 2:05."""
    return videos.format_duration(seconds)


# --- submission -----------------------------------------------------------------------


def _form_page(event: Event, form: VideoForm, own: Person | None, status: int = 200):
    """The submission form with its limits; `status` 400/413 when it has errors."""
    return render_template(
        "sessions/videos/new.html",
        event=event,
        form=form,
        own=own,
        max_mb=f"{videos.max_bytes() / (1024 * 1024):g}",
        max_minutes=videos.MAX_DURATION // 60,
        extensions=sorted(videos.EXTENSIONS),
    ), status


def _new_form(event: Event, actor: User, **kwargs) -> VideoForm:
    """The submission form with the event's focus areas as choices."""
    areas = focus_areas(event)
    # Areas seeded on the first visit must keep the ids the form offers: a rollback of
    # a refused submission would otherwise take them away.
    db.session.commit()
    return VideoForm(areas=areas, for_others=videos.submits_for_others(actor, event), **kwargs)


def _speaker(form: VideoForm, own: Person | None) -> Person:
    """Who speaks: the person named by email (organizers, co-chairs), else oneself."""
    email = form.person_email.data if "person_email" in form else ""
    if email:
        return videos.person_by_email(email)
    if own is None:
        raise ProgrammeError(
            _(
                "Your account is not linked to a directory person: give the email address of "
                "the person speaking."
            ),
            "person_email",
        )
    return own


@bp.route("/events/<int:event_id>/p2c/videos/new", methods=["GET", "POST"])
@login_required
def video_new(event_id: int):
    """Submit a video message: one's own, or (organizers, co-chairs) for anyone in the
    directory; a file or a link, its length, language and transcript."""
    request.max_content_length = videos.max_bytes() + FORM_SLACK
    event = event_or_404(event_id)
    require("video.submit", event)
    actor = _actor()
    own = videos.own_person(actor)
    if own is None and not videos.submits_for_others(actor, event):
        status = 403 if request.method == "POST" else 200
        return render_template("sessions/videos/no_person.html", event=event), status
    form = _new_form(event, actor)
    if request.method == "GET":
        return _form_page(event, form, own)
    if not form.validate_on_submit():
        if "csrf_token" in form and form.csrf_token.errors:
            message = _("The form expired. Please reload the page and submit it again.")
            return render_template("error.html", status=400, message=message), 400
        return _form_page(event, form, own, 400)
    upload = form.upload()
    try:
        video = videos.submit(
            actor,
            event,
            person=_speaker(form, own),
            title=form.title.data,
            duration=form.duration.data,
            language=form.language.data,
            transcript=form.transcript.data,
            focus_area_id=form.focus_area.data,
            url=form.url.data or "",
            stream=upload.stream if upload else None,
            filename=upload.filename if upload else "",
            declared_type=upload.mimetype if upload else "",
        )
    except ProgrammeError as error:
        db.session.rollback()
        show_error(form, error)
        return _form_page(event, form, own, error.status)
    stored = video.file_name
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        videos.remove_file(stored)
        raise
    flash(_("Thank you: the message is stored and awaits the organizers' approval."), "success")
    return redirect(url_for("sessions.video_detail", event_id=event.id, video_id=video.id))


# The form checks its own CSRF token once the page's size limit is set (see above).
csrf.exempt(video_new)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """An upload over the limit: the submission page says so beside the file field."""
    if request.endpoint == "sessions.video_new" and request.view_args:
        event = db.session.get(Event, request.view_args.get("event_id"))
        if event is not None and current_user.is_authenticated:
            actor = _actor()
            form = _new_form(event, actor, formdata=None)
            form.file.errors = [str(videos.too_large_message())]
            return _form_page(event, form, videos.own_person(actor), 413)
    return render_template("error.html", status=413, message=_("The upload is too large.")), 413


# --- list and detail ------------------------------------------------------------------


@bp.get("/events/<int:event_id>/p2c/videos", endpoint="videos")
@login_required
def videos_list(event_id: int):
    """The video messages the user may see, newest first, with counts per state."""
    event = event_or_404(event_id)
    actor = _actor()
    form = VideoFilterForm(request.args)
    state = form.chosen()
    visible = videos.visible_videos(actor, event)
    query = visible.options(
        joinedload(VideoMessage.person), joinedload(VideoMessage.focus_area)
    ).order_by(VideoMessage.created_at.desc(), VideoMessage.id.desc())
    if state is not None:
        query = query.where(VideoMessage.state == state)
    return render_template(
        "sessions/videos/list.html",
        event=event,
        form=form,
        page=paginate(query, page_arg(), PER_PAGE),
        counts=videos.state_counts(visible),
        current=state,
        curator=can(actor, "programme.curate", event),
        **labels(),
    )


@bp.route("/events/<int:event_id>/p2c/videos/<int:video_id>", methods=["GET", "POST"])
@login_required
def video_detail(event_id: int, video_id: int):
    """One message: the video or its link, the transcript; organizers approve or reject
    it with a note to the submitter."""
    event = event_or_404(event_id)
    actor = _actor()
    video = videos.video_or_404(actor, event, video_id)
    form = ReviewForm()
    status = 200
    if request.method == "POST":
        require("programme.manage", event)
        if form.validate_on_submit():
            try:
                videos.review(actor, video, request.form.get("decision", ""), form.note.data)
            except ProgrammeError as error:
                db.session.rollback()
                show_error(form, error)
                status = error.status
            else:
                db.session.commit()
                flash(
                    _("The message is approved: it plays in the breaks.")
                    if video.state.value == "approved"
                    else _("The message is rejected; the submitter is told why."),
                    "success",
                )
                return redirect(
                    url_for("sessions.video_detail", event_id=event.id, video_id=video.id)
                )
        else:
            status = 400
    return render_template(
        "sessions/videos/detail.html",
        event=event,
        video=video,
        form=form,
        has_file=videos.file_path(video) is not None,
        reviewer=can(actor, "programme.manage", event),
        **labels(),
    ), status


@bp.get("/events/<int:event_id>/p2c/videos/<int:video_id>/file")
@login_required
def video_file(event_id: int, video_id: int):
    """The stored file, with its checked content type; ranges for seeking in the player."""
    event = event_or_404(event_id)
    video = videos.video_or_404(_actor(), event, video_id)
    path = videos.file_path(video)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype=video.content_type or "application/octet-stream",
        conditional=True,
        download_name=f"video-{video.id}{path.suffix}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- playlists ------------------------------------------------------------------------


def _curated_event(event_id: int) -> Event:
    """The event, if the current user curates its programme (organizers, co-chairs)."""
    event = event_or_404(event_id)
    require("programme.curate", event)
    return event


def _media_url(event: Event, message: VideoMessage) -> str:
    """Where a player fetches the message: our file address, or the submitted link."""
    if message.file_name:
        return url_for(
            "sessions.video_file", event_id=event.id, video_id=message.id, _external=True
        )
    return message.url


@bp.get("/events/<int:event_id>/p2c/playlists", endpoint="playlists")
@login_required
def playlists_page(event_id: int):
    """Per break and screen, the running order of approved messages, printable."""
    event = _curated_event(event_id)
    screening = playlists.event_screening(event)
    return render_template(
        "sessions/videos/playlists.html",
        event=event,
        screening=screening,
        screens=sorted({p.screen for p in screening.playlists}, key=lambda s: (s.name, s.id)),
        **labels(),
    )


@bp.get("/events/<int:event_id>/p2c/playlists.csv")
@login_required
def playlists_csv(event_id: int):
    """Every playlist as CSV: one row per message played."""
    event = _curated_event(event_id)
    screening = playlists.event_screening(event)
    header, rows = playlists.csv_rows(screening, lambda m: _media_url(event, m))
    return csv_response(write_csv(header, rows), f"playlists-{event.acronym}")


@bp.get("/events/<int:event_id>/p2c/playlists/<int:screen_id>.m3u")
@login_required
def playlist_m3u(event_id: int, screen_id: int):
    """One screen's playlists of every break as an M3U file for the player."""
    event = _curated_event(event_id)
    screen = db.session.get(Screen, screen_id)
    if screen is None or screen.event_id != event.id:
        abort(404)
    body = playlists.m3u(playlists.event_screening(event), screen, lambda m: _media_url(event, m))
    return (
        body,
        200,
        {
            "Content-Type": "audio/x-mpegurl; charset=utf-8",
            "Content-Disposition": attachment(f"screen-{screen.id}.m3u"),
            "Cache-Control": "no-store",
        },
    )

"""Sessions views: the venue — rooms, breaks and plenary blocks, screens — kept by the
event's organizers, with the P2C segment window shown (it is edited with the event).

Adding, editing and deleting work the same way for the three kinds of thing; a refused
change comes back on the page with the message beside the field and what was typed kept.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Event
from webapp.extensions import db
from webapp.forms import show_error
from webapp.permissions import require

from .. import venue
from ..blueprint import bp
from ..core import ProgrammeError, event_days, event_or_404, labels, segment_window
from ..venue_forms import BlockForm, RoomForm, ScreenForm

KINDS = "<any(rooms, blocks, screens):kind>"


def _event(event_id: int) -> Event:
    event = event_or_404(event_id)
    require("programme.manage", event)
    return event


def _actor():
    return current_user._get_current_object()


def _form(kind: str, event: Event, rooms: list, item: Any = None, formdata: Any = None):
    """The form of `kind`, filled from `item` on a first display."""
    prefix = kind[:-1]
    if kind == "rooms":
        form = RoomForm(formdata, obj=item, prefix=prefix)
    elif kind == "blocks":
        form = BlockForm(formdata, obj=item, prefix=prefix, rooms=rooms)
    else:
        form = ScreenForm(formdata, obj=item, prefix=prefix, rooms=rooms)
    if item is not None and formdata is None and "room_id" in form:
        form.room_id.data = str(item.room_id) if item.room_id else ""
    if item is not None and formdata is None and kind == "blocks":
        form.kind.data = item.kind.value
    return form


def _item(kind: str, event: Event, item_id: int):
    lookup = {"rooms": venue.room_or_404, "blocks": venue.block_or_404}
    return lookup.get(kind, venue.screen_or_404)(event, item_id)


def _save(kind: str, event: Event, form, item: Any = None):
    """Add or update through the services; ProgrammeError on a refused value."""
    actor = _actor()
    if kind == "rooms":
        if item is None:
            return venue.add_room(actor, event, *form.values())
        return venue.update_room(actor, item, *form.values())
    room = venue.room_or_404(event, form.room_id.data) if form.room_id.data else None
    if kind == "blocks":
        values = (form.kind.data, form.title.data, room, form.starts_at.data, form.ends_at.data)
        if item is None:
            return venue.add_block(actor, event, *values)
        return venue.update_block(actor, item, *values)
    if item is None:
        return venue.add_screen(actor, event, form.name.data, room)
    return venue.update_screen(actor, item, form.name.data, room)


def _venue_page(event: Event, status: int = 200, error: str | None = None, **forms):
    """The venue page; `forms` replaces a blank add form by one with errors."""
    rooms = venue.rooms(event)
    for kind in ("rooms", "blocks", "screens"):
        forms.setdefault(kind, _form(kind, event, rooms))
    start, end = segment_window(event)
    return render_template(
        "sessions/venue/venue.html",
        event=event,
        rooms=rooms,
        usage=venue.room_usage(event),
        blocks_by_day=venue.blocks_by_day(event),
        screens=venue.screens(event),
        room_names={r.id: r.name for r in rooms},
        window_start=start,
        window_end=end,
        window_default=not (event.p2c_start and event.p2c_end),
        days=event_days(event),
        forms=forms,
        error=error,
        **labels(),
    ), status


def _added_message(kind: str, item: Any) -> str:
    if kind == "rooms":
        return _("The room %(name)s is added.", name=item.name)
    if kind == "blocks":
        return _("%(title)s is added to the programme.", title=item.title)
    return _("The screen %(name)s is added.", name=item.name)


@bp.get("/events/<int:event_id>/p2c/venue", endpoint="venue")
def venue_page(event_id: int):
    """Rooms, blocks by day and screens, each with a form to add one."""
    return _venue_page(_event(event_id))


@bp.post(f"/events/<int:event_id>/p2c/venue/{KINDS}", endpoint="venue_add")
def venue_add(event_id: int, kind: str):
    event = _event(event_id)
    form = _form(kind, event, venue.rooms(event), formdata=request.form)
    if form.validate_on_submit():
        try:
            item = _save(kind, event, form)
        except ProgrammeError as error:
            db.session.rollback()
            show_error(form, error)
            return _venue_page(event, error.status, **{kind: form})
        db.session.commit()
        flash(_added_message(kind, item), "success")
        return redirect(url_for("sessions.venue", event_id=event.id, _anchor=kind))
    return _venue_page(event, 400, **{kind: form})


@bp.route(
    f"/events/<int:event_id>/p2c/venue/{KINDS}/<int:item_id>",
    methods=["GET", "POST"],
    endpoint="venue_edit",
)
def venue_edit(event_id: int, kind: str, item_id: int):
    """Change one room, block or screen."""
    event = _event(event_id)
    item = _item(kind, event, item_id)
    rooms = venue.rooms(event)
    formdata = request.form if request.method == "POST" else None
    form = _form(kind, event, rooms, item, formdata)
    status = 200
    if form.validate_on_submit():
        try:
            _save(kind, event, form, item)
        except ProgrammeError as error:
            db.session.rollback()
            show_error(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("The changes are saved."), "success")
            return redirect(url_for("sessions.venue", event_id=event.id, _anchor=kind))
    elif request.method == "POST":
        status = 400
    return render_template(
        "sessions/venue/edit.html", event=event, kind=kind, item=item, form=form, **labels()
    ), status


@bp.post(f"/events/<int:event_id>/p2c/venue/{KINDS}/<int:item_id>/delete", endpoint="venue_delete")
def venue_delete(event_id: int, kind: str, item_id: int):
    """Delete a room (only when nothing is placed in it), a block or a screen."""
    event = _event(event_id)
    item = _item(kind, event, item_id)
    delete = {"rooms": venue.delete_room, "blocks": venue.delete_block}
    try:
        delete.get(kind, venue.delete_screen)(_actor(), item)
    except ProgrammeError as error:
        db.session.rollback()
        return _venue_page(event, error.status, error=str(error))
    db.session.commit()
    flash(_("Deleted."), "success")
    return redirect(url_for("sessions.venue", event_id=event.id, _anchor=kind))

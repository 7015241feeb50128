"""Pledges views: the pledger's pages — their organizations' pledges, the pledge form
(save a draft at any point, submit when complete), withdrawal, and one pledge with its
history.

Privacy: a pledge that is not public (anything but published or completed) answers 404
to users who may not read it, so its existence stays private; a public one answers 403
on these working pages (the registry shows it to everyone).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Event, Organization, Pledge, PledgeState, ReferenceItem, User
from webapp.extensions import db
from webapp.forms import show_error
from webapp.permissions import can, require

from .. import core, moderation, pledging
from ..blueprint import bp
from ..moderation import PledgeIncomplete
from ..pledge_forms import (
    BENEFICIARY_LABELS,
    MOVE_LABELS,
    SECTOR_LABELS,
    STATE_BADGES,
    TYPE_LABELS,
    PledgeForm,
)
from ..pledging import STATE_LABELS, PledgeClosed, PledgeError, PledgeForbidden, PledgeInvalid


def _actor() -> User:
    """The logged-in user as a plain model object, for services and the audit log."""
    return current_user._get_current_object()


def event_or_404(event_id: int) -> Event:
    """The event or 404."""
    return db.get_or_404(Event, event_id)


def pledge_or_404(event: Event, pledge_id: int, action: str = "pledge.read") -> Pledge:
    """The event's pledge (tags loaded) that the current user may `action`; another
    event's id is 404, and so is a non-public pledge the user may not read."""
    pledge = db.session.scalar(
        select(Pledge)
        .options(selectinload(Pledge.tags))
        .where(Pledge.id == pledge_id, Pledge.event_id == event.id)
    )
    if pledge is None:
        abort(404)
    require("pledge.read", pledge, private=pledge.state not in core.PUBLIC_STATES)
    if action != "pledge.read":
        require(action, pledge)
    return pledge


def labels() -> dict:
    """Every label the pledge templates use."""
    return {
        "state_labels": STATE_LABELS,
        "state_badges": STATE_BADGES,
        "type_labels": TYPE_LABELS,
        "sector_labels": SECTOR_LABELS,
        "beneficiary_labels": BENEFICIARY_LABELS,
        "move_labels": MOVE_LABELS,
    }


def put_errors(form, errors: dict[str, str]) -> None:
    """Each message beside its field (or above the form for a field it does not have)."""
    for name, message in errors.items():
        show_error(form, PledgeError(message, name))


def _my_organizations(event: Event) -> list[Organization]:
    """The organizations the user may pledge for here: those they belong to."""
    ids = core.organization_ids_of(current_user)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)
        )
    )


def _render_form(event, form, pledge=None, status=200, missing=None):
    """The pledge form page."""
    return (
        render_template(
            "pledges/pledger/form.html",
            event=event,
            form=form,
            pledge=pledge,
            missing=missing or {},
            **labels(),
        ),
        status,
    )


def _save(event: Event, form: PledgeForm, pledge: Pledge | None, organizations=None):
    """Save the draft and, for the "Submit" button, submit it; errors re-render the form
    with every message beside its field and everything typed kept."""
    submit = request.form.get("action") == "submit"
    if not form.validate_on_submit():
        return _render_form(event, form, pledge, 400)
    try:
        if pledge is None:
            chosen = {str(o.id): o for o in organizations}.get(form.organization.data or "")
            if chosen is None:
                form.organization.errors = [_("Choose the organization that pledges.")]
                return _render_form(event, form, None, 400)
            pledge = pledging.create_draft(_actor(), event, chosen, **form.values())
        else:
            pledging.update_pledge(_actor(), pledge, **form.values())
    except PledgeInvalid as error:
        db.session.rollback()
        put_errors(form, error.errors)
        return _render_form(event, form, pledge, 400)
    except PledgeForbidden as error:
        db.session.rollback()
        abort(403, str(error))
    except PledgeClosed as error:
        db.session.rollback()
        return render_template("error.html", status=409, message=str(error)), 409
    if submit:
        try:
            moderation.move(_actor(), pledge, PledgeState.SUBMITTED)
        except PledgeIncomplete as error:
            # The draft is kept; the page says what submission still needs.
            db.session.commit()
            put_errors(form, error.missing)
            form.form_errors.append(str(error))
            return _render_form(event, form, pledge, 400, error.missing)
        except PledgeError as error:
            db.session.commit()
            flash(str(error), "error")
            return redirect(
                url_for("pledges.pledge_detail", event_id=event.id, pledge_id=pledge.id)
            )
        db.session.commit()
        flash(_("Your pledge was submitted; the organizers will review it."), "success")
        return redirect(url_for("pledges.pledge_detail", event_id=event.id, pledge_id=pledge.id))
    db.session.commit()
    flash(_("Draft saved."), "success")
    return redirect(url_for("pledges.pledge_edit", event_id=event.id, pledge_id=pledge.id))


@bp.get("/events/<int:event_id>/pledges/mine")
@login_required
def my_pledges(event_id: int):
    """The pledges of the user's organizations for this event, with their states."""
    event = event_or_404(event_id)
    ids = core.organization_ids_of(current_user)
    pledges = (
        list(
            db.session.scalars(
                select(Pledge)
                .where(Pledge.event_id == event.id, Pledge.organization_id.in_(ids))
                .order_by(Pledge.updated_at.desc(), Pledge.id.desc())
            )
        )
        if ids
        else []
    )
    return render_template(
        "pledges/pledger/mine.html",
        event=event,
        pledges=pledges,
        has_organization=bool(ids),
        organizer=can(current_user, "pledges.moderate", event),
        **labels(),
    )


@bp.route("/events/<int:event_id>/pledges/new", methods=["GET", "POST"])
@login_required
def pledge_new(event_id: int):
    """A new pledge for one of the user's organizations; without one, how to get linked."""
    event = event_or_404(event_id)
    organizations = _my_organizations(event)
    if not organizations:
        status = 403 if request.method == "POST" else 200
        return render_template("pledges/pledger/no_organization.html", event=event), status
    form = PledgeForm(organizations=organizations)
    if request.method == "POST":
        return _save(event, form, None, organizations)
    return _render_form(event, form)


@bp.route("/events/<int:event_id>/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
@login_required
def pledge_edit(event_id: int, pledge_id: int):
    """Edit a draft, or a pledge sent back for changes; "Save draft" or "Submit"."""
    event = event_or_404(event_id)
    pledge = pledge_or_404(event, pledge_id, "pledge.edit")
    if pledge.state not in core.EDITABLE_STATES:
        message = _(
            "This pledge is %(state)s and can no longer be edited.",
            state=pledging.state_label(pledge.state),
        )
        return render_template("error.html", status=409, message=message), 409
    form = PledgeForm()
    if request.method == "POST":
        return _save(event, form, pledge)
    form.load(pledge)
    return _render_form(event, form, pledge)


@bp.post("/events/<int:event_id>/pledges/<int:pledge_id>/withdraw")
@login_required
def pledge_withdraw(event_id: int, pledge_id: int):
    """Withdraw the pledge (the pledger's members; organizers use the review page)."""
    event = event_or_404(event_id)
    pledge = pledge_or_404(event, pledge_id, "pledge.edit")
    comment = request.form.get("comment", "")
    try:
        moderation.move(_actor(), pledge, PledgeState.WITHDRAWN, comment)
    except PledgeForbidden as error:
        db.session.rollback()
        abort(403, str(error))
    except PledgeError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("pledges.pledge_detail", event_id=event.id, pledge_id=pledge.id))
    db.session.commit()
    flash(_("The pledge was withdrawn."), "success")
    return redirect(url_for("pledges.pledge_detail", event_id=event.id, pledge_id=pledge.id))


@bp.get("/events/<int:event_id>/pledges/<int:pledge_id>")
@login_required
def pledge_detail(event_id: int, pledge_id: int):
    """One pledge with its geography, SMART checklist and moderation history."""
    event = event_or_404(event_id)
    pledge = pledge_or_404(event, pledge_id)
    return render_template(
        "pledges/pledger/detail.html",
        event=event,
        pledge=pledge,
        geo=pledging.geography(pledge),
        history=moderation.history(pledge),
        member=can(current_user, "pledge.edit", pledge),
        organizer=can(current_user, "pledges.moderate", event),
        editable=pledge.state in core.EDITABLE_STATES,
        can_withdraw=PledgeState.WITHDRAWN in moderation.allowed_moves(_actor(), pledge),
        smart=pledging.SMART_CRITERIA,
        reference_names=reference_names(),
        **labels(),
    )


def reference_names() -> dict[str, dict[str, str]]:
    """Names of the coded lists a pledge shows, by kind (one query)."""
    names: dict[str, dict[str, str]] = {}
    for item in db.session.scalars(
        select(ReferenceItem).where(
            ReferenceItem.kind.in_(["focus_area", "kap_priority", "regional_initiative", "sdg"])
        )
    ):
        names.setdefault(item.kind, {})[item.code] = item.name_en
    return names

"""Pledges views: progress reports on a pledge and the organizers' follow-up dashboard."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Event, Pledge, PledgerSector, PledgeState, utcnow
from webapp.extensions import db
from webapp.forms import show_error
from webapp.permissions import can, require
from webapp.reference import choices

from .. import reporting
from ..blueprint import bp
from ..core import PUBLIC_STATES
from ..report_forms import LIGHT_LABELS, STATUS_LABELS, ReportForm

SECTOR_LABELS = {
    "government": "Government",
    "private_sector": "Private sector",
    "international_organization": "International or regional organization",
    "un_agency": "UN agency",
    "civil_society": "Civil society",
    "academia": "Academia",
    "unknown": "Not given",
}
BADGES = {
    "green": "badge-ok",
    "yellow": "badge-warn",
    "red": "badge-bad",
    "inactive": "badge-muted",
}


def _sector_labels() -> dict[str, str]:
    return {code: _(label) for code, label in SECTOR_LABELS.items()}


def _pledge(event_id: int, pledge_id: int) -> Pledge:
    """The pledge of this event, or 404 (another event's pledge is not found here)."""
    pledge = db.get_or_404(Pledge, pledge_id)
    if pledge.event_id != event_id:
        abort(404)
    return pledge


@bp.route("/events/<int:event_id>/pledges/<int:pledge_id>/reports/new", methods=["GET", "POST"])
def report_new(event_id: int, pledge_id: int):
    """The progress report form of a published pledge, for the pledger's members."""
    pledge = _pledge(event_id, pledge_id)
    require("pledge.report", pledge, private=pledge.state not in PUBLIC_STATES)
    form = ReportForm()
    status = 200
    if pledge.state != PledgeState.PUBLISHED:
        form.form_errors.append(_("Reports can only be filed on published pledges."))
        status = 409
    elif form.validate_on_submit():
        try:
            reporting.submit_report(
                current_user,
                pledge,
                status=form.status.data,
                percent_complete=form.percent_complete.data,
                amount_disbursed=form.amount_disbursed.data,
                people_reached=form.people_reached.data,
                narrative=form.narrative.data or "",
                evidence_links=form.evidence_links.data or "",
            )
        except reporting.ReportError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Thank you: your progress report is recorded."), "success")
            return redirect(url_for(".pledge_reports", event_id=event_id, pledge_id=pledge.id))
    if request.method == "POST" and status == 200:
        status = 400
    return render_template(
        "pledges/reports/new.html", pledge=pledge, form=form, event=pledge.event
    ), status


@bp.get("/events/<int:event_id>/pledges/<int:pledge_id>/reports")
def pledge_reports(event_id: int, pledge_id: int):
    """A pledge's progress reports and its traffic light, with what the light rests on."""
    pledge = _pledge(event_id, pledge_id)
    require("pledge.read", pledge, private=pledge.state not in PUBLIC_STATES)
    reports = reporting.reports_of(pledge)
    today = utcnow().date()
    basis = None
    if pledge.state == PledgeState.PUBLISHED and pledge.published_at is not None:
        basis = reporting.explain(
            pledge.published_at,
            reports[0].submitted_at if reports else None,
            today,
            reporting.months_of(pledge),
        )
    return render_template(
        "pledges/reports/list.html",
        pledge=pledge,
        event=pledge.event,
        reports=reports,
        basis=basis,
        light_labels=LIGHT_LABELS,
        status_labels=STATUS_LABELS,
        badges=BADGES,
        may_report=can(current_user, "pledge.report", pledge)
        and pledge.state == PledgeState.PUBLISHED,
    )


@bp.post("/events/<int:event_id>/pledges/followup/period")
def report_period(event_id: int):
    """Set how often the event's pledgers report progress."""
    event = db.get_or_404(Event, event_id)
    require("pledges.moderate", event)
    try:
        reporting.set_report_period(current_user, event, request.form.get("months", ""))
    except reporting.ReportError as error:
        db.session.rollback()
        return _followup_page(event, period_error=str(error)), 400
    db.session.commit()
    flash(_("Pledgers now report every %(n)s months.", n=event.pledge_report_months), "success")
    return redirect(url_for("pledges.followup", event_id=event.id))


@bp.get("/events/<int:event_id>/pledges/followup")
def followup(event_id: int):
    """Organizers' follow-up: response rates, totals against pledged, and the pledges whose
    reports are due or overdue."""
    event = db.get_or_404(Event, event_id)
    require("pledges.moderate", event)
    return _followup_page(event)


def _followup_page(event: Event, period_error: str | None = None) -> str:
    """The follow-up dashboard, with the reporting-period form and its error if any."""
    board = reporting.dashboard(event)
    light = request.args.get("light", "")
    sector = request.args.get("sector", "")
    rows = [
        row
        for row in board.pledges
        if (light not in reporting.LIGHTS or row.light == light)
        and (sector not in {s.value for s in PledgerSector} or row.sector == sector)
    ]
    return render_template(
        "pledges/reports/followup.html",
        event=event,
        board=board,
        rows=rows,
        light=light if light in reporting.LIGHTS else "",
        sector=sector if sector in SECTOR_LABELS else "",
        sector_labels=_sector_labels(),
        area_labels=dict(choices("focus_area")),
        light_labels=LIGHT_LABELS,
        status_labels=STATUS_LABELS,
        badges=BADGES,
        period_error=period_error,
    )

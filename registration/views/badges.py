"""Registration views: badges (the participant's own, one for organizers, the bulk PDF
for printing and the organizers' badge page with reissue), the check-in page for staff
with its live counts, and visa support letters.

Who: a participant downloads their own badge and letter; everything else is for the
event's organizers ("registration.manage", "registration.checkin"). Another event's
registration id is a 404.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from models import Event, Registration, RegistrationCategory, User
from webapp.extensions import db
from webapp.forms import strip
from webapp.pagination import page_arg, paginate
from webapp.permissions import require
from webapp.security import safe_next

from .. import badges, checkin, letters, registering
from ..blueprint import bp
from ..core import RegistrationError, event_or_404, labels, registration_of

#: Rows per page of the organizers' badge list.
PER_PAGE = 100
#: Badges in one bulk PDF (four per A4 page: 100 pages, a few seconds to make); more
#: come in parts, by name: 1-400, 401-800, ...
PART_SIZE = 400
NO_STORE = {"Cache-Control": "private, no-store"}


class CheckinForm(FlaskForm):
    code = StringField(
        _l("Badge code"),
        filters=[strip],
        validators=[
            DataRequired(_l("Scan or type a badge code.")),
            Length(
                max=badges.MAX_CODE_LENGTH,
                message=_l("This is not a badge code: it is far too long."),
            ),
        ],
    )


class ReissueForm(FlaskForm):
    """Only the CSRF token: the registration is in the URL."""


def _actor() -> User:
    return current_user._get_current_object()


def _refused(message: str, status: int = 403):
    return render_template("error.html", status=status, message=message), status


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', **NO_STORE},
    )


def _slug(text: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in text).strip("-") or "x"


def _own_registration(event: Event) -> Registration:
    registration = registering.registration_for(_actor(), event)
    if registration is None:
        abort(404)
    return registration


def _badge_response(registration: Registration):
    reason = badges.ineligible_reason(registration)
    if reason:
        return _refused(reason)
    data = badges.registration_badges_pdf([registration], _actor())
    db.session.commit()  # the nonce of a first badge
    name = _slug(f"{registration.event.acronym}-badge-{registration.last_name}")
    return _pdf(data, f"{name}.pdf")


# --------------------------------------------------------------------------------------
# Badges
# --------------------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/registration/badge.pdf")
@login_required
def badge(event_id: int):
    """The participant's own badge."""
    event = event_or_404(event_id)
    return _badge_response(_own_registration(event))


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/badge.pdf")
@login_required
def badge_of(event_id: int, registration_id: int):
    """A participant's badge, for organizers."""
    event = event_or_404(event_id)
    require("registration.manage", event)
    return _badge_response(registration_of(event, registration_id))


def _filters(event: Event) -> tuple[RegistrationCategory | None, int | None, dict[str, Any]]:
    """The category and member filters from the query string; nonsense is a 400."""
    category = None
    raw = request.args.get("category", "").strip()
    if raw:
        try:
            category = RegistrationCategory(raw)
        except ValueError:
            abort(400)
    member = None
    raw = request.args.get("member", "").strip()
    if raw:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            abort(400)
        member = int(raw)
    args = {"category": category.value if category else None, "member": member}
    return category, member, args


@bp.get("/events/<int:event_id>/badges.pdf")
@login_required
def badges_bulk(event_id: int):
    """Every badge to print (filters: category, member), by name: four per A4 page,
    or one per A6 page with layout=single; past PART_SIZE badges, in parts (part=2...)."""
    event = event_or_404(event_id)
    require("registration.manage", event)
    category, member, _args = _filters(event)
    layout = request.args.get("layout", "sheet")
    if layout not in ("sheet", "single"):
        abort(400)
    query = badges.badge_query(event, category, member)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    parts = max(1, math.ceil(total / PART_SIZE))
    raw = request.args.get("part", "1").strip()
    # ASCII digits only: "²".isdigit() is true, but int("²") fails.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        abort(400)
    part = int(raw)
    if part > parts:
        abort(404)
    query = query.limit(PART_SIZE).offset((part - 1) * PART_SIZE)
    registrations = list(db.session.scalars(query))
    data = badges.registration_badges_pdf(
        registrations,
        _actor(),
        sheet=layout == "sheet",
        title=_("Badges of %(acronym)s", acronym=event.acronym),
    )
    db.session.commit()
    suffix = f"-part-{part}" if parts > 1 else ""
    return _pdf(data, f"{_slug(event.acronym)}-badges{suffix}.pdf")


def bulk_parts(total: int) -> list[tuple[int, int, int]]:
    """(part, first, last) of the bulk PDFs for `total` badges."""
    return [
        (number + 1, number * PART_SIZE + 1, min(total, (number + 1) * PART_SIZE))
        for number in range(max(1, math.ceil(total / PART_SIZE)))
    ]


@bp.get("/events/<int:event_id>/badges", endpoint="badges")
@login_required
def badges_page(event_id: int):
    """Organizers: badge holders with their badge, reissue, the bulk PDF and the visa
    letters asked for."""
    event = event_or_404(event_id)
    require("registration.manage", event)
    category, member, args = _filters(event)
    page = paginate(badges.badge_query(event, category, member), page_arg(), PER_PAGE)
    visa = list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.visa_support.is_(True),
                Registration.cancelled_at.is_(None),
            )
            .order_by(Registration.last_name, Registration.first_name, Registration.id)
        )
    )
    members = badges.badge_members(event)
    return render_template(
        "registration/badges/index.html",
        event=event,
        page=page,
        visa=visa,
        members=members,
        category=category,
        member=member,
        filter_args=args,
        parts=bulk_parts(page.total),
        part_size=PART_SIZE,
        reissue_form=ReissueForm(),
        countries=badges.country_names(r.country_iso2 for r in page.items),
        **labels(),
    )


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/badge/reissue")
@login_required
def badge_reissue(event_id: int, registration_id: int):
    """A new badge code: badges printed before stop working at check-in."""
    event = event_or_404(event_id)
    require("registration.manage", event)
    registration = registration_of(event, registration_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        badges.reissue(_actor(), registration)
    except RegistrationError as error:
        return _refused(error.message, error.status)
    db.session.commit()
    flash(
        _(
            "A new badge was issued for %(name)s: badges printed before no longer work.",
            name=registration.full_name,
        ),
        "success",
    )
    return redirect(
        safe_next(request.form.get("next"), url_for("registration.badges", event_id=event.id))
    )


# --------------------------------------------------------------------------------------
# Check-in
# --------------------------------------------------------------------------------------


def _checkin_page(
    event: Event, form: CheckinForm, result=None, status: int = 200, code_value: str = ""
):
    return render_template(
        "registration/checkin/page.html",
        event=event,
        form=form,
        result=result,
        code_value=code_value,
        counts=checkin.counts(event),
        **labels(),
    ), status


@bp.route("/events/<int:event_id>/checkin", methods=["GET", "POST"], endpoint="checkin")
@login_required
def checkin_page(event_id: int):
    """Staff check badges in: a typed or scanned code (form, or JSON from the page's
    script), then the result: checked in, already checked in, or refused and why."""
    event = event_or_404(event_id)
    require("registration.checkin", event)
    if request.method == "GET":
        return _checkin_page(event, CheckinForm(formdata=None))
    if request.is_json:
        payload = request.get_json(silent=True)
        code = payload.get("code") if isinstance(payload, dict) else None
        if not isinstance(code, str) or not code.strip():
            return jsonify(
                {"error": {"status": 400, "message": _("Scan or type a badge code.")}}
            ), 400
        result = checkin.check_in(_actor(), event, code)
        db.session.commit()
        body = result.as_json()
        body["counts"] = checkin.counts(event)
        return jsonify(body), result.status
    form = CheckinForm()
    if not form.validate_on_submit():
        if not form.code.errors:  # the CSRF token
            form.code.errors = [_("The form expired. Please reload the page and try again.")]
        return _checkin_page(event, form, status=400)
    result = checkin.check_in(_actor(), event, form.code.data)
    db.session.commit()
    # A mistyped code stays in the field to correct; anything else clears it for the next.
    keep = result.outcome in (checkin.Outcome.MALFORMED, checkin.Outcome.FORGED)
    return _checkin_page(
        event,
        CheckinForm(formdata=None),
        result,
        result.status,
        code_value=form.code.data if keep else "",
    )


@bp.get("/events/<int:event_id>/checkin/counts.json")
@login_required
def checkin_counts(event_id: int):
    """Checked in / expected in person, in total and per category (polled by the page)."""
    event = event_or_404(event_id)
    require("registration.checkin", event)
    return jsonify(checkin.counts(event)), 200, NO_STORE


# --------------------------------------------------------------------------------------
# Visa support letters
# --------------------------------------------------------------------------------------


def _letter_response(registration: Registration):
    try:
        letters.check_letter(registration)
    except RegistrationError as error:
        if error.status == 404:
            abort(404)
        return _refused(error.message, error.status)
    data = letters.letter_pdf(registration)
    name = _slug(f"{registration.event.acronym}-visa-letter-{registration.last_name}")
    return _pdf(data, f"{name}.pdf")


@bp.get("/events/<int:event_id>/registration/visa-letter.pdf")
@login_required
def visa_letter(event_id: int):
    """The participant's own visa support letter."""
    event = event_or_404(event_id)
    return _letter_response(_own_registration(event))


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/visa-letter.pdf")
@login_required
def visa_letter_of(event_id: int, registration_id: int):
    """A participant's visa support letter, for organizers."""
    event = event_or_404(event_id)
    require("registration.manage", event)
    return _letter_response(registration_of(event, registration_id))

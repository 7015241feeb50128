"""Pledges views: the public registry, a page per pledge, statistics and open data.

No login anywhere: only published or completed pledges and their public fields.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from webapp.downloads import XLSX_MIMETYPE, attachment
from webapp.pagination import page_arg, paginate

from .. import api, opendata  # api also adds its routes: /api/v1/pledges
from .. import registry as reg
from ..blueprint import bp

PER_PAGE = 25
#: Open data may be cached briefly by browsers and proxies; pages vary with the login.
CACHE = "public, max-age=300"


def _filters():
    """Reference lists, the filters of the query string and the refused parameters."""
    reference = reg.load_reference()
    filters, errors = reg.parse_filters(request.args, reference)
    return reference, filters, errors


def _context(reference, filters, errors, sort=None):
    """What the filter form needs."""
    return {
        "reference": reference,
        "filters": filters,
        "filter_args": filters.args() | ({"sort": sort} if sort else {}),
        "errors": errors,
        "sorts": reg.SORTS,
        "sort": sort,
        "sector_choices": {k.value: v for k, v in reg.SECTOR_LABELS.items()},
        "type_choices": {k.value: v for k, v in reg.TYPE_LABELS.items()},
        "status_choices": {k.value: v for k, v in reg.STATUS_LABELS.items()},
    }


@bp.get("/pledges")
def registry():
    """The public registry: search, filters, sorting and one page of results."""
    reference, filters, errors = _filters()
    sort = reg.parse_sort(request.args.get("sort"))
    if sort is None:
        errors["sort"] = _("Unknown sort order; the newest pledges come first.")
        sort = next(iter(reg.SORTS))
    page = paginate(reg.registry_query(filters, sort), page_arg(), PER_PAGE)
    records = [reg.public_fields(p, reference.countries) for p in page.items]
    lights = reg.lights(page.items)
    return render_template(
        "pledges/registry/list.html",
        page=page,
        rows=list(zip(page.items, records, strict=True)),
        lights=lights,
        **_context(reference, filters, errors, sort),
    )


@bp.get("/pledges/statistics")
def statistics():
    """Counts and values of the pledges matching the current filters, as charts and tables."""
    reference, filters, errors = _filters()
    stats = reg.statistics(filters, reference)
    return render_template(
        "pledges/registry/statistics.html", stats=stats, **_context(reference, filters, errors)
    )


@bp.get("/pledges/export.<any(csv, xlsx, json):fmt>")
def export(fmt: str):
    """Every pledge matching the filters as CSV, XLSX or JSON; bad filters are a 400."""
    reference, filters, errors = _filters()
    sort = reg.parse_sort(request.args.get("sort"))
    if errors or sort is None:
        abort(400, "; ".join(f"{k}: {v}" for k, v in errors.items()) or "sort")
    items = opendata.records(filters, sort, reference, api.pledge_url)
    filename = f"pledges-{datetime.now(UTC).date().isoformat()}.{fmt}"
    if fmt == "csv":
        body, mimetype = opendata.to_csv(items), "text/csv"
    elif fmt == "xlsx":
        body, mimetype = opendata.to_xlsx(items), XLSX_MIMETYPE
    else:
        body, mimetype = opendata.to_json(items), "application/json"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": attachment(filename), "Cache-Control": CACHE},
    )


@bp.get("/pledges/<public_id>")
def public_pledge(public_id: str):
    """The public page of one pledge; 404 for unknown or unpublished ones."""
    pledge = reg.public_pledge(public_id)
    if pledge is None:
        abort(404)
    reference = reg.load_reference()
    return render_template(
        "pledges/registry/pledge.html",
        pledge=pledge,
        record=reg.public_fields(pledge, reference.countries),
        light=reg.lights([pledge]).get(pledge.id),
        reference=reference,
        sector_labels=reg.SECTOR_LABELS,
        type_labels=reg.TYPE_LABELS,
        status_labels=reg.STATUS_LABELS,
    )

"""Forms of the pledge pages: the pledge itself, moderation steps and announcements."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from models import Organization, PledgerSector, PledgeState, PledgeType
from webapp import reference
from webapp.forms import options, strip

from . import core, money
from .pledging import (
    MAX_DESCRIPTION,
    MAX_PEOPLE,
    MAX_TITLE,
    SMART_CRITERIA,
    STATE_LABELS,
    TAG_FIELDS,
)

TYPE_LABELS = {
    PledgeType.FINANCIAL: _l("Financial"),
    PledgeType.POLICY: _l("Policy"),
    PledgeType.PROGRAMMATIC: _l("Programmatic"),
    PledgeType.ADVOCACY: _l("Advocacy"),
}
SECTOR_LABELS = {
    PledgerSector.GOVERNMENT: _l("Government"),
    PledgerSector.PRIVATE: _l("Private sector"),
    PledgerSector.INTERNATIONAL: _l("International or regional organization"),
    PledgerSector.UN: _l("UN agency"),
    PledgerSector.CIVIL_SOCIETY: _l("Civil society"),
    PledgerSector.ACADEMIA: _l("Academia"),
}
BENEFICIARY_LABELS = {
    "women_girls": _l("Women and girls"),
    "youth": _l("Youth"),
    "persons_disabilities": _l("Persons with disabilities"),
    "indigenous_peoples": _l("Indigenous peoples"),
    "rural_communities": _l("Rural communities"),
    "older_persons": _l("Older persons"),
    "refugees_migrants": _l("Refugees and migrants"),
    "smes": _l("Small and medium enterprises"),
}
STATE_BADGES = {
    PledgeState.DRAFT: "badge-muted",
    PledgeState.SUBMITTED: "badge-warn",
    PledgeState.CHANGES_REQUESTED: "badge-bad",
    PledgeState.APPROVED: "badge-ok",
    PledgeState.PUBLISHED: "badge-ok",
    PledgeState.WITHDRAWN: "badge-muted",
    PledgeState.COMPLETED: "badge-ok",
}
#: Buttons of the moderation steps.
MOVE_LABELS = {
    PledgeState.SUBMITTED: _l("Submit"),
    PledgeState.CHANGES_REQUESTED: _l("Request changes"),
    PledgeState.APPROVED: _l("Approve"),
    PledgeState.PUBLISHED: _l("Publish"),
    PledgeState.COMPLETED: _l("Mark completed"),
    PledgeState.WITHDRAWN: _l("Withdraw"),
}


def _codes(label):
    # Codes are checked by the service, which names every unknown one.
    return SelectMultipleField(label, validate_choice=False)


class PledgeForm(FlaskForm):
    """The pledge: everything optional for a draft; `check_complete` says what submission
    needs. Field names match the service's, so its messages land beside the fields."""

    organization = SelectField(_l("Organization that pledges"), validators=[Optional()])
    title = StringField(
        _l("Title"), validators=[Optional(), Length(max=MAX_TITLE)], filters=[strip]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=MAX_DESCRIPTION)], filters=[strip]
    )
    pledge_type = SelectField(_l("Type of pledge"), validators=[Optional()])
    sector = SelectField(_l("Sector of the pledger"), validators=[Optional()])
    focus_areas = _codes(_l("Focus areas"))
    pillars = TextAreaField(
        _l("Pillars"), validators=[Optional(), Length(max=5_000)], filters=[strip]
    )
    kap_priorities = _codes(_l("Kigali Action Plan priorities"))
    regional_initiatives = _codes(_l("Regional initiatives"))
    sdgs = _codes(_l("Sustainable Development Goals"))
    countries = _codes(_l("Target countries"))
    beneficiary_groups = _codes(_l("Beneficiary groups"))
    people_to_reach = IntegerField(
        _l("People to reach"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_PEOPLE,
                message=_l("Enter a whole number between 0 and %(max)s.", max=f"{MAX_PEOPLE:,}"),
            ),
        ],
    )
    amount = StringField(_l("Amount"), validators=[Optional(), Length(max=40)], filters=[strip])
    currency = SelectField(_l("Currency"), validators=[Optional()])
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    smart_specific = BooleanField(SMART_CRITERIA["specific"][0])
    smart_measurable = BooleanField(SMART_CRITERIA["measurable"][0])
    smart_achievable = BooleanField(SMART_CRITERIA["achievable"][0])
    smart_resource_based = BooleanField(SMART_CRITERIA["resource_based"][0])
    smart_time_based = BooleanField(SMART_CRITERIA["time_based"][0])

    def __init__(self, *args, organizations: list[Organization] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is None:
            del self["organization"]
        else:
            self.organization.choices = options(
                ((str(o.id), o.name) for o in organizations),
                blank=_l("Choose…") if len(organizations) > 1 else None,
            )
            self.organization.validators = []
        self.pledge_type.choices = options(TYPE_LABELS.items(), blank=_l("Not chosen yet"))
        self.sector.choices = options(SECTOR_LABELS.items(), blank=_l("Not chosen yet"))
        self.focus_areas.choices = options(reference.choices("focus_area"))
        self.kap_priorities.choices = options(reference.choices("kap_priority"))
        self.regional_initiatives.choices = options(
            (code, f"{code} – {name}") for code, name in reference.choices("regional_initiative")
        )
        self.sdgs.choices = options(
            (code, f"{code} – {name}") for code, name in reference.choices("sdg")
        )
        self.countries.choices = options(reference.country_choices())
        self.beneficiary_groups.choices = options(
            (code, BENEFICIARY_LABELS.get(code, label))
            for code, label in core.BENEFICIARY_GROUPS.items()
        )
        self.currency.choices = options(
            ((c, c) for c in money.known_currencies()), blank=_l("Not chosen yet")
        )

    def smart_fields(self):
        """(field, guidance) for each SMART criterion."""
        return [(self[f"smart_{key}"], guidance) for key, (_, guidance) in SMART_CRITERIA.items()]

    def load(self, pledge) -> None:
        """Fill the fields from a stored pledge (a GET of the edit page)."""
        self.title.data = pledge.title
        self.description.data = pledge.description
        self.pledge_type.data = pledge.pledge_type.value if pledge.pledge_type else ""
        self.sector.data = pledge.sector.value if pledge.sector else ""
        self.pillars.data = "\n".join(pledge.pillars or [])
        for name, kind in TAG_FIELDS.items():
            self[name].data = core.tag_codes(pledge, kind)
        self.people_to_reach.data = pledge.people_to_reach
        self.amount.data = f"{pledge.amount:f}" if pledge.amount is not None else ""
        self.currency.data = pledge.currency or ""
        self.start_date.data = pledge.start_date
        self.end_date.data = pledge.end_date
        for key in SMART_CRITERIA:
            self[f"smart_{key}"].data = bool((pledge.smart or {}).get(key))

    def values(self) -> dict[str, Any]:
        """The plain values the services take."""
        values: dict[str, Any] = {
            "title": self.title.data or "",
            "description": self.description.data or "",
            "pledge_type": self.pledge_type.data or None,
            "sector": self.sector.data or None,
            "pillars": (self.pillars.data or "").splitlines(),
            "people_to_reach": self.people_to_reach.data,
            "amount": self.amount.data or None,
            "currency": self.currency.data or None,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "smart": {key: bool(self[f"smart_{key}"].data) for key in SMART_CRITERIA},
        }
        for name in TAG_FIELDS:
            values[name] = list(self[name].data or [])
        return values


class QueueFilterForm(Form):
    """The review queue's state filter, read from the query string."""

    state = SelectField(_l("State"))

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata, **kwargs)
        self.state.choices = options(
            [("all", _l("All states"))] + [(s.value, label) for s, label in STATE_LABELS.items()]
        )

    def states(self) -> list[PledgeState]:
        """The states to list: submitted by default; a stale value lists everything."""
        value = self.state.data or PledgeState.SUBMITTED.value
        try:
            return [PledgeState(value)]
        except ValueError:
            return []


class AnnounceForm(FlaskForm):
    """Where a published pledge was announced."""

    session = StringField(
        _l("Plenary pledging session"), validators=[Optional(), Length(max=300)], filters=[strip]
    )

"""Forms of the target-list pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, Length, Optional

from models import EntryStatus, User
from webapp import reference
from webapp.forms import options, strip
from webapp.reference import REGIONS

from .targets import MAX_NOTES, EntryFilters

STATUS_LABELS = {
    EntryStatus.IDENTIFIED: _l("Identified"),
    EntryStatus.INVITED: _l("Invited"),
    EntryStatus.REMINDED: _l("Reminded"),
    EntryStatus.ACCEPTED: _l("Accepted"),
    EntryStatus.DECLINED: _l("Declined"),
    EntryStatus.NO_ANSWER: _l("No answer"),
    EntryStatus.REGISTERED: _l("Registered"),
    EntryStatus.ATTENDED: _l("Attended"),
}
PRIORITY_LABELS = {1: _l("High"), 2: _l("Normal"), 3: _l("Low")}


def _status_options(blank=None):
    return options(((s.value, label) for s, label in STATUS_LABELS.items()), blank=blank)


def _owner_options(owners: list[User], blank):
    return options(((str(u.id), f"{u.name} <{u.email}>") for u in owners), blank=blank)


def _priority_options():
    return options((str(n), f"{n} – {label}") for n, label in PRIORITY_LABELS.items())


class FilterForm(Form):
    """The list's search box and filters, read from the query string."""

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)], filters=[strip])
    group = SelectField(_l("Constituent group"))
    region = SelectField(_l("Region"))
    star = SelectField(_l("Star"), choices=options([("1", _l("Stars only"))], blank=_l("All")))
    status = SelectField(_l("Status"))
    owner = SelectField(_l("Owner"))

    def __init__(self, formdata=None, *, groups, owners: list[User], **kwargs):
        super().__init__(formdata, **kwargs)
        self.group.choices = options(groups, blank=_l("All groups"))
        self.region.choices = options(REGIONS.items(), blank=_l("All regions"))
        self.status.choices = _status_options(blank=_l("All statuses"))
        self.owner.choices = _owner_options(owners, blank=_l("Anyone"))

    def _valid(self, select: SelectField) -> str:
        # A stale or hand-edited link filters on nothing rather than failing.
        allowed = {c.value for c in select.choices}
        return select.data if select.data and select.data in allowed else ""

    def filters(self) -> EntryFilters:
        """The EntryFilters the services understand."""
        group, region, status = (self._valid(f) for f in (self.group, self.region, self.status))
        owner = self._valid(self.owner)
        return EntryFilters(
            groups=[group] if group else [],
            regions=[region] if region else [],
            stars_only=self.star.data == "1",
            statuses=[status] if status else [],
            owner_id=int(owner) if owner else None,
            q=(self.q.data or "")[:200],
        )


class EntryForm(FlaskForm):
    """One entry; owners who do not organize the event get priority, notes and status."""

    constituent_group = SelectField(_l("Constituent group"))
    priority = SelectField(_l("Priority"), choices=_priority_options())
    star = BooleanField(_l("Star (shortlist of the highest-level invitees)"))
    owner = SelectField(_l("Owner"), validators=[Optional()])
    status = SelectField(_l("Status"))
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), Length(max=MAX_NOTES)], filters=[strip]
    )

    def __init__(self, *args, owners: list[User], organizer: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.constituent_group.choices = options(reference.choices("constituent_group"))
        self.owner.choices = _owner_options(owners, blank=_l("Nobody"))
        self.status.choices = _status_options()
        if not organizer:
            for name in ("constituent_group", "star", "owner"):
                del self[name]


class AddForm(FlaskForm):
    """Put a directory person on the list, found by email or picked from a search."""

    person_id = IntegerField(_l("Person"), validators=[Optional()])
    email = StringField(
        _l("Email of a person in the directory"),
        validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email address."))],
        filters=[strip],
    )
    constituent_group = SelectField(_l("Constituent group"), validators=[Optional()])
    priority = SelectField(_l("Priority"), choices=_priority_options(), default="2")
    star = BooleanField(_l("Star"))
    owner = SelectField(_l("Owner"), validators=[Optional()])

    def __init__(self, *args, owners: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.constituent_group.choices = options(
            reference.choices("constituent_group"), blank=_l("The organization's group")
        )
        self.owner.choices = _owner_options(owners, blank=_l("Nobody"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[
            FileRequired(message=_l("Choose a file to import.")),
            FileAllowed(["csv", "xlsx"], message=_l("Choose a .csv or .xlsx file.")),
        ],
    )

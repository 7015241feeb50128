"""Forms of the video message pages: submission, the organizers' review, the list filter.

Field checks use the services' own checkers, so the form shows every problem at once
and the service refuses the same values when called without the form.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Form, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from models import VideoState
from webapp.config import LANGUAGES
from webapp.forms import options, strip
from webapp.i18n import LANGUAGE_NAMES

from . import videos
from .core import VIDEO_STATE_LABELS, ProgrammeError


class VideoForm(FlaskForm):
    """A video message: a file or a link, its length, language and transcript."""

    person_email = StringField(
        _l("Email address of the person speaking"),
        validators=[Optional(), Length(max=videos.MAX_EMAIL)],
        filters=[strip],
    )
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(message=_l("Give the message a title.")),
            Length(max=videos.MAX_TITLE),
        ],
        filters=[strip],
    )
    focus_area = SelectField(_l("Focus area"), validators=[Optional()], validate_choice=False)
    file = FileField(_l("Video file"))
    url = StringField(
        _l("Or a link to the video"),
        validators=[Optional(), Length(max=videos.MAX_URL)],
        filters=[strip],
    )
    duration = StringField(
        _l("Length (minutes:seconds)"),
        validators=[InputRequired(message=_l("Give the length of the message, e.g. 2:30."))],
        filters=[strip],
    )
    language = SelectField(_l("Language spoken"), default="en", validate_choice=False)
    transcript = TextAreaField(
        _l("Transcript"),
        validators=[
            InputRequired(
                message=_l(
                    "Give the transcript: it is shown to people who cannot hear the message."
                )
            ),
            Length(max=videos.MAX_TRANSCRIPT),
        ],
        filters=[strip],
    )

    def __init__(self, *args, areas=(), for_others=False, **kwargs):
        super().__init__(*args, **kwargs)
        locale = str(get_locale() or "en")
        self.focus_area.choices = options(
            ((str(a.id), f"{a.label} — {a.text('name', locale)}") for a in areas),
            blank=_l("No particular focus area"),
        )
        self.language.choices = options((code, LANGUAGE_NAMES[code]) for code in LANGUAGES)
        if not for_others:
            del self.person_email

    def upload(self):
        """The chosen file, or None when no file was chosen."""
        data = self.file.data
        return data if data is not None and getattr(data, "filename", "") else None

    def validate_duration(self, field):
        if field.data:
            try:
                videos.parse_duration(field.data)
            except ProgrammeError as error:
                raise ValidationError(str(error)) from None

    def validate_url(self, field):
        try:
            videos.check_url(field.data)
        except ProgrammeError as error:
            raise ValidationError(str(error)) from None

    def validate(self, extra_validators=None) -> bool:
        """The field checks, then exactly one of a file and a link."""
        valid = super().validate(extra_validators)
        has_file, has_url = self.upload() is not None, bool(self.url.data)
        if has_file and has_url:
            self.url.errors = [*self.url.errors, _l("Give either a file or a link, not both.")]
            return False
        if not has_file and not has_url:
            self.file.errors = [*self.file.errors, _l("Upload a video file or give a link to it.")]
            return False
        return valid

    def validate_language(self, field):
        if field.data not in LANGUAGES:
            raise ValidationError(_l("Choose one of the six UN languages."))


class ReviewForm(FlaskForm):
    """The organizers' decision on a message, with a note for the submitter."""

    note = TextAreaField(
        _l("Note to the submitter"),
        validators=[Length(max=videos.MAX_NOTE)],
        filters=[strip],
    )


class VideoFilterForm(Form):
    """The list's filter by state (GET, no CSRF)."""

    state = SelectField(_l("State"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = options(
            ((s.value, VIDEO_STATE_LABELS[s]) for s in VideoState), blank=_l("All states")
        )

    def chosen(self) -> VideoState | None:
        try:
            return VideoState(self.state.data) if self.state.data else None
        except ValueError:
            return None

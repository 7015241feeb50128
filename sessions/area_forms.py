"""The focus-area form: a label, then name, description and pillars per language of the
event. The fields per language are added to a subclass built for the event's languages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from webapp.forms import strip

from .focus_areas import MAX_DESCRIPTION, MAX_LABEL, MAX_NAME, MAX_PILLAR, MAX_PILLARS


class _AreaForm(FlaskForm):
    label = StringField(
        _l("Short label"),
        validators=[
            InputRequired(message=_l("Give the area a short label.")),
            Length(max=MAX_LABEL),
        ],
        filters=[strip],
    )


def area_form(languages: list[str], names: dict[str, str], **kwargs) -> FlaskForm:
    """The form for these languages; `names` maps a code to the language's own name."""

    class AreaForm(_AreaForm):
        pass

    for lang in languages:
        language = names.get(lang, lang)
        required = (
            [InputRequired(message=_l("Give the name in English."))]
            if lang == "en"
            else [Optional()]
        )
        setattr(
            AreaForm,
            f"name_{lang}",
            StringField(
                _l("Name (%(language)s)", language=language),
                validators=[*required, Length(max=MAX_NAME)],
                filters=[strip],
            ),
        )
        setattr(
            AreaForm,
            f"description_{lang}",
            TextAreaField(
                _l("Description (%(language)s)", language=language),
                validators=[Optional(), Length(max=MAX_DESCRIPTION)],
                filters=[strip],
            ),
        )
        setattr(
            AreaForm,
            f"pillars_{lang}",
            TextAreaField(
                _l("Pillars (%(language)s), one a line", language=language),
                # Room for MAX_PILLARS lines of MAX_PILLAR characters; the service checks each.
                validators=[Optional(), Length(max=MAX_PILLARS * (MAX_PILLAR + 2))],
                filters=[strip],
            ),
        )
    return AreaForm(**kwargs)

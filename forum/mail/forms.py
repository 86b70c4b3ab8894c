"""The profile page's email settings form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField

from forum.mail.preferences import KINDS

_FREQUENCIES = [
    SelectChoice("immediate", _l("Immediately")),
    SelectChoice("daily", _l("In a daily summary")),
    SelectChoice("weekly", _l("In a weekly summary")),
    SelectChoice("never", _l("Never")),
]


class EmailPreferencesForm(FlaskForm):
    """How often each kind of email is sent."""

    mention = SelectField(_l("When someone mentions me"), choices=_FREQUENCIES)
    reply = SelectField(_l("Replies to my ideas and comments"), choices=_FREQUENCIES)
    official_reply = SelectField(_l("Official responses on ideas I wrote or follow"), choices=_FREQUENCIES)
    flag = SelectField(_l("Follow-up flags reaching my office"), choices=_FREQUENCIES)
    digest = SelectField(_l("Digest: ideas waiting on my office, activity on ideas I follow"), choices=_FREQUENCIES)
    submit = SubmitField(_l("Save email settings"))

    def chosen(self) -> dict[str, str]:
        """The frequencies picked, by kind."""
        return {kind: getattr(self, kind).data for kind in KINDS}

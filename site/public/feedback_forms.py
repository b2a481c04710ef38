"""The feedback form after closure (WM 5.1): three optional questions, at least one answered.

No CSRF token: the one-time token in the link is itself a secret no other site can know, so it
does that work (as on the optional "tell us more" pages), and no cookie is needed at all.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import Optional

from ..choices import options
from ..services.feedback import COMMENT_LIMIT
from .forms import HavenForm, at_most

# Shown from the happiest down, as GOV.UK's satisfaction surveys are; stored as 1 to 5.
SATISFACTION = options(
    ("5", _l("Very happy")),
    ("4", _l("Happy")),
    ("3", _l("Neither happy nor unhappy")),
    ("2", _l("Unhappy")),
    ("1", _l("Very unhappy")),
)
FELT_SAFE = options(("yes", _l("Yes")), ("no", _l("No")), ("prefer_not", _l("I prefer not to say")))


class FeedbackForm(HavenForm):
    class Meta(HavenForm.Meta):
        csrf = False

    satisfaction = RadioField(_l("How happy are you with the help you had from us? (optional)"),
                              choices=SATISFACTION, validators=[Optional()])
    felt_safe = RadioField(_l("Did you feel safe contacting us? (optional)"), choices=FELT_SAFE,
                           validators=[Optional()])
    comment = TextAreaField(
        _l("Is there anything else you would like to tell us? (optional)"),
        [Optional(), at_most(COMMENT_LIMIT)],
        description=_l("Please do not write your name, or anyone else's."),
        render_kw={"autocomplete": "off", "rows": 5, "maxlength": COMMENT_LIMIT})

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not (self.satisfaction.data or self.felt_safe.data or (self.comment.data or "").strip()):
            self.satisfaction.errors = [*self.satisfaction.errors, _l("Answer at least one question, then press Send")]
            ok = False
        return ok

    def answers(self) -> tuple[int | None, str | None, str | None]:
        """(satisfaction 1-5, felt safe, comment), each None when left blank; only once valid."""
        return (int(self.satisfaction.data) if self.satisfaction.data else None,
                self.felt_safe.data or None, (self.comment.data or "").strip() or None)

"""The forms of a referral's "Records" section (retention and legal holds, managers only)."""
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from ..services import cases


class LegalHoldForm(FlaskForm):
    reason = TextAreaField("Why must the records be kept?", [InputRequired(message="Say why the records must be kept"),
                                                             Length(max=cases.NOTE_LIMIT)],
                           description="A court case, a complaint or an inquiry, say. Their personal content "
                                       "is then kept past the retention period until the hold is lifted.",
                           render_kw={"rows": 2, "autocomplete": "off"})


class LegalHoldLiftForm(FlaskForm):
    reason = TextAreaField("Why can the hold end?", [InputRequired(message="Say why the hold can end"),
                                                     Length(max=cases.NOTE_LIMIT)],
                           description="Once lifted, the personal content goes at the next run if its time has come.",
                           render_kw={"rows": 2, "autocomplete": "off"})

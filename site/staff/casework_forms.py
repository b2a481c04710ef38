"""Forms for the casework the policies promise: a safer home, moving, partners, consent, the
person causing harm, and the handover note. Each checks only what a form can (required, length,
a date); services/ says what the case allows."""
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..services import cases, complaints, moving, partners, safer_home
from .forms import _pairs

NOTE = cases.NOTE_LIMIT


def _date(label: str, message: str = "Enter the date, like 2026-12-01", optional: bool = False):
    return DateField(label, validators=[Optional()] if optional else [InputRequired(message=message)],
                     render_kw={"type": "date"})


def _by(label: str = "Who did it"):
    return StringField(label, [InputRequired(message="Say who did it"), Length(max=safer_home.NAME_LIMIT)],
                       render_kw={"autocomplete": "off"})


def _words(label: str, message: str | None = None, rows: int = 2, description: str | None = None):
    validators = [InputRequired(message=message)] if message else [Optional()]
    return TextAreaField(label, [*validators, Length(max=NOTE, message=f"Keep it to {NOTE} characters or fewer")],
                         description=description, render_kw={"rows": rows, "autocomplete": "off"})


class AdviceForm(FlaskForm):
    topic = RadioField("Advice", choices=_pairs(safer_home.ADVICE),
                       validators=[InputRequired(message="Choose the advice given")])
    on = _date("Date given")
    by = _by("Given by")


class WorksForm(FlaskForm):
    measure = RadioField("Works", choices=_pairs(safer_home.MEASURES), validators=[InputRequired(message="Choose the works")])
    on = _date("Date requested")
    by = _by("Requested by")


class WorksStageForm(FlaskForm):
    # The choices are the case's own works (set on the page); the service checks the one chosen.
    item = SelectField("Which works", choices=[], validate_choice=False,
                       validators=[InputRequired(message="Choose the works")])
    stage = RadioField("What happened", choices=_pairs({"booked": "Booked", "completed": "Completed"}),
                       validators=[InputRequired(message="Choose booked or completed")])
    on = _date("Date booked for, or completed")
    by = _by("Booked or done by")


class MoveAssessmentForm(FlaskForm):
    how = _words("How would a move reduce the risk?", "Say how a move would reduce the risk", rows=3)


class MoveDecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=_pairs(moving.DECISIONS), validators=[InputRequired(message="Choose the decision")])
    reason = _words("Reason", "Give the reason for the decision")


class BandingForm(FlaskForm):
    on = _date("Date banded")


class MoveAgreementForm(FlaskForm):
    person = _words("What they agreed to do", "Say what they agreed to do")
    organisation = _words("What we agreed to do", "Say what we agreed to do")


class OfferForm(FlaskForm):
    on = _date("Date of the offer")
    answer = RadioField("Their answer", choices=_pairs(moving.OFFER_ANSWERS),
                        validators=[InputRequired(message="Say whether the offer was accepted or refused")])


class TransferForm(FlaskForm):
    step = RadioField("Record", choices=_pairs({"requested": "Emergency transfer requested",
                                                "offered": "Emergency transfer offered",
                                                "homeless_application": "Homeless application supported"}),
                      validators=[InputRequired(message="Choose what to record")])
    on = _date("Date")


class ConsentForm(FlaskForm):
    purpose = RadioField("Consent to", choices=_pairs(partners.PURPOSES), validators=[InputRequired(message="Choose what the consent is for")])
    answer = RadioField("Their answer", choices=_pairs(partners.ANSWERS), validators=[InputRequired(message="Choose their answer")])
    on = _date("Date")
    note = _words("How they gave it, or anything they said (optional)")


class PartnerReferralForm(FlaskForm):
    partner = SelectField("Partner", choices=[SelectChoice("", "Choose the partner"), *_pairs(partners.PARTNERS)],
                          validators=[InputRequired(message="Choose the partner")])
    on = _date("Date referred")
    shared = _words("What was shared", "Say what was shared")
    basis = RadioField("Consent", choices=_pairs(partners.BASES),
                       validators=[InputRequired(message="Say whether they consented, or why it is shared without consent")])
    reason = _words("Why sharing without consent is lawful (needed without consent)",
                    description="A manager other than you must confirm a share without consent.")


class ShareConfirmForm(FlaskForm):
    share = HiddenField(validators=[InputRequired(message="Choose the share to confirm")])


class WishesForm(FlaskForm):
    wish = RadioField("What the victim wants", choices=_pairs(partners.WISHES),
                      validators=[InputRequired(message="Choose what they want")])
    note = _words("In their words, or what they asked (optional)")


class PerpetratorActionForm(FlaskForm):
    action = RadioField("Action", choices=_pairs(partners.ACTIONS), validators=[InputRequired(message="Choose the action")])
    on = _date("Date")
    note = _words("Note (optional)")


class HandoverForm(FlaskForm):
    text = _words("Handover note for the next caseworker", "Write the handover note", rows=4,
                  description="Kept here, so that nothing personal travels by email. The newest note shows "
                              "at the top of the page for whoever the referral is assigned to.")


class ComplaintForm(FlaskForm):
    received_on = _date("Date received")
    channel = RadioField("How it came", choices=_pairs(complaints.CHANNELS), validators=[InputRequired(message="Choose how it came")])
    theme = RadioField("What it is about", choices=_pairs(complaints.THEMES),
                       validators=[InputRequired(message="Choose what it is about")])
    note = _words("Note (optional)")


class ComplaintResolvedForm(FlaskForm):
    complaint = SelectField("Which complaint", choices=[], validate_choice=False,
                            validators=[InputRequired(message="Choose the complaint")])
    outcome = RadioField("Outcome", choices=_pairs(complaints.OUTCOMES), validators=[InputRequired(message="Choose the outcome")])
    resolved_on = _date("Date resolved")

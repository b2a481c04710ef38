from datetime import timezone

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, Form, HiddenField, IntegerField, PasswordField, RadioField, SelectChoice,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..services import cases, inbox, targets


class SignInForm(FlaskForm):
    email = StringField("Email address", [InputRequired(message="Enter your email address"), Length(max=254)],
                        render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField("Password", [InputRequired(message="Enter your password"), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app, or a recovery code",
                       [InputRequired(message="Enter the code"), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})


class SetupForm(FlaskForm):
    password = PasswordField("Choose a password", [InputRequired(message="Choose a password"), Length(max=1024)],
                             description="At least 12 characters. A few unrelated words make a good one.",
                             render_kw={"autocomplete": "new-password"})
    code = StringField("Code from your authenticator app", [InputRequired(message="Enter the code"), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ("caseworker", "manager", "editor", "admin")]


class RolesForm(FlaskForm):
    roles = _Checkboxes("Roles", choices=ROLE_CHOICES, validators=[InputRequired(message="Choose at least one role")])


class AccountForm(RolesForm):
    email = StringField("Email address", [InputRequired(message="Enter an email address"), Length(max=254)],
                        render_kw={"spellcheck": "false", "autocomplete": "off"})


_CURRENT = dict(validators=[InputRequired(message="Enter your current password"), Length(max=1024)],
                render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", **_CURRENT)
    new_password = PasswordField("New password", [InputRequired(message="Choose a new password"), Length(max=1024)],
                                 description="At least 12 characters. A few unrelated words make a good one.",
                                 render_kw={"autocomplete": "new-password"})


class ReenrolForm(FlaskForm):
    current_password = PasswordField("Current password", **_CURRENT)
    code = StringField("Code from your authenticator app", [InputRequired(message="Enter the code"), Length(max=20)],
                       description="The code the app shows for the new key above.",
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RecoveryCodesForm(FlaskForm):
    current_password = PasswordField("Current password", **_CURRENT)


def _any(label: str, pairs: dict) -> list[SelectChoice]:
    return [SelectChoice("", label), *(SelectChoice(value, text) for value, text in pairs.items())]


class InboxFilterForm(Form):
    """The inbox's filters: a GET form (it changes nothing), so no CSRF token, and every value is
    a code from a fixed list, a staff id or a date, never personal data."""

    view = HiddenField()
    status = SelectField("Status", choices=_any("Any status", inbox.STATUSES), validators=[Optional()])
    priority = SelectField("Priority", choices=_any("Any priority", inbox.PRIORITIES), validators=[Optional()])
    assignee = SelectField("Assigned to", choices=[], validators=[Optional()])
    route = SelectField("Route", choices=_any("Any route", inbox.ROUTES), validators=[Optional()])
    flag = SelectField("Flag", choices=_any("Any flag", inbox.FLAGS), validators=[Optional()])
    received_from = DateField("Received from", validators=[Optional()],
                              render_kw={"type": "date"})
    received_to = DateField("Received to", validators=[Optional()], render_kw={"type": "date"})
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1)

    def __init__(self, formdata, assignees: list[tuple[int, str]]):
        super().__init__(formdata)
        self.assignee.choices = [SelectChoice("", "Anyone or no one"), SelectChoice("none", "No one yet"),
                                 *(SelectChoice(str(user_id), email) for user_id, email in assignees)]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        # WTForms' own wording ("Not a valid choice.") does not say which box or what to do.
        for field, what in ((self.status, "a status"), (self.priority, "a priority"), (self.assignee, "who it is assigned to"),
                            (self.route, "a route"), (self.flag, "a flag")):
            if field.errors:
                field.errors = [f"Choose {what} from the list"]
        for field in (self.received_from, self.received_to):
            if field.errors:
                field.errors = [f"Enter '{field.label.text.lower()}' as a date, like 2026-12-01"]
        if self.page.errors:
            self.page.errors = ["Enter a page number of 1 or more"]
        if self.received_from.data and self.received_to.data and self.received_from.data > self.received_to.data:
            self.received_to.errors = [*self.received_to.errors, "The 'to' date must be on or after the 'from' date"]
            ok = False
        return ok

    def filters(self) -> inbox.Filters:
        """What the valid fields ask for; a field with an error asks for nothing."""
        def valid(field):
            return field.data if not field.errors and field.data not in ("", None) else None

        assignee = valid(self.assignee)
        # The dates are one range: when either is wrong, neither applies.
        dates_ok = not (self.received_from.errors or self.received_to.errors)
        return inbox.Filters(status=valid(self.status), priority=valid(self.priority),
                             assignee=assignee if assignee in (None, "none") else int(assignee),
                             route=valid(self.route), flag=valid(self.flag),
                             received_from=valid(self.received_from) if dates_ok else None,
                             received_to=valid(self.received_to) if dates_ok else None)


# --- a referral's page: one small form per action (Flask-WTF, so each carries its CSRF token) ---

def _pairs(table: dict) -> list[SelectChoice]:
    return [SelectChoice(value, text) for value, text in table.items()]


class RevealForm(FlaskForm):
    reason = RadioField("Why do you need them?", choices=_pairs(cases.REVEAL_REASONS),
                        validators=[InputRequired(message="Choose why you need the contact details")])


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", choices=[], validators=[InputRequired(message="Choose who to assign it to")])


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[SelectChoice(value, inbox.STATUSES[value]) for value in cases.MANUAL_STATUSES],
                         validators=[InputRequired(message="Choose a status")])


class ContactForm(FlaskForm):
    channel = SelectField("How", choices=_pairs(cases.CHANNELS), validators=[InputRequired(message="Choose how you tried")])
    outcome = RadioField("What happened", choices=_pairs(cases.OUTCOMES),
                         validators=[InputRequired(message="Choose what happened")])
    when = StringField("Time, if it was earlier today (optional)", [Optional(), Length(max=5)],
                       description="Like 09:30. Leave empty for now.", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    confirmed = BooleanField("I know this goes against what they asked, and it was necessary")
    reason = TextAreaField("Why it was necessary", [Optional(), Length(max=cases.NOTE_LIMIT)],
                           description="Only needed when this goes against what they asked.",
                           render_kw={"rows": 2, "autocomplete": "off"})

    def moment(self, now):
        """The attempt's time: now, or today at the time given (UK time). None when not a time."""
        if not self.when.data:
            return now
        try:
            hours, minutes = (int(part) for part in self.when.data.split(":"))
            local = now.astimezone(targets.UK).replace(hour=hours, minute=minutes, second=0, microsecond=0)
        except ValueError:
            self.when.errors = [*self.when.errors, "Enter the time like 09:30"]
            return None
        return local.astimezone(timezone.utc)


class NoteForm(FlaskForm):
    text = TextAreaField("Add a note", [InputRequired(message="Write the note"),
                                        Length(max=cases.NOTE_LIMIT, message=f"Keep the note to {cases.NOTE_LIMIT} characters or fewer")],
                         description="Notes cannot be changed afterwards: correct a mistake with a new note.",
                         render_kw={"rows": 4, "autocomplete": "off"})


class CloseForm(FlaskForm):
    outcome = RadioField("Outcome", choices=_pairs(cases.CLOSING_OUTCOMES), validators=[InputRequired(message="Choose the outcome")])
    agreed = RadioField("Did they agree to closing?", choices=_pairs(cases.AGREED),
                        validators=[InputRequired(message="Say whether they agreed to closing")])
    note = TextAreaField("Note (needed for 'Other')", [Optional(), Length(max=cases.NOTE_LIMIT)],
                         render_kw={"rows": 2, "autocomplete": "off"})


class ReopenForm(FlaskForm):
    reason = TextAreaField("Why reopen it?", [InputRequired(message="Say why you are reopening it"), Length(max=cases.NOTE_LIMIT)],
                           render_kw={"rows": 2, "autocomplete": "off"})


class BarForm(FlaskForm):
    member = SelectField("Bar a member of staff from this referral", choices=[],
                         validators=[InputRequired(message="Choose who to bar")],
                         description="For a conflict of interest: they know the person, or the person harming them. "
                                     "They will not see it in any list, count or page.")


class LiftBarForm(FlaskForm):
    member = SelectField("Lift the bar on", choices=[], validators=[InputRequired(message="Choose whose bar to lift")])
    reason = TextAreaField("Why can they see this referral now?",
                           [InputRequired(message="Say why the bar can be lifted"), Length(max=cases.NOTE_LIMIT)],
                           description="For example: the bar was made in error, or the conflict has ended.",
                           render_kw={"rows": 2, "autocomplete": "off"})


RISK_ANSWERS = [SelectChoice("yes", "Yes"), SelectChoice("no", "No"), SelectChoice("not_known", "Not known")]


class _RiskBase(FlaskForm):
    judgement = TextAreaField("Professional judgement: why this is high risk whatever the score (optional)",
                              [Optional(), Length(max=cases.NOTE_LIMIT)],
                              description="Fill this in only when your judgement makes the case high risk.",
                              render_kw={"rows": 2, "autocomplete": "off"})
    escalation = BooleanField("The abuse is escalating (potential escalation)")


def risk_form(checklist, **kwargs):
    """A form with one yes / no / not known question per item of the checklist in use."""
    fields = {question.id: RadioField(question.text, choices=RISK_ANSWERS,
                                      validators=[InputRequired(message=f"Answer: {question.text}")])
              for question in checklist.questions}
    return type("RiskForm", (_RiskBase,), fields)(**kwargs)


class MaracForm(FlaskForm):
    referred_on = DateField("Date referred to MARAC", validators=[InputRequired(message="Enter the date referred, like 2026-12-01")],
                            render_kw={"type": "date"})
    area = StringField("MARAC area", [InputRequired(message="Enter the MARAC's area"), Length(max=200)],
                       render_kw={"autocomplete": "off"})
    referred_by = StringField("Referred by", [InputRequired(message="Say who referred"), Length(max=200)],
                              render_kw={"autocomplete": "off"})
    meeting_on = DateField("Meeting date (optional)", validators=[Optional()], render_kw={"type": "date"})
    actions = TextAreaField("Actions agreed (optional)", [Optional(), Length(max=cases.NOTE_LIMIT)],
                            render_kw={"rows": 3, "autocomplete": "off"})


class SafeguardingRaiseForm(FlaskForm):
    """Only its CSRF token: the press is the whole answer."""


class SafeguardingConfirmForm(FlaskForm):
    """Only its CSRF token: a manager confirms the decision shown above it."""


class SafeguardingReportForm(FlaskForm):
    to = RadioField("Reported to", choices=_pairs(cases.SAFEGUARDING_TO),
                    validators=[InputRequired(message="Choose who it was reported to")])
    on = DateField("Date reported", validators=[InputRequired(message="Enter the date reported, like 2026-12-01")],
                   render_kw={"type": "date"})
    their_reference = StringField("Their reference (optional)", [Optional(), Length(max=100)],
                                  render_kw={"autocomplete": "off"})
    by = StringField("Reported by", [InputRequired(message="Say who made the report"), Length(max=200)],
                     render_kw={"autocomplete": "off"})


class NoReportForm(FlaskForm):
    reason = TextAreaField("Why no report is needed", [InputRequired(message="Say why no report is needed"),
                                                       Length(max=cases.NOTE_LIMIT)],
                           description="A manager must confirm this decision.",
                           render_kw={"rows": 2, "autocomplete": "off"})

"""The self-referral and concern forms: validation in the form layer, messages translated."""
from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..choices import (ABUSE_KINDS, ACCESS_NEEDS, AGE_BANDS, DISABILITY, ETHNIC_GROUPS, GENDERS, HELP_WANTED, LIVES_WITH,
                       METHODS, SEXUAL_ORIENTATIONS, YES_NO, YES_NO_NOT_SURE, options)


def at_most(limit: int) -> Length:
    """A length limit with Haven's own translated message (WTForms' is English only in some locales)."""
    return Length(max=limit, message=_l("Keep this to %(max)d characters or fewer"))


class _Messages:
    """WTForms' built-in messages (an answer not among the options, say) in Haven's words and
    catalogs: WTForms has no Punjabi or Urdu, so its own would reach those readers in English."""

    WORDS = {
        "Not a valid choice.": _l("Choose one of the options given"),
        "'%(value)s' is not a valid choice for this field.": _l("Choose from the options given"),
        "'%(value)s' are not valid choices for this field.": _l("Choose from the options given"),
    }

    def gettext(self, string):
        return str(self.WORDS.get(string, _l("Check this answer")))

    def ngettext(self, singular, plural, count):
        return self.gettext(singular if count == 1 else plural)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class HavenForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _Messages()

        # Spaces around a one-line answer are never meaningful; strip them before any validator
        # sees them. Free text (textareas) is kept exactly as the person wrote it.
        def bind_field(self, form, unbound_field, options):
            if unbound_field.field_class is StringField:
                options["filters"] = [*options.get("filters", ()), _strip]
            if unbound_field.field_class in (StringField, TextAreaField):
                # Nothing she types is offered back later by the browser, on any field.
                render_kw = unbound_field.kwargs.get("render_kw") or {}
                options["render_kw"] = {"autocomplete": "off", **render_kw}
            return unbound_field.bind(form=form, **options)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


PHONE_METHODS = {"call", "text"}


def uk_phone(form, field):
    """Any UK format people write; stored as +44... so staff dial it the same way every time."""
    if not field.data:
        return
    try:
        number = phonenumbers.parse(field.data, "GB")
    except phonenumbers.NumberParseException:
        number = None
    # "Possible" checks the length and shape of a UK number without rejecting new or reserved ranges.
    possible = number is not None and phonenumbers.is_possible_number_with_reason(number) == \
        phonenumbers.ValidationResult.IS_POSSIBLE
    if not possible or number.country_code != 44:
        raise ValidationError(_l("Enter a UK phone number, like 07700 900 982 or 0121 496 0000"))
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def not_blank(form, field):
    if not (field.data or "").strip():
        raise ValidationError(_l("Tell us what worries you"))


class SafetyFields(HavenForm):
    """What both forms share: the signed stamp (one-time token and start time) and the trap."""

    token = HiddenField()
    # People never see this field; scripts fill in every field they find.
    website = StringField(_l("Leave this empty"), [Optional(), at_most(200)])


class ContactFields:
    phone = StringField(_l("A safe phone number"), [Optional(), at_most(40), uk_phone],
                        render_kw={"autocomplete": "off", "inputmode": "tel", "dir": "ltr"})
    email = StringField(
        _l("A safe email address"),
        [Optional(), at_most(254),
         Email(message=_l("Enter an email address, like name@example.com"), check_deliverability=False)],
        description=_l("Only give an address that nobody else can read. Someone who knows your "
                       "password, or shares your device, could see our emails."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"})

    def check_contact_details(self, methods) -> bool:
        ok = True
        if methods & PHONE_METHODS and not self.phone.data and not self.phone.errors:
            self.phone.errors = [*self.phone.errors, _l("Enter a safe phone number, or choose another way to contact you")]
            ok = False
        if "email" in methods and not self.email.data and not self.email.errors:
            self.email.errors = [*self.email.errors, _l("Enter a safe email address, or choose another way to contact you")]
            ok = False
        return ok


class SelfReferralForm(ContactFields, SafetyFields):
    """The first page: only what is needed to reach her safely, and her agreement. Its Send commits
    the referral, so if she must leave straight after, the team can still reach her."""

    preferred = RadioField(_l("How should we contact you first?"), choices=METHODS,
                           validators=[InputRequired(message=_l("Choose how we should contact you first"))])
    address = TextAreaField(_l("Your address"), [Optional(), at_most(300)],
                            description=_l("Needed only for a visit at home."),
                            render_kw={"autocomplete": "off", "rows": 3})
    voicemail = RadioField(_l("May we leave a voicemail? (optional)"), choices=YES_NO, validators=[Optional()])
    someone_else = StringField(_l("If someone else answers, what should we say? (optional)"),
                               [Optional(), at_most(200)],
                               description=_l("For example a code word, or a reason for calling that will not raise questions."),
                               render_kw={"autocomplete": "off"})
    # The label names the organisation; the template fills it in (see self_referral.html).
    consent = BooleanField(_l("I agree to being contacted in the ways I chose"),
                           [InputRequired(message=_l("Tick the box to agree that we may contact you"))])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        methods = {self.preferred.data} - {None}
        ok = self.check_contact_details(methods) and ok
        if "home" in methods and not self.address.data and not self.address.errors:
            self.address.errors = [*self.address.errors, _l("Enter your address so we can visit you at home, or choose another way")]
            ok = False
        return ok

    def answers(self):
        contact = {"methods": [self.preferred.data], "phone": self.phone.data or None,
                   "email": self.email.data or None, "voicemail": self.voicemail.data,
                   "someone_else": self.someone_else.data or None, "safe_times": None}
        return None, contact, {"address": self.address.data or None}, None


class MoreFields(HavenForm):
    """A "tell us more" page: the one-time token that adds to her referral, and which page it is.

    No CSRF token: the one-time token is itself a secret no other site can know, so it does that
    work, and the session cookie that would carry a CSRF token can go as soon as she has sent.
    """

    class Meta(HavenForm.Meta):
        csrf = False

    more_token = HiddenField()
    step = HiddenField()
    # Said under the page's heading, when the page needs more than its title.
    lead = None

    def changes(self) -> dict:
        """What this page adds: parts of the referral ("details", "contact", "name", "message")."""
        raise NotImplementedError


class SituationForm(MoreFields):
    title = _l("Your situation")
    danger_now = RadioField(_l("Are you in danger now? (optional)"), choices=YES_NO, validators=[Optional()])
    lives_with = RadioField(_l("Does the person harming you live with you? (optional)"),
                            choices=LIVES_WITH, validators=[Optional()])
    children_in_home = RadioField(_l("Do children live in your home? (optional)"), choices=YES_NO,
                                  validators=[Optional()])
    children_at_risk = RadioField(_l("Do you think any children are at risk of harm? (optional)"),
                                  choices=YES_NO_NOT_SURE, validators=[Optional()])
    abuse_kinds = CheckboxesField(_l("What kinds of abuse are happening? (optional)"), choices=ABUSE_KINDS,
                                  validators=[Optional()], description=_l("Choose all that apply."))

    def changes(self):
        return {"details": {name: getattr(self, name).data or None for name in (
            "danger_now", "lives_with", "children_in_home", "children_at_risk", "abuse_kinds")}}


class HelpForm(MoreFields):
    title = _l("The help you want")
    help_wanted = CheckboxesField(_l("What help would you like? (optional)"), choices=HELP_WANTED,
                                  validators=[Optional()], description=_l("Choose all that apply."))
    help_other = StringField(_l("Tell us about the other help you would like (optional)"),
                             [Optional(), at_most(300)])
    message = TextAreaField(_l("Anything else you want to tell us (optional)"),
                            [Optional(), at_most(5000)],
                            render_kw={"autocomplete": "off", "rows": 6, "maxlength": 5000})

    def changes(self):
        return {"details": {"help_wanted": self.help_wanted.data or None, "help_other": self.help_other.data or None},
                "message": self.message.data or None}


class AboutForm(MoreFields):
    title = _l("About you, language and access")
    name = StringField(_l("What should we call you? (optional)"), [Optional(), at_most(100)],
                       description=_l("Any name you like. It does not have to be your real name."),
                       render_kw={"autocomplete": "off"})
    tenant = RadioField(_l("Are you one of our tenants? (optional)"), choices=YES_NO_NOT_SURE,
                        validators=[Optional()])
    also_ok = CheckboxesField(_l("Other ways that are also safe (optional)"), choices=METHODS,
                              validators=[Optional()])
    safe_times = StringField(_l("Safe days and times to contact you (optional)"), [Optional(), at_most(200)],
                             render_kw={"autocomplete": "off"})
    language = StringField(_l("Which language would you like us to use? (optional)"),
                           [Optional(), at_most(60)])
    interpreter = RadioField(_l("Do you need an interpreter? (optional)"), choices=YES_NO, validators=[Optional()])
    access_needs = CheckboxesField(_l("Communication or access needs (optional)"), choices=ACCESS_NEEDS,
                                   validators=[Optional()])
    access_other = StringField(_l("Anything else about your needs (optional)"), [Optional(), at_most(300)])

    def changes(self):
        return {"name": self.name.data or None,
                "contact": {"also_ok": self.also_ok.data or [], "safe_times": self.safe_times.data or None},
                "details": {name: getattr(self, name).data or None for name in (
                    "tenant", "language", "interpreter", "access_needs", "access_other")}}


class EqualityForm(MoreFields):
    """Equality monitoring (whg 4.1), last of all and clearly optional: stored apart from her
    referral (models/equality.py) and only ever counted."""

    title = _l("Equality questions")
    lead = _l("These questions are optional. We ask them to check that our help reaches everyone equally. "
              "Your answers are kept apart from your message: the person helping you does not see them, "
              "and we only count them together with everyone else's.")
    gender = RadioField(_l("What is your gender? (optional)"), choices=GENDERS, validators=[Optional()])
    age_band = RadioField(_l("How old are you? (optional)"), choices=AGE_BANDS, validators=[Optional()])
    disability = RadioField(_l("Do you have a disability or a long-term health condition? (optional)"),
                            choices=DISABILITY, validators=[Optional()])
    ethnic_group = RadioField(_l("What is your ethnic group? (optional)"), choices=ETHNIC_GROUPS,
                              validators=[Optional()])
    sexual_orientation = RadioField(_l("What is your sexual orientation? (optional)"), choices=SEXUAL_ORIENTATIONS,
                                    validators=[Optional()])

    def changes(self):
        return {"equality": {name: getattr(self, name).data or None for name in (
            "gender", "age_band", "disability", "ethnic_group", "sexual_orientation")}}


# The optional pages, in the order she meets them.
MORE_STEPS = {"situation": SituationForm, "help": HelpForm, "about": AboutForm, "equality": EqualityForm}


class ConcernForm(ContactFields, SafetyFields):
    who = StringField(_l("Who are you worried about? (optional)"), [Optional(), at_most(200)],
                      description=_l("A name or a description. You can leave this empty."),
                      render_kw={"autocomplete": "off"})
    where = StringField(_l("Where do they live, if you know? (optional)"), [Optional(), at_most(300)],
                        render_kw={"autocomplete": "off"})
    worry = TextAreaField(_l("What worries you?"),
                          [InputRequired(message=_l("Tell us what worries you")), not_blank,
                           at_most(5000)],
                          render_kw={"autocomplete": "off", "rows": 6, "maxlength": 5000})
    danger_now = RadioField(_l("Is anyone in danger now?"), choices=YES_NO_NOT_SURE,
                            validators=[InputRequired(message=_l("Tell us if anyone is in danger now"))])
    contact_back = RadioField(
        _l("May we contact you about this?"),
        choices=options(("yes", _l("Yes, you may contact me")), ("no", _l("No, I want to stay anonymous"))),
        validators=[InputRequired(message=_l("Tell us if we may contact you"))])
    reporter_name = StringField(_l("Your name (optional)"), [Optional(), at_most(100)],
                                render_kw={"autocomplete": "off"})
    method = RadioField(_l("How should we contact you?"), choices=METHODS[:3], validators=[Optional()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.contact_back.data == "yes":
            if not self.method.data:
                self.method.errors = [*self.method.errors, _l("Choose how we should contact you")]
                ok = False
            ok = self.check_contact_details({self.method.data}) and ok
        return ok

    def answers(self):
        wants_contact = self.contact_back.data == "yes"
        contact = {"methods": [self.method.data] if wants_contact else [],
                   "phone": (self.phone.data or None) if wants_contact else None,
                   "email": (self.email.data or None) if wants_contact else None}
        details = {"who": self.who.data or None, "where": self.where.data or None,
                   "danger_now": self.danger_now.data, "anonymous": not wants_contact}
        name = (self.reporter_name.data or None) if wants_contact else None
        return name, contact, details, self.worry.data

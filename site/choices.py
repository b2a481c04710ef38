"""The answers a resident can choose, in her words: the public forms ask them, and the staff pages
show them back (staff/ and public/ both import this, so neither imports the other)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice


def options(*pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


YES_NO = options(("yes", _l("Yes")), ("no", _l("No")))
YES_NO_NOT_SURE = [*YES_NO, *options(("not_sure", _l("Not sure")))]
LIVES_WITH = [*YES_NO, *options(("prefer_not", _l("I prefer not to say")))]
METHODS = options(
    ("call", _l("Phone call")),
    ("text", _l("Text message")),
    ("email", _l("Email")),
    ("home", _l("Face to face at home")),
    ("office", _l("Face to face at one of our offices")),
)
ABUSE_KINDS = options(
    ("physical", _l("Physical")),
    ("emotional", _l("Emotional or psychological")),
    ("sexual", _l("Sexual")),
    ("financial", _l("Financial or economic")),
    ("coercive", _l("Coercive control")),
    ("stalking", _l("Stalking or harassment")),
    ("online", _l("Online")),
    ("honour", _l("Honour-based abuse")),
    ("forced_marriage", _l("Forced marriage")),
    ("fgm", _l("Female genital mutilation (FGM)")),
)
HELP_WANTED = options(
    ("advice", _l("Advice and information")),
    ("safer_home", _l("Making my home safer")),
    ("moving", _l("Talking about moving home")),
    ("specialist", _l("Referral to a specialist domestic abuse service or an IDVA")),
    ("tenancy_money", _l("Help with my tenancy or money")),
    ("other", _l("Something else")),
)
ACCESS_NEEDS = options(
    ("bsl", _l("British Sign Language (BSL)")),
    ("large_print", _l("Large print")),
    ("disability", _l("A disability we should take into account")),
)


def label(choices: list[SelectChoice], value) -> str:
    """The words of one answer, or the value itself for one no longer offered."""
    return next((str(choice.label) for choice in choices if choice.value == value), str(value))


# Equality monitoring (whg 4.1): optional questions at the end of the self-referral, after the
# ONS 2021 census's broad groups, each with "I prefer not to say". Counted only in aggregate
# (services/reports.py), never shown beside a referral.
PREFER_NOT = options(("prefer_not", _l("I prefer not to say")))
GENDERS = [*options(
    ("woman", _l("Woman")),
    ("man", _l("Man")),
    ("non_binary", _l("Non-binary")),
    ("another", _l("I describe my gender another way")),
), *PREFER_NOT]
AGE_BANDS = [*options(
    ("under_18", _l("Under 18")),
    *((f"{low}_{high}", _l("%(low)d to %(high)d", low=low, high=high))
      for low, high in ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 74))),
    ("75_over", _l("75 or over")),
), *PREFER_NOT]
DISABILITY = [*YES_NO, *PREFER_NOT]
ETHNIC_GROUPS = [*options(
    ("asian", _l("Asian or Asian British")),
    ("black", _l("Black, Black British, Caribbean or African")),
    ("mixed", _l("Mixed or multiple ethnic groups")),
    ("white", _l("White")),
    ("other", _l("Another ethnic group")),
), *PREFER_NOT]
SEXUAL_ORIENTATIONS = [*options(
    ("straight", _l("Straight or heterosexual")),
    ("gay_lesbian", _l("Gay or lesbian")),
    ("bisexual", _l("Bisexual")),
    ("other", _l("Another sexual orientation")),
), *PREFER_NOT]
# Each question: its column in equality_response, its options.
EQUALITY_QUESTIONS = {
    "gender": GENDERS,
    "age_band": AGE_BANDS,
    "disability": DISABILITY,
    "ethnic_group": ETHNIC_GROUPS,
    "sexual_orientation": SEXUAL_ORIENTATIONS,
}

"""Arbitrary input never breaks the forms, and whatever is accepted comes back exactly."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from haven import db
from haven.models import Referral
from haven.services import referrals
from tests.unit.test_referrals import CONCERN, FORM, MORE, hidden, open_form

FIELDS = ["address", "preferred", "phone", "voicemail", "someone_else", "email", "consent"]
MORE_FIELDS = ["name", "tenant", "also_ok", "safe_times", "language", "interpreter", "access_needs",
               "access_other", "danger_now", "lives_with", "children_in_home", "children_at_risk",
               "abuse_kinds", "help_wanted", "help_other", "message", "step", "finish", "gender", "age_band",
               "disability", "ethnic_group", "sexual_orientation"]

anything = st.one_of(st.text(max_size=300), st.text(max_size=6000), st.sampled_from(
    ["call", "email", "home", "yes", "no", "y", "07700 900 982", "a@b.co", "\x00", "' OR 1=1 --",
     "<script>alert(1)</script>", "%(x)s", "{{7*7}}", "\u202e\u0627\u0644", "😀" * 50]))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), anything, max_size=len(FIELDS)))
def test_any_answers_give_a_page_never_a_500(client, answers):
    response = client.post(FORM, data={**open_form(client), **answers})
    assert response.status_code in (200, 303)
    html = response.get_data(as_text=True)
    if response.status_code == 200:
        assert "There is a problem" in html or "Your message has been sent" in html


def _first_page_sent(client) -> str:
    return client.post(FORM, data={**open_form(client), "preferred": "office", "consent": "y"}).get_data(as_text=True)


@FUZZ
@given(st.dictionaries(st.sampled_from(MORE_FIELDS), anything, max_size=len(MORE_FIELDS)),
       st.sampled_from(["situation", "help", "about", "equality"]))
def test_any_optional_answers_give_a_page_never_a_500(client, answers, step):
    html = _first_page_sent(client)
    fields = {"more_token": hidden(html, "more_token"), "step": step}
    response = client.post(MORE, data={**fields, **answers})
    assert response.status_code in (200, 400)


@FUZZ
@given(st.text(min_size=1, max_size=5000), st.text(max_size=100))
def test_accepted_text_round_trips_exactly(app, client, message, name):
    html = _first_page_sent(client)
    html = client.post(MORE, data={"more_token": hidden(html, "more_token"),
                                   "step": "situation"}).get_data(as_text=True)
    response = client.post(MORE, data={"more_token": hidden(html, "more_token"), "step": "help", "message": message})
    # Any text up to the limit is accepted: a refusal here is a failure, never a pass.
    assert response.status_code == 200 and "There is a problem" not in response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    client.post(MORE, data={"more_token": hidden(html, "more_token"),
                            "step": "about", "name": name})
    with app.app_context():
        referral = db.session().scalars(select(Referral).order_by(Referral.id.desc()).limit(1)).one()
        sent = referrals.read(app.extensions["haven_keyring"], referral)
    # Form data arrives with line endings as sent; nothing else may change.
    assert sent.message == message
    assert sent.name == (name.strip() or None)


@FUZZ
@given(st.dictionaries(st.sampled_from(["who", "where", "worry", "danger_now", "contact_back", "reporter_name",
                                         "method", "phone", "email"]), anything))
def test_any_concern_gives_a_page_never_a_500(client, answers):
    assert client.post(CONCERN, data={**open_form(client, CONCERN), **answers}).status_code in (200, 303)

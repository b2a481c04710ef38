"""Staff accounts: set-up, two-step sign-in, throttling, sessions, roles and the audit trail."""
from __future__ import annotations

import re
import subprocess
import sys

import argon2
import pytest
from sqlalchemy import select

from haven import db
from haven.models import AuditEvent, SignInAttempt, StaffSession, StaffUser
from haven.security import passwords
from haven.services import staff
from tests.helpers import PASSWORD, code_at, csrf, make_account, sign_in


def actions(app):
    with app.app_context():
        return [event.action for event in db.session().scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- passwords -----------------------------------------------------------------------------------

@pytest.mark.parametrize("password, ok", [
    ("short", False), ("elevenchars", False), ("password1234", False), ("aaaaaaaaaaaaaaaa", False),
    ("correct horse battery staple", True), ("zażółć gęślą jaźń 🙂", True), ("x" * 128 + "yz!", True),
])
def test_password_rules_are_length_and_commonness_not_composition(password, ok):
    assert (passwords.problem(password) is None) is ok


def test_production_hashes_passwords_with_argon2s_recommended_parameters():
    """RFC 9106's second recommended option, argon2-cffi's default: argon2id, 3 passes, 64 MiB,
    4 lanes. In a process of its own: this suite hashes with cheaper ones (tests/conftest.py)."""
    made = subprocess.run([sys.executable, "-c", "from haven.security import passwords; "
                           "print(passwords.hash_password('correct horse battery staple'))"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    parameters = argon2.extract_parameters(made)
    assert made.startswith("$argon2id$")
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)


def test_passwords_are_argon2id_and_rehashed_when_parameters_change(app, clock, monkeypatch):
    email, secret, _ = make_account(app)
    with app.app_context():
        user = db.session().scalar(select(StaffUser))
        assert user.password_hash.startswith("$argon2id$")
        old = user.password_hash
    monkeypatch.setattr(passwords, "needs_rehash", lambda stored: True)
    with app.app_context():
        assert staff.check_password(db.session(), email, PASSWORD, "client").user is not None
        assert db.session().scalar(select(StaffUser)).password_hash != old


# --- set-up --------------------------------------------------------------------------------------

def test_cli_creates_an_account_with_a_one_time_setup_link_and_no_password(app, runner):
    result = runner.invoke(args=["staff", "create", "--email", "New@Example.org", "--role", "editor"])
    assert result.exit_code == 0
    link = re.search(r"/staff/setup/(\S+)", result.output)
    assert link
    with app.app_context():
        user = db.session().scalar(select(StaffUser))
        assert user.email == "new@example.org" and user.password_hash is None and not user.ready
    assert "staff.created" in actions(app)
    assert runner.invoke(args=["staff", "create", "--email", "x@example.org", "--role", "root"]).exit_code != 0


def test_setup_link_enrols_totp_sets_the_password_and_shows_recovery_codes_once(app, client, runner, clock):
    token = re.search(r"/staff/setup/(\S+)", runner.invoke(
        args=["staff", "create", "--email", "n@example.org", "--role", "caseworker"]).output).group(1)
    page = client.get(f"/staff/setup/{token}").get_data(as_text=True)
    assert "<svg" in page and "QR code for your authenticator app" in page
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)
    bad = client.post(f"/staff/setup/{token}", data={"csrf_token": csrf(client, f"/staff/setup/{token}"),
                                                     "password": "password1234", "code": code_at(secret, clock.now)})
    assert "too common" in bad.get_data(as_text=True)
    done = client.post(f"/staff/setup/{token}", data={"csrf_token": csrf(client, f"/staff/setup/{token}"),
                                                      "password": PASSWORD, "code": code_at(secret, clock.now)})
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>[0-9a-f]{5}(?:-[0-9a-f]{5}){3}</code></li>", done.get_data(as_text=True))) == 10
    assert client.get(f"/staff/setup/{token}").status_code == 404  # used once


def test_an_expired_setup_link_cannot_be_used(app, client, runner, clock):
    token = re.search(r"/staff/setup/(\S+)", runner.invoke(
        args=["staff", "create", "--email", "n@example.org", "--role", "caseworker"]).output).group(1)
    clock.advance(hours=73)
    assert client.get(f"/staff/setup/{token}").status_code == 404


def test_setup_links_last_24_hours_by_default(app, client, runner, clock):
    assert app.config["STAFF_SETUP_LINK_HOURS"] == 24
    output = runner.invoke(args=["staff", "create", "--email", "n@example.org", "--role", "caseworker"]).output
    token = re.search(r"/staff/setup/(\S+)", output).group(1)
    clock.advance(hours=23, minutes=59)
    assert client.get(f"/staff/setup/{token}").status_code == 200
    clock.advance(minutes=2)
    assert client.get(f"/staff/setup/{token}").status_code == 404


# --- sign-in -------------------------------------------------------------------------------------

def test_sign_in_needs_password_then_code_and_starts_a_server_side_session(app, client, clock):
    email, secret, _ = make_account(app)
    response = sign_in(client, email, secret, clock.now)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("haven_staff=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Expires" not in cookie
    assert client.get("/staff/").status_code == 200
    assert {"staff.password_ok", "staff.second_factor_ok", "staff.signed_in"} <= set(actions(app))
    with app.app_context():
        signed_in = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "staff.signed_in"))
        assert re.fullmatch(r"[0-9a-f]{64}", signed_in.client_hmac) and signed_in.actor == email


def test_the_same_message_whether_or_not_the_email_exists(app, client, clock):
    email, secret, _ = make_account(app)
    wrong_password = sign_in(client, email, secret, clock.now, password="not the password at all")
    unknown = sign_in(client, "nobody@example.org", secret, clock.now)
    assert wrong_password.status_code == unknown.status_code == 200
    message = "The email address or password is not right"
    assert message in wrong_password.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_a_password_typed_into_the_email_box_is_never_kept(app, client, clock):
    email, secret, _ = make_account(app)
    sign_in(client, "MySecretPassw0rd!", secret, clock.now)
    with app.app_context():
        actors = db.session().scalars(select(AuditEvent.actor)).all()
    assert "MySecretPassw0rd!" not in actors and "mysecretpassw0rd!" not in actors
    assert "unknown" in actors


def test_a_totp_code_is_accepted_once_only(app, client, clock):
    email, secret, _ = make_account(app)
    clock.advance(minutes=1)
    code = code_at(secret, clock.now)
    assert sign_in(client, email, secret, clock.now, code=code).status_code == 303
    other = app.test_client()
    replay = sign_in(other, email, secret, clock.now, code=code)
    assert replay.status_code == 200 and "used already" in replay.get_data(as_text=True)


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
EXTENDED_ARABIC_INDIC = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.mark.parametrize("digits", [ARABIC_INDIC, EXTENDED_ARABIC_INDIC], ids=["arabic-indic", "persian-urdu"])
def test_a_code_typed_with_other_digits_is_accepted(app, client, clock, digits):
    email, secret, _ = make_account(app)
    clock.advance(minutes=1)
    code = code_at(secret, clock.now).translate(digits)
    assert sign_in(client, email, secret, clock.now, code=code).status_code == 303


@pytest.mark.parametrize("code", ["12345٦x", "１２３４５６７", "①②③④⑤⑥", "ab😀cd", "\u0000" * 6])
def test_a_code_that_is_not_six_digits_gets_the_normal_message(app, client, clock, code):
    email, secret, _ = make_account(app)
    response = sign_in(client, email, secret, clock.now, code=code)
    assert response.status_code == 200 and "Traceback" not in response.get_data(as_text=True)
    assert "/staff/" != response.headers.get("Location")


def test_a_recovery_code_works_once(app, client, clock):
    email, secret, codes = make_account(app)
    assert sign_in(client, email, secret, clock.now, code=codes[0]).status_code == 303
    assert sign_in(app.test_client(), email, secret, clock.now, code=codes[0]).status_code == 200


def _stale_pair(app, email):
    """The account as two simultaneous requests see it: both read the row before either writes."""
    first, second = app.extensions["haven_db"](), app.extensions["haven_db"]()
    users = []
    for database in (first, second):
        users.append(database.scalar(select(StaffUser).where(StaffUser.email == email)))
        database.commit()  # end the read (SQLite's write lock), keep the objects as they were read
    return (first, users[0]), (second, users[1])


def test_two_simultaneous_requests_cannot_both_use_one_totp_step(app, clock):
    email, secret, _ = make_account(app)
    clock.advance(minutes=1)
    code = code_at(secret, clock.now)
    with app.app_context():
        keyring = app.extensions["haven_keyring"]
        (first, user_a), (second, user_b) = _stale_pair(app, email)
        try:
            assert user_b.totp_last_step == user_a.totp_last_step  # both saw the step unused
            results = [staff.check_second_factor(first, keyring, user_a, code, "client-a"),
                       staff.check_second_factor(second, keyring, user_b, code, "client-b")]
        finally:
            first.close(), second.close()
    assert results == [True, False]


def test_two_simultaneous_requests_cannot_both_use_one_recovery_code(app, clock, monkeypatch):
    email, secret, codes = make_account(app)
    with app.app_context():
        keyring = app.extensions["haven_keyring"]
        (first, user_a), (second, user_b) = _stale_pair(app, email)
        # Both requests found the code unused before either marked it used.
        stale = {}
        for database, user in ((first, user_a), (second, user_b)):
            stale[id(database)] = staff._unused_recovery_code(database, user, codes[0])
            database.commit()
        assert all(code is not None and code.used_at is None for code in stale.values())
        monkeypatch.setattr(staff, "_unused_recovery_code", lambda database, user, code: stale[id(database)])
        try:
            results = [staff.check_second_factor(first, keyring, user_a, codes[0], "client-a"),
                       staff.check_second_factor(second, keyring, user_b, codes[0], "client-b")]
        finally:
            first.close(), second.close()
    assert results == [True, False]
    assert actions(app).count("staff.second_factor_ok") == 1


def fail_password(app, email, client, times, clock):
    with app.app_context():
        for _ in range(times):
            assert staff.check_password(db.session(), email, "wrong password here", client).user is None


def test_failed_attempts_bring_growing_waits_not_a_lock(app, client, clock):
    email, secret, _ = make_account(app)
    for _ in range(staff.MAX_FAILURES_PER_ACCOUNT):
        sign_in(client, email, secret, clock.now, password="wrong password here")
    refused = sign_in(client, email, secret, clock.now)  # even the right password, during the wait
    assert refused.status_code == 200 and "The email address or password is not right" in refused.get_data(as_text=True)
    assert "staff.sign_in_throttled" in actions(app)
    clock.advance(seconds=1)  # 2^(5-5) s after the fifth failure
    assert sign_in(client, email, secret, clock.now).status_code == 303


def test_each_further_failure_doubles_the_wait_and_refused_attempts_do_not_extend_it(app, clock):
    email, secret, _ = make_account(app)
    fail_password(app, email, "c", staff.MAX_FAILURES_PER_ACCOUNT, clock)
    waits = []
    with app.app_context():
        database = db.session()
        user = database.scalar(select(StaffUser))
        for _ in range(4):
            wait = staff.required_wait(database, user, "c", clock.now)
            waits.append(wait.total_seconds())
            for _ in range(3):  # refused during the wait: they neither count nor extend it
                assert staff.check_password(database, email, "wrong password here", "c").throttled
            assert staff.required_wait(database, user, "c", clock.now).total_seconds() == wait.total_seconds()
            clock.advance(seconds=wait.total_seconds())
            assert not staff.check_password(database, email, "wrong password here", "c").throttled
        clock.advance(seconds=staff.required_wait(database, user, "c", clock.now).total_seconds())
        assert staff.check_password(database, email, PASSWORD, "c").user is not None  # right after the wait
    assert waits == [1, 2, 4, 8]


def test_the_wait_is_capped_and_someone_elsewhere_cannot_keep_the_account_locked(app, client, clock):
    email, secret, _ = make_account(app)
    with app.app_context():
        database = db.session()
        user = database.scalar(select(StaffUser))
        for _ in range(25):  # guessing as fast as the waits allow
            clock.advance(seconds=staff.required_wait(database, user, "attacker", clock.now).total_seconds())
            assert staff.check_password(database, email, "wrong password here", "attacker").user is None
        assert staff.required_wait(database, user, "attacker", clock.now) == staff.MAX_WAIT
        database.commit()
    assert sign_in(client, email, secret, clock.now).status_code == 303  # the person, at her own desk


def test_throttled_attempts_leave_one_audit_row_per_wait(app, client, clock):
    email, secret, _ = make_account(app)
    for _ in range(staff.MAX_FAILURES_PER_ACCOUNT):
        sign_in(client, email, secret, clock.now, password="wrong password here")
    for _ in range(30):
        sign_in(client, email, secret, clock.now, password="wrong password here")
    assert actions(app).count("staff.sign_in_throttled") == 1
    clock.advance(seconds=1)
    sign_in(client, email, secret, clock.now, password="wrong password here")  # counts: the wait is now 2 s
    for _ in range(10):
        sign_in(client, email, secret, clock.now, password="wrong password here")
    assert actions(app).count("staff.sign_in_throttled") == 2


def test_throttled_guesses_at_unknown_addresses_leave_one_audit_row(app, client, clock, monkeypatch):
    monkeypatch.setattr(staff, "MAX_FAILURES_PER_CLIENT", 3)
    for n in range(30):
        sign_in(client, f"guess{n}@example.org", "", clock.now, password="wrong password here")
    assert actions(app).count("staff.sign_in_throttled") == 1
    assert actions(app).count("staff.sign_in_failed") == 3


def test_every_sign_in_path_does_one_argon2_verification(app, clock, monkeypatch):
    email, secret, _ = make_account(app)
    fail_password(app, email, "throttled-client", staff.MAX_FAILURES_PER_ACCOUNT, clock)
    calls = []
    real = passwords._hasher

    class Counting:
        def verify(self, *args):
            calls.append(1)
            return real.verify(*args)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    with app.app_context():
        for address, client in [(email, "throttled-client"), ("nobody@example.org", "c1"),
                                (email, "c2"), ("nobody@example.org", "throttled-client")]:
            calls.clear()
            staff.check_password(db.session(), address, "wrong password here", client)
            assert len(calls) == 1, (address, client)


def test_failed_attempts_are_throttled_per_client_address(app, client, clock, monkeypatch):
    email, secret, _ = make_account(app)
    monkeypatch.setattr(staff, "MAX_FAILURES_PER_CLIENT", 3)
    for n in range(3):
        sign_in(client, f"guess{n}@example.org", secret, clock.now)
    assert sign_in(client, email, secret, clock.now).status_code == 200
    with app.app_context():
        stored = db.session().scalars(select(SignInAttempt.client_hmac)).all()
    assert stored and all(re.fullmatch(r"[0-9a-f]{64}", value) for value in stored)  # never the raw address


# --- sessions ------------------------------------------------------------------------------------

def test_idle_and_absolute_timeouts(app, client, clock):
    email, secret, _ = make_account(app)
    sign_in(client, email, secret, clock.now)
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/staff/").status_code == 303  # idle for 31 minutes
    clock.advance(minutes=1)
    sign_in(client, email, secret, clock.now)
    for _ in range(30):  # 12.5 hours, never idle
        clock.advance(minutes=25)
        response = client.get("/staff/")
    assert response.status_code == 303  # over 12 hours, however active


def test_sign_out_revokes_the_session_and_a_replayed_cookie_is_refused(app, client, clock):
    email, secret, _ = make_account(app)
    sign_in(client, email, secret, clock.now)
    token = client.get_cookie("haven_staff").value
    response = client.post("/staff/sign-out", data={"csrf_token": csrf(client, "/staff/")})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'
    assert client.get_cookie("haven_staff") is None
    client.set_cookie("haven_staff", token)
    assert client.get("/staff/").status_code == 303
    assert "staff.signed_out" in actions(app)


def test_a_new_sign_in_ends_the_session_already_in_that_browser(app, client, clock):
    _, first_secret, _ = make_account(app, email="first@example.org")
    email, secret, _ = make_account(app, email="second@example.org")
    sign_in(client, "first@example.org", first_secret, clock.now)
    old = client.get_cookie("haven_staff").value
    clock.advance(seconds=31)
    assert sign_in(client, email, secret, clock.now).status_code == 303
    assert client.get_cookie("haven_staff").value != old
    replay = app.test_client()
    replay.set_cookie("haven_staff", old)
    assert replay.get("/staff/").status_code == 303  # the first person's session ended
    assert "staff.session_replaced" in actions(app)


def test_disabling_an_account_ends_its_sessions(app, client, clock):
    email, secret, _ = make_account(app)
    sign_in(client, email, secret, clock.now)
    with app.app_context():
        db.session().scalar(select(StaffUser)).active = False
        db.session().commit()
    assert client.get("/staff/").status_code == 303
    with app.app_context():
        assert db.session().scalar(select(StaffSession)).revoked_at is not None


# --- every staff route, every role -----------------------------------------------------------------

PUBLIC_STAFF = {"staff.sign_in", "staff.second_factor", "staff.setup"}


def staff_requests(app, user_id):
    """(endpoint, method, url) for every staff route that needs a signed-in person."""
    args = {"user_id": user_id, "session_id": 999999, "change": "disable", "listing_id": 999999, "number": 1,
            "reference": "HV-ZZZZZ", "round_id": 999999, "public_id": "00000000-0000-4000-8000-000000000000"}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("staff.", "editor.")) or rule.endpoint in PUBLIC_STAFF:
            continue
        values = {name: args[name] for name in rule.arguments}
        if rule.endpoint == "editor.change":
            values["change"] = "publish"
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def send(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf(client, "/staff/sign-in")})


def test_anonymous_requests_to_staff_pages_go_to_sign_in(app, client):
    walked = list(staff_requests(app, 1))
    assert len(walked) >= 18
    for endpoint, method, url in walked:
        response = send(client, method, url)
        assert response.status_code == 303 and response.headers["Location"] == "/staff/sign-in", endpoint


# Written by hand, not read from the guards: which roles may reach each staff and editor route.
# A route missing here fails the walk; loosening a guard (admin reaching referrals, say) fails it too.
EVERYONE = frozenset(staff.ROLES)
ADMIN, EDITOR, REFERRALS = frozenset({"admin"}), frozenset({"editor"}), frozenset({"caseworker", "manager"})
MANAGER = frozenset({"manager"})
ROUTE_ROLES = {
    ("staff.sign_out", "POST"): EVERYONE,
    ("staff.home", "GET"): EVERYONE,
    ("staff.inbox", "GET"): REFERRALS,
    ("staff.referral", "GET"): REFERRALS,
    ("staff.reveal", "POST"): REFERRALS,
    ("staff.assign", "POST"): REFERRALS,
    ("staff.status", "POST"): REFERRALS,
    ("staff.contact", "POST"): REFERRALS,
    ("staff.note", "POST"): REFERRALS,
    ("staff.close", "POST"): REFERRALS,
    ("staff.reopen", "POST"): REFERRALS,
    ("staff.bar", "POST"): MANAGER,
    ("staff.lift_bar", "POST"): MANAGER,
    ("staff.assess", "POST"): REFERRALS,
    ("staff.marac", "POST"): REFERRALS,
    ("staff.safeguarding_raise", "POST"): REFERRALS,
    ("staff.safeguarding_report", "POST"): REFERRALS,
    ("staff.safeguarding_no_report", "POST"): REFERRALS,
    ("staff.safeguarding_confirm", "POST"): MANAGER,
    ("staff.advice", "POST"): REFERRALS,
    ("staff.works", "POST"): REFERRALS,
    ("staff.works_stage", "POST"): REFERRALS,
    ("staff.move_assessment", "POST"): REFERRALS,
    ("staff.move_decision", "POST"): REFERRALS,
    ("staff.banding", "POST"): REFERRALS,
    ("staff.move_agreement", "POST"): REFERRALS,
    ("staff.offer", "POST"): REFERRALS,
    ("staff.transfer", "POST"): REFERRALS,
    ("staff.consent", "POST"): REFERRALS,
    ("staff.partner_referral", "POST"): REFERRALS,
    ("staff.share_confirm", "POST"): MANAGER,
    ("staff.wishes", "POST"): REFERRALS,
    ("staff.perpetrator_action", "POST"): REFERRALS,
    ("staff.handover", "POST"): REFERRALS,
    ("staff.complaint", "POST"): MANAGER,
    ("staff.complaint_resolved", "POST"): MANAGER,
    ("staff.reports_page", "GET"): MANAGER,
    ("staff.reports_print", "GET"): MANAGER,
    ("staff.reports_csv", "GET"): MANAGER,
    ("staff.reviews_page", "GET"): MANAGER,
    ("staff.draw_review", "POST"): MANAGER,
    ("staff.review_round", "GET"): MANAGER,
    ("staff.review_case", "GET"): MANAGER,
    ("staff.record_review", "POST"): MANAGER,
    ("staff.evidence_attach", "POST"): REFERRALS,
    ("staff.evidence_download", "POST"): REFERRALS,
    ("staff.legal_hold", "POST"): MANAGER,
    ("staff.legal_hold_lift", "POST"): MANAGER,
    ("staff.feedback_link", "POST"): REFERRALS,
    ("staff.my_account", "GET"): EVERYONE,
    ("staff.end_my_session", "POST"): EVERYONE,
    ("staff.change_password", "GET"): EVERYONE,
    ("staff.change_password", "POST"): EVERYONE,
    ("staff.reenrol", "GET"): EVERYONE,
    ("staff.reenrol", "POST"): EVERYONE,
    ("staff.new_recovery_codes", "GET"): EVERYONE,
    ("staff.new_recovery_codes", "POST"): EVERYONE,
    ("staff.accounts", "GET"): ADMIN,
    ("staff.new_account", "GET"): ADMIN,
    ("staff.new_account", "POST"): ADMIN,
    ("staff.account", "GET"): ADMIN,
    ("staff.account_roles", "POST"): ADMIN,
    ("staff.account_active", "POST"): ADMIN,
    ("staff.end_account_session", "POST"): ADMIN,
    ("staff.audit_log", "GET"): ADMIN,
    ("editor.dashboard", "GET"): EDITOR,
    ("editor.new_listing", "GET"): EDITOR,
    ("editor.new_listing", "POST"): EDITOR,
    ("editor.edit_listing", "GET"): EDITOR,
    ("editor.edit_listing", "POST"): EDITOR,
    ("editor.listing", "GET"): EDITOR,
    ("editor.change", "POST"): EDITOR,
    ("editor.revision", "GET"): EDITOR,
    ("editor.revert", "POST"): EDITOR,
}


def test_the_route_table_names_every_staff_and_editor_route(app):
    walked = {(endpoint, method) for endpoint, method, _ in staff_requests(app, 1)}
    assert walked - set(ROUTE_ROLES) == set(), "routes missing from ROUTE_ROLES: say who may reach them"
    assert set(ROUTE_ROLES) - walked == set(), "ROUTE_ROLES names routes that no longer exist"
    referral_routes = {"staff.inbox", "staff.referral", "staff.reveal", "staff.assign", "staff.status", "staff.contact",
                       "staff.note", "staff.close", "staff.reopen", "staff.bar", "staff.lift_bar", "staff.assess", "staff.marac",
                       "staff.safeguarding_raise", "staff.safeguarding_report", "staff.safeguarding_no_report",
                       "staff.safeguarding_confirm", "staff.advice", "staff.works", "staff.works_stage",
                       "staff.move_assessment", "staff.move_decision", "staff.banding", "staff.move_agreement",
                       "staff.offer", "staff.transfer", "staff.consent", "staff.partner_referral", "staff.share_confirm",
                       "staff.wishes", "staff.perpetrator_action", "staff.handover", "staff.complaint",
                       "staff.complaint_resolved", "staff.reports_page", "staff.reports_print", "staff.reports_csv",
                       "staff.reviews_page", "staff.draw_review", "staff.review_round", "staff.review_case",
                       "staff.record_review", "staff.evidence_attach",
                       "staff.evidence_download", "staff.feedback_link", "staff.legal_hold", "staff.legal_hold_lift"}
    assert not any(ROUTE_ROLES[key] & {"admin", "editor"} for key in ROUTE_ROLES if key[0] in referral_routes)


@pytest.mark.parametrize("role", staff.ROLES)
def test_each_role_reaches_exactly_its_pages(app, client, clock, role):
    make_account(app, email="other@example.org", roles=("caseworker",))
    email, secret, _ = make_account(app, email=f"{role}@example.org", roles=(role,))
    sign_in(client, email, secret, clock.now)
    with app.app_context():
        other_id = db.session().scalar(select(StaffUser.id).where(StaffUser.email == "other@example.org"))
    for endpoint, method, url in staff_requests(app, other_id):
        allowed = role in ROUTE_ROLES[(endpoint, method)]  # KeyError: a route nobody has classified
        response = send(client, method, url)
        if endpoint == "staff.sign_out":
            clock.advance(seconds=31)  # a fresh code: the last one was used
            assert sign_in(client, email, secret, clock.now).status_code == 303
            continue
        if allowed:
            assert response.status_code in (200, 303, 400, 404), (role, endpoint, method)
        else:
            assert response.status_code == 403, (role, endpoint, method)
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert response.headers["Cache-Control"] == "no-store"


def test_the_walk_fails_when_a_guard_is_loosened(app, client, clock, monkeypatch):
    """Give admins referral access in access.PERMISSIONS: the hand-written table must catch it."""
    from haven import access

    monkeypatch.setitem(access.PERMISSIONS, "read_referrals", {"caseworker", "manager", "admin"})
    with pytest.raises(AssertionError, match=r"'staff\.(inbox|referral)'"):
        test_each_role_reaches_exactly_its_pages(app, client, clock, "admin")


# --- administration ------------------------------------------------------------------------------

@pytest.fixture
def admin_client(app, client, clock):
    email, secret, _ = make_account(app, email="admin@example.org", roles=("admin",))
    sign_in(client, email, secret, clock.now)
    return client


def test_admin_creates_an_account_from_the_web_and_gets_its_setup_link(app, admin_client):
    token = csrf(admin_client, "/staff/accounts/new")
    refused = admin_client.post("/staff/accounts/new", data={"csrf_token": token, "email": "x@example.org"})
    assert "Choose at least one role" in refused.get_data(as_text=True)
    created = admin_client.post("/staff/accounts/new", data={"csrf_token": token, "email": "New@example.org",
                                                             "roles": ["caseworker", "manager"]})
    html = created.get_data(as_text=True)
    assert re.search(r"data-setup-link>http://[^<]+/staff/setup/[\w-]+<", html)
    assert "new@example.org" in admin_client.get("/staff/accounts").get_data(as_text=True)


@pytest.fixture
def signed_in_worker(app, clock):
    """A caseworker signed in on their own client: (client, account id)."""
    email, secret, _ = make_account(app, email="worker@example.org", roles=("caseworker",))
    worker = app.test_client()
    sign_in(worker, email, secret, clock.now)
    with app.app_context():
        return worker, db.session().scalar(select(StaffUser.id).where(StaffUser.email == email))


def test_admin_changes_roles_disables_and_re_enables_with_an_audit_trail(app, admin_client, signed_in_worker):
    worker, worker_id = signed_in_worker
    token = csrf(admin_client, f"/staff/accounts/{worker_id}")
    admin_client.post(f"/staff/accounts/{worker_id}/roles", data={"csrf_token": token, "roles": ["editor"]})
    assert worker.get("/staff/inbox").status_code == 403  # caseworker no more
    admin_client.post(f"/staff/accounts/{worker_id}/disable", data={"csrf_token": token})
    assert worker.get("/staff/").status_code == 303  # its session ended
    admin_client.post(f"/staff/accounts/{worker_id}/enable", data={"csrf_token": token})
    assert {"staff.roles_changed", "staff.disabled", "staff.enabled"} <= set(actions(app))
    log = admin_client.get("/staff/audit?action=staff.roles").get_data(as_text=True)
    assert "caseworker -&gt; editor" in log and "staff.disabled" not in log


def test_admin_sees_and_ends_anyones_sessions_but_not_by_a_guessed_pair(app, admin_client, signed_in_worker):
    worker, worker_id = signed_in_worker
    with app.app_context():
        session_id = db.session().scalar(select(StaffSession.id).where(StaffSession.user_id == worker_id))
        admin_id = db.session().scalar(select(StaffUser.id).where(StaffUser.email == "admin@example.org"))
    token = csrf(admin_client, f"/staff/accounts/{worker_id}")
    assert admin_client.post(f"/staff/accounts/{admin_id}/sessions/{session_id}/end",
                             data={"csrf_token": token}).status_code == 404
    assert worker.get("/staff/").status_code == 200
    assert admin_client.post(f"/staff/accounts/{worker_id}/sessions/{session_id}/end",
                             data={"csrf_token": token}).status_code == 303
    assert worker.get("/staff/").status_code == 303


def test_an_admin_cannot_disable_themselves_and_nobody_edits_the_audit_log(app, admin_client):
    with app.app_context():
        admin_id = db.session().scalar(select(StaffUser.id).where(StaffUser.email == "admin@example.org"))
    token = csrf(admin_client, "/staff/accounts")
    assert admin_client.post(f"/staff/accounts/{admin_id}/disable", data={"csrf_token": token}).status_code == 400
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert all(r.methods - {"HEAD", "OPTIONS"} == {"GET"} for r in audit_rules)


def test_production_staff_cookie_is_host_prefixed_secure_and_strict(monkeypatch, test_config, clock):
    from haven import create_app
    from tests.conftest import _empty_tables
    from tests.helpers import production_environ

    for name, value in production_environ(DATABASE_URL=test_config["DATABASE_URL"]).items():
        monkeypatch.setenv(name, value)
    prod = create_app({"INSTANCE_PATH": test_config["INSTANCE_PATH"]})
    try:
        email, secret, _ = make_account(prod)
        client = prod.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        # Over HTTPS, Flask-WTF also wants a same-origin Referer (hence Referrer-Policy: same-origin).
        client.environ_base["HTTP_REFERER"] = "https://localhost/staff/sign-in"
        response = sign_in(client, email, secret, clock.now)
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-haven_staff=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie
    finally:
        _empty_tables(prod)


# --- separation of duties ------------------------------------------------------------------------

def test_nobody_changes_their_own_roles(app, admin_client):
    with app.app_context():
        admin = db.session().scalar(select(StaffUser).where(StaffUser.email == "admin@example.org"))
        with pytest.raises(staff.AccountError):
            staff.set_roles(db.session(), admin, ["admin", "caseworker"], actor="admin@example.org")
        admin_id = admin.id
    page = admin_client.get(f"/staff/accounts/{admin_id}").get_data(as_text=True)
    assert "You cannot change your own roles" in page and "Save roles" not in page
    refused = admin_client.post(f"/staff/accounts/{admin_id}/roles",
                                data={"csrf_token": csrf(admin_client, "/staff/accounts"), "roles": ["admin", "caseworker"]})
    assert refused.status_code == 400 and "You cannot change your own roles" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(StaffUser, admin_id).roles == "admin"
    assert "staff.roles_changed" not in actions(app)


def test_grants_of_referral_access_are_audited_and_shown_to_managers(app, admin_client, clock):
    _, manager_secret, _ = make_account(app, email="manager@example.org", roles=("manager",))
    make_account(app, email="helper@example.org", roles=("editor",))
    with app.app_context():
        helper_id = db.session().scalar(select(StaffUser.id).where(StaffUser.email == "helper@example.org"))
    admin_client.post(f"/staff/accounts/{helper_id}/roles",
                      data={"csrf_token": csrf(admin_client, "/staff/accounts"), "roles": ["editor", "caseworker"]})
    with app.app_context():
        grant = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "staff.role_granted")
                                     .order_by(AuditEvent.id.desc())).first()
        assert (grant.actor, grant.detail, grant.record_id) == ("admin@example.org", "caseworker", str(helper_id))
    manager = app.test_client()
    clock.advance(seconds=31)
    sign_in(manager, "manager@example.org", manager_secret, clock.now)
    from bs4 import BeautifulSoup

    table = BeautifulSoup(manager.get("/staff/").get_data(as_text=True), "html.parser").find(
        id="grants-heading").find_next("table")
    rows = [[cell.get_text() for cell in row.find_all("td")] for row in table.select("tbody tr")]
    assert rows[0][1:] == ["admin@example.org", "caseworker", "helper@example.org"]
    assert ["test", "manager", "manager@example.org"] in [row[1:] for row in rows]  # created as a manager
    assert "grants-heading" not in admin_client.get("/staff/").get_data(as_text=True)  # managers only


# --- self-service --------------------------------------------------------------------------------

NEW_PASSWORD = "a different but equally long passphrase"


@pytest.fixture
def worker_twice(app, clock):
    """One caseworker signed in on two browsers: (this browser, the other browser, secret, codes)."""
    email, secret, codes = make_account(app, email="worker@example.org", roles=("caseworker",))
    here, there = app.test_client(), app.test_client()
    sign_in(there, email, secret, clock.now)
    clock.advance(seconds=31)
    sign_in(here, email, secret, clock.now)
    assert here.get("/staff/").status_code == there.get("/staff/").status_code == 200
    return here, there, secret, codes


def test_home_links_to_the_account_page_and_the_account_page_lists_own_sessions(app, worker_twice):
    here, there, _, _ = worker_twice
    assert 'href="/staff/account"' in here.get("/staff/").get_data(as_text=True)
    page = here.get("/staff/account").get_data(as_text=True)
    assert "This browser" in page and page.count("End this session") == 1
    with app.app_context():
        other = db.session().scalars(select(StaffSession).order_by(StaffSession.id)).first()
    assert here.post(f"/staff/account/sessions/{other.id}/end",
                     data={"csrf_token": csrf(here, "/staff/account")}).status_code == 303
    assert there.get("/staff/").status_code == 303 and here.get("/staff/").status_code == 200
    assert "staff.session_ended" in actions(app)


def test_nobody_ends_someone_elses_session_from_their_own_account_page(app, worker_twice, clock):
    here, _, _, _ = worker_twice
    _, secret, _ = make_account(app, email="someone@example.org")
    someone = app.test_client()
    sign_in(someone, "someone@example.org", secret, clock.now)
    with app.app_context():
        theirs = db.session().scalars(select(StaffSession).order_by(StaffSession.id.desc())).first()
    assert here.post(f"/staff/account/sessions/{theirs.id}/end",
                     data={"csrf_token": csrf(here, "/staff/account")}).status_code == 404
    assert someone.get("/staff/").status_code == 200


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app, worker_twice, clock):
    here, there, secret, _ = worker_twice
    wrong = here.post("/staff/account/password", data={"csrf_token": csrf(here, "/staff/account/password"),
                                                       "current_password": "not my password at all",
                                                       "new_password": NEW_PASSWORD})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "error-summary" in html and 'href="#current_password"' in html
    assert there.get("/staff/").status_code == 200  # nothing changed
    done = here.post("/staff/account/password", data={"csrf_token": csrf(here, "/staff/account/password"),
                                                      "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 303
    assert there.get("/staff/").status_code == 303 and here.get("/staff/").status_code == 200
    assert {"staff.reauthentication_failed", "staff.password_changed"} <= set(actions(app))
    clock.advance(seconds=31)
    assert sign_in(app.test_client(), "worker@example.org", secret, clock.now).status_code == 200  # old password
    assert sign_in(app.test_client(), "worker@example.org", secret, clock.now,
                   password=NEW_PASSWORD).status_code == 303


def test_a_common_new_password_is_refused_with_an_error_summary(worker_twice):
    here, _, _, _ = worker_twice
    refused = here.post("/staff/account/password", data={"csrf_token": csrf(here, "/staff/account/password"),
                                                         "current_password": PASSWORD, "new_password": "password1234"})
    assert refused.status_code == 400 and 'href="#new_password"' in refused.get_data(as_text=True)


def test_re_enrolling_needs_password_and_a_code_from_the_new_secret_and_ends_other_sessions(app, worker_twice, clock):
    here, there, old_secret, _ = worker_twice
    page = here.get("/staff/account/authenticator").get_data(as_text=True)
    new_secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)
    assert new_secret != old_secret and "<svg" in page
    assert new_secret in here.get("/staff/account/authenticator").get_data(as_text=True)  # stable while pending
    clock.advance(seconds=31)
    url = "/staff/account/authenticator"
    old_code = here.post(url, data={"csrf_token": csrf(here, url), "current_password": PASSWORD,
                                    "code": code_at(old_secret, clock.now)})
    assert old_code.status_code == 400 and 'href="#code"' in old_code.get_data(as_text=True)
    no_password = here.post(url, data={"csrf_token": csrf(here, url), "current_password": "not my password at all",
                                       "code": code_at(new_secret, clock.now)})
    assert no_password.status_code == 400 and 'href="#current_password"' in no_password.get_data(as_text=True)
    done = here.post(url, data={"csrf_token": csrf(here, url), "current_password": PASSWORD,
                                "code": code_at(new_secret, clock.now)})
    assert done.status_code == 303 and there.get("/staff/").status_code == 303
    assert "staff.authenticator_changed" in actions(app)
    clock.advance(seconds=31)
    assert sign_in(app.test_client(), "worker@example.org", old_secret, clock.now).status_code == 200
    assert sign_in(app.test_client(), "worker@example.org", new_secret, clock.now).status_code == 303


def test_new_recovery_codes_replace_the_old_ones(app, worker_twice, clock):
    here, _, secret, old_codes = worker_twice
    url = "/staff/account/recovery-codes"
    assert here.post(url, data={"csrf_token": csrf(here, url),
                                "current_password": "not my password at all"}).status_code == 400
    shown = here.post(url, data={"csrf_token": csrf(here, url), "current_password": PASSWORD}).get_data(as_text=True)
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", shown)
    assert len(codes) == 10 and not set(codes) & set(old_codes)
    assert "staff.recovery_codes_replaced" in actions(app)
    assert sign_in(app.test_client(), "worker@example.org", secret, clock.now, code=old_codes[1]).status_code == 200
    assert sign_in(app.test_client(), "worker@example.org", secret, clock.now, code=codes[0]).status_code == 303


def test_guessing_the_current_password_from_a_signed_in_browser_is_throttled(app, worker_twice):
    here, _, _, _ = worker_twice
    url = "/staff/account/recovery-codes"
    for _ in range(staff.MAX_FAILURES_PER_ACCOUNT):
        here.post(url, data={"csrf_token": csrf(here, url), "current_password": "not my password at all"})
    # Even the right password waits now.
    assert here.post(url, data={"csrf_token": csrf(here, url), "current_password": PASSWORD}).status_code == 400

"""Staff accounts: set-up, two-step sign-in, throttling, sessions, roles and the audit trail."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select

from haven import db
from haven.models import AuditEvent, SignInAttempt, StaffSession, StaffUser
from haven.security import passwords
from haven.services import staff

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves by hand; staff.utcnow is what every staff function reads."""

    class Clock:
        now = T0

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(staff, "utcnow", lambda: clock.now)
    return clock


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def make_account(app, email="worker@example.org", roles=("caseworker",)):
    """Create and fully set up an account; returns (email, totp secret, recovery codes)."""
    with app.app_context():
        session = db.session()
        user, _ = staff.create_account(session, email, list(roles), actor="test", link_hours=72)
        keyring = app.extensions["haven_keyring"]
        secret = staff.begin_enrolment(session, keyring, user)
        # Set up two minutes ago, so the code used for set-up is not the one a test signs in with.
        moment = staff.utcnow() - timedelta(minutes=2)
        codes = staff.complete_setup(session, keyring, user, PASSWORD, code_at(secret, moment), now=moment)
    return email, secret, codes


def csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, email, secret, now, password=PASSWORD, code=None):
    response = client.post("/staff/sign-in", data={"csrf_token": csrf(client, "/staff/sign-in"),
                                                   "email": email, "password": password})
    if response.status_code != 303:
        return response
    return client.post("/staff/sign-in/code", data={"csrf_token": csrf(client, "/staff/sign-in/code"),
                                                    "code": code or code_at(secret, now)})


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


def test_failed_attempts_are_throttled_per_account(app, client, clock):
    email, secret, _ = make_account(app)
    for _ in range(staff.MAX_FAILURES_PER_ACCOUNT):
        sign_in(client, email, secret, clock.now, password="wrong password here")
    assert sign_in(client, email, secret, clock.now).status_code == 200  # even the right password
    assert "staff.sign_in_throttled" in actions(app)
    clock.advance(minutes=16)
    assert sign_in(client, email, secret, clock.now).status_code == 303


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
    args = {"user_id": user_id, "session_id": 999999, "change": "disable", "listing_id": 999999, "number": 1}
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


@pytest.mark.parametrize("role", staff.ROLES)
def test_each_role_reaches_exactly_its_pages(app, client, clock, role):
    from haven import access

    make_account(app, email="other@example.org", roles=("caseworker",))
    email, secret, _ = make_account(app, email=f"{role}@example.org", roles=(role,))
    sign_in(client, email, secret, clock.now)
    with app.app_context():
        other_id = db.session().scalar(select(StaffUser.id).where(StaffUser.email == "other@example.org"))
    for endpoint, method, url in staff_requests(app, other_id):
        permission = app.view_functions[endpoint].haven_permission
        allowed = permission == "signed_in" or role in access.PERMISSIONS[permission]
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
    from haven.security.crypto import new_key_entry
    from tests.conftest import _empty_tables

    for name, value in {"HAVEN_ENV": "production", "SECRET_KEY": "s" * 40,
                        "DATABASE_URL": test_config["DATABASE_URL"], "HAVEN_DATA_KEYS": new_key_entry("p1"),
                        "HAVEN_STAFF_INBOX_EMAIL": "team@example.org"}.items():
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

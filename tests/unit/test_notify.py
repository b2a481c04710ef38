"""The staff notice over STARTTLS with certificate checks and SMTP authentication, when set."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from email.message import EmailMessage

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from haven import config
from haven.services import notify
from tests.helpers import production_environ

USER, PASSWORD = "haven-notices", "mail password 123"


def _certificates(directory):
    """A throwaway CA and a certificate it signs for 127.0.0.1. Returns (ca file, cert, key)."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Haven test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
          .not_valid_after(now + dt.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@pytest.fixture
def tls_sink(tmp_path):
    """An SMTP server that offers STARTTLS, requires it, and takes AUTH only after it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    ca_file, cert, key = _certificates(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)

    class Sink:
        messages: list[str] = []
        logins: list[tuple[bytes, bytes]] = []

        async def handle_DATA(self, server, session, envelope):
            if not session.authenticated:
                return "530 Authentication required"
            self.messages.append(envelope.content.decode("utf-8", "replace"))
            return "250 OK"

    sink = Sink()
    sink.messages, sink.logins = [], []

    def authenticator(server, session, envelope, mechanism, auth_data):
        sink.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode()))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=server_context,
                            require_starttls=True, authenticator=authenticator, auth_require_tls=True)
    controller.start()
    sink.port, sink.ca_file = port, str(ca_file)
    yield sink
    controller.stop()


def settings(port, **changes):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_TIMEOUT": 5, "SMTP_STARTTLS": True,
            "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD, **changes}


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = "Haven: new standard referral", "haven@localhost", "team@localhost"
    mail.set_content("A request for help has arrived in Haven.\n")
    return mail


def trust_test_ca(monkeypatch, sink):
    monkeypatch.setattr(notify, "tls_context", lambda: ssl.create_default_context(cafile=sink.ca_file))


def test_the_notice_goes_over_starttls_and_authenticates(tls_sink, monkeypatch):
    trust_test_ca(monkeypatch, tls_sink)
    notify._send(settings(tls_sink.port), message())
    assert tls_sink.logins == [(USER.encode(), PASSWORD.encode())]
    assert len(tls_sink.messages) == 1 and "new standard referral" in tls_sink.messages[0]


def test_a_certificate_the_system_does_not_trust_stops_the_send(tls_sink):
    with pytest.raises(ssl.SSLCertVerificationError):
        notify._send(settings(tls_sink.port), message())
    assert tls_sink.logins == [] and tls_sink.messages == []


def test_a_certificate_for_another_name_stops_the_send(tls_sink, monkeypatch):
    trust_test_ca(monkeypatch, tls_sink)
    with pytest.raises(ssl.SSLCertVerificationError):
        notify._send(settings(tls_sink.port, SMTP_HOST="localhost"), message())  # cert names 127.0.0.1 only
    assert tls_sink.messages == []


def test_without_starttls_nothing_is_sent_to_a_server_that_requires_it(tls_sink):
    with pytest.raises(Exception):
        notify._send(settings(tls_sink.port, SMTP_STARTTLS=False, SMTP_USERNAME=""), message())
    assert tls_sink.messages == [] and tls_sink.logins == []


def test_a_plain_server_still_works_when_nothing_is_configured(smtp_sink):
    notify._send(settings(smtp_sink.port, SMTP_STARTTLS=False, SMTP_USERNAME="", SMTP_PASSWORD=""), message())
    assert len(smtp_sink.messages) == 1


PRODUCTION = production_environ()


def test_smtp_settings_are_read(tmp_path):
    loaded = config.load(tmp_path, environ={**PRODUCTION, "SMTP_STARTTLS": "1", "SMTP_USERNAME": USER,
                                            "SMTP_PASSWORD": PASSWORD})
    assert (loaded["SMTP_STARTTLS"], loaded["SMTP_USERNAME"], loaded["SMTP_PASSWORD"]) == (True, USER, PASSWORD)
    assert config.load(tmp_path, environ={})["SMTP_STARTTLS"] is False


@pytest.mark.parametrize("environ, reason", [
    ({**PRODUCTION, "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD}, "SMTP_STARTTLS"),
    ({**PRODUCTION, "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD, "SMTP_STARTTLS": "0"}, "SMTP_STARTTLS"),
    ({"SMTP_USERNAME": USER}, "SMTP_PASSWORD"),
    ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
])
def test_bad_smtp_settings_are_refused(tmp_path, environ, reason):
    with pytest.raises(config.ConfigError, match=reason):
        config.load(tmp_path, environ=environ)

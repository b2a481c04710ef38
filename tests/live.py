"""Haven as production runs it, for the fault drills and the referrals benchmark: a gunicorn
process on 127.0.0.1, a resident sending the self-referral to it over plain HTTP, and a throwaway
PostgreSQL cluster of the test's own that it may stop and start.

Everything binds 127.0.0.1 on a port the OS chose, and every wait is bounded.
"""
from __future__ import annotations

import glob
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import psycopg

BIN = Path(sys.executable).parent
FORM = "/en/ask-for-help/form"
SENT = "Your message has been sent"
NOT_SENT = "Your message has not been sent"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, instance: Path, data_keys: str, **extra: str) -> dict[str, str]:
    """What the process needs: its database and keys, no fill-time or rate limit (senders are
    scripts, and all come from 127.0.0.1), and a mail port where nothing listens, so each notice
    fails at once and is left for `referrals send-notices`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PG", "HAVEN_", "SMTP_"))}
    env.update({"HAVEN_ENV": "development", "DATABASE_URL": database_url, "HAVEN_INSTANCE_PATH": str(instance),
                "SECRET_KEY": "live-secret-key-that-is-long-enough-0123456789", "HAVEN_DATA_KEYS": data_keys,
                "HAVEN_MATCH_KEY": "live-match-key-that-is-long-enough-0123456789",
                "HAVEN_MIN_FILL_SECONDS": "0", "HAVEN_REFERRAL_LIMITS": "1000000 per minute",
                "SMTP_PORT": str(free_port())})
    env.update(extra)
    return env


class HavenProcess:
    """Haven under gunicorn on a free port of 127.0.0.1; stopped however the test ends."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, threads: int = 8, app: str = "haven:create_app()",
                 cwd: str | None = None):
        self.env, self.workers, self.threads, self.app = env, workers, threads, app
        # Not the repository by default: gunicorn would read its gunicorn.conf.py, whose production
        # checks (PostgreSQL, Redis for several processes) these drills, on either engine, do not meet.
        self.cwd = cwd or env["HAVEN_INSTANCE_PATH"]
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> "HavenProcess":
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(self.workers), "--threads", str(self.threads),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "60",
             self.app], env=self.env, cwd=self.cwd)
        self.wait_until_serving()
        return self

    def wait_until_serving(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", FORM)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("Haven did not start serving")

    def workers_now(self) -> list[int]:
        """The worker processes' ids (gunicorn's master forks them and starts new ones as they die)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_workers(self) -> list[int]:
        killed = self.workers_now()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "HavenProcess":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


@dataclass
class Answer:
    """What a sender saw: the status and page of the Send, or status None when the connection
    broke before an answer came (a killed process)."""

    status: int | None
    body: str
    seconds: float  # the Send alone, from request to the whole answer

    @property
    def sent(self) -> bool:
        return self.status == 200 and SENT in self.body


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def _exchange(port: int, request: bytes, timeout: float) -> tuple[int, bytes, bytes]:
    """One HTTP/1.1 request on a connection of its own: (status, head, body). Plain sockets, not
    http.client: its header parsing (the email package's) cost a sender about a millisecond of CPU
    a Send, taken from the cores the server under test runs on."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the answer's head")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
        while length is None or len(body) < int(length.group(1)):
            chunk = connection.recv(65536)
            if not chunk:
                if length is None:  # no length given: the answer ends when the connection does
                    break
                raise ConnectionError("closed before the whole answer")
            body += chunk
    return int(head.split(b" ", 2)[1]), head, body


def send_self_referral(port: int, phone: str, words: str, timeout: float = 30) -> Answer:
    """Open the form (its session cookie carries the CSRF token; the page holds the signed stamp),
    then send its first page: how to reach her, and her agreement."""
    host = f"127.0.0.1:{port}".encode()
    try:
        status, head, page = _exchange(port, b"GET " + FORM.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\n"
                                       b"Connection: close\r\n\r\n", timeout)
        if status != 200:
            return Answer(status, page.decode(), 0.0)
        page = page.decode()
        cookie = re.search(rb"\r\nset-cookie: *haven_session=([^;\r]+)", head, re.IGNORECASE).group(1)
        body = urlencode({"csrf_token": hidden(page, "csrf_token"), "token": hidden(page, "token"),
                          "preferred": "call", "phone": phone, "voicemail": "no", "someone_else": words,
                          "consent": "y"}).encode()
        request = (b"POST " + FORM.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + str(len(body)).encode() +
                   b"\r\nCookie: haven_session=" + cookie + b"\r\n\r\n" + body)
        started = time.perf_counter()
        status, _head, answer = _exchange(port, request, timeout)
        return Answer(status, answer.decode(), time.perf_counter() - started)
    except (OSError, ValueError, IndexError):
        # A connection refused, reset or cut short, or an answer that is not HTTP.
        return Answer(None, "", 0.0)


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own (initdb into a temporary folder, a free port on
    127.0.0.1, a random password), so a drill can stop it without touching the cluster the suite
    runs on. As root, the server runs as the postgres user, as pg_virtualenv does."""

    def __init__(self):
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))[-1])
        self.folder = Path(tempfile.mkdtemp(prefix="haven-drill-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        if self.as_postgres:
            shutil.chown(password_file, "postgres", "postgres")
        # The cluster the suite runs on sets PG* variables; none of them may steer this one.
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        self._run("initdb", "-D", str(self.data), "-U", "haven", f"--pwfile={password_file}",
                  "--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
        self.start()

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / program), *args], env=self.env, check=True,
                       capture_output=True, timeout=120)

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://haven:{self.password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} "
                   "-c log_min_messages=info")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop_immediately(self) -> None:
        """As a crash would: no shutdown checkpoint, every connection cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

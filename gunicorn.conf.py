"""gunicorn's settings for Haven in production:

    gunicorn -c gunicorn.conf.py haven.wsgi:app

WEB_CONCURRENCY sets the number of processes (one more than the host's cores unless set, and at
least 2); with more than one, the rate limits must be shared through Redis
(HAVEN_RATELIMIT_STORAGE_URI=redis://...), or Haven refuses to start.

Serve behind a reverse proxy that buffers each request and answer (nginx does unless told not to):
each process serves one request at a time, so it must never wait on a slow connection itself.
"""
import os
import sys

from haven.config import DEFAULT_THREADS, ConfigError, check_shared_limits, process_count

bind = os.environ.get("HAVEN_BIND", "127.0.0.1:8000")


def _refuse(reason) -> None:
    print(f"haven: refusing to start: {reason}", file=sys.stderr)
    raise SystemExit(1)


try:
    workers = process_count(os.environ)
except ConfigError as error:
    _refuse(error)
os.environ["WEB_CONCURRENCY"] = str(workers)  # what haven.wsgi reads, when unset
# One request at a time in each process (gunicorn's sync worker): a process takes the next
# connection from the listening socket only when it is free, so requests are answered in the order
# they came and spread evenly over the processes. A threaded process takes every connection it can
# and queues them behind its own busy threads while another process may stand idle (gunicorn
# issues #908 and #3433): under load that was a Send's slowest answers. HAVEN_THREADS above 1 gives
# threaded processes (gthread), for a host with no buffering proxy in front.
threads = os.environ.get("HAVEN_THREADS", str(DEFAULT_THREADS))
if not threads.isdigit() or int(threads) < 1:
    _refuse(f"HAVEN_THREADS must be a whole number, 1 or more, not {threads!r}")
threads = int(threads)
worker_class = "sync" if threads == 1 else "gthread"
# A request that runs 30 s has hung, and its process is replaced. (Behind the buffering proxy an
# evidence upload reaches gunicorn whole, at the speed of the host's own network.)
timeout = 30
graceful_timeout = 30
keepalive = 5
# Load (and check: haven.wsgi fails closed) once in the master, before any worker: a refusal then
# stops gunicorn with its one line, instead of workers failing to boot over and over.
preload_app = True

# gunicorn's control socket (gunicornc) is not used, and several servers on one host would share its path.
control_socket_disable = True

# Only the proxies listed may say, in X-Forwarded-Proto, that the request came over HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No access log: its lines carry URLs with their query strings (a postcode, a filter). Haven logs
# each request itself, by route name (haven.logs). Everything else gunicorn says is JSON too.
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        # Its warnings about a bad request quote the request line; the filter drops the quote.
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True, "filters": ["no_request_lines"]},
        # A logging configuration turns gunicorn's access log on; this keeps it silent.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "formatters": {"json": {"()": "haven.logs.json_formatter"}},
    "filters": {"no_request_lines": {"()": "haven.logs.GunicornRequestLines"}},
}


def on_starting(server):
    # The real count, should --workers have overridden WEB_CONCURRENCY on the command line.
    try:
        check_shared_limits(server.cfg.workers, server.app.wsgi().config["RATELIMIT_STORAGE_URI"])
    except ConfigError as error:
        _refuse(error)

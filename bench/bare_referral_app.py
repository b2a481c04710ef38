"""The floor for the referrals benchmark: the least a form that saves can do on this machine.

The same two requests as Haven's form, for the same senders: GET gives a cookie and the two hidden
tokens, POST commits one row to PostgreSQL (plain psycopg, a connection per thread) and says
"Your message has been sent". No validation, encryption, triage, outbox or page."""
import os
import secrets
import threading

import psycopg
from flask import Flask, make_response, request

app = Flask(__name__)
_local = threading.local()


def connection() -> psycopg.Connection:
    if not hasattr(_local, "connection"):
        _local.connection = psycopg.connect(os.environ["BARE_DATABASE_URL"])
    return _local.connection


@app.get("/en/ask-for-help/form")
def form():
    token = secrets.token_hex(16)
    response = make_response(f'<input name="csrf_token" type="hidden" value="{token}">'
                             f'<input name="token" type="hidden" value="{token}">')
    response.set_cookie("haven_session", token)
    return response


@app.post("/en/ask-for-help/form")
def send():
    db = connection()
    db.execute("INSERT INTO bare_referral (token, phone, words) VALUES (%s, %s, %s)",
               (request.form["token"], request.form["phone"], request.form["someone_else"]))
    db.commit()
    return "Your message has been sent"

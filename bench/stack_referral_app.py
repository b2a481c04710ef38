"""A second floor for the referrals benchmark: the chosen stack, with nothing of Haven's.

The same two requests as Haven's form, for the same senders, through the layers the brief chose
and Haven uses on its Send: a Flask-WTF form (its CSRF token kept in Flask's signed session
cookie) with the first page's fields and validators, Flask-Talisman's headers, a Flask-Limiter
limit on the POST, and a SQLAlchemy ORM insert and commit of one row. No encryption, triage,
repeat check, outbox, translation or page: what is left of Haven's cost above this is Haven's own.
The form's template is compiled once, as Haven's are.
"""
import os
import secrets

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from flask_wtf import FlaskForm
from sqlalchemy import String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class Base(DeclarativeBase):
    pass


class StackReferral(Base):
    __tablename__ = "stack_referral"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    words: Mapped[str | None] = mapped_column(Text)


# Its table is made by bench/referrals.py, before the processes start.
engine = create_engine(os.environ["STACK_DATABASE_URL"], pool_size=8)
Session = sessionmaker(engine)

app = Flask(__name__)
# One key for every process: a form opened in one may be sent to another.
app.config.update(SECRET_KEY=os.environ["STACK_SECRET_KEY"], SESSION_COOKIE_NAME="haven_session", WTF_CSRF_TIME_LIMIT=None)
Talisman(app, force_https=False)
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")


class Form(FlaskForm):
    token = HiddenField()
    preferred = RadioField(choices=[("call", "Call"), ("text", "Text"), ("email", "Email")],
                           validators=[InputRequired()])
    phone = StringField(validators=[Optional(), Length(max=40)])
    email = StringField(validators=[Optional(), Length(max=254)])
    voicemail = RadioField(choices=[("yes", "Yes"), ("no", "No")], validators=[Optional()])
    someone_else = TextAreaField(validators=[Optional(), Length(max=5000)])
    consent = BooleanField(validators=[InputRequired()])


PAGE = app.jinja_env.from_string(
    '<form method="post"><input name="csrf_token" type="hidden" value="{{ form.csrf_token.current_token }}">'
    '<input name="token" type="hidden" value="{{ token }}">'
    '{% for field in form if field.name not in ("csrf_token", "token") %}{{ field.label() }}{{ field() }}{% endfor %}'
    '</form>')


@app.route("/en/ask-for-help/form", methods=["GET", "POST"])
@limiter.limit("1000000/hour", methods=["POST"])
def form():
    form = Form()
    if request.method == "GET":
        return PAGE.render(form=form, token=secrets.token_hex(16))
    if not form.validate_on_submit():
        return "Check your answers", 400
    with Session() as session:
        session.add(StackReferral(token=form.token.data, phone=form.phone.data, words=form.someone_else.data))
        session.commit()
    return "Your message has been sent"

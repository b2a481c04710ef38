from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import InputRequired, Length


class SignInForm(FlaskForm):
    email = StringField("Email address", [InputRequired(message="Enter your email address"), Length(max=254)],
                        render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField("Password", [InputRequired(message="Enter your password"), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app, or a recovery code",
                       [InputRequired(message="Enter the code"), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})


class SetupForm(FlaskForm):
    password = PasswordField("Choose a password", [InputRequired(message="Choose a password"), Length(max=1024)],
                             description="At least 12 characters. A few unrelated words make a good one.",
                             render_kw={"autocomplete": "new-password"})
    code = StringField("Code from your authenticator app", [InputRequired(message="Enter the code"), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ("caseworker", "manager", "editor", "admin")]


class RolesForm(FlaskForm):
    roles = _Checkboxes("Roles", choices=ROLE_CHOICES, validators=[InputRequired(message="Choose at least one role")])


class AccountForm(RolesForm):
    email = StringField("Email address", [InputRequired(message="Enter an email address"), Length(max=254)],
                        render_kw={"spellcheck": "false", "autocomplete": "off"})


_CURRENT = dict(validators=[InputRequired(message="Enter your current password"), Length(max=1024)],
                render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", **_CURRENT)
    new_password = PasswordField("New password", [InputRequired(message="Choose a new password"), Length(max=1024)],
                                 description="At least 12 characters. A few unrelated words make a good one.",
                                 render_kw={"autocomplete": "new-password"})


class ReenrolForm(FlaskForm):
    current_password = PasswordField("Current password", **_CURRENT)
    code = StringField("Code from your authenticator app", [InputRequired(message="Enter the code"), Length(max=20)],
                       description="The code the app shows for the new key above.",
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RecoveryCodesForm(FlaskForm):
    current_password = PasswordField("Current password", **_CURRENT)

"""The form of "Ask for feedback" on a closed referral's page (WM 5.1)."""
from flask_wtf import FlaskForm


class FeedbackLinkForm(FlaskForm):
    """Only its CSRF token: the press is the whole answer."""

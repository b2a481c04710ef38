"""The forms of "Evidence kept securely" on a referral's page."""
from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional

from ..services import evidence


class EvidenceForm(FlaskForm):
    file = FileField("Photo or PDF", validators=[FileRequired(message="Choose the photo or PDF to attach")],
                     # Only what the file picker offers first: the file's own bytes decide (services/evidence_files.py).
                     render_kw={"accept": "image/jpeg,image/png,image/heic,image/heif,.heic,.heif,application/pdf"})
    caption = StringField("Caption (optional)", [Optional(), Length(max=evidence.CAPTION_LIMIT, message=(
        f"Keep the caption to {evidence.CAPTION_LIMIT} characters or fewer"))],
        description="What it shows and when it was taken, if known.", render_kw={"autocomplete": "off"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = evidence.size_in_words(current_app.config["EVIDENCE_MAX_BYTES"])
        self.file.description = (f"A photo (JPEG, PNG or HEIC) or a PDF, {limit} at most. Location and camera "
                                 "details are removed from photos before they are kept.")


class DownloadForm(FlaskForm):
    """Only its CSRF token: a download is a POST, so no address of the file outlives the page."""

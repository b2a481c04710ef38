"""Evidence kept securely (Visual Evidence for Victims, WM 3.1): attach a photo or PDF to a
referral, and download one. Both exist only where the policy makes that commitment.

A download is a POST from the page, answered with the file as an attachment, so no address of a
file outlives the page; each one is audited before it is sent.
"""
from __future__ import annotations

import io

from flask import Response, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from .. import access, db
from ..extensions import csrf
from ..security import headers
from ..services import evidence
from . import case_views
from .evidence_forms import DownloadForm, EvidenceForm
from .views import bp

# Room for the caption, the token and the multipart framing around the file itself.
FRAMING = 64 * 1024


def _in_memory(*_args, **_kwargs):
    # Werkzeug puts an upload over 500 KB in a temporary file; evidence is not written to disk
    # unencrypted, even for a moment. The request's own limit bounds what this holds.
    return io.BytesIO()


@bp.post("/referrals/<reference>/evidence")
@access.read_referrals
@access.needs_commitment("visual_evidence")
# The app-wide CSRF check would read the body before this view raises the size limit, under the
# 256 KiB every other form has: the form checks its own token instead (FlaskForm), once it is read.
@csrf.exempt
def evidence_attach(reference):
    referral = case_views._referral(reference)
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    request.max_content_length = limit + FRAMING
    request._get_file_stream = _in_memory
    try:
        form = EvidenceForm(prefix="evidence")
        sent = form.validate_on_submit()
    except RequestEntityTooLarge:
        # Nothing of the request was read, its token included: the answer is the page a GET
        # shows (the staff cookie is SameSite=Strict, so no other site's form gets this far).
        form = EvidenceForm(prefix="evidence", formdata=None)
        form.file.errors = [evidence.too_large(limit)]
        return case_views._page(referral, code=400, evidence=form)
    if form.csrf_token.errors:
        abort(400)
    if sent:
        upload = form.file.data
        try:
            evidence.attach(db.session(), case_views._keyring(), referral, access.current_user(), upload.read(),
                            upload.filename, form.caption.data, max_bytes=limit)
        except evidence.EvidenceError as error:
            form.file.errors = [str(error)]
        else:
            return case_views._done(reference, "Evidence attached")
    return case_views._page(referral, code=400, evidence=form)


@bp.post("/referrals/<reference>/evidence/<public_id>")
@access.read_referrals
@access.needs_commitment("visual_evidence")
def evidence_download(reference, public_id):
    referral = case_views._referral(reference)
    if not DownloadForm().validate_on_submit():
        abort(400)
    found = evidence.read(db.session(), case_views._keyring(), referral, access.current_user(), public_id)
    if found is None:
        abort(404)
    data, content_type, name = found
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    headers.send_as_sandboxed_file()
    return response

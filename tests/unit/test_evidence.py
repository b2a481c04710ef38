"""Evidence kept securely (Visual Evidence for Victims, WM 3.1): photos and PDFs on a case, judged
by their bytes (never their names), cleaned of their metadata, encrypted, listed on the case and
downloaded only by an audited POST. Where the policy makes no such promise (whg), it is not there.

Expected values come from the rules (the issue and WM 3.1), not from the code under test."""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from datetime import timedelta

import pytest
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select

from haven import db
from haven.models import Evidence
from haven.security.crypto import DecryptionError, Keyring, new_key_entry
from haven.services import evidence  # also registers the HEIC opener that heic() saves with
from tests.helpers import T0, WHG, WM, audit_actions, html, post, raw_database, send_referral, use_profile

ATTACH_MESSAGE = "Attach a photo (JPEG, PNG or HEIC) or a PDF"


# --- files made here, each with what a person would not want kept -------------------------------

def jpeg(size=(40, 30), *, make="CanaryCam-5521", orientation=None, **save) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    # 52°30'N 1°54'W: a location in Birmingham, as a phone would record it.
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 30.0, 0.0),
                                  ExifTags.GPS.GPSLongitudeRef: "W", ExifTags.GPS.GPSLongitude: (1.0, 54.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (180, 60, 60)).save(out, "JPEG", exif=exif, comment=b"canary-comment-8812",
                                                xmp=b"<x:xmpmeta>canary-xmp-1193</x:xmpmeta>", **save)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's own premise
    return data


def png(*, mode="RGBA", size=(24, 24)) -> bytes:
    info = PngInfo()
    info.add_text("Location", "canary-place-4410")
    info.add_itxt("Comment", "canary-itxt-2207")
    out = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 200) if mode == "RGBA" else (10, 20, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: about 3 * side * side bytes."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)).save(out, "PNG", compress_level=0)
    return out.getvalue()


def heic() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CanaryCam-5521"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 30.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 60, 60)).save(out, "HEIF", exif=exif.tobytes())
    return out.getvalue()


def pdf(catalog_extra: bytes = b"", objects: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    bodies = [b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>", *objects]
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)


def a_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<html><script>alert(1)</script></html>")
    return out.getvalue()


def with_comment(jpeg_bytes: bytes, text: bytes) -> bytes:
    """The JPEG with a comment segment (COM) right after its start: still one whole JPEG."""
    return jpeg_bytes[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg_bytes[2:]


# --- the pages -----------------------------------------------------------------------------------

@pytest.fixture
def wm(app):
    """The app running under WM Housing Group's policy, which promises Visual Evidence for Victims (3.1)."""
    use_profile(app, WM)
    return app


def page(client, reference):
    return html(client.get(f"/staff/referrals/{reference}"))


def attach(client, reference, data, filename="photo.jpg", caption="", mimetype="image/jpeg"):
    token = page(client, reference).select_one('input[name="evidence-csrf_token"]')["value"]
    return client.post(f"/staff/referrals/{reference}/evidence", content_type="multipart/form-data", data={
        "evidence-csrf_token": token, "evidence-caption": caption,
        "evidence-file": (io.BytesIO(data), filename, mimetype)})


def download(client, reference, number=1):
    form = page(client, reference).select(".evidence-download")[number - 1]
    return client.post(form["action"], data={"csrf_token": form.select_one('input[name="csrf_token"]')["value"]})


def stored(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(Evidence.id)))


@pytest.fixture
def case(app):
    return send_referral(app, at=T0 - timedelta(hours=1))


def test_a_photo_loses_its_location_and_camera_details_and_downloads_as_an_attachment(wm, worker, case):
    sent = jpeg(orientation=6)  # taken with the phone on its side: 40 x 30 as stored, 30 x 40 to look at
    assert attach(worker, case, sent, filename="IMG_0042.jpg", caption="Bruise on the left arm").status_code == 303
    listed = page(worker, case).select_one("#evidence-heading").parent
    row = listed.select_one("tbody tr").get_text(" ")
    assert "Photo 1" in row and "Bruise on the left arm" in row and "worker@example.org" in row
    assert "IMG_0042.jpg" in row and "2026-11-23 10:00" in row  # the name as sent, on the audited page only

    response = download(worker, case)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"] == 'attachment; filename="evidence-1.jpg"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    got = response.get_data()
    picture = Image.open(io.BytesIO(got))
    assert picture.format == "JPEG" and picture.size == (30, 40)  # turned upright, as it was taken
    assert len(picture.getexif()) == 0 and not picture.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(picture.info)
    for canary in (b"CanaryCam-5521", b"canary-comment-8812", b"canary-xmp-1193", b"Exif", b"GPS"):
        assert canary not in got
    assert picture.convert("RGB").getpixel((15, 20)) == pytest.approx((180, 60, 60), abs=6)


def test_a_png_loses_its_text_chunks_and_keeps_its_transparency(wm, worker, case):
    assert attach(worker, case, png(), filename="screenshot.png", mimetype="image/png").status_code == 303
    response = download(worker, case)
    assert response.headers["Content-Disposition"] == 'attachment; filename="evidence-1.png"'
    got = response.get_data()
    picture = Image.open(io.BytesIO(got))
    assert picture.format == "PNG" and picture.text == {} and picture.mode == "RGBA"
    assert picture.getpixel((3, 3)) == (10, 20, 30, 200)
    assert b"tEXt" not in got and b"iTXt" not in got and b"canary" not in got


def test_a_heic_photo_from_an_iphone_is_kept_as_a_jpeg_without_its_metadata(wm, worker, case):
    assert attach(worker, case, heic(), filename="IMG_0042.HEIC", mimetype="image/heic").status_code == 303
    response = download(worker, case)
    assert response.headers["Content-Disposition"] == 'attachment; filename="evidence-1.jpg"'
    picture = Image.open(io.BytesIO(response.get_data()))
    assert picture.format == "JPEG" and picture.size == (40, 30) and len(picture.getexif()) == 0
    assert b"CanaryCam-5521" not in response.get_data()


def test_a_colour_profile_is_applied_then_dropped(wm, worker, case):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert attach(worker, case, jpeg(icc_profile=profile)).status_code == 303
    assert "icc_profile" not in Image.open(io.BytesIO(download(worker, case).get_data())).info


def test_a_pdf_is_kept_as_sent_and_numbered_after_the_photos(wm, worker, case):
    document = pdf()
    assert attach(worker, case, jpeg()).status_code == 303
    assert attach(worker, case, document, filename="letter.pdf", mimetype="application/pdf").status_code == 303
    rows = page(worker, case).select("#evidence-heading ~ table tbody tr")
    assert [row.select_one("td").get_text(" ").split()[:2] for row in rows] == [["Photo", "1"], ["PDF", "2"]]
    response = download(worker, case, number=2)
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="evidence-2.pdf"'
    assert response.get_data() == document


def test_a_photo_larger_than_the_form_limit_of_other_pages_is_accepted_here(wm, worker, case):
    big = noise_png(330)  # about 320 KiB: over the 256 KiB every other form is held to
    assert 256 * 1024 < len(big) < 10 * 1024 * 1024
    assert attach(worker, case, big, filename="big.png", mimetype="image/png").status_code == 303
    assert stored(wm) == 1
    # The larger limit is this route's only: a note of the same size is still refused.
    assert post(worker, case, "notes", text="x" * len(big)).status_code == 413


def test_an_upload_is_held_in_memory_never_in_a_temporary_file(wm, worker, case, monkeypatch):
    """Werkzeug spools an upload over 500 KB to a temporary file: evidence must not reach the disk unencrypted."""
    import werkzeug.formparser

    def to_disk(*_args, **_kwargs):
        raise AssertionError("an upload went to a temporary file")

    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", to_disk)
    assert attach(worker, case, noise_png(450), filename="big.png", mimetype="image/png").status_code == 303


def _refused(app, client, reference, response, message):
    assert response.status_code == 400
    shown = html(response)
    assert message in shown.select_one("#evidence-file-error").get_text()
    assert shown.select_one(".error-summary a[href='#evidence-file']") is not None
    assert stored(app) == 0
    assert "referral.evidence_added" not in [action for _, action, _ in audit_actions(app, reference)]


@pytest.mark.parametrize("data, filename, message", [
    (b"Just some text, not a photo at all.\n" * 20, "photo.jpg", ATTACH_MESSAGE),
    (b"", "empty.jpg", "The file is empty"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo.gif", ATTACH_MESSAGE),
    (b"<html><body>hello</body></html>", "photo.png", ATTACH_MESSAGE),
    (a_zip(), "photo.jpg", ATTACH_MESSAGE),
    # Polyglots: a real photo with another file after its end, or hidden among its headers.
    (jpeg() + b"<html><script>alert(1)</script></html>", "photo.jpg", "holds more than a photo"),
    (jpeg() + a_zip(), "photo.jpg", "holds more than a photo"),
    (with_comment(jpeg(), b"PK\x03\x04 an archive starts here"), "photo.jpg", "holds more than a photo"),
    (with_comment(jpeg(), b"<script>alert(1)</script>"), "photo.jpg", "holds more than a photo"),
    (png() + b"%PDF-1.7 trailing", "photo.png", "holds more than a photo"),
    (heic() + a_zip(), "photo.heic", "holds more than a photo"),
    # A PDF behind another format's header is not a PDF; a PDF that could act when opened is refused.
    (b"\xff\xd8\xff\xe0" + pdf(), "letter.pdf", "cannot be read"),
    (pdf(b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "letter.pdf", "contains scripts"),
    (pdf(b" /Names << /JavaScript 4 0 R >>", (b"<< /S /JavaScript /JS (app.alert(1)) >>",)), "letter.pdf",
     "contains scripts"),
    (pdf(b" /OpenAction 4 0 R", (b"<< /S /Launch /F (cmd.exe) >>",)), "letter.pdf", "contains scripts"),
    (pdf(b" /Names << /EmbeddedFiles 4 0 R >>"), "letter.pdf", "contains scripts"),
    (pdf()[:-20], "letter.pdf", "incomplete"),
    (pdf() + b"more after the end", "letter.pdf", "incomplete"),
    (jpeg()[:-300], "photo.jpg", "cannot be read"),
])
def test_a_file_that_cannot_be_kept_is_refused_with_a_clear_message_and_nothing_kept(wm, worker, case, data,
                                                                                      filename, message):
    _refused(wm, worker, case, attach(worker, case, data, filename=filename), message)


def test_no_file_at_all_asks_for_one(wm, worker, case):
    token = page(worker, case).select_one('input[name="evidence-csrf_token"]')["value"]
    response = worker.post(f"/staff/referrals/{case}/evidence", content_type="multipart/form-data",
                           data={"evidence-csrf_token": token})
    _refused(wm, worker, case, response, "Choose the photo or PDF to attach")


def test_a_file_over_the_configured_limit_is_refused_on_the_page_however_large(wm, worker, case):
    wm.config["EVIDENCE_MAX_BYTES"] = 2000
    photo = noise_png(40)  # about 4.8 KB
    assert 2000 < len(photo) < 2000 + 64 * 1024
    _refused(wm, worker, case, attach(worker, case, photo, mimetype="image/png"), "The file is larger than 2 KB")
    # Far past it (more than the form around a file could ever add): the same page, not a 413.
    _refused(wm, worker, case, attach(worker, case, noise_png(200)), "The file is larger than 2 KB")


def test_a_caption_over_200_characters_is_refused(wm, worker, case):
    response = attach(worker, case, jpeg(), caption="x" * 201)
    assert response.status_code == 400 and "200 characters or fewer" in response.get_data(as_text=True)
    assert stored(wm) == 0


def test_the_upload_needs_its_csrf_token(wm, worker, case):
    response = worker.post(f"/staff/referrals/{case}/evidence", content_type="multipart/form-data",
                           data={"evidence-file": (io.BytesIO(jpeg()), "photo.jpg", "image/jpeg")})
    assert response.status_code == 400 and stored(wm) == 0


def test_neither_the_file_nor_its_name_nor_its_caption_is_in_the_database_bytes(wm, worker, case, database_url):
    sent = jpeg()
    name, caption = "Samira-Canarywood-bruise-7731.jpg", "canary-caption-6604 on the stairs"
    assert attach(worker, case, sent, filename=name, caption=caption).status_code == 303
    kept = download(worker, case).get_data()
    raw = raw_database(database_url)
    for secret in (sent, sent[-512:], kept, kept[-512:], name.encode(), caption.encode(), b"CanaryCam-5521"):
        assert secret not in raw


def test_every_download_is_audited(wm, worker, case):
    attach(worker, case, jpeg())
    download(worker, case)
    download(worker, case)
    with wm.app_context():
        public_id = db.session().scalar(select(Evidence.public_id))
    events = audit_actions(wm, case)
    assert ("worker@example.org", "referral.evidence_added", public_id) in events
    assert events.count(("worker@example.org", "referral.evidence_downloaded", public_id)) == 2
    timeline = page(worker, case).select_one(".timeline li.timeline-evidence")
    assert timeline is not None and "worker@example.org" in timeline.get_text()


def test_an_unknown_or_another_referrals_evidence_is_not_found(wm, worker, case):
    other = send_referral(wm, at=T0 - timedelta(hours=1))
    attach(worker, other, jpeg())
    form = page(worker, other).select_one(".evidence-download")
    token = form.select_one('input[name="csrf_token"]')["value"]
    public_id = form["action"].rsplit("/", 1)[-1]
    assert worker.post(f"/staff/referrals/{case}/evidence/{public_id}", data={"csrf_token": token}).status_code == 404
    assert worker.post(f"/staff/referrals/{other}/evidence/not-an-id", data={"csrf_token": token}).status_code == 404
    assert worker.post(form["action"], data={}).status_code == 400  # no token


def test_a_barred_member_can_neither_download_nor_attach(wm, worker, manager, case):
    attach(manager, case, jpeg())
    action = page(manager, case).select_one(".evidence-download")["action"]
    assert post(manager, case, "bar", member=str(worker.staff_id)).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', worker.get("/staff/").get_data(as_text=True)).group(1)
    assert worker.post(action, data={"csrf_token": token}).status_code == 403
    response = worker.post(f"/staff/referrals/{case}/evidence", content_type="multipart/form-data", data={
        "evidence-csrf_token": token, "evidence-file": (io.BytesIO(jpeg()), "photo.jpg", "image/jpeg")})
    assert response.status_code == 403 and stored(wm) == 1
    assert "referral.evidence_downloaded" not in [action for _, action, _ in audit_actions(wm, case)]


def test_without_the_commitment_there_is_no_evidence_section_and_both_routes_are_not_found(app, worker, case):
    use_profile(app, WM)
    attach(worker, case, jpeg())
    action = page(worker, case).select_one(".evidence-download")["action"]
    token = page(worker, case).select_one(".evidence-download input[name='csrf_token']")["value"]
    use_profile(app, WHG)  # whg's policy makes no such promise
    shown = page(worker, case)
    assert "Evidence kept securely" not in shown.get_text() and not shown.select("form[enctype]")
    assert worker.post(action, data={"csrf_token": token}).status_code == 404
    response = worker.post(f"/staff/referrals/{case}/evidence", content_type="multipart/form-data", data={
        "evidence-csrf_token": token, "evidence-file": (io.BytesIO(jpeg()), "photo.jpg", "image/jpeg")})
    assert response.status_code == 404 and stored(app) == 1


def test_a_file_kept_under_an_old_key_still_downloads_after_rotation(wm, worker, case, runner):
    attach(worker, case, jpeg(), caption="canary caption")
    before = download(worker, case).get_data()
    new = new_key_entry("new")
    wm.extensions["haven_keyring"] = Keyring.parse(f"{new},{wm.config['DATA_KEYS']}")
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "keys: 1 evidence files re-encrypted under new" in result.output
    wm.extensions["haven_keyring"] = Keyring.parse(new)  # the old key removed
    with wm.app_context():
        assert {Keyring.key_id_of(value) for value in db.session().execute(
            select(Evidence.data_enc, Evidence.name_enc, Evidence.caption_enc)).one()} == {"new"}
    assert download(worker, case).get_data() == before
    assert "canary caption" in page(worker, case).get_text()


# --- the service and the keyring, directly ---------------------------------------------------------

def test_bytes_encrypt_bound_to_their_row_and_text_is_its_utf8_bytes():
    keyring = Keyring.parse(new_key_entry("k1"))
    where = {"table": "evidence", "column": "data_enc", "row": "a"}
    data = bytes(range(256)) * 4
    sealed = keyring.encrypt_bytes(data, **where)
    assert sealed.startswith("v1.k1.") and keyring.decrypt_bytes(sealed, **where) == data
    with pytest.raises(DecryptionError):
        keyring.decrypt_bytes(sealed, **{**where, "row": "b"})
    assert keyring.decrypt_bytes(keyring.encrypt("zażółć", **where), **where) == "zażółć".encode()
    assert keyring.decrypt(keyring.encrypt_bytes("zażółć".encode(), **where), **where) == "zażółć"


def test_an_end_marker_inside_a_comment_is_not_the_end_of_the_photo():
    # A naive search for the first EOI (FF D9) would call the rest "hidden": it is one JPEG.
    assert evidence.clean(with_comment(jpeg(), b"\xff\xd9 not the end")).content_type == "image/jpeg"


@pytest.mark.parametrize("document", [
    pdf(b" /OpenAction 4 0 R", (b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",)),  # names spelt with #xx
    # The action inside a compressed object stream, where a search of the file's bytes cannot see it.
    pdf(objects=(b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 60 >>\nstream\n"
                 + zlib.compress(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>") + b"\nendstream",)),
])
def test_a_pdf_hiding_its_script_is_refused(document):
    with pytest.raises(evidence.EvidenceError, match="contains scripts"):
        evidence.clean(document)


def test_a_pdf_that_is_also_a_zip_is_refused():
    archive = a_zip()
    # The ZIP's own comment ends the file with %%EOF, so it still looks like a PDF's end.
    polyglot = pdf() + archive[:-2] + (7).to_bytes(2, "little") + b"\n%%EOF\n"
    with pytest.raises(evidence.EvidenceError, match="hidden"):
        evidence.clean(polyglot)
    assert evidence.clean(pdf(objects=(b"<< /JSON (not a script) >>",))).kind == "pdf"  # /JSON is not /JS

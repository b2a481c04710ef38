"""The listings editor: only editors, validation with error summaries, preview, revisions,
publishing and retiring, and an XSS corpus that never reaches the public page."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from haven import db
from haven.models import AuditEvent, Listing
from tests.helpers import csrf, make_account, sign_in


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def editor(app, client, clock):  # noqa: F811
    email, secret, _ = make_account(app, email="editor@example.org", roles=("editor",))
    sign_in(client, email, secret, clock.now)
    return client


FORM = {
    "name": "Walsall Refuge Test", "slug": "", "summary": "Safe accommodation for women and children.",
    "description": "We **help**.", "categories": ["refuge"], "coverage": "local", "areas": ["walsall"],
    "contacts-0-kind": "phone", "contacts-0-value": "0121 496 0000", "contacts-0-label": "Office",
    "contacts-1-kind": "website", "contacts-1-value": "https://example.org/refuge",
    "hours": "Mon-Fri 09:00-17:00", "languages": "en, pl", "access": ["interpreters"],
    "source": "https://example.org/refuge", "verify_every_days": "90",
}


def post_form(client, url, action="save", **changes):
    data = {**FORM, **changes, "action": action, "csrf_token": csrf(client, url)}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def listing_id(app, slug="walsall-refuge-test"):
    with app.app_context():
        return db.session().scalar(select(Listing.id).where(Listing.slug == slug))


def test_dashboard_shows_listings_by_state_with_overdue_first(app, editor, runner):
    runner.invoke(args=["content", "load"])
    page = soup(editor.get("/editor/"))
    assert page.find("h1").get_text() == "Support service listings"
    due = page.find(id="due-heading").find_parent("section")
    # Nothing seeded has been checked by the organisation yet, so everything not retired is due.
    assert "Samaritans" in due.get_text()
    drafts = page.find(id="draft-heading").find_parent("section").get_text()
    assert "Walsall Council housing options" in drafts


def test_create_preview_save_publish_and_retire(app, editor, client):
    preview = post_form(editor, "/editor/listings/new", action="preview")
    assert preview.status_code == 200, soup(preview).select_one(".error-summary")
    page = soup(preview)
    card = page.select_one(".preview .listing")
    assert card and "Walsall Refuge Test" in card.get_text() and "0121 496 0000" in card.get_text()
    assert listing_id(app) is None  # a preview saves nothing

    saved = post_form(editor, "/editor/listings/new")
    assert saved.status_code == 303
    number = listing_id(app)
    assert saved.headers["Location"] == f"/editor/listings/{number}?done=created"
    assert "Walsall Refuge Test" not in client.get("/en/support-services?area=walsall").get_data(as_text=True)

    token = csrf(editor, f"/editor/listings/{number}")
    assert editor.post(f"/editor/listings/{number}/publish", data={"csrf_token": token}).status_code == 303
    assert "Walsall Refuge Test" in client.get("/en/support-services?area=walsall").get_data(as_text=True)
    assert editor.post(f"/editor/listings/{number}/retire", data={"csrf_token": token}).status_code == 303
    assert "Walsall Refuge Test" not in client.get("/en/support-services?area=walsall").get_data(as_text=True)

    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.record_type == "listing")).all()
        authors = set(db.session().scalars(select(AuditEvent.actor).where(AuditEvent.record_type == "listing")))
    assert actions == ["listing.created", "listing.published", "listing.retired"]
    assert authors == {"editor@example.org"}


def test_checked_today_sets_the_date_and_leaves_the_due_list(app, editor, runner):
    runner.invoke(args=["content", "load"])
    number = listing_id(app, "samaritans")
    token = csrf(editor, f"/editor/listings/{number}")
    editor.post(f"/editor/listings/{number}/verify", data={"csrf_token": token})
    page = soup(editor.get("/editor/"))
    assert "Samaritans" not in page.find(id="due-heading").find_parent("section").get_text()
    public = soup(editor.get("/en/support-services"))
    article = public.find(id="listing-samaritans").find_parent("article")
    assert "Not yet checked" not in article.get_text()


def test_invalid_answers_get_an_error_summary_and_save_nothing(app, editor):
    response = post_form(editor, "/editor/listings/new", name="", categories=None,
                         **{"contacts-0-value": "12", "contacts-1-hours": "late", "hours": "sometimes",
                            "source": "http://example.org"})
    assert response.status_code == 400
    page = soup(response)
    summary = page.select_one(".error-summary")
    links = {a["href"]: a.get_text() for a in summary.find_all("a")}
    assert links["#name"] == "Enter the service's name"
    assert "#categories-0" in links and "#contacts-0-value" in links and "#hours" in links and "#source" in links
    assert "#contacts-1-hours" in links and page.find(id="contacts-1-hours")["aria-describedby"] == "contacts-1-hours-error"
    assert page.find(id="contacts-0-value-error")
    assert page.find("title").get_text().startswith("Error:")
    assert page.find(id="summary")["name"] == "summary" and "Safe accommodation" in page.find(id="summary").get_text()
    with app.app_context():
        assert db.session().scalar(select(Listing)) is None


def test_errors_are_translated_for_an_editor_reading_polish(app, editor):
    url = "/editor/listings/new"
    data = {**FORM, "name": "", "action": "save", "csrf_token": csrf(editor, url)}
    page = soup(editor.post(url, data=data, headers={"Accept-Language": "pl"}))
    assert page.find("html")["lang"] == "pl"
    message = page.select_one(".error-summary a[href='#name']").get_text()
    assert message and message != "Enter the service's name"


def test_a_form_without_its_csrf_token_is_refused(app, editor):
    response = editor.post("/editor/listings/new", data={**FORM, "action": "save"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session().scalar(select(Listing)) is None


def test_revisions_record_author_and_diff_and_revert(app, editor):
    post_form(editor, "/editor/listings/new")
    number = listing_id(app)
    post_form(editor, f"/editor/listings/{number}/edit", name="Walsall Refuge (renamed)")
    page = soup(editor.get(f"/editor/listings/{number}"))
    rows = page.find(id="revisions-heading").find_parent("section").select("tbody tr")
    assert len(rows) == 2 and "editor@example.org" in rows[0].get_text()
    diff = soup(editor.get(f"/editor/listings/{number}/revisions/2"))
    assert diff.find("del").get_text() == "-name: Walsall Refuge Test"
    assert diff.find("ins").get_text() == "+name: Walsall Refuge (renamed)"
    token = csrf(editor, f"/editor/listings/{number}/revisions/1")
    assert editor.post(f"/editor/listings/{number}/revisions/1/revert", data={"csrf_token": token}).status_code == 303
    page = soup(editor.get(f"/editor/listings/{number}"))
    assert page.find("h1").get_text() == "Walsall Refuge Test"
    assert len(page.find(id="revisions-heading").find_parent("section").select("tbody tr")) == 3


def test_a_short_name_already_in_use_is_refused(app, editor):
    post_form(editor, "/editor/listings/new")
    response = post_form(editor, "/editor/listings/new")
    assert response.status_code == 400
    assert "already uses this short name" in soup(response).select_one(".error-summary").get_text()


def test_other_roles_cannot_reach_the_editor(app, client, clock):  # noqa: F811
    email, secret, _ = make_account(app, email="case@example.org", roles=("caseworker",))
    sign_in(client, email, secret, clock.now)
    assert client.get("/editor/").status_code == 403
    assert client.get("/editor/listings/new").status_code == 403


def test_unknown_listing_and_revision_are_404(editor):
    assert editor.get("/editor/listings/999999").status_code == 404
    assert editor.get("/editor/listings/999999/revisions/1").status_code == 404


# --- XSS corpus ----------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=10></circle></svg>",
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<p style=\"background:url(javascript:alert(1))\">styled</p>",
    "<<script>script>alert(1)<</script>/script>",
    "<div onmouseover=\"alert(1)\">hover",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "`<script>in code</script>`",
]
HARMLESS = "**Bold words**\n\n- first point\n- second point\n\n[Our page](https://example.org/page)"


def test_the_xss_corpus_never_reaches_the_public_page_and_formatting_survives(app, editor, client):
    description = "\n\n".join(XSS) + "\n\n" + HARMLESS
    response = post_form(editor, "/editor/listings/new", description=description,
                         name='Refuge <script>alert("name")</script>', summary="<img src=x onerror=alert(1)> help")
    assert response.status_code == 303, soup(response).select_one(".error-summary")
    number = listing_id(app, "refuge-script-alert-name-script")
    token = csrf(editor, f"/editor/listings/{number}")
    editor.post(f"/editor/listings/{number}/publish", data={"csrf_token": token})

    for url in ("/en/support-services?area=walsall", f"/editor/listings/{number}"):
        html = (client if url.startswith("/en") else editor).get(url).get_data(as_text=True)
        article = BeautifulSoup(html, "html.parser").find(id=f"listing-{'refuge-script-alert-name-script'}").find_parent("article")
        for tag in ("script", "img", "svg", "iframe", "style", "math", "table"):
            assert article.find(tag) is None, (url, tag)
        assert article.select_one(".listing-description div") is None
        for element in article.find_all(True):
            assert not any(name.startswith("on") or name == "style" for name in element.attrs), (url, element)
            href = element.get("href", "")
            assert not re.match(r"\s*(javascript|data|vbscript):", href, re.I), (url, href)
        assert 'Refuge <script>alert("name")</script>' in article.find("h3").get_text()  # shown as text
        if url.startswith("/en"):
            continue  # the directory's compact card has no description; the editor's full view has
        description_html = article.select_one(".listing-description")
        assert description_html.find("strong").get_text() == "Bold words"
        assert [li.get_text() for li in description_html.find_all("li")] == ["first point", "second point"]
        link = description_html.find("a", href="https://example.org/page")
        assert link and link["rel"] == ["noreferrer"]

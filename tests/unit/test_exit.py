"""The quick exit without JavaScript: /exit must do everything by itself."""


def test_exit_clears_the_session_and_leaves_for_the_neutral_site(client):
    client.set_cookie("haven_session", "something-from-an-earlier-form")
    response = client.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.bbc.co.uk/weather"
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("haven_session=;") and "Max-Age=0" in cookie
    assert client.get_cookie("haven_session") is None


def test_exit_destination_comes_from_the_content_profile(app, client):
    from dataclasses import replace

    app.extensions["haven_profile"] = replace(
        app.extensions["haven_profile"], exit_destination="https://www.example.org/")
    assert client.get("/exit").headers["Location"] == "https://www.example.org/"


def test_the_exit_beacon_forgets_the_session_without_a_page(client):
    """The script's beacon (POST, no CSRF token: there is nothing to forge) gets no page back."""
    with client.session_transaction() as session:
        session["csrf_token"] = "left-by-a-form"
    response = client.post("/exit")
    assert response.status_code == 204 and response.get_data() == b""
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'
    assert "haven_session=;" in response.headers.get("Set-Cookie", "")

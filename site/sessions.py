"""The Flask session (the `haven_session` cookie: a form's CSRF token, a sign-in half done),
opened only when the browser sent one.

Most requests are a resident reading a public page with no cookie at all. Flask builds the cookie's
signing serializer (key derivation included) before it looks for the cookie; looking first spares
every such request that work, and answers exactly as Flask would: an empty, new session.
"""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CookieFirstSessions(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

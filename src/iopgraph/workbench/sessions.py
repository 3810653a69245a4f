"""Browser sessions of the workbench: a token is exchanged once for a short-lived server-side session.

    store = SessionStore(lifetime, base_url)          # once per app (its AppContext keeps it)
    session = store.create(agent, role)            # at sign-in: always a NEW random id
    session = store.find(request)                  # the live session of the cookie, or None
    store.check_csrf(request, session, form_token) # every POST: 403 csrf-failed unless it matches

The cookie (``iopgraph_session``) holds only a random id (256 bits); the agent, role,
expiry and CSRF token stay on the server. It is HttpOnly, SameSite=Strict, ``Path=/``,
``Secure`` when the service is reached over https, and lasts ``IOPGRAPH_SESSION_LIFETIME``
seconds. An id the server did not issue is never adopted (no session fixation): sign-in
discards whatever session the browser presented and issues a fresh id.

CSRF: a synchroniser token per session, put in every write form (hidden ``csrf_token``)
and sent by the page's scripts as ``X-CSRF-Token``; compared in constant time. The
sign-in form, which has no session yet, uses a double-submit token (a random cookie
``iopgraph_signin`` equal to the hidden field).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Request, Response

from iopgraph.core.errors import Forbidden

COOKIE = "iopgraph_session"
SIGNIN_COOKIE = "iopgraph_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: Most live sessions kept; the oldest is dropped beyond (sign-in needs a valid token, so this is a safety net).
MAX_SESSIONS = 10_000


class CsrfFailed(Forbidden):
    code = "csrf-failed"


@dataclass
class Session:
    id: str
    agent: str
    role: str
    csrf: str
    expires: float

    @property
    def is_publisher(self) -> bool:
        return self.role == "publisher"


def is_https(request: Request, base_url: str) -> bool:
    """The service is reached over https: this request, or the public base URL, says so."""
    return request.url.scheme == "https" or str(base_url).startswith("https://")


class SessionStore:
    """Live sessions, in memory (a restart signs everyone out, which is the safe direction)."""

    def __init__(self, lifetime: int, base_url: str = "") -> None:
        self.lifetime = lifetime
        self.base_url = base_url  # IOPGRAPH_BASE_URL: an https one makes every cookie Secure
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, agent: str, role: str) -> Session:
        session = Session(
            secrets.token_urlsafe(32),
            agent,
            role,
            secrets.token_urlsafe(32),
            time.monotonic() + self.lifetime,
        )
        with self._lock:
            self._expire()
            if len(self._sessions) >= MAX_SESSIONS:
                del self._sessions[next(iter(self._sessions))]
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.expires <= time.monotonic():
                del self._sessions[session_id]
                return None
            return session

    def find(self, request: Request) -> Session | None:
        return self.get(request.cookies.get(COOKIE))

    def destroy(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[key]

    # -- cookies ---------------------------------------------------------------------------------

    def set_cookie(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            session.id,
            max_age=self.lifetime,
            path="/",
            httponly=True,
            samesite="strict",
            secure=is_https(request, self.base_url),
        )

    def clear_cookie(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path="/", httponly=True, samesite="strict", secure=is_https(request, self.base_url)
        )

    # -- CSRF ------------------------------------------------------------------------------------

    @staticmethod
    def check_csrf(request: Request, session: Session, form_token: str | None = None) -> None:
        """Raise 403 ``csrf-failed`` unless the form field or the header carries the session's token."""
        given = form_token if form_token is not None else request.headers.get(CSRF_HEADER, "")
        if not given or not hmac.compare_digest(given.encode("utf-8"), session.csrf.encode("utf-8")):
            raise CsrfFailed(
                "the form's security token is missing or does not match your session; "
                "reload the page and try again (nothing was changed)"
            )


def new_signin_token() -> str:
    return secrets.token_urlsafe(32)


def check_signin_token(request: Request, form_token: str | None) -> None:
    """The sign-in form's double-submit check: the hidden field equals the sign-in cookie."""
    cookie = request.cookies.get(SIGNIN_COOKIE, "")
    if (
        not cookie
        or not form_token
        or not hmac.compare_digest(cookie.encode("utf-8"), form_token.encode("utf-8"))
    ):
        raise CsrfFailed(
            "the sign-in form's security token is missing or does not match; reload the sign-in "
            "page and try again"
        )

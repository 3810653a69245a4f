"""Who may write: bearer tokens from IOPGRAPH_WRITE_TOKEN or IOPGRAPH_WRITE_TOKEN_FILE.

    tokens = WriteTokens.from_settings(settings)
    agent = tokens.authenticate(request.headers.get("authorization"))   # "steward", or raises

No token configured → writes are off (403 ``writes-disabled``). No or malformed
``Authorization`` → 401 with ``WWW-Authenticate: Bearer``. A wrong token → 403.
Tokens are compared with :func:`hmac.compare_digest` against every configured
token, so the time taken does not tell which token (or how much of it) matched.

The token file holds one token per line, optionally preceded by the agent name
recorded in provenance (``city-of-ghent 3f9c…``); blank lines and ``#`` comments
are skipped. A token alone gets the agent name ``IOPGRAPH_WRITE_AGENT``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from iopgraph.config import Settings
from iopgraph.errors import Forbidden, StoreError, Unauthorized, WritesDisabled

MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class WriteTokens:
    """The configured (agent name, token) pairs; empty means writes are off."""

    entries: tuple[tuple[str, str], ...]

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    @classmethod
    def from_settings(cls, settings: Settings) -> WriteTokens:
        entries: list[tuple[str, str]] = []
        if settings.write_token:
            entries.append((settings.write_agent, settings.write_token.strip()))
        if settings.write_token_file:
            try:
                text = settings.write_token_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise StoreError(f"cannot read the write token file {settings.write_token_file}: {exc.strerror}") from exc
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                name, _, token = line.rpartition(" ")
                entries.append((name.strip() or settings.write_agent, token))
        for name, token in entries:
            if len(token) < MIN_TOKEN_LENGTH:
                raise StoreError(f"the write token of {name!r} is shorter than {MIN_TOKEN_LENGTH} characters")
        return cls(tuple(entries))

    def authenticate(self, authorization: str | None) -> str:
        """The agent name of the request's bearer token; raises 403/401/403 as described above."""
        if not self.enabled:
            raise WritesDisabled("writes are disabled on this server (no IOPGRAPH_WRITE_TOKEN is configured)")
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized("writing needs a bearer token: send 'Authorization: Bearer <token>'")
        given = credentials.strip().encode("utf-8")
        agent: str | None = None
        for name, token in self.entries:
            # Compare against every token (no early exit) in constant time per comparison.
            if hmac.compare_digest(given, token.encode("utf-8")) and agent is None:
                agent = name
        if agent is None:
            raise Forbidden("the bearer token is not valid for writing")
        return agent

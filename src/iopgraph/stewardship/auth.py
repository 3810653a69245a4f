"""Who may write: bearer tokens from IOPGRAPH_WRITE_TOKEN or IOPGRAPH_WRITE_TOKEN_FILE.

    tokens = WriteTokens.from_settings(settings)
    agent = tokens.authenticate(request.headers.get("authorization"))   # "steward", or raises

No token configured → writes are off (403 ``writes-disabled``). No or malformed
``Authorization`` → 401 with ``WWW-Authenticate: Bearer``. A wrong token → 403.
Tokens are compared with :func:`hmac.compare_digest` against every configured
token, so the time taken does not tell which token (or how much of it) matched.

The token file holds one token per line, optionally preceded by the agent name
recorded in provenance (``city-of-ghent 3f9c…``) and optionally by a role between
them (``city-of-ghent proposer 3f9c…``); blank lines and ``#`` comments are skipped.
A token alone gets the agent name ``IOPGRAPH_WRITE_AGENT``. Roles: ``publisher`` (the
default: writes through the API and accepts proposals in the workbench) and
``proposer`` (may only submit proposals in the browser workbench; refused by the write API).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from iopgraph.core.errors import Forbidden, StoreError, Unauthorized, WritesDisabled
from iopgraph.core.settings import Settings

MIN_TOKEN_LENGTH = 16
PUBLISHER = "publisher"
PROPOSER = "proposer"
ROLES = frozenset({PUBLISHER, PROPOSER})


@dataclass(frozen=True)
class WriteTokens:
    """The configured (agent name, token) pairs; empty means writes are off."""

    entries: tuple[tuple[str, str], ...]
    roles: tuple[str, ...] = ()  # one per entry (missing: publisher)

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    @classmethod
    def from_settings(cls, settings: Settings) -> WriteTokens:
        entries: list[tuple[str, str]] = []
        roles: list[str] = []
        if settings.write_token:
            entries.append((settings.write_agent, settings.write_token.strip()))
            roles.append(PUBLISHER)
        if settings.write_token_file:
            try:
                text = settings.write_token_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise StoreError(
                    f"cannot read the write token file {settings.write_token_file}: {exc.strerror}"
                ) from exc
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                name, _, token = line.rpartition(" ")
                words = name.split()
                role = PUBLISHER
                if len(words) >= 2 and words[-1] in ROLES:
                    role, name = words[-1], " ".join(words[:-1])
                entries.append((name.strip() or settings.write_agent, token))
                roles.append(role)
        for name, token in entries:
            if len(token) < MIN_TOKEN_LENGTH:
                raise StoreError(f"the write token of {name!r} is shorter than {MIN_TOKEN_LENGTH} characters")
        return cls(tuple(entries), tuple(roles))

    def identify(self, given_token: str) -> tuple[str, str] | None:
        """(agent, role) of ``given_token``, or None; every token is compared, in constant time each."""
        given = given_token.strip().encode("utf-8")
        found: tuple[str, str] | None = None
        for i, (name, token) in enumerate(self.entries):
            if hmac.compare_digest(given, token.encode("utf-8")) and found is None:
                found = (name, self.roles[i] if i < len(self.roles) else PUBLISHER)
        return found

    def authenticate(self, authorization: str | None) -> str:
        """The agent name of the request's bearer token; raises 403/401/403 as described above."""
        if not self.enabled:
            raise WritesDisabled("writes are disabled on this server (no IOPGRAPH_WRITE_TOKEN is configured)")
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized("writing needs a bearer token: send 'Authorization: Bearer <token>'")
        # Compares against every token (no early exit) in constant time per comparison: hmac.compare_digest.
        found = self.identify(credentials)
        if found is None:
            raise Forbidden("the bearer token is not valid for writing")
        if found[1] != PUBLISHER:
            raise Forbidden(
                "this token may submit proposals in the workbench (/proposals) but not write; "
                "a publisher accepts them"
            )
        return found[0]

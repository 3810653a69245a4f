"""The one reader of ``Content-Type`` headers (RFC 9110 §8.3): media type and parameters.

    ct = parse_content_type('text/turtle; charset="UTF-8"')
    ct.media_type   # 'text/turtle' (lower case; '' when the header is absent or empty)
    ct.charset      # 'utf-8'

Request bodies, multipart parts and the SPARQL protocol all name their syntax
this way; parameter values may be quoted, and a ``;`` inside quotes is part
of the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARAMETER = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class ContentType:
    """A parsed ``Content-Type``: the media type (``type/subtype``, lower case) and its parameters."""

    media_type: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter in lower case, or None."""
        value = self.parameters.get("charset")
        return value.lower() if value is not None else None


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_content_type(header: str | None) -> ContentType:
    """The media type and parameters of a ``Content-Type`` value (parameter names in lower case)."""
    if not header:
        return ContentType("")
    media_type, _, rest = header.partition(";")
    parameters: dict[str, str] = {}
    for name, value in _PARAMETER.findall(";" + rest if rest else ""):
        parameters.setdefault(name.lower(), _unquote(value))
    return ContentType(media_type.strip().lower(), parameters)

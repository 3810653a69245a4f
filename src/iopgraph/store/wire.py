"""The message framing between the service and its query worker processes.

A message is a JSON header plus an opaque byte payload:
``[4-byte header length][8-byte payload length][header][payload]``, big-endian.
Blocking helpers are for the worker; the async ones for the service.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any, BinaryIO

#: The fixed-size start of every message: header length, payload length.
PREFIX = struct.Struct(">IQ")

Header = dict[str, Any]


def encode(header: Header, payload: bytes = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return PREFIX.pack(len(head), len(payload)) + head + payload


def decode_header(head: bytes) -> Header:
    header: Header = json.loads(head)
    return header


def read_blocking(stream: BinaryIO) -> tuple[Header, bytes] | None:
    """The next message from ``stream``, or None at end of stream."""
    prefix = stream.read(PREFIX.size)
    if len(prefix) < PREFIX.size:
        return None
    head_len, payload_len = PREFIX.unpack(prefix)
    head = stream.read(head_len)
    payload = stream.read(payload_len) if payload_len else b""
    return decode_header(head), payload


async def read_async(reader: asyncio.StreamReader) -> tuple[Header, bytes]:
    """The next message from ``reader``; raises ``asyncio.IncompleteReadError`` at end of stream."""
    prefix = await reader.readexactly(PREFIX.size)
    head_len, payload_len = PREFIX.unpack(prefix)
    head = await reader.readexactly(head_len)
    payload = await reader.readexactly(payload_len) if payload_len else b""
    return decode_header(head), payload

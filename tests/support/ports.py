"""A free TCP port on 127.0.0.1 (the only address the tests ever listen on)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now: bound once by the OS's choice and released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""The sandbox every worker process enters before it reads any input: no network, bounded memory, big stack.

Applied by the zygote (:mod:`iopgraph.store.zygote`) first thing, while it is
single-threaded, before pyoxigraph is imported and before a byte of client input
exists; the query workers it forks inherit it (namespaces and rlimits survive ``fork()``):

    report = sandbox.apply(keep_network=False, memory_mb=4096)
    report.as_header()   # {"network_isolation": True, "network_mode": "none", ...} -> the ready message

* **No network.** The worker moves into a network namespace of its own, which
  has no interface but a loopback that is down: every ``connect()`` fails
  (``ENETUNREACH``), to 127.0.0.1 as much as to the internet, and names do not
  resolve. That is where a ``SERVICE`` fetch (or any other outbound request a
  parser might make) would happen, so nothing depends on scanning query text.
  As root this is ``unshare(CLONE_NEWNET)``; otherwise
  ``unshare(CLONE_NEWUSER | CLONE_NEWNET)`` with the worker's own uid/gid mapped.
  When neither is possible (a container without the capability, a kernel with
  user namespaces off) the report says so and why (``network_mode:
  "unisolated"``); the service logs a warning and ``/readyz`` shows
  ``"network_isolation": false``. When ``IOPGRAPH_SERVICE_ALLOWLIST`` names
  hosts the worker keeps the network on purpose (``network_mode:
  "allow-list"``): then the allow-list check of the query text is what remains.
* **Bounded memory.** ``RLIMIT_AS`` caps the address space
  (``IOPGRAPH_WORKER_MEMORY_MB``): a runaway allocation fails inside the worker,
  which dies, and the service replaces it; the server process is untouched.
  ``RLIMIT_CORE`` is 0 (no core files of a crashed worker).
* **A big stack.** Deep but legal queries recurse deeply in the engine's parser
  and evaluator; :func:`run_with_big_stack` runs a call in a thread whose stack
  is :data:`EVAL_STACK_MB` (reserved inside the address-space limit).
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

#: Stack of the evaluation thread, in MiB (virtual: only touched pages cost memory); at most a
#: quarter of the address-space limit.
EVAL_STACK_MB = 512

_stack_mb = EVAL_STACK_MB

T = TypeVar("T")


@dataclass(frozen=True)
class SandboxReport:
    """What :func:`apply` achieved; sent to the service in the zygote's and each worker's ready message."""

    network_isolation: bool
    network_mode: str  # "none" (isolated), "allow-list" (kept on purpose), "unisolated" (could not isolate)
    reason: str
    memory_limit_mb: int | None

    def as_header(self) -> dict[str, Any]:
        return {
            "network_isolation": self.network_isolation,
            "network_mode": self.network_mode,
            "sandbox_reason": self.reason,
            "memory_limit_mb": self.memory_limit_mb,
        }


def _unshare(flags: int) -> int:
    """``unshare(flags)``; 0 on success, else the errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) == 0:
        return 0
    return ctypes.get_errno() or errno.EPERM


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def _isolate_network() -> tuple[bool, str]:
    """Enter a new, empty network namespace; (done, how or why not)."""
    failure = _unshare(CLONE_NEWNET)
    if failure == 0:
        return True, "network namespace"
    uid, gid = os.getuid(), os.getgid()
    failure_user = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
    if failure_user == 0:
        try:  # map our own ids, so files stay readable as before
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
            _write("/proc/self/gid_map", f"{gid} {gid} 1\n")
        except OSError:
            pass  # the namespace is in place either way; only file ownership shows as nobody
        return True, "user and network namespace"
    return False, (
        f"cannot create a network namespace (unshare: {os.strerror(failure)}; "
        f"as an unprivileged user: {os.strerror(failure_user)})"
    )


def network_blocked() -> bool:
    """Whether an outbound TCP connection to loopback fails as it does without any network."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(("127.0.0.1", 9))
        except OSError as exc:
            return exc.errno in (errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EACCES, errno.EPERM)
        return False


def _limit_memory(memory_mb: int | None) -> int | None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not memory_mb:
        return None
    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit // (1024 * 1024)


def apply(keep_network: bool, memory_mb: int | None) -> SandboxReport:
    """Confine the current process (see the module docstring); call before any other thread starts."""
    if keep_network:
        mode, isolated, reason = (
            "allow-list",
            False,
            "IOPGRAPH_SERVICE_ALLOWLIST is set: SERVICE may reach its hosts",
        )
    else:
        isolated, reason = _isolate_network()
        if isolated and not network_blocked():
            isolated, reason = False, f"a {reason} was created but loopback is still reachable"
        mode = "none" if isolated else "unisolated"
    limit = _limit_memory(memory_mb)
    global _stack_mb
    _stack_mb = min(EVAL_STACK_MB, max(16, limit // 4)) if limit else EVAL_STACK_MB
    return SandboxReport(isolated, mode, reason, limit)


def run_with_big_stack(call: Callable[[], T]) -> T:
    """``call()`` in a thread with a big stack (see :data:`EVAL_STACK_MB`); its exception is re-raised here."""
    values: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            values.append(call())
        except BaseException as exc:  # handed to the caller
            errors.append(exc)

    previous = threading.stack_size(_stack_mb * 1024 * 1024)
    try:
        thread = threading.Thread(target=target, name="iopgraph-eval", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if errors:
        raise errors[0]
    return values[0]

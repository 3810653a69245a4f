"""The zygote: one sandboxed process that holds the graph in memory once and forks the query workers.

Started by :mod:`iopgraph.store.pool` as
``python -m iopgraph.store.zygote SNAPSHOT.nq --fd-socket N [--memory-mb N] [--keep-network]``.

It enters the sandbox first (:mod:`iopgraph.store.sandbox`: no network, an
address-space limit, no core files), while it is still single-threaded; then it
loads the N-Quads snapshot into an in-memory Oxigraph store (blank-node labels
kept: a write planned in a worker names the on-disk store's nodes) and says
``{"zygote": true, "ready": true, "quads", "load_seconds", ...sandbox report}``
on stdout. From then on it reads messages on stdin (see :mod:`wire`):

* ``{"op": "fork"}``: take the next socket from the fd-passing socket (``--fd-socket``,
  SCM_RIGHTS: the pool sends it just before the message), ``fork()``, and answer
  ``{"forked": pid}``. The child is a query worker (:func:`iopgraph.store.worker.serve`)
  talking over that socket; it shares the zygote's pages copy-on-write, so N workers
  cost about one copy of the graph, and it inherits the sandbox;
* ``{"op": "apply"}`` + ``REMOVE\\0ADD``: apply a write, so a worker forked later is current.

With ``--read-only`` the argument is a RocksDB checkpoint of the durable store instead:
the zygote loads nothing and each forked worker opens the checkpoint read-only
(``Store.read_only``: no other process ever writes a checkpoint, so that is safe).
Such *cold* workers answer within a second of a start, at the on-disk store's speed,
while a second zygote loads the in-memory copy; the pool then swaps them out.

The zygote reaps its children and reports each end as ``{"exited": pid, "returncode": n}``
(negative: the signal), so the pool can tell a crash from an out-of-memory exit. The zygote
never runs a query, never starts a thread (``fork()`` copies only the calling thread), and
ends when its stdin closes (the service stopped or replaced it).
"""

from __future__ import annotations

import argparse
import os
import random
import select
import signal
import socket
import sys
import time
from typing import Any, BinaryIO

from iopgraph.core import malloc
from iopgraph.store import sandbox, wire, worker

# Not used here: what every query needs, imported once so that each forked worker shares it (imported
# in the worker, it cost every fresh fork ~50 ms on its first query, after each recycling too).
from iopgraph.store import engine  # noqa: F401  # isort: skip


class _SocketWriter:
    """A binary writer over a stream socket that always writes every byte (``sendall``)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        pass


class _Inbox:
    """Framed messages read from a raw file descriptor, so that ``select`` sees every unread byte."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def next(self) -> tuple[wire.Header, bytes] | None:
        """A complete buffered message, if there is one."""
        prefix = wire.PREFIX.size
        if len(self.buffer) < prefix:
            return None
        head_len, payload_len = wire.PREFIX.unpack_from(self.buffer)
        end = prefix + head_len + payload_len
        if len(self.buffer) < end:
            return None
        header = wire.decode_header(bytes(self.buffer[prefix : prefix + head_len]))
        payload = bytes(self.buffer[prefix + head_len : end])
        del self.buffer[:end]
        return header, payload

    def fill(self) -> bool:
        """Read what is there; False at end of stream."""
        data = os.read(self.fd, 1 << 20)
        self.buffer += data
        return bool(data)


#: The workers' private memory together (and each worker's alone) may reach this share of the zygote's
#: (at least :data:`RECYCLE_MIN_MB`) before one is replaced by a fresh fork: one warm worker can keep
#: what a scan of the whole graph copies (a GROUP BY over 1M triples: ~65 % of the copy), so repeated
#: heavy queries run at the engine's speed, not at the speed of a fresh fork's page copies
#: (see :func:`iopgraph.store.worker.serve` and ``WorkerPool``).
RECYCLE_SHARE = 0.8
RECYCLE_MIN_MB = 128.0


def _become_worker(
    store: Any,
    channel: socket.socket,
    keep: set[int],
    report: dict[str, Any],
    read_only: str | None,
    recycle_mb: float,
) -> None:
    """In the forked child: drop the zygote's channels, then answer queries on ``channel``; never returns."""
    code = 0
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in keep:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # the zygote's stdin is not ours to read
        os.close(null)
        random.seed()  # siblings must not share a random sequence
        if read_only is not None:
            import pyoxigraph as ox

            store = ox.Store.read_only(read_only)
        inbox = channel.makefile("rb")
        sandbox.run_with_big_stack(
            lambda: worker.serve(store, inbox, _SocketWriter(channel), report, recycle_mb)
        )
    except MemoryError:
        code = 70  # state unknown: the service replaces this worker
    except BaseException:  # a worker never runs the zygote's loop
        code = 1
    os._exit(code)


def run(
    snapshot: str,
    fd_socket: socket.socket,
    outbox: BinaryIO,
    report: dict[str, Any],
    read_only: bool = False,
    recycle_mb: float = 0.0,
) -> None:
    started = time.monotonic()
    # A checkpoint is opened by each worker after the fork: RocksDB starts threads, a zygote must have none.
    store = None if read_only else worker.load(snapshot)
    malloc.release_free_memory()  # the loader's freed chunks: before the forks, so no worker inherits them
    # Cold workers are swapped out soon anyway (and their RocksDB caches are their own): never recycled.
    if read_only:
        recycle_mb = 0.0
    elif not recycle_mb:
        recycle_mb = max(RECYCLE_MIN_MB, RECYCLE_SHARE * worker.private_dirty_mb())
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # woken through the pipe; reaped below

    def say(header: wire.Header) -> None:
        outbox.write(wire.encode(header))

    say(
        {
            "zygote": True,
            "ready": True,
            "pid": os.getpid(),
            "quads": None if store is None else len(store),
            "cold": read_only,
            "load_seconds": round(time.monotonic() - started, 3),
            "recycle_mb": round(recycle_mb, 1),
            **report,
        }
    )
    inbox = _Inbox(0)
    own = {wake_read, wake_write, fd_socket.fileno(), outbox.fileno()}
    while True:
        message = inbox.next()
        if message is None:
            readable, _, _ = select.select([0, wake_read], [], [])
            if wake_read in readable:
                os.read(wake_read, 4096)
                _reap(say)
            if 0 in readable and not inbox.fill():
                return
            continue
        header, payload = message
        op = header.get("op")
        if op == "apply" and store is not None:
            worker.apply(store, payload)
        elif op == "fork":
            _, fds, _, _ = socket.recv_fds(fd_socket, 1, 1)
            channel = socket.socket(fileno=fds[0])
            pid = os.fork()
            if pid == 0:
                _become_worker(
                    store,
                    channel,
                    own,
                    {**report, "forked_from": os.getppid()},
                    snapshot if read_only else None,
                    recycle_mb,
                )
            channel.close()
            say({"forked": pid})


def _reap(say: Any) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        say({"exited": pid, "returncode": os.waitstatus_to_exitcode(status)})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="iopgraph.store.zygote")
    parser.add_argument("snapshot")
    parser.add_argument("--fd-socket", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--keep-network", action="store_true")
    parser.add_argument("--read-only", action="store_true", help="SNAPSHOT is a RocksDB checkpoint folder")
    parser.add_argument("--recycle-mb", type=float, default=0.0, help="0: a share of the zygote's memory")
    options = parser.parse_args(argv)
    report = sandbox.apply(keep_network=options.keep_network, memory_mb=options.memory_mb or None)
    outbox = worker.private_stdout()
    fd_socket = socket.socket(fileno=options.fd_socket)
    try:
        run(options.snapshot, fd_socket, outbox, report.as_header(), options.read_only, options.recycle_mb)
    except MemoryError:
        os._exit(70)  # the snapshot does not fit under IOPGRAPH_WORKER_MEMORY_MB
    sys.exit(0)


if __name__ == "__main__":
    main()

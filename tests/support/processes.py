"""Servers the tests start as whole process groups, and a check that none is left listening."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_SECONDS = 60
STOP_SECONDS = 10

# Every port a server started through `serving` listened on, in this test process.
STARTED_PORTS: set[int] = set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something accepts a real TCP connection on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the process's whole group (a reloader's child too); SIGKILL what outlives it."""
    pgid = process.pid  # start_new_session=True: the leader's pid is the group's id
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if group_alive(pgid):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + STOP_SECONDS
        while group_alive(pgid) and time.monotonic() < deadline:
            if process.poll() is None:
                try:
                    process.wait(timeout=0.1)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.1)
        if not group_alive(pgid):
            break
    process.wait(timeout=STOP_SECONDS)


@contextmanager
def serving(
    command: list[str], cwd: Path, port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """Starts the command in a session of its own, waits until its port accepts connections,
    and on exit stops the whole process group."""
    process = subprocess.Popen(  # noqa: S603 - the tests' own commands
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    STARTED_PORTS.add(port)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not listening(port):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, f"{command} did not listen on {port}"
            time.sleep(0.2)
        yield process
    finally:
        stop_group(process)
        if process.stderr is not None:
            process.stderr.close()

"""`make run-md5` and `make run-monitor`: each serves on 127.0.0.1, answers the notes' calls,
and leaves nothing listening once stopped (the whole process group, a reloader's child too)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import free_port, listening, serving, stop_group

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parents[2]
STOP_SECONDS = 10


def fetch(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, data=data, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def closes(port: int) -> bool:
    """Whether the port stops accepting connections within STOP_SECONDS."""
    deadline = time.monotonic() + STOP_SECONDS
    while listening(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not listening(port)


def test_chalice_local_serves_the_md5_api_and_stops_with_its_reloader():
    port = free_port()
    chalice = str(Path(sys.executable).with_name("chalice"))
    command = [chalice, "local", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, PROJECT_DIR / "functions" / "md5_api", port):
        status, body = fetch(f"http://127.0.0.1:{port}/md5/PracticalAWS")

    assert status == 200
    assert json.loads(body) == {"response": "376461965e548b96788ff26306035e4f"}
    assert not listening(port), f"chalice local still answers on {port} after it was stopped"


@pytest.mark.parametrize(
    ("target", "port_variable", "path"),
    [("run-md5", "MD5_PORT", "/md5/x"), ("run-monitor", "MONITOR_PORT", "/api/status")],
)
def test_make_run_stopped_by_its_pid_leaves_nothing_listening(target, port_variable, path):
    """What a user does: `make run-md5 &`, then `kill <that pid>`; the server must go too."""
    port = free_port()
    # -o: never (re)install .venv from inside a test, even when a lock is newer.
    command = ["make", "-s", "-o", ".venv/.installed", target, f"{port_variable}={port}"]
    with serving(command, PROJECT_DIR, port) as make:
        status, _ = fetch(f"http://127.0.0.1:{port}{path}")
        make.terminate()
        make.wait(timeout=STOP_SECONDS)
        closed = closes(port)

    assert status == 200
    assert closed, f"`make {target}` was stopped by its pid but {port} still answers"


def test_run_monitor_serves_the_seeded_status_and_ping():
    port = free_port()
    command = [sys.executable, "-m", "tools.run_monitor", "--port", str(port)]
    with serving(command, PROJECT_DIR, port):
        page_status, page = fetch(f"http://127.0.0.1:{port}/")
        ping_status, ping = fetch(
            f"http://127.0.0.1:{port}/ping", b"domain=http://169.254.169.254/"
        )

    assert page_status == 200
    assert "1 of 4 sites down" in page.decode()
    assert ping_status == 400
    assert json.loads(ping)["error"].startswith("refused ")
    assert not listening(port), f"the monitor still answers on {port} after it was stopped"


def test_run_monitor_says_what_it_does_before_its_slow_start():
    """Issue 26 item 9: the dev server was silent for about 11 s (imports, seeding the table)
    before Flask's banner. Its progress lines must reach a pipe while the server is not yet up."""
    port = free_port()
    command = [sys.executable, "-m", "tools.run_monitor", "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        up_at_first_line = listening(port)
        lines = [first]
        while "Running on" not in lines[-1] and process.poll() is None:
            lines.append(process.stdout.readline())
    finally:
        stop_group(process)

    assert first.startswith("Starting the uptime monitor"), lines
    assert not up_at_first_line, "the first line came only once the server was up"
    seeding = [line for line in lines if line.startswith("Seeding sample data")]
    assert seeding, lines
    assert lines.index(seeding[0]) < next(
        index for index, line in enumerate(lines) if "Running on" in line
    )

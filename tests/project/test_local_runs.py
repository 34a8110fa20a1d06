"""`make run-md5` and `make run-monitor`: each serves on 127.0.0.1 and answers the notes' calls."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(command: list[str], cwd: Path, port: int) -> Iterator[str]:
    """Starts the command and waits until its port accepts connections."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"{command} did not listen on {port}"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, data=data, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_chalice_local_serves_the_md5_api():
    port = free_port()
    chalice = str(Path(sys.executable).with_name("chalice"))
    command = [chalice, "local", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, PROJECT_DIR / "functions" / "md5_api", port) as base:
        status, body = fetch(f"{base}/md5/PracticalAWS")

    assert status == 200
    assert json.loads(body) == {"response": "376461965e548b96788ff26306035e4f"}


def test_run_monitor_serves_the_seeded_status_and_ping():
    port = free_port()
    command = [sys.executable, "-m", "tools.run_monitor", "--port", str(port)]
    with running(command, PROJECT_DIR, port) as base:
        page_status, page = fetch(f"{base}/")
        ping_status, ping = fetch(f"{base}/ping", b"domain=http://169.254.169.254/")

    assert page_status == 200
    assert "1 of 4 sites down" in page.decode()
    assert ping_status == 400
    assert json.loads(ping)["error"].startswith("refused ")

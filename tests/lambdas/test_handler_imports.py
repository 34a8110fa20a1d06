"""Cold starts: importing a Lambda handler loads no AWS client library and no web framework;
each is imported on first use, by the invocation that needs it (bench/bench_cold_starts.py
measures the import against `import flask, boto3, requests`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
# The modules that make a cold start slow: AWS SDK clients and Flask's stack.
HEAVY = ("boto3", "botocore.session", "botocore.client", "flask", "werkzeug", "jinja2", "apig_wsgi")


def loaded_heavy_modules(function: str, module: str) -> list[str]:
    probe = (
        f"import json, sys, {module}; "
        f"print(json.dumps(sorted(set({list(HEAVY)!r}) & set(sys.modules))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.'); {probe}"],
        cwd=FUNCTIONS / function,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(loaded.stdout)


@pytest.mark.parametrize(
    ("function", "module"),
    [
        ("upload_processor", "uploads.handler"),
        ("uptime_monitor", "monitor.http_handler"),
        ("uptime_monitor", "monitor.scheduled_handler"),
        ("queue_consumer", "consumer.handler"),
        ("md5_api", "app"),
    ],
)
def test_importing_the_handler_defers_clients_and_frameworks(function, module):
    assert loaded_heavy_modules(function, module) == []

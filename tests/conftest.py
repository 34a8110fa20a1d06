"""Shared fixtures: mocked runs of the real program, cached per stack and mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.processes import STARTED_PORTS, listening
from tools.offline import Plan, run_program

STACKS = ("dev", "prod")
BROWSER_TESTS = "test_status_page_browser.py"
NODE_REHEARSAL = Path(__file__).parent / "web" / "node"


def pytest_ignore_collect(collection_path, config) -> bool | None:
    """Tests that need what only their own target installs are not even collected unless
    selected: the browser tests (`make test-browser`: Playwright) and the web node's boot
    rehearsal (`make test-node`: the AWS CLI, Debian's packages, root and namespaces)."""
    selection = config.getoption("markexpr")
    if collection_path.name == BROWSER_TESTS and not _selected("browser", selection):
        return True
    if collection_path == NODE_REHEARSAL and not _selected("node", selection):
        return True
    return None


def _selected(mark: str, selection: str) -> bool:
    """Whether a `-m` expression asks for `mark` (not merely leaves it out)."""
    return mark in selection and f"not {mark}" not in selection


@pytest.fixture(scope="session")
def stack_plan() -> Callable[..., Plan]:
    """`stack_plan("dev")` or `stack_plan("prod", preview=True)`: the program's full plan."""
    cache: dict[tuple[str, bool], Plan] = {}

    def plan(stack: str, preview: bool = False) -> Plan:
        if (stack, preview) not in cache:
            cache[stack, preview] = run_program(stack, preview=preview)
        return cache[stack, preview]

    return plan


@pytest.fixture(scope="session", autouse=True)
def no_listener_left_behind():
    """After the session: nothing answers on a port a server the suite started listened on."""
    yield
    left = sorted(port for port in STARTED_PORTS if listening(port))
    assert not left, f"servers the tests started still listen on 127.0.0.1 ports {left}"

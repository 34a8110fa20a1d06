"""Shared fixtures: mocked runs of the real program, cached per stack and mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tools.offline import Plan, run_program

STACKS = ("dev", "prod")
BROWSER_TESTS = "test_status_page_browser.py"


def pytest_ignore_collect(collection_path, config) -> bool | None:
    """`make test` deselects the browser tests (`-m 'not browser'`): their module needs
    Playwright, which only `make test-browser` installs, so it is not even collected then."""
    selection = config.getoption("markexpr")
    browser_selected = "browser" in selection and "not browser" not in selection
    if collection_path.name == BROWSER_TESTS and not browser_selected:
        return True
    return None


@pytest.fixture(scope="session")
def stack_plan() -> Callable[..., Plan]:
    """`stack_plan("dev")` or `stack_plan("prod", preview=True)`: the program's full plan."""
    cache: dict[tuple[str, bool], Plan] = {}

    def plan(stack: str, preview: bool = False) -> Plan:
        if (stack, preview) not in cache:
            cache[stack, preview] = run_program(stack, preview=preview)
        return cache[stack, preview]

    return plan

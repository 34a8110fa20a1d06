"""Shared fixtures: mocked runs of the real program, cached per stack and mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tools.offline import Plan, run_program

STACKS = ("dev", "prod")


@pytest.fixture(scope="session")
def stack_plan() -> Callable[..., Plan]:
    """`stack_plan("dev")` or `stack_plan("prod", preview=True)`: the program's full plan."""
    cache: dict[tuple[str, bool], Plan] = {}

    def plan(stack: str, preview: bool = False) -> Plan:
        if (stack, preview) not in cache:
            cache[stack, preview] = run_program(stack, preview=preview)
        return cache[stack, preview]

    return plan

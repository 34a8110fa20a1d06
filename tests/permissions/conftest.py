"""The permission paths of each covered stack, judged once per test session."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tools.permission_paths import catalogue
from tools.permission_paths.catalogue import Judged, judge_paths, paths_of

# Stacks the shared `stack_plan` fixture already runs (the rest run here, once).
SHARED_STACKS = ("dev", "prod")


@pytest.fixture(scope="session")
def judged_stack(stack_plan) -> Callable[[str], tuple[Judged, ...]]:
    cache: dict[str, tuple[Judged, ...]] = {}

    def judged(stack: str) -> tuple[Judged, ...]:
        if stack not in cache:
            plan = stack_plan(stack) if stack in SHARED_STACKS else catalogue.stack_plan(stack)
            cache[stack] = tuple(judge_paths(paths_of(plan)))
        return cache[stack]

    return judged

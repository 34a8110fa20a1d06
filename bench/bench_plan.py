"""Offline plan: wall time of the plan command per stack (median of 5), also against a base."""

from __future__ import annotations

from bench.common import median_seconds, report, run_python
from tools.offline import run_program

STACKS = ("dev", "prod")
REPEATS = 5
TARGET_DEV_SECONDS = 5.0


def main() -> str:
    rows = []
    for stack in STACKS:
        seconds = median_seconds(
            lambda stack=stack: run_python(["-m", "tools.plan", stack]), REPEATS
        )
        resources = len(run_program(stack).resources)
        rows.append((f"{stack}: plan command wall time (median of {REPEATS})", f"{seconds:.2f} s"))
        rows.append((f"{stack}: resources planned", str(resources)))
        if stack == "dev":
            verdict = "met" if seconds < TARGET_DEV_SECONDS else "MISSED"
            rows.append(("dev target < 5 s", verdict))
    # A review plans the base too, in a temporary worktree and a second interpreter.
    seconds = median_seconds(
        lambda: run_python(["-m", "tools.plan", "dev", "--base", "HEAD"]), REPEATS
    )
    rows.append((f"dev: plan command with --base HEAD (median of {REPEATS})", f"{seconds:.2f} s"))
    return report("Offline plan", rows)


if __name__ == "__main__":
    main()

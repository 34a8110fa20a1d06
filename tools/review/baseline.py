"""The base of a review: the program and stack file as they are at a git ref, or a saved plan.

`--base REF` checks REF out into a temporary git worktree and plans it in a subprocess
(`python -m tools.review.baseline ROOT STACK OUT`, secrets' stand-ins as JSON on stdin): the program imports its modules by name
(`components`), so the base's code can only be loaded in an interpreter of its own. That
subprocess uses this checkout's tools (so the snapshot format is the current one) with the
base's `__main__.py`, `components/`, `functions/`, `Pulumi.yaml` and stack file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from tools.offline import PROJECT_ROOT, ProgramFailed, run_program
from tools.review.snapshot import Snapshot, snapshot_of

WHEEL_CACHE = Path(".build") / "wheels"


class BaseError(Exception):
    """The base could not be checked out or planned."""


def load_base_plan(path: Path) -> Snapshot:
    return Snapshot.from_json(json.loads(path.read_text()))


def plan_at_ref(
    ref: str, stack: str, *, preview: bool, secrets: dict[str, str], root: Path = PROJECT_ROOT
) -> Snapshot:
    with tempfile.TemporaryDirectory(prefix="plan-base-") as temporary:
        worktree = Path(temporary) / "base"
        _git(root, "worktree", "add", "--detach", "--quiet", str(worktree), ref)
        try:
            if not (worktree / f"Pulumi.{stack}.yaml").exists():
                return _empty(stack, preview, root)
            _share_wheel_cache(root, worktree)
            out = Path(temporary) / "base.json"
            command = [
                sys.executable,
                "-m",
                "tools.review.baseline",
                str(worktree),
                stack,
                str(out),
            ]
            command += ["--preview"] if preview else []
            # Stand-ins for secrets go through stdin, never the command line (`ps` shows that).
            result = subprocess.run(  # noqa: S603 - our interpreter, fixed module
                command, cwd=root, capture_output=True, text=True, input=json.dumps(secrets)
            )
            if result.returncode != 0:
                raise BaseError(f"planning {stack} at {ref} failed:\n{result.stderr.strip()}")
            return load_base_plan(out)
        finally:
            _git(root, "worktree", "remove", "--force", str(worktree))


def _git(root: Path, *arguments: str) -> None:
    command = ["git", "-C", str(root), *arguments]
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603, S607 - git on PATH
    if result.returncode != 0:
        raise BaseError(f"git {' '.join(arguments)}: {result.stderr.strip()}")


def _share_wheel_cache(root: Path, worktree: Path) -> None:
    """Lambda dependencies are cached by their content: the base reuses ours, no download."""
    if (root / WHEEL_CACHE).is_dir() and not (worktree / WHEEL_CACHE).exists():
        (worktree / WHEEL_CACHE).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(root / WHEEL_CACHE, worktree / WHEEL_CACHE)


def _empty(stack: str, preview: bool, root: Path) -> Snapshot:
    """A stack that does not exist at the base: nothing planned, everything is new."""
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]
    mode = "preview" if preview else "update"
    return Snapshot(project, stack, region="", mode=mode, resources=[], outputs={})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="baseline")
    parser.add_argument("root", type=Path)
    parser.add_argument("stack")
    parser.add_argument("out", type=Path)
    parser.add_argument("--preview", action="store_true")
    options = parser.parse_args(argv)
    secrets = json.loads(sys.stdin.read() or "{}")  # {key: stand-in value}
    # The base's `components` (and anything else `__main__.py` imports) come from its worktree.
    sys.path.insert(0, str(options.root))
    try:
        plan = run_program(
            options.stack, preview=options.preview, secrets=secrets, root=options.root
        )
    except ProgramFailed as failure:
        print(f"error: {failure.__cause__}", file=sys.stderr)
        return 2
    options.out.write_text(json.dumps(snapshot_of(plan).to_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

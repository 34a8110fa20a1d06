"""Offline plan: run the program for a stack under mocks and print what it would create.

    python -m tools.plan dev
    python -m tools.plan prod --preview
    python -m tools.plan dev --stack-file my-stack.yaml --secret dbPassword=stand-in

Exits 2 when the stack's config is invalid, printing the validation error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.config import SettingsError
from tools.offline import ConfigFileError, Plan, ProgramFailed, run_program, walk_tree


def main(argv: list[str] | None = None) -> int:
    options = _parse_arguments(argv)
    try:
        plan = run_program(
            options.stack,
            preview=options.preview,
            stack_file=options.stack_file,
            secrets=dict(options.secret),
        )
    except ConfigFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ProgramFailed as failure:
        if isinstance(failure.__cause__, SettingsError | ValueError):
            print(f"error: {failure.__cause__}", file=sys.stderr)
            return 2
        raise
    print(render_plan(plan))
    return 0


def render_plan(plan: Plan) -> str:
    mode = "preview" if plan.preview else "update"
    lines = [f"Offline plan of stack {plan.stack!r} ({mode}, mocked AWS)", ""]
    for depth, resource in walk_tree(plan):
        lines.append(f"{'    ' * depth}{resource.type}  {resource.name}")
    counts = plan.count_by_type()
    lines += ["", f"{len(plan.resources)} resources:"]
    width = max(map(len, counts), default=0)
    lines += [
        f"  {resource_type:<{width}}  {count}" for resource_type, count in sorted(counts.items())
    ]
    return "\n".join(lines)


def _secret_argument(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"--secret {text!r} must look like KEY=VALUE")
    return key, value


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="plan", description="Offline plan of a stack under mocked AWS."
    )
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--preview", action="store_true", help="plan as `pulumi preview` (unknown ids)"
    )
    parser.add_argument(
        "--stack-file", type=Path, help="read the stack's config from this file instead"
    )
    parser.add_argument(
        "--secret",
        type=_secret_argument,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="stand-in for an encrypted config value (repeatable)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())

"""Offline plan: run the program for a stack under mocks and print what it would create.

    python -m tools.plan dev
    python -m tools.plan prod --preview
    python -m tools.plan dev --stack-file my-stack.yaml --secret dbPassword=stand-in
    python -m tools.plan dev --policy-config policy-config.json

After the plan, the policy pack in policies/ checks every planned resource and the stack, over
the analyzer protocol as the Pulumi CLI runs it (tools/policy_gate.py). Exits 1 on any mandatory
violation, 2 when the stack's config (or the policy config) is invalid, printing the error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.offline import ConfigFileError, Plan, ProgramFailed, run_program, walk_tree
from tools.policy_gate import PolicyGateError, check_plan, load_policy_config


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
        # Invalid settings (SettingsError) or Args a component refused: both are ValueErrors.
        if isinstance(failure.__cause__, ValueError):
            print(f"error: {failure.__cause__}", file=sys.stderr)
            return 2
        raise
    print(render_plan(plan))
    if options.no_policy:
        return 0
    try:
        config = load_policy_config(options.policy_config) if options.policy_config else None
        gate = check_plan(plan, config)
    except PolicyGateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print()
    print(gate.render())
    return 1 if gate.mandatory else 0


def render_plan(plan: Plan) -> str:
    mode = "preview" if plan.preview else "update"
    lines = [f"Offline plan of stack {plan.stack!r} ({mode}, mocked AWS)", ""]
    for key in plan.stand_ins:
        lines.append(
            f"note: {key} is encrypted in the stack file: planned with an offline stand-in, "
            "kept secret (try a real value with --secret KEY=VALUE)"
        )
    if plan.stand_ins:
        lines.append("")
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
    parser.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy pack config (JSON, as `pulumi preview --policy-pack-config`)",
    )
    parser.add_argument(
        "--no-policy", action="store_true", help="plan only; do not run the policy pack"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())

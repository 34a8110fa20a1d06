"""Offline plan: run the program for a stack under mocks and review what it would do.

    python -m tools.plan dev                         # everything is new (+)
    python -m tools.plan dev --base origin/main      # compared with the program at a git ref
    python -m tools.plan dev --base HEAD --diff      # ... and the changed properties
    python -m tools.plan dev --base HEAD --show-sames  # ... listing unchanged resources too
    python -m tools.plan dev --json plan.json        # the whole plan as JSON (format: docs/review.md)
    python -m tools.plan dev --base-plan plan.json   # compared with a plan saved earlier
    python -m tools.plan prod --preview
    python -m tools.plan dev --stack-file my-stack.yaml --secret dbPassword=stand-in
    python -m tools.plan dev --policy-config policy-config.json

The output reads like `pulumi preview`: the resource tree with + create, ~ update, - delete (with
a base, only the changed resources and their parents, unless --show-sames), the
stack outputs, a `Resources:` line, the monthly cost estimate, the diagnostics, then the policy
pack's results over the analyzer protocol as the CLI runs it (tools/policy_gate.py). Exits 1 on
any mandatory violation, 2 when the stack's config (or the policy config, or the base) is
invalid, printing the error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tools.offline import ConfigFileError, Plan, ProgramFailed, run_program
from tools.policy_gate import GateResult, PolicyGateError, check_plan, load_policy_config
from tools.review.baseline import BaseError, load_base_plan, plan_at_ref
from tools.review.cost import estimate, price_table
from tools.review.diff import compare
from tools.review.render import render, render_diagnostics
from tools.review.report import Report
from tools.review.snapshot import Snapshot, SnapshotFormatError, snapshot_of


def main(argv: list[str] | None = None) -> int:
    options = _parse_arguments(argv)
    secrets = dict(options.secret)
    try:
        plan = run_program(
            options.stack, preview=options.preview, stack_file=options.stack_file, secrets=secrets
        )
        base = _base(options, secrets)
        gate = None if options.no_policy else _gate(plan, options.policy_config)
    except (ConfigFileError, BaseError, SnapshotFormatError, PolicyGateError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ProgramFailed as failure:
        # Invalid settings (SettingsError) or Args a component refused: both are ValueErrors.
        if isinstance(failure.__cause__, ValueError):
            print(f"error: {failure.__cause__}", file=sys.stderr)
            return 2
        raise
    report = review(plan, base, options.base or str(options.base_plan or ""), gate)
    print(printed(report, gate, diff=options.diff, show_sames=options.show_sames))
    if options.json:
        options.json.write_text(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n")
    return 1 if gate and gate.mandatory else 0


def printed(
    report: Report, gate: GateResult | None, *, diff: bool = False, show_sames: bool = False
) -> str:
    """What the command prints: the review, the diagnostics, then the policy results."""
    parts = [render(report, diff=diff, show_sames=show_sames), render_diagnostics(report)]
    return "\n\n".join(parts + ([gate.render()] if gate else []))


def review(
    plan: Plan, base: Snapshot | None, base_label: str = "", gate: GateResult | None = None
) -> Report:
    snapshot = snapshot_of(plan)
    return Report(
        snapshot=snapshot,
        review=compare(base, snapshot),
        cost=estimate(snapshot, price_table(snapshot.region)),
        base=base,
        base_label=base_label,
        base_cost=estimate(base, price_table(base.region or snapshot.region)) if base else None,
        policy=None
        if gate is None
        else [(v.policy, v.level, v.urn, v.message) for v in gate.violations],
    )


def _base(options: argparse.Namespace, secrets: dict[str, str]) -> Snapshot | None:
    if options.base_plan:
        try:
            return load_base_plan(options.base_plan)
        except (OSError, json.JSONDecodeError) as error:
            raise BaseError(f"cannot read the base plan {options.base_plan}: {error}") from error
    if options.base:
        return plan_at_ref(options.base, options.stack, preview=options.preview, secrets=secrets)
    return None


def _gate(plan: Plan, policy_config: Path | None) -> GateResult:
    config = load_policy_config(policy_config) if policy_config else None
    return check_plan(plan, config)


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
    base = parser.add_mutually_exclusive_group()
    base.add_argument(
        "--base", metavar="REF", help="compare with the program and stack file at this git ref"
    )
    base.add_argument(
        "--base-plan", type=Path, metavar="FILE", help="compare with a plan saved with --json"
    )
    parser.add_argument(
        "--diff", action="store_true", help="show the changed properties of each updated resource"
    )
    parser.add_argument(
        "--show-sames",
        action="store_true",
        help="with a base, list the unchanged resources too (as `pulumi preview --show-sames`)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="write the plan (and its changes) as JSON"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())

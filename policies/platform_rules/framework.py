"""How a rule becomes a CrossGuard policy: config, exemptions, and reporting.

A rule is a plain function that yields `Violation`s. `resource_policy` and `stack_policy` wrap it
into the SDK's policy classes, read the rule's configuration (with the schema defaults applied,
as the CLI does), drop violations of exempted resources and record those in a per-request ledger.
The last two policies of the pack (`exemptions-used`, `stack-exemptions-used`) report every
exemption that suppressed a violation as an advisory message, so no exemption is silent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from platform_rules.graph import Node, StackGraph
from platform_rules.values import plain

STACK_KEY = "<stack>"


@dataclass(frozen=True)
class Violation:
    """One finding: the resource it is about (URN and name) and a message naming value and fix."""

    urn: str
    name: str
    message: str


@dataclass(frozen=True)
class Exemption:
    resource: str
    reason: str

    def matches(self, urn: str, name: str) -> bool:
        return self.resource in (urn, name)


EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this rule does not block, each by URN or logical name, each with "
    "the reason (reported as an advisory message whenever it is used).",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1},
        },
        "required": ["resource", "reason"],
    },
    "default": [],
}


@dataclass(frozen=True)
class RuleSpec:
    """What every rule declares besides its check."""

    name: str
    description: str
    level: EnforcementLevel
    remediation: str
    url: str
    # Extra config properties (JSON schema with a default each), besides `exemptions`.
    config: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    # Exemptions that apply unless the pack's config sets this rule's `exemptions` (each is
    # reported like any other by the exemption reporters).
    default_exemptions: tuple[Mapping[str, str], ...] = ()

    def schema(self) -> PolicyConfigSchema:
        exemptions = {**EXEMPTIONS_SCHEMA, "default": [dict(e) for e in self.default_exemptions]}
        return PolicyConfigSchema(
            properties={
                **{key: dict(value) for key, value in self.config.items()},
                "exemptions": exemptions,
            }
        )

    def settings(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The rule's config: schema defaults, then what was configured (as the CLI merges)."""
        values = {key: spec.get("default") for key, spec in self.config.items()}
        values["exemptions"] = [dict(exemption) for exemption in self.default_exemptions]
        values.update(plain(given or {}))
        return values


def parse_exemptions(settings: Mapping[str, Any]) -> tuple[list[Exemption], list[str]]:
    """Valid exemptions, and the resources of entries without a reason (which never apply)."""
    valid, invalid = [], []
    for entry in settings.get("exemptions") or []:
        if not isinstance(entry, Mapping):
            continue
        resource, reason = entry.get("resource"), entry.get("reason")
        if not isinstance(resource, str) or not resource:
            continue
        if isinstance(reason, str) and reason.strip():
            valid.append(Exemption(resource, reason.strip()))
        else:
            invalid.append(resource)
    return valid, invalid


# --- the ledger of exemptions used -----------------------------------------------------------


@dataclass(frozen=True)
class ExemptionUse:
    policy: str
    violation: Violation
    reason: str


class _Ledger(threading.local):
    """Exemptions used while serving the current request (one request = one server thread)."""

    def __init__(self) -> None:
        self.key = ""
        self.uses: list[ExemptionUse] = []

    def begin(self, key: str) -> None:
        if key != self.key:
            self.key, self.uses = key, []

    def record(self, use: ExemptionUse) -> None:
        self.uses.append(use)

    def drain(self, key: str) -> list[ExemptionUse]:
        uses = self.uses if key == self.key else []
        self.key, self.uses = "", []
        return uses


LEDGER = _Ledger()


def _report(
    spec: RuleSpec,
    violations: Iterable[Violation],
    settings: Mapping[str, Any],
    report: ReportViolation,
    *,
    stack: bool,
) -> None:
    exemptions, reasonless = parse_exemptions(settings)
    for violation in violations:
        exemption = next(
            (item for item in exemptions if item.matches(violation.urn, violation.name)), None
        )
        if exemption is not None:
            LEDGER.record(ExemptionUse(spec.name, violation, exemption.reason))
            continue
        message = violation.message
        if violation.name in reasonless or violation.urn in reasonless:
            message += (
                " (an exemption names this resource but gives no reason, so it does not apply)"
            )
        report(message, violation.urn if stack else None)


def _failure(spec: RuleSpec, urn: str, name: str, error: Exception) -> Violation:
    # A rule bug must be visible and attributable, not a crashed analyzer.
    return Violation(
        urn, name, f"{spec.name} could not evaluate {name}: {type(error).__name__}: {error}"
    )


def _declared(spec: RuleSpec) -> dict[str, Any]:
    """The SDK policy's arguments that the rule declares (all but its `validate`)."""
    return {
        "name": spec.name,
        "description": spec.description,
        "enforcement_level": spec.level,
        "config_schema": spec.schema(),
        "remediation_steps": spec.remediation,
        "url": spec.url,
    }


ResourceCheck = Callable[[Node, Mapping[str, Any]], Iterable[Violation]]
StackCheck = Callable[[StackGraph, Mapping[str, Any]], Iterable[Violation]]


class TypedResourcePolicy(ResourceValidationPolicy):
    """A resource policy that reports only on `resource_types` (the pack's servicer runs it on
    those alone; on any other type its validate returns at once, as the SDK would run it)."""

    def __init__(self, resource_types: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.resource_types = frozenset(resource_types)


def resource_policy(
    spec: RuleSpec, types: Iterable[str], check: ResourceCheck
) -> TypedResourcePolicy:
    """A resource policy running `check(node, settings)` on resources of the given types."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        LEDGER.begin(args.urn)
        if args.resource_type not in wanted:
            return
        settings = spec.settings(args.get_config())
        node = Node.from_args(args)
        try:
            violations = list(check(node, settings))
        except Exception as error:  # noqa: BLE001 - reported, see _failure
            violations = [_failure(spec, args.urn, args.name, error)]
        _report(spec, violations, settings, report, stack=False)

    return TypedResourcePolicy(wanted, validate=validate, **_declared(spec))


def stack_policy(spec: RuleSpec, check: StackCheck) -> StackValidationPolicy:
    """A stack policy running `check(graph, settings)` over every resource of the stack."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        LEDGER.begin(STACK_KEY)
        settings = spec.settings(args.get_config())
        graph = StackGraph.from_args(args)
        try:
            violations = list(check(graph, settings))
        except Exception as error:  # noqa: BLE001 - reported, see _failure
            violations = [_failure(spec, "", "the stack", error)]
        _report(spec, violations, settings, report, stack=True)

    return StackValidationPolicy(validate=validate, **_declared(spec))


def _describe(use: ExemptionUse) -> str:
    return (
        f"{use.policy}: {use.violation.name} is exempt (reason: {use.reason}); "
        f"without the exemption: {use.violation.message}"
    )


EXEMPTIONS_URL = "https://www.pulumi.com/docs/insights/policy/configuration/"


def exemption_reporters(resource_types: Iterable[str]) -> list[Policy]:
    """Advisory policies, last in the pack, that report every exemption a rule used (the
    resource one only on the types the resource rules judge: no other type has any)."""

    def resource_uses(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for use in LEDGER.drain(args.urn):
            report(_describe(use), None)

    def stack_uses(args: StackValidationArgs, report: ReportViolation) -> None:
        for use in LEDGER.drain(STACK_KEY):
            report(_describe(use), use.violation.urn or None)

    advice: dict[str, Any] = {
        "enforcement_level": EnforcementLevel.ADVISORY,
        "remediation_steps": "Remove the exemption from the policy pack config once the resource "
        "complies.",
        "url": EXEMPTIONS_URL,
    }
    return [
        TypedResourcePolicy(
            resource_types,
            name="exemptions-used",
            description="A resource rule was not enforced on a resource because of an exemption.",
            validate=resource_uses,
            **advice,
        ),
        StackValidationPolicy(
            name="stack-exemptions-used",
            description="A stack rule was not enforced on a resource because of an exemption.",
            validate=stack_uses,
            **advice,
        ),
    ]

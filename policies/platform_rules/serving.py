"""How the pack's process serves the analyzer protocol: the SDK's servicer with lean hot paths.

`policies/__main__.py` imports this module before it calls `PolicyPack(...)`, which builds its
gRPC servicer from the SDK module's `_PolicyAnalyzerServicer` name: `install()` puts `Servicer`,
a subclass, there. Everything but Analyze and AnalyzeStack (GetAnalyzerInfo, Configure, levels,
config, how a violation is reported) is the SDK's own code, and so is every step those two take;
what changes is how often (pulumi-policy 1.21, profiled with cProfile and py-spy on 10,000
resources, see bench/RESULTS.md):

- The SDK configures the Pulumi runtime at the start of every request (`inspect.signature`,
  `pulumi.runtime.configure`): about 70% of an empty pack's Analyze time. It depends only on the
  process environment, so `Servicer` does it again only when that changes.
- Analyze runs every resource policy on every resource, decoding its properties per policy. Our
  resource policies declare their resource types (`framework.TypedResourcePolicy`) and report
  nothing on any other type: `Servicer` runs only the policies for the request's type (policies
  that declare none run always), decoding once, and answers a resource no policy wants at once.
- AnalyzeStack decodes the whole stack afresh for every stack policy (16 x 10,000 resources);
  `Servicer` decodes it once and hands every stack policy the same resources, with the cyclic
  garbage collector paused (the decoded stack is trees that reference counting frees).
- Both record which properties the engine sent as secrets before the SDK unwraps them
  (`secret_inputs`).

A young-generation GC threshold raised for the whole process keeps large stacks linear.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterable
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from platform_rules import secret_inputs
from platform_rules.graph import forget_last_graph

YOUNG_GENERATION_THRESHOLD = 200_000
# What `_configure_runtime_settings` reads from the environment.
RUNTIME_ENVIRONMENT = (
    "PULUMI_CONFIG",
    "PULUMI_PROJECT",
    "PULUMI_STACK",
    "PULUMI_DRY_RUN",
    "PULUMI_ORGANIZATION",
)

gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 50, 100)

_SdkServicer: Any = sdk._PolicyAnalyzerServicer  # noqa: SLF001 - the class PolicyPack serves
_NotApplicable: Any = sdk._NotApplicableError  # noqa: SLF001 - raised by policies, as in the SDK
_PRIVATE = "_PolicyAnalyzerServicer__"  # the SDK servicer's name-mangled attributes
_SDK_PARTS = (
    "_configure_runtime_settings",
    "_get_resource_options",
    "_get_provider_resource",
    "_get_policy_config",
    "_get_enforcement_level",
    "_create_report_violation",
    "_map_enforcement_level",
)
_SDK_FIELDS = ("policies", "policy_pack_name", "policy_pack_version", "stack_tags")


def resource_types(policy: Policy) -> frozenset[str] | None:
    """The resource types a resource policy declares (None: every type)."""
    types = getattr(policy, "resource_types", None)
    return types if isinstance(types, frozenset) else None


def _decode(urn: str, struct: Any) -> Any:
    """The SDK's decoding of one resource's properties, recording its secrets on the way."""
    raw = json_format.MessageToDict(struct)
    secret_inputs.record(urn, raw)
    return unknown_checking_proxy(deserialize_properties(raw))


class Servicer(_SdkServicer):
    """The SDK's analyzer servicer, deciding the same with less repeated work (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_type: dict[str, list[Policy]] = {}
        self._environment: tuple[str | None, ...] | None = None
        # An SDK without one of the parts used here is served by the SDK's own methods.
        self._lean = all(hasattr(self, name) for name in _SDK_PARTS) and all(
            hasattr(self, _PRIVATE + name) for name in _SDK_FIELDS
        )

    def _private(self, name: str) -> Any:
        return getattr(self, _PRIVATE + name)

    def _configure_runtime_once(self) -> None:
        environment = tuple(os.environ.get(name) for name in RUNTIME_ENVIRONMENT)
        if environment != self._environment:
            self._configure_runtime_settings()
            self._environment = environment

    def _policies_for(self, resource_type: str) -> list[Policy]:
        found = self._by_type.get(resource_type)
        if found is None:
            found = []
            for policy in self._private("policies"):
                if isinstance(policy, ResourceValidationPolicy):
                    types = resource_types(policy)
                    if types is None or resource_type in types:
                        found.append(policy)
            self._by_type[resource_type] = found
        return found

    def _begin(self, candidates: Iterable[Policy]) -> list[Policy]:
        """The request's policies (the candidates not disabled); when there are any, the request
        begins: the runtime configured (when its environment changed), no secrets recorded yet."""
        policies = [
            policy
            for policy in candidates
            if self._get_enforcement_level(policy) != EnforcementLevel.DISABLED
        ]
        if policies:
            self._configure_runtime_once()
            secret_inputs.begin_request()
        return policies

    def _run(self, policy: Policy, args: Any, response: Any) -> None:
        """Validate, exactly as the SDK does: violations reported into `response`, awaitables
        run, unknowns and not-applicable answered the SDK's way."""
        report = self._create_report_violation(
            response, policy.name, policy.description, self._level(policy), policy.severity
        )
        try:
            result = policy.validate(args, report)  # type: ignore[attr-defined]
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))  # type: ignore[arg-type]
                loop.close()
        except UnknownValueError as error:
            name, version = self._private("policy_pack_name"), self._private("policy_pack_version")
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=name,
                    policyPackVersion=version,
                    message=f"can't run policy '{policy.name}' from policy pack "
                    f"'{name}@v{version}' during preview: {error.message}",
                    urn="",
                    description=policy.description,
                    enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
                )
            )
        except _NotApplicable as error:
            response.not_applicable.append(
                proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or "")
            )

    def _level(self, policy: Policy) -> EnforcementLevel:
        level = self._get_enforcement_level(policy)
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def Analyze(self, request: Any, _context: Any) -> Any:  # noqa: N802 - the gRPC method
        if not self._lean:
            return super().Analyze(request, _context)
        response = proto.AnalyzeResponse()
        policies = self._begin(self._policies_for(request.type))
        if not policies:
            return response
        props = _decode(request.urn, request.properties)
        options = self._get_resource_options(request)
        provider = self._get_provider_resource(request)
        tags = self._private("stack_tags")
        for policy in policies:
            if isinstance(policy, ResourceValidationPolicy) and not policy.has_validation():
                response.not_applicable.append(
                    proto.PolicyNotApplicable(
                        policy_name=policy.name, reason="Policy does not implement validate"
                    )
                )
                continue
            config = self._get_policy_config(policy.name)
            args = ResourceValidationArgs(
                request.type, props, request.urn, request.name, options, provider, config, tags
            )
            self._run(policy, args, response)
        return response

    def _stack_resources(self, messages: Iterable[Any]) -> list[PolicyResource]:
        """The stack's resources, decoded once, with parents and dependencies linked (as the
        SDK links them)."""
        made: list[tuple[PolicyResource, Any]] = []
        by_urn: dict[str, PolicyResource] = {}
        for message in messages:
            resource = PolicyResource(
                message.type,
                _decode(message.urn, message.properties),
                message.urn,
                message.name,
                self._get_resource_options(message),
                self._get_provider_resource(message),
                None,
                [],
                {},
            )
            made.append((resource, message))
            by_urn[message.urn] = resource
        for resource, message in made:
            if message.parent and message.parent in by_urn:
                resource.parent = by_urn[message.parent]
            resource.dependencies.extend(
                by_urn[urn] for urn in message.dependencies if urn in by_urn
            )
            for key, dependencies in message.propertyDependencies.items():
                resource.property_dependencies[key] = [
                    by_urn[urn] for urn in dependencies.urns if urn in by_urn
                ]
        return [resource for resource, _ in made]

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:  # noqa: N802 - the gRPC method
        if not self._lean:
            return super().AnalyzeStack(request, _context)
        response = proto.AnalyzeResponse()
        policies = self._begin(
            policy
            for policy in self._private("policies")
            if isinstance(policy, StackValidationPolicy)
        )
        if not policies:
            return response
        forget_last_graph()
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            resources = self._stack_resources(request.resources)
            tags = self._private("stack_tags")
            for policy in policies:
                config = self._get_policy_config(policy.name)
                self._run(policy, StackValidationArgs(resources, config, tags), response)
        finally:
            if was_enabled:
                gc.enable()
        return response


def install() -> None:
    """Make `PolicyPack(...)` serve with `Servicer` (done when this module is imported)."""
    sdk._PolicyAnalyzerServicer = Servicer  # noqa: SLF001


install()

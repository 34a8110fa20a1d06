"""Offline policy gate: run the policy pack over a mocked plan, the way the Pulumi CLI runs it.

The CLI starts a Python policy pack through `pulumi-analyzer-policy-python`, which runs
`python -u -m pulumi.policy <engine address> .` in the pack's directory; the pack prints the port
of its gRPC analyzer server on stdout. The CLI then calls GetAnalyzerInfo, Configure (schema
defaults, then the user's policy config), ConfigureStack, Analyze for each resource and
AnalyzeStack once for the stack. This module does the same over `pulumi.runtime.proto`, with the
resources of a `Plan` from tools/offline.py, and prints the violations like `pulumi preview`.

It is a fast, credential-free check (it needs no CLI, no provider and no AWS account); `pulumi
preview --policy-pack policies` stays the authoritative gate.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tools.offline import PROJECT_ROOT, Plan, PlannedResource

POLICY_PACK_DIR = PROJECT_ROOT / "policies"
# The pack never contacts the engine; the argument is there because the launcher passes one.
NO_ENGINE_ADDRESS = "127.0.0.1:0"
START_TIMEOUT_SECONDS = 60.0
# Analyze calls kept open at once; the pack's gRPC server runs four threads.
ANALYZE_IN_FLIGHT = 16

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}


class PolicyGateError(Exception):
    """The pack could not be started, configured or asked."""


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    message: str

    @property
    def resource_type(self) -> str:
        return _urn_type(self.urn) if self.urn else ""

    @property
    def resource_name(self) -> str:
        return self.urn.rsplit("::", 1)[-1] if self.urn else ""


@dataclass
class GateResult:
    pack: str
    version: str
    plan: Plan
    violations: list[Violation] = field(default_factory=list)
    # Wall time of the AnalyzeStack call (what the benchmark reports beside the whole pass).
    analyze_stack_seconds: float = 0.0

    @property
    def mandatory(self) -> list[Violation]:
        return [violation for violation in self.violations if violation.level == "mandatory"]

    def by_policy(self, policy: str) -> list[Violation]:
        return [violation for violation in self.violations if violation.policy == policy]

    def render(self) -> str:
        mode = "preview" if self.plan.preview else "update"
        lines = [f"Policies ({self.pack}@v{self.version}, stack {self.plan.stack!r}, {mode}):"]
        order = {"mandatory": 0, "remediate": 1, "advisory": 2}
        for violation in sorted(self.violations, key=lambda item: order.get(item.level, 3)):
            where = (
                f"  ({violation.resource_type}: {violation.resource_name})" if violation.urn else ""
            )
            lines.append(f"    - [{violation.level}]  {violation.policy}{where}")
            lines += [f"      {line}" for line in violation.message.splitlines()]
        if not self.violations:
            lines.append("    no violations")
        count = len(self.mandatory)
        lines.append(f"{count} mandatory violation{'' if count == 1 else 's'}")
        return "\n".join(lines)


# --- the analyzer process --------------------------------------------------------------------


class PolicyAnalyzer:
    """One running policy pack process and a gRPC client to it. Use as a context manager."""

    def __init__(
        self,
        pack_dir: Path = POLICY_PACK_DIR,
        *,
        python: str = sys.executable,
        project: str = "platform",
        stack: str = "dev",
        dry_run: bool = False,
    ):
        self.pack_dir = Path(pack_dir)
        self.python = python
        self.project, self.stack, self.dry_run = project, stack, dry_run
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self._stderr = tempfile.TemporaryFile()
        self.port = 0
        pack_file = yaml.safe_load((self.pack_dir / "PulumiPolicy.yaml").read_text()) or {}
        self.pack_version = str(pack_file.get("version", "0.0.1"))

    def __enter__(self) -> PolicyAnalyzer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        env = {
            **os.environ,
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
            "PULUMI_CONFIG": "{}",
        }
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            self.command(),
            cwd=self.pack_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self.port = self._read_port()
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{self.port}", options=[("grpc.max_receive_message_length", 400 << 20)]
        )
        try:
            grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT_SECONDS)
        except grpc.FutureTimeoutError as error:
            raise PolicyGateError(f"policy pack on port {self.port} never became ready") from error
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def command(self) -> list[str]:
        """As pulumi-analyzer-policy-python: `python -u -m pulumi.policy <engine> .` in the pack."""
        return [self.python, "-u", "-m", "pulumi.policy", NO_ENGINE_ADDRESS, "."]

    def _read_port(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        ready, _, _ = select.select([stdout], [], [], START_TIMEOUT_SECONDS)
        line = stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            self.close()
            raise PolicyGateError(
                f"the policy pack in {self.pack_dir} did not print its port "
                f"(got {line!r}); its stderr:\n{self.stderr()}"
            )
        return int(line)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    # --- the analyzer protocol ---------------------------------------------------------------

    def handshake(self) -> None:
        """What the CLI sends first; the Python SDK does not implement it, which is allowed."""
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=NO_ENGINE_ADDRESS,
            root_directory=str(self.pack_dir),
            program_directory=str(self.pack_dir),
        )
        try:
            self.stub.Handshake(request)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # type: ignore[attr-defined]
                raise

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """Send the reconciled config: {policy: {"enforcementLevel": ..., "properties": {...}}}."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in config.items():
            policy_config = analyzer_pb2.PolicyConfig(
                enforcementLevel=LEVEL_VALUES[entry["enforcementLevel"]]
            )
            # As the CLI: properties always present, if empty (the Node.js SDK reads them).
            policy_config.properties.SetInParent()
            policy_config.properties.update(dict(entry.get("properties") or {}))
            request.policyConfig[name].CopyFrom(policy_config)
        self.stub.Configure(request)

    def configure_stack(self, plan: Plan) -> None:
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=plan.stack,
            project=self.project,
            organization="organization",
            dry_run=plan.preview,
        )
        try:
            self.stub.ConfigureStack(request)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # type: ignore[attr-defined]
                raise

    def analyze(self, resource: PlannedResource) -> analyzer_pb2.AnalyzeResponse:
        return self.stub.Analyze(analyze_request(resource))

    def analyze_all(
        self, resources: Iterable[PlannedResource], in_flight: int = ANALYZE_IN_FLIGHT
    ) -> Iterator[tuple[PlannedResource, analyzer_pb2.AnalyzeResponse]]:
        """Analyze every resource, keeping up to `in_flight` calls open at once.

        The CLI, too, analyzes resources as their steps run, several at a time; overlapping the
        calls keeps both this client and the pack's server threads busy.
        """
        pending: deque[tuple[PlannedResource, grpc.Future]] = deque()
        for resource in resources:
            pending.append((resource, self.stub.Analyze.future(analyze_request(resource))))
            if len(pending) >= in_flight:
                done, future = pending.popleft()
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()

    def analyze_stack(self, resources: Iterable[PlannedResource]) -> analyzer_pb2.AnalyzeResponse:
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[analyzer_resource(resource) for resource in resources]
        )
        return self.stub.AnalyzeStack(request)


# --- requests from planned resources ----------------------------------------------------------


def _urn_type(urn: str) -> str:
    # urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def _provider(reference: str) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not reference:
        return None
    urn = reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference
    return analyzer_pb2.AnalyzerProviderResource(
        type=_urn_type(urn), urn=urn, name=urn.rsplit("::", 1)[-1], properties=struct_pb2.Struct()
    )


def _described(resource: PlannedResource) -> dict[str, Any]:
    """What both the per-resource and the stack request say of a resource."""
    fields: dict[str, Any] = {
        "type": resource.type,
        "properties": resource.properties,
        "urn": resource.urn,
        "name": resource.name,
        "options": analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent),
    }
    provider = _provider(resource.provider)
    if provider is not None:
        fields["provider"] = provider
    return fields


def analyze_request(resource: PlannedResource) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(**_described(resource))


def analyzer_resource(resource: PlannedResource) -> analyzer_pb2.AnalyzerResource:
    message = analyzer_pb2.AnalyzerResource(
        **_described(resource), parent=resource.parent, dependencies=resource.dependencies
    )
    for key, urns in resource.property_dependencies.items():
        if urns:  # as the engine: properties without dependencies are left out
            message.propertyDependencies[key].urns.extend(urns)
    return message


# --- policy config, as the CLI reconciles it --------------------------------------------------


def load_policy_config(path: Path) -> dict[str, dict[str, Any]]:
    """Read a `--policy-pack-config` JSON file: {policy: level} or {policy: {enforcementLevel, ...}}."""
    try:
        raw = json.loads(path.read_text() or "{}")
    except json.JSONDecodeError as error:
        raise PolicyGateError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(raw, dict):
        raise PolicyGateError(f"{path} must hold a JSON object of policy names")
    config: dict[str, dict[str, Any]] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            value = {"enforcementLevel": value}
        if not isinstance(value, dict):
            raise PolicyGateError(f"{path}: {name!r} must be a level or an object")
        value = dict(value)
        level = value.pop("enforcementLevel", None)
        if level is not None and level not in LEVEL_VALUES:
            raise PolicyGateError(f"{path}: {name!r} has an invalid enforcementLevel {level!r}")
        config[name] = {"enforcementLevel": level, "properties": value}
    return config


def reconcile_config(
    info: analyzer_pb2.AnalyzerInfo, given: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Schema defaults and default levels, then the given config; validated against the schemas."""
    result: dict[str, dict[str, Any]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema)
        schemas[policy.name] = schema
        defaults = {
            key: spec["default"]
            for key, spec in (schema.get("properties") or {}).items()
            if isinstance(spec, dict) and "default" in spec
        }
        result[policy.name] = {
            "enforcementLevel": LEVELS[policy.enforcementLevel],
            "properties": defaults,
        }
    # As the CLI: the pack's own initial config, then the user's.
    _apply_config(result, initial_config(info))
    _apply_config(result, given or {})
    errors = [
        f"{name}: {error}"
        for name, schema in schemas.items()
        for error in validate_schema(
            {"type": "object", **schema}, result[name]["properties"], "config"
        )
    ]
    if errors:
        raise PolicyGateError("invalid policy config:\n  " + "\n  ".join(errors))
    return result


def initial_config(info: analyzer_pb2.AnalyzerInfo) -> dict[str, dict[str, Any]]:
    """The config the pack itself declares (a Node.js pack's `initialConfig`, e.g. AWSGuard's
    `all: mandatory`)."""
    return {
        name: {
            "enforcementLevel": LEVELS[entry.enforcementLevel],
            "properties": json_format.MessageToDict(entry.properties),
        }
        for name, entry in info.initialConfig.items()
    }


def _apply_config(result: dict[str, dict[str, Any]], config: Mapping[str, Mapping[str, Any]]):
    given = dict(config)
    everything = given.pop("all", None)
    if everything and everything.get("enforcementLevel"):
        for entry in result.values():
            entry["enforcementLevel"] = everything["enforcementLevel"]
    for name, entry in given.items():
        if name not in result:
            raise PolicyGateError(f"policy config names {name!r}, which is not in the pack")
        if entry.get("enforcementLevel"):
            result[name]["enforcementLevel"] = entry["enforcementLevel"]
        result[name]["properties"].update(entry.get("properties") or {})


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int, float),
    "number": (int, float),
}


def validate_schema(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    """The JSON-schema subset the pack's config uses: type, properties, required, items,
    minLength, minimum, maximum, enum."""
    errors: list[str] = []
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _JSON_TYPES:
        if not isinstance(value, _JSON_TYPES[expected]) or (
            expected != "boolean" and isinstance(value, bool)
        ):
            return [f"{path} must be of type {expected}, not {value!r}"]
        if expected == "integer" and isinstance(value, float) and not value.is_integer():
            return [f"{path} must be an integer, not {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path} must be one of {schema['enum']!r}, not {value!r}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        errors.append(f"{path} must not be empty")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path} must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path} must be at most {schema['maximum']}")
    if isinstance(value, dict):
        for key in schema.get("required") or []:
            if key not in value:
                errors.append(f"{path}.{key} is required")
        for key, spec in (schema.get("properties") or {}).items():
            if key in value and isinstance(spec, dict):
                errors += validate_schema(spec, value[key], f"{path}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            errors += validate_schema(schema["items"], item, f"{path}[{index}]")
    return errors


# --- running the gate ------------------------------------------------------------------------


def _violations(
    response: analyzer_pb2.AnalyzeResponse, default_urn: str = ""
) -> Iterable[Violation]:
    for diagnostic in response.diagnostics:
        yield Violation(
            policy=diagnostic.policyName,
            level=LEVELS.get(diagnostic.enforcementLevel, "advisory"),
            urn=diagnostic.urn or default_urn,
            message=diagnostic.message,
        )


def run_gate(
    plan: Plan,
    analyzer: PolicyAnalyzer,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> GateResult:
    """Analyze every planned resource, then the stack, with a started analyzer."""
    analyzer.handshake()
    info = analyzer.info()
    analyzer.configure(reconcile_config(info, config))
    analyzer.configure_stack(plan)
    result = GateResult(pack=info.name, version=analyzer.pack_version, plan=plan)
    for resource, response in analyzer.analyze_all(plan.resources):
        result.violations += _violations(response, resource.urn)
    start = time.perf_counter()
    response = analyzer.analyze_stack(plan.resources)
    result.analyze_stack_seconds = time.perf_counter() - start
    result.violations += _violations(response)
    return result


def check_plan(
    plan: Plan,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    pack_dir: Path = POLICY_PACK_DIR,
) -> GateResult:
    """Start the pack once, run the gate over `plan`, stop the pack."""
    with PolicyAnalyzer(pack_dir, stack=plan.stack, dry_run=plan.preview) as analyzer:
        return run_gate(plan, analyzer, config)

"""A plan as plain data: what a review compares, prices, prints and saves as JSON.

A snapshot is built from the properties exactly as the program sent them to the engine (the
recorded protobuf `Struct`), never from the plain inputs, so a secret is `[secret]` before any
other code sees it. Values unknown at preview are `[unknown]`; an archive or asset is its
content's SHA-256 (`archive sha256:...`), so the same code built in another directory is equal.

The JSON form (`to_json`/`from_json`) is the `--json` output and the `--base-plan` input:

    {"format": "platform-offline-plan", "version": 1, "project", "stack", "region", "mode",
     "resources": [{"urn", "type", "name", "parent", "custom", "inputs", "dependencies"}],
     "outputs": {...}, "diagnostics": [{"severity", "message"}]}

plus, written by the plan command, "base", "changes" and "cost" (see tools/review/report.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from tools.offline import STACK_TYPE, UNKNOWN, Plan

FORMAT = "platform-offline-plan"
VERSION = 1
SECRET = "[secret]"  # noqa: S105 - the mask, not a password
UNKNOWN_TEXT = "[unknown]"

# The engine's markers inside serialized properties (pulumi/runtime/rpc.py).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - the engine's marker
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


class SnapshotFormatError(ValueError):
    """A file that is not a plan this version can read."""


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    # Input property -> URNs of the resources its value came from.
    dependencies: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Snapshot:
    project: str
    stack: str
    region: str
    mode: str  # "update" or "preview"
    resources: list[Resource]
    outputs: dict[str, Any]
    diagnostics: list[dict[str, str]] = field(default_factory=list)

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def by_urn(self) -> dict[str, Resource]:
        return {resource.urn: resource for resource in self.resources}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "project": self.project,
            "stack": self.stack,
            "region": self.region,
            "mode": self.mode,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "custom": r.custom,
                    "inputs": r.inputs,
                    "dependencies": r.dependencies,
                }
                for r in self.resources
            ],
            "outputs": self.outputs,
            "diagnostics": self.diagnostics,
        }

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SnapshotFormatError(f'not an offline plan (no "format": "{FORMAT}")')
        if data.get("version") != VERSION:
            raise SnapshotFormatError(
                f"plan format version {data.get('version')!r}; this tool reads version {VERSION}"
            )
        try:
            resources = [
                Resource(
                    urn=r["urn"],
                    type=r["type"],
                    name=r["name"],
                    parent=r["parent"],
                    custom=r["custom"],
                    inputs=r["inputs"],
                    dependencies=r.get("dependencies", {}),
                )
                for r in data["resources"]
            ]
            return cls(
                project=data["project"],
                stack=data["stack"],
                region=data["region"],
                mode=data["mode"],
                resources=resources,
                outputs=data["outputs"],
                diagnostics=data.get("diagnostics", []),
            )
        except (KeyError, TypeError) as error:
            raise SnapshotFormatError(f"malformed offline plan: missing {error}") from error


def snapshot_of(plan: Plan) -> Snapshot:
    """The plan as data, in an order of its own: resources by URN, dependencies sorted.

    The engine records resources as the program's outputs resolve, which varies between runs;
    sorting here makes the text and the `--json` file of the same tree identical byte for byte.
    """
    resources = [
        Resource(
            urn=resource.urn,
            type=resource.type,
            name=resource.name,
            parent=resource.parent,
            custom=resource.custom,
            inputs=masked(json_format.MessageToDict(resource.properties)),
            dependencies={
                key: sorted(set(urns))
                for key, urns in sorted(resource.property_dependencies.items())
                if urns
            },
        )
        for resource in sorted(plan.resources, key=lambda resource: resource.urn)
    ]
    return Snapshot(
        project=plan.project,
        stack=plan.stack,
        region=plan.region,
        mode="preview" if plan.preview else "update",
        resources=resources,
        outputs=masked(plan.exports),
        diagnostics=[{"severity": s, "message": m} for s, m in sorted(plan.diagnostics)],
    )


def masked(value: Any) -> Any:
    """Serialized property values as plain data: secrets, unknowns and archives as text."""
    if isinstance(value, dict):
        signature = value.get(SIG_KEY)
        if signature == SECRET_SIG:
            return SECRET
        if signature == OUTPUT_SIG:
            if value.get("secret"):
                return SECRET
            return masked(value["value"]) if "value" in value else UNKNOWN_TEXT
        if signature == RESOURCE_SIG:
            return value.get("urn", "")
        if signature in (ASSET_SIG, ARCHIVE_SIG):
            kind = "asset" if signature == ASSET_SIG else "archive"
            return f"{kind} sha256:{_content_hash(value)}"
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    if value == UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf numbers are doubles; 128.0 reads as 128
    return value


def _content_hash(value: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    if "path" in value and Path(value["path"]).is_file():
        digest.update(Path(value["path"]).read_bytes())
    elif "text" in value:
        digest.update(str(value["text"]).encode())
    elif "assets" in value:
        for name, asset in sorted(value["assets"].items()):
            digest.update(f"{name}={_content_hash(asset)};".encode())
    else:
        digest.update(repr(sorted((k, str(v)) for k, v in value.items() if k != SIG_KEY)).encode())
    return digest.hexdigest()[:16]

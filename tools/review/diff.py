"""What a change does: resources matched by URN between a base snapshot and the new one.

A URN is the stack, project, type chain of the parents, type and name, so a resource renamed,
re-typed or moved under another parent is a delete and a create, as Pulumi would do it (unless
the program gives it an alias). An input whose value is unknown on either side (a preview's
`[unknown]`) is not a change: the value is decided by the deployment, not by the review.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tools.review.snapshot import UNKNOWN_TEXT, Resource, Snapshot

CREATE, UPDATE, DELETE, SAME = "create", "update", "delete", "same"
MARKS = {CREATE: "+", UPDATE: "~", DELETE: "-", SAME: " "}
MISSING = object()  # a property absent on one side
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class PropertyChange:
    path: str  # e.g. `environment.variables.SITES` or `ingress[0].fromPort`
    old: Any  # MISSING when added
    new: Any  # MISSING when removed


@dataclass(frozen=True)
class Change:
    op: str
    resource: Resource  # the new resource, or the base one when deleted
    properties: tuple[PropertyChange, ...] = ()


@dataclass
class Review:
    changes: list[Change]

    def by_urn(self) -> dict[str, Change]:
        return {change.resource.urn: change for change in self.changes}

    def counts(self) -> Counter[str]:
        return Counter(change.op for change in self.changes)


def compare(base: Snapshot | None, new: Snapshot) -> Review:
    """Every resource of `new` (and every one gone from `base`) with its operation."""
    if base is None:
        return Review([Change(CREATE, resource) for resource in new.resources])
    old = base.by_urn()
    changes = []
    for resource in new.resources:
        before = old.get(resource.urn)
        if before is None:
            changes.append(Change(CREATE, resource))
            continue
        properties = tuple(property_changes(before.inputs, resource.inputs))
        changes.append(Change(UPDATE if properties else SAME, resource, properties))
    current = {resource.urn for resource in new.resources}
    gone = sorted((r for r in base.resources if r.urn not in current), key=lambda r: r.urn)
    changes += [Change(DELETE, r) for r in gone]
    return Review(changes)


def property_changes(old: Any, new: Any, path: str = "") -> list[PropertyChange]:
    """Changed leaves between two input values, with their paths spelled out."""
    if old == new or UNKNOWN_TEXT in (old, new):
        return []
    old_document, new_document = _json_document(old), _json_document(new)
    if old_document is not None and new_document is not None:
        # A policy, an OpenAPI body, a dashboard: JSON in a string, compared by its structure.
        return property_changes(old_document, new_document, path)
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            child = _child_path(path, key)
            if key not in old:
                found.append(PropertyChange(child, MISSING, new[key]))
            elif key not in new:
                found.append(PropertyChange(child, old[key], MISSING))
            else:
                found += property_changes(old[key], new[key], child)
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for index in range(max(len(old), len(new))):
            child = f"{path}[{index}]"
            if index >= len(old):
                found.append(PropertyChange(child, MISSING, new[index]))
            elif index >= len(new):
                found.append(PropertyChange(child, old[index], MISSING))
            else:
                found += property_changes(old[index], new[index], child)
        return found
    return [PropertyChange(path, old, new)]


def _child_path(path: str, key: str) -> str:
    if IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _json_document(value: Any) -> dict | list | None:
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if isinstance(document, dict | list) else None

"""What a change does: resources matched by URN between a base snapshot and the new one.

A URN is the stack, project, type chain of the parents, type and name, so a resource renamed,
re-typed or moved under another parent is a delete and a create, as Pulumi would do it (unless
the program gives it an alias). An input whose value is unknown on either side (a preview's
`[unknown]`) is not a change: the value is decided by the deployment, not by the review.
A string holding JSON (a policy, a dashboard body, an OpenAPI body) is compared as the parsed
document, and a list by its items' identities where they have one (`_list_changes`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from tools.review.snapshot import UNKNOWN_TEXT, Resource, Snapshot

CREATE, UPDATE, DELETE, SAME = "create", "update", "delete", "same"
MARKS = {CREATE: "+", UPDATE: "~", DELETE: "-", SAME: " "}
MISSING = object()  # a property absent on one side
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# What names a list item (an IAM statement's Sid, a site's url, a widget's title), in order.
IDENTITY_KEYS = ("Sid", "url", "name", "Name", "id", "key", "Key", "title")


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
        return _list_changes(old, new, path)
    return [PropertyChange(path, old, new)]


def _list_changes(old: list, new: list, path: str) -> list[PropertyChange]:
    """Items matched by identity where they have one, else by position.

    Plain values are their own identity, and a dict item's is the first of `IDENTITY_KEYS` it
    (or its `properties`, as a dashboard widget) has, when that is unique on both sides: an
    item inserted first is one `+`, not every later index changed.
    """
    old_ids, new_ids = _identities(old), _identities(new)
    if old_ids is None or new_ids is None:
        return _positional_changes(old, new, path)
    found = []
    matcher = SequenceMatcher(
        None, [i for i, _ in old_ids], [i for i, _ in new_ids], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                found += property_changes(old[i], new[j], path + new_ids[j][1])
            continue
        found += [PropertyChange(path + old_ids[i][1], old[i], MISSING) for i in range(i1, i2)]
        found += [PropertyChange(path + new_ids[j][1], MISSING, new[j]) for j in range(j1, j2)]
    return found


def _positional_changes(old: list, new: list, path: str) -> list[PropertyChange]:
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


def _identities(items: list) -> list[tuple[str, str]] | None:
    """(identity, path suffix) per item, or None when some item has none or two share one."""
    found = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            named = _identity_key(item)
            if named is None:
                return None
            key, value = named
            found.append((f"{key}={value}", f"[{key}={json.dumps(value)}]"))
        elif isinstance(item, list):
            found.append((json.dumps(item, sort_keys=True), f"[{index}]"))
        else:
            found.append((json.dumps(item), f"[{index}]"))
    identities = [identity for identity, _ in found]
    return found if len(set(identities)) == len(identities) else None


def _identity_key(item: dict) -> tuple[str, Any] | None:
    for where in (item, item.get("properties")):
        if isinstance(where, dict):
            for key in IDENTITY_KEYS:
                if isinstance(where.get(key), str | int) and where.get(key) != UNKNOWN_TEXT:
                    return key, where[key]
    return None


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

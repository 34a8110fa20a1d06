"""Reading resource properties that may be unknown (during `pulumi preview`).

The policy SDK hands rules an unknown-checking proxy: touching an unknown value raises
`UnknownValueError`, which would abort the whole rule (for a stack rule: for every resource).
Rules here first turn the proxy into plain Python values, with unknowns replaced by the
`UNKNOWN` marker, and decide per value: a rule never blocks on a value it cannot see.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)

from platform_rules.iam import as_list

UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class _Unknown:
    """A value that is not known yet (computed by the cloud during the update)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; test is_unknown() first")


UNKNOWN: Final = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def plain(value: Any) -> Any:
    """The value with proxies removed and every unknown (sentinel or proxied) as `UNKNOWN`."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, _DictProxy | _ListProxy):
        # The proxy's own contents (the SDK's deserializer reads them the same way): every
        # unknown there is still its sentinel string, made UNKNOWN below, so nothing is lost by
        # not going through the checking `__getitem__` (which raises on each unknown).
        return plain(value["__target"])
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in value:
            try:
                item = value[key]
            except UnknownValueError:
                result[str(key)] = UNKNOWN
                continue
            result[str(key)] = plain(item)
        return result
    if isinstance(value, Sequence):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError:
                items.append(UNKNOWN)
                continue
            items.append(plain(item))
        return items
    return value


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def truthy(value: Any) -> bool | None:
    """True/False for a known boolean (or its string form), None when unknown."""
    if is_unknown(value):
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def as_int(value: Any) -> int | None:
    if is_unknown(value) or value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_whole_internet(cidr: Any) -> bool:
    """True for any spelling of 0.0.0.0/0 or ::/0 (a prefix of length 0)."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


# --- IAM and bucket policy documents ---------------------------------------------------------


class PolicyDocumentError(ValueError):
    """A policy that is not a JSON object with statements."""


def policy_statements(document: Any) -> list[dict[str, Any]] | _Unknown:
    """The statements of a policy document given as a JSON string or an object.

    UNKNOWN when the document (or part of it) is not known yet; raises PolicyDocumentError when
    it is known but not a policy.
    """
    if is_unknown(document):
        return UNKNOWN
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise PolicyDocumentError(f"the policy is not valid JSON ({error.msg})") from error
    if not isinstance(document, dict):
        raise PolicyDocumentError("the policy is not a JSON object")
    if contains_unknown(document):
        return UNKNOWN
    statements = as_list(document.get("Statement"))
    if not all(isinstance(statement, dict) for statement in statements):
        raise PolicyDocumentError("a policy statement is not an object")
    return statements


def principal_is_everyone(statement: Mapping[str, Any]) -> bool:
    """Principal "*" or {"AWS": "*"} (alone or in a list).

    A NotPrincipal statement is about everyone *except* the principals it names, so it is not:
    a Deny with NotPrincipal exempts them, an Allow with NotPrincipal is public (see its callers).
    """
    if "NotPrincipal" in statement:
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(item == "*" for item in as_list(principal.get("AWS")))
    return False


def effect(statement: Mapping[str, Any]) -> str:
    value = statement.get("Effect")
    return value.strip().lower() if isinstance(value, str) else ""

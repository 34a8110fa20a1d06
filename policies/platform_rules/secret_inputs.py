"""Which properties of a resource the engine sent as Pulumi secrets.

The CLI marshals every property to the analyzer with `KeepSecrets: true`
(pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go: Analyze and AnalyzeStack), so
a secret arrives wrapped in the secret signature. The Python SDK unwraps it before a rule sees
the value (`deserialize_properties(..., proxy_secrets=False)` in Analyze and AnalyzeStack): a
rule cannot tell `"hunter2"` from `pulumi.Output.secret("hunter2")`. The pack's servicer
(`serving.py`) records, per resource of the request it serves, the paths the engine marked
secret, before the SDK unwraps them; `secret_paths(urn)` returns them to rules. Outside the
servicer (a rule called directly) nothing is recorded and every value reads as plain.
"""

from __future__ import annotations

import threading
from typing import Any

# The engine's signature key and the value that marks a secret
# (pulumi/pulumi sdk/go/common/resource/properties.go; pulumi_policy.deserialize).
SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a marker, not a secret

Path = tuple[str | int, ...]


class _Recorded(threading.local):
    """Secret paths of the resources of the request this server thread serves, by URN."""

    def __init__(self) -> None:
        self.by_urn: dict[str, frozenset[Path]] = {}


_RECORDED = _Recorded()


def begin_request() -> None:
    """Forget the previous request's resources (called as the servicer starts a request)."""
    _RECORDED.by_urn = {}


def record(urn: str, raw: Any) -> None:
    """Record the secret paths of one resource's properties, as decoded from the wire (signature
    keys still in place)."""
    found = frozenset(_secret_paths(raw, ()))
    if found:
        _RECORDED.by_urn[urn] = found
    else:
        _RECORDED.by_urn.pop(urn, None)


def secret_paths(urn: str) -> frozenset[Path]:
    return _RECORDED.by_urn.get(urn, frozenset())


def is_secret(paths: frozenset[Path], path: Path) -> bool:
    """The value at `path` is a secret, or sits inside one (a secret object or list)."""
    return any(path[: len(secret)] == secret for secret in paths)


def _secret_paths(value: Any, path: Path) -> list[Path]:
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return [path]
        found: list[Path] = []
        for key, item in value.items():
            if isinstance(item, dict | list):
                found += _secret_paths(item, (*path, key))
        return found
    if isinstance(value, list):
        found = []
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                found += _secret_paths(item, (*path, index))
        return found
    return []

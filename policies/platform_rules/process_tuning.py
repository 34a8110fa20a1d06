"""Settings of the pack's own process, applied when `__main__.py` imports this module.

Garbage collection. AnalyzeStack hands every stack policy the whole stack, decoded afresh for
each policy: tens of thousands of short-lived dicts and lists on a large stack. With CPython's
default thresholds they trigger full garbage collections over everything alive, so the call grew
faster than the stack. Rarer young-generation collections keep it linear: on 10,000 resources
1.01 ms per resource before, 0.86 ms after (bench/bench_policy.py, bench/RESULTS.md).

Decoding once per request. The Python policy SDK (pulumi-policy 1.21) decodes a resource's
properties (`MessageToDict`, `deserialize_properties`, `unknown_checking_proxy`) and options once
per policy: in Analyze for every
resource policy, whatever its resource types, and in AnalyzeStack the whole stack for every stack
policy. With a pack of many rules that decoding, not the rules, was most of the time. The functions
the SDK's servicer calls for that are wrapped so that, within one request on one server thread,
the same protobuf message is decoded once and its result shared (rules only read properties: they
copy them with `values.plain`; the stack graph is built once per request from them). The memo is reset when the SDK starts serving a request
(`_configure_runtime_settings`), holds the messages it keys on (so no id is reused while it
lives), and any other call goes to the SDK's own functions unchanged.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from pulumi_policy import policy as sdk

from platform_rules.graph import forget_last_graph

YOUNG_GENERATION_THRESHOLD = 200_000

gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 50, 100)


class _Decoded(threading.local):
    """What the current request on this thread has decoded, by the identity of its input."""

    def __init__(self) -> None:
        self.memos: dict[str, dict[int, tuple[Any, Any]]] = {}

    def reset(self) -> None:
        self.memos = {}

    def once(self, kind: str, key: Any, compute: Callable[[], Any]) -> Any:
        memo = self.memos.setdefault(kind, {})
        found = memo.get(id(key))
        if found is None or found[0] is not key:
            found = memo[id(key)] = (key, compute())
        return found[1]


_DECODED = _Decoded()
# The SDK's own functions, read from its namespaces (they are private to the SDK).
_module = vars(sdk)
_servicer = _module["_PolicyAnalyzerServicer"]
_methods = vars(_servicer)
_sdk_deserialize = _module["deserialize_properties"]
_sdk_proxy = _module["unknown_checking_proxy"]
_sdk_configure = _methods["_configure_runtime_settings"]
_sdk_options = _methods["_get_resource_options"]
_sdk_provider = _methods["_get_provider_resource"]


class _JsonFormatOncePerRequest:
    """`json_format` as the SDK's policy module sees it, with `MessageToDict` memoized."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:  # noqa: N802
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        return _DECODED.once("dict", message, lambda: json_format.MessageToDict(message))


def _deserialize_once_per_request(value: Any, *args: Any, **kwargs: Any) -> Any:
    if args or kwargs:
        return _sdk_deserialize(value, *args, **kwargs)
    return _DECODED.once("value", value, lambda: _sdk_deserialize(value))


def _proxy_once_per_request(value: Any) -> Any:
    return _DECODED.once("proxy", value, lambda: _sdk_proxy(value))


def _options_once_per_request(self: Any, resource: Any) -> Any:
    return _DECODED.once("options", resource, lambda: _sdk_options(self, resource))


def _provider_once_per_request(self: Any, resource: Any) -> Any:
    return _DECODED.once("provider", resource, lambda: _sdk_provider(self, resource))


def _configure_runtime_settings(self: Any) -> None:
    _DECODED.reset()
    forget_last_graph()
    _sdk_configure(self)


_PATCHES = {
    sdk: {
        "json_format": _JsonFormatOncePerRequest(),
        "deserialize_properties": _deserialize_once_per_request,
        "unknown_checking_proxy": _proxy_once_per_request,
    },
    _servicer: {
        "_configure_runtime_settings": _configure_runtime_settings,
        "_get_resource_options": _options_once_per_request,
        "_get_provider_resource": _provider_once_per_request,
    },
}
for _target, _replacements in _PATCHES.items():
    for _name, _replacement in _replacements.items():
        setattr(_target, _name, _replacement)

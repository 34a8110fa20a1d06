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
    """What the current request on this thread has decoded, by the identity of its input: one
    memo per function, each entry (input, result)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.dicts: dict[int, tuple[Any, Any]] = {}
        self.values: dict[int, tuple[Any, Any]] = {}
        self.proxies: dict[int, tuple[Any, Any]] = {}
        self.options: dict[int, tuple[Any, Any]] = {}
        self.providers: dict[int, tuple[Any, Any]] = {}


def _once(memo: dict[int, tuple[Any, Any]], key: Any, compute: Callable[[Any], Any]) -> Any:
    found = memo.get(id(key))
    if found is not None and found[0] is key:
        return found[1]
    result = compute(key)
    memo[id(key)] = (key, result)
    return result


_DECODED = _Decoded()
# The SDK's own functions, read from its namespaces (they are private to the SDK: an SDK that
# lacks one of them is left unpatched, and the pack runs as the SDK alone would run it).
_module = vars(sdk)
_servicer = _module.get("_PolicyAnalyzerServicer", object)
_methods = vars(_servicer)
_sdk_deserialize: Any = _module.get("deserialize_properties")
_sdk_proxy: Any = _module.get("unknown_checking_proxy")
_sdk_configure: Any = _methods.get("_configure_runtime_settings")
_sdk_options: Any = _methods.get("_get_resource_options")
_sdk_provider: Any = _methods.get("_get_provider_resource")
_sdk_analyze_stack: Any = _methods.get("AnalyzeStack")
_SDK_PARTS = (
    _module.get("json_format"),
    _sdk_deserialize,
    _sdk_proxy,
    _sdk_configure,
    _sdk_options,
    _sdk_provider,
    _sdk_analyze_stack,
)


class _JsonFormatOncePerRequest:
    """`json_format` as the SDK's policy module sees it, with `MessageToDict` memoized."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:  # noqa: N802
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        return _once(_DECODED.dicts, message, json_format.MessageToDict)


def _deserialize_once_per_request(value: Any, *args: Any, **kwargs: Any) -> Any:
    if args or kwargs:
        return _sdk_deserialize(value, *args, **kwargs)
    return _once(_DECODED.values, value, _sdk_deserialize)


def _proxy_once_per_request(value: Any) -> Any:
    return _once(_DECODED.proxies, value, _sdk_proxy)


def _options_once_per_request(self: Any, resource: Any) -> Any:
    return _once(_DECODED.options, resource, lambda key: _sdk_options(self, key))


def _provider_once_per_request(self: Any, resource: Any) -> Any:
    return _once(_DECODED.providers, resource, lambda key: _sdk_provider(self, key))


def _configure_runtime_settings(self: Any) -> None:
    _DECODED.reset()
    forget_last_graph()
    _sdk_configure(self)


def _analyze_stack_without_cycle_collection(self: Any, request: Any, context: Any) -> Any:
    """AnalyzeStack with the cyclic garbage collector paused: the decoded stack is a set of
    trees that reference counting frees, and collections over it while it grows made the call
    grow faster than the stack. The CLI sends AnalyzeStack after every Analyze has returned."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _sdk_analyze_stack(self, request, context)
    finally:
        if was_enabled:
            gc.enable()


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
        "AnalyzeStack": _analyze_stack_without_cycle_collection,
    },
}
if all(part is not None for part in _SDK_PARTS):
    for _target, _replacements in _PATCHES.items():
        for _name, _replacement in _replacements.items():
            setattr(_target, _name, _replacement)

"""The stack as a graph rules can query: resources by type, and which resource a property names.

A property such as a bucket policy's `bucket` names another resource. The link is decided by
value when both values are known (the policy's `bucket` equals the bucket's `bucket` name), and
otherwise by property dependencies: the engine records that the policy's `bucket` input was
computed from the bucket resource (its URN), which holds even during a preview.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import _DictProxy

from platform_rules import secret_inputs
from platform_rules.secret_inputs import Path
from platform_rules.values import is_unknown, plain


class Node:
    """A resource with plain properties (unknowns as UNKNOWN), its property dependencies and the
    paths of the properties the engine sent as secrets (see `secret_inputs`).

    Properties are made plain when first read, key by key: a stack rule reads a few keys of a
    few types, and most of a large stack is never read at all."""

    __slots__ = (
        "_plain",
        "_source",
        "name",
        "parent",
        "property_dependencies",
        "region",
        "secret_paths",
        "type",
        "urn",
    )

    def __init__(
        self,
        urn: str,
        type: str,  # noqa: A002 - the resource's type, as the SDK names it
        name: str,
        props: Mapping[str, Any],
        property_dependencies: dict[str, list[str]] | None = None,
        parent: str = "",
        secret_paths: frozenset[Path] = frozenset(),
        provider_region: str = "",
    ):
        self.urn, self.type, self.name = urn, type, name
        self._source: Mapping[str, Any] = _unproxied(props)
        self._plain: dict[str, Any] = {}
        self.property_dependencies = property_dependencies or {}
        self.parent = parent
        self.secret_paths = secret_paths
        # Where the resource lives: its own `region` input (pulumi-aws v7), else its provider's
        # Region, else its provider (resources of one provider share a Region); "" unknown.
        region = self.get("region")
        self.region = region if isinstance(region, str) and not is_unknown(region) else ""
        self.region = self.region or provider_region

    @classmethod
    def from_args(cls, args: ResourceValidationArgs) -> Node:
        return cls(
            args.urn,
            args.resource_type,
            args.name,
            args.props,
            secret_paths=secret_inputs.secret_paths(args.urn),
        )

    @classmethod
    def from_resource(cls, resource: PolicyResource) -> Node:
        return cls(
            urn=resource.urn,
            type=resource.resource_type,
            name=resource.name,
            props=resource.props,
            property_dependencies={
                key: [dependency.urn for dependency in dependencies]
                for key, dependencies in resource.property_dependencies.items()
            },
            parent=resource.parent.urn if resource.parent is not None else "",
            secret_paths=secret_inputs.secret_paths(resource.urn),
            provider_region=_provider_region(resource),
        )

    def __repr__(self) -> str:
        return f"Node({self.type} {self.name})"

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._plain:
            return self._plain[key]
        if key not in self._source:
            return default
        value = self._plain[key] = plain(self._source[key])
        return value

    @property
    def props(self) -> dict[str, Any]:
        """Every property, plain."""
        return {key: self.get(key) for key in self._source}

    def depends_on(self, key: str) -> list[str]:
        return self.property_dependencies.get(key, [])

    def is_secret(self, *path: str | int) -> bool:
        """The engine sent the value at this path (or one containing it) as a secret."""
        return bool(self.secret_paths) and secret_inputs.is_secret(self.secret_paths, path)


def _provider_region(resource: PolicyResource) -> str:
    provider = resource.provider
    if provider is None:
        return ""
    region = _unproxied(provider.props).get("region")
    if isinstance(region, str) and region and not is_unknown(plain(region)):
        return region
    return f"the Region of provider {provider.urn}"


def _unproxied(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The SDK proxy's own contents (unknowns still as sentinel strings, which `plain` turns into
    UNKNOWN), or the mapping itself."""
    if isinstance(props, _DictProxy):
        return props["__target"]  # type: ignore[no-any-return]
    return props


class _LastGraph(threading.local):
    def __init__(self) -> None:
        self.entry: tuple[list[Any], StackGraph] | None = None


_LAST_GRAPH = _LastGraph()


def forget_last_graph() -> None:
    """Drop the previous request's graph (called as the servicer starts a request)."""
    _LAST_GRAPH.entry = None


# Candidate lists at least this long are looked up through an index (built once per list);
# shorter ones (a single table, a single VPC) are scanned.
INDEX_THRESHOLD = 8


def _known_names(node: Node, name_keys: Iterable[str]) -> list[str]:
    names = (node.get(name_key) for name_key in name_keys)
    return [name for name in names if isinstance(name, str) and name]


def _known_value(value: Any) -> bool:
    return isinstance(value, str) and not is_unknown(value)


def _known_values(value: Any) -> tuple[list[str], bool]:
    """The known strings a property names (a list names several), and whether all are known."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    known = [item for item in items if _known_value(item)]
    return known, bool(items) and len(known) == len(items)


def _in_order(found: dict[int, Node]) -> list[Node]:
    return [found[position] for position in sorted(found)]


class _TargetIndex:
    """For `targets`: candidates by their known names and by URN."""

    def __init__(self, candidates: list[Node], name_keys: tuple[str, ...]):
        self.by_name: dict[str, list[tuple[int, Node]]] = {}
        self.by_urn: dict[str, list[tuple[int, Node, bool]]] = {}
        for position, candidate in enumerate(candidates):
            names = _known_names(candidate, name_keys)
            for name in dict.fromkeys(names):
                self.by_name.setdefault(name, []).append((position, candidate))
            self.by_urn.setdefault(candidate.urn, []).append((position, candidate, bool(names)))

    def find(self, source: Node, key: str) -> list[Node]:
        """By value where the whole value and the candidate's name are known (an id or a list
        of ids at an update), else by the property's dependencies (a preview)."""
        known, whole = _known_values(source.get(key))
        found: dict[int, Node] = {}
        for value in known:
            found.update(self.by_name.get(value, []))
        for urn in source.depends_on(key):
            for position, candidate, named in self.by_urn.get(urn, []):
                if not (whole and named):
                    found[position] = candidate
        return _in_order(found)


class _SourceIndex:
    """For `sources`: candidates by the known value(s) of `key` and by its dependencies."""

    def __init__(self, candidates: list[Node], key: str):
        self.by_value: dict[str, list[tuple[int, Node]]] = {}
        self.by_dependency: dict[str, list[tuple[int, Node, bool]]] = {}
        for position, candidate in enumerate(candidates):
            known, whole = _known_values(candidate.get(key))
            for value in dict.fromkeys(known):
                self.by_value.setdefault(value, []).append((position, candidate))
            for urn in dict.fromkeys(candidate.depends_on(key)):
                self.by_dependency.setdefault(urn, []).append((position, candidate, whole))

    def find(self, target: Node, name_keys: tuple[str, ...]) -> list[Node]:
        names = _known_names(target, name_keys)
        found: dict[int, Node] = {}
        for name in names:
            found.update(self.by_value.get(name, []))
        for position, candidate, whole in self.by_dependency.get(target.urn, []):
            if not (whole and names):
                found[position] = candidate
        return _in_order(found)


# An index (`_TargetIndex` or `_SourceIndex`) and what it indexes the candidates by.
_Index = TypeVar("_Index", _TargetIndex, _SourceIndex)
_By = TypeVar("_By", tuple[str, ...], str)


@dataclass
class StackGraph:
    """The stack's nodes. Treat `nodes` and the lists `of_type` returns as read-only: lookups
    over them are indexed once per list."""

    nodes: list[Node]

    @classmethod
    def from_args(cls, args: StackValidationArgs) -> StackGraph:
        """The stack's graph, built once for all the stack policies of a request: the pack's
        servicer hands them the very same list of resources (serving.py)."""
        resources = args.resources
        last = _LAST_GRAPH.entry
        if last is not None and last[0] is resources:
            return last[1]
        graph = cls([Node.from_resource(resource) for resource in resources])
        # The list is kept so that it is the same list, not a new one at the same address.
        _LAST_GRAPH.entry = (resources, graph)
        return graph

    @classmethod
    def of(cls, nodes: Iterable[Node]) -> StackGraph:
        return cls(list(nodes))

    def __post_init__(self) -> None:
        self._by_urn = {node.urn: node for node in self.nodes}
        self._by_type: dict[str, list[Node]] = {}
        for node in self.nodes:
            self._by_type.setdefault(node.type, []).append(node)
        self._of_type: dict[tuple[str, ...], list[Node]] = {}
        # Keyed by the candidate list's id; the list is kept alive with its index.
        self._target_indexes: dict[tuple[int, tuple[str, ...]], tuple[list[Node], _TargetIndex]]
        self._target_indexes = {}
        self._source_indexes: dict[tuple[int, str], tuple[list[Node], _SourceIndex]] = {}

    def of_type(self, *types: str) -> list[Node]:
        """The nodes of these types, in stack order (the same list for the same types)."""
        found = self._of_type.get(types)
        if found is None:
            if len(types) == 1:
                found = self._by_type.get(types[0], [])
            else:
                wanted = set(types)
                found = [node for node in self.nodes if node.type in wanted]
            self._of_type[types] = found
        return found

    def by_urn(self, urn: str) -> Node | None:
        return self._by_urn.get(urn)

    def targets(
        self, source: Node, key: str, candidates: Iterable[Node], name_keys: Iterable[str] = ()
    ) -> list[Node]:
        """The candidates that `source.props[key]` names (see the module docstring)."""
        index = self._index(self._target_indexes, _TargetIndex, candidates, tuple(name_keys))
        return index.find(source, key)

    def sources(
        self, target: Node, key: str, candidates: Iterable[Node], name_keys: Iterable[str] = ()
    ) -> list[Node]:
        """The candidates whose `key` names `target`."""
        index = self._index(self._source_indexes, _SourceIndex, candidates, key)
        return index.find(target, tuple(name_keys))

    @staticmethod
    def _index(
        cache: dict[tuple[int, _By], tuple[list[Node], _Index]],
        build: Callable[[list[Node], _By], _Index],
        candidates: Iterable[Node],
        by: _By,
    ) -> _Index:
        """`build(candidates, by)`: once per candidate list (kept in `cache`, by the list's id)
        when the list is long enough to pay for it, else afresh."""
        if not isinstance(candidates, list) or len(candidates) < INDEX_THRESHOLD:
            return build(list(candidates), by)
        cached = cache.get((id(candidates), by))
        if cached is None:
            cached = cache[(id(candidates), by)] = (candidates, build(candidates, by))
        return cached[1]

"""The stack as a graph rules can query: resources by type, and which resource a property names.

A property such as a bucket policy's `bucket` names another resource. The link is decided by
value when both values are known (the policy's `bucket` equals the bucket's `bucket` name), and
otherwise by property dependencies: the engine records that the policy's `bucket` input was
computed from the bucket resource (its URN), which holds even during a preview.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from platform_rules.values import is_unknown, plain


@dataclass
class Node:
    """A resource with plain properties (unknowns as UNKNOWN) and its property dependencies."""

    urn: str
    type: str
    name: str
    props: dict[str, Any]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    parent: str = ""

    @classmethod
    def from_args(cls, args: ResourceValidationArgs) -> Node:
        return cls(args.urn, args.resource_type, args.name, plain(args.props))

    @classmethod
    def from_resource(cls, resource: PolicyResource) -> Node:
        return cls(
            urn=resource.urn,
            type=resource.resource_type,
            name=resource.name,
            props=plain(resource.props),
            property_dependencies={
                key: [dependency.urn for dependency in dependencies]
                for key, dependencies in resource.property_dependencies.items()
            },
            parent=resource.parent.urn if resource.parent is not None else "",
        )

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)

    def depends_on(self, key: str) -> list[str]:
        return self.property_dependencies.get(key, [])


class _LastGraph(threading.local):
    def __init__(self) -> None:
        self.entry: tuple[tuple[int, ...], list[Any], StackGraph] | None = None


_LAST_GRAPH = _LastGraph()


def forget_last_graph() -> None:
    """Drop the previous request's graph (called as the SDK starts serving a request)."""
    _LAST_GRAPH.entry = None


# Candidate lists at least this long are looked up through an index (built once per list);
# shorter ones (a single table, a single VPC) are scanned.
INDEX_THRESHOLD = 8


def _known_names(node: Node, name_keys: Iterable[str]) -> list[str]:
    names = (node.get(name_key) for name_key in name_keys)
    return [name for name in names if isinstance(name, str) and name]


def _known_value(value: Any) -> bool:
    return isinstance(value, str) and not is_unknown(value)


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
        value = source.get(key)
        known = _known_value(value)
        found: dict[int, Node] = {}
        if known:
            found.update(self.by_name.get(value, []))
        for urn in source.depends_on(key):
            for position, candidate, named in self.by_urn.get(urn, []):
                if not (known and named):
                    found[position] = candidate
        return _in_order(found)


class _SourceIndex:
    """For `sources`: candidates by the known value of `key` and by its dependencies."""

    def __init__(self, candidates: list[Node], key: str):
        self.by_value: dict[str, list[tuple[int, Node]]] = {}
        self.by_dependency: dict[str, list[tuple[int, Node, bool]]] = {}
        for position, candidate in enumerate(candidates):
            value = candidate.get(key)
            known = _known_value(value)
            if known:
                self.by_value.setdefault(value, []).append((position, candidate))
            for urn in dict.fromkeys(candidate.depends_on(key)):
                self.by_dependency.setdefault(urn, []).append((position, candidate, known))

    def find(self, target: Node, name_keys: tuple[str, ...]) -> list[Node]:
        names = _known_names(target, name_keys)
        found: dict[int, Node] = {}
        for name in names:
            found.update(self.by_value.get(name, []))
        for position, candidate, known in self.by_dependency.get(target.urn, []):
            if not (known and names):
                found[position] = candidate
        return _in_order(found)


@dataclass
class StackGraph:
    """The stack's nodes. Treat `nodes` and the lists `of_type` returns as read-only: lookups
    over them are indexed once per list."""

    nodes: list[Node]

    @classmethod
    def from_args(cls, args: StackValidationArgs) -> StackGraph:
        """The stack's graph, built once for all the stack policies of a request: they get the
        same property proxies (see process_tuning), so the graph of the last call is reused
        when the proxies are the very same objects."""
        resources = list(args.resources)
        key = tuple(id(resource.props) for resource in resources)
        last = _LAST_GRAPH.entry
        if last is not None and last[0] == key:
            return last[2]
        graph = cls([Node.from_resource(resource) for resource in resources])
        # The proxies are kept so that no id in the key is reused while the entry lives.
        _LAST_GRAPH.entry = (key, [resource.props for resource in resources], graph)
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
        name_keys = tuple(name_keys)
        if isinstance(candidates, list) and len(candidates) >= INDEX_THRESHOLD:
            cache_key = (id(candidates), name_keys)
            cached = self._target_indexes.get(cache_key)
            if cached is None:
                cached = (candidates, _TargetIndex(candidates, name_keys))
                self._target_indexes[cache_key] = cached
            return cached[1].find(source, key)
        value = source.get(key)
        dependencies = set(source.depends_on(key))
        found = []
        for candidate in candidates:
            known_names = _known_names(candidate, name_keys)
            if _known_value(value) and known_names:
                if value in known_names:
                    found.append(candidate)
            elif candidate.urn in dependencies:
                found.append(candidate)
        return found

    def sources(
        self, target: Node, key: str, candidates: Iterable[Node], name_keys: Iterable[str] = ()
    ) -> list[Node]:
        """The candidates whose `key` names `target`."""
        name_keys = tuple(name_keys)
        if isinstance(candidates, list) and len(candidates) >= INDEX_THRESHOLD:
            cache_key = (id(candidates), key)
            cached = self._source_indexes.get(cache_key)
            if cached is None:
                cached = (candidates, _SourceIndex(candidates, key))
                self._source_indexes[cache_key] = cached
            return cached[1].find(target, name_keys)
        return [
            candidate
            for candidate in candidates
            if self.targets(candidate, key, [target], name_keys)
        ]

"""The stack as a graph rules can query: resources by type, and which resource a property names.

A property such as a bucket policy's `bucket` names another resource. The link is decided by
value when both values are known (the policy's `bucket` equals the bucket's `bucket` name), and
otherwise by property dependencies: the engine records that the policy's `bucket` input was
computed from the bucket resource (its URN), which holds even during a preview.
"""

from __future__ import annotations

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


@dataclass
class StackGraph:
    nodes: list[Node]

    @classmethod
    def from_args(cls, args: StackValidationArgs) -> StackGraph:
        return cls([Node.from_resource(resource) for resource in args.resources])

    @classmethod
    def of(cls, nodes: Iterable[Node]) -> StackGraph:
        return cls(list(nodes))

    def __post_init__(self) -> None:
        self._by_urn = {node.urn: node for node in self.nodes}

    def of_type(self, *types: str) -> list[Node]:
        return [node for node in self.nodes if node.type in types]

    def by_urn(self, urn: str) -> Node | None:
        return self._by_urn.get(urn)

    def targets(
        self, source: Node, key: str, candidates: Iterable[Node], name_keys: Iterable[str] = ()
    ) -> list[Node]:
        """The candidates that `source.props[key]` names (see the module docstring)."""
        value = source.get(key)
        dependencies = set(source.depends_on(key))
        found = []
        for candidate in candidates:
            names = [candidate.get(name_key) for name_key in name_keys]
            known_names = [name for name in names if isinstance(name, str) and name]
            if isinstance(value, str) and not is_unknown(value) and known_names:
                if value in known_names:
                    found.append(candidate)
            elif candidate.urn in dependencies:
                found.append(candidate)
        return found

    def sources(
        self, target: Node, key: str, candidates: Iterable[Node], name_keys: Iterable[str] = ()
    ) -> list[Node]:
        """The candidates whose `key` names `target`."""
        return [
            candidate
            for candidate in candidates
            if self.targets(candidate, key, [target], name_keys)
        ]

"""A component's outputs, declared once: the annotations of its class.

DESIGN.md: a component's outputs are attributes that are always set and also passed to
`register_outputs`. So a component class lists them as annotations (`address:
pulumi.Output[str]`), sets each in `__init__`, and ends with `register_declared_outputs(self)`,
which registers exactly those, in their declared order. An attribute the class offers its
callers in code but does not register (a child resource, a secret handed on to another
component) is declared `NotRegistered[...]`.

An attribute that is also a stack output says so where it is declared, with its stack output
name: `vpc_id: Annotated[pulumi.Output[str], Export("vpcId")]`, and `exported_outputs(self)`
gives the stack outputs of a component (`__main__.py` exports them). A value exported but not
registered is `NotRegistered[Annotated[int, Export("natGatewayCount")]]`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import pulumi

T = TypeVar("T")


class _NotRegisteredMark:
    """The metadata of a `NotRegistered[...]` annotation."""


_NOT_REGISTERED = _NotRegisteredMark()

# `origin_secret: NotRegistered[pulumi.Output[str]]`: typed as `pulumi.Output[str]`, no output.
NotRegistered = Annotated[T, _NOT_REGISTERED]


@dataclass(frozen=True)
class Export:
    """The stack output name of a declared attribute: `Annotated[..., Export("vpcId")]`."""

    name: str


def _marks(component_class: type) -> dict[str, tuple[object, ...]]:
    """The annotations of the class itself (not its bases': `urn`, the SDK's private fields),
    in order, each with the metadata of its `Annotated[...]` (none for a plain type)."""
    annotations = inspect.get_annotations(component_class, eval_str=True)
    return {
        name: tuple(getattr(annotation, "__metadata__", ()))
        for name, annotation in annotations.items()
    }


def declared_outputs(component_class: type) -> list[str]:
    """The outputs `component_class` declares, in order, less the `NotRegistered` ones."""
    return [name for name, marks in _marks(component_class).items() if _NOT_REGISTERED not in marks]


def exported_outputs(component: pulumi.ComponentResource, prefix: str = "") -> dict[str, Any]:
    """The stack outputs of `component`: {`prefix` + export name: value} of each attribute its
    class declares with an `Export`, in declared order, less those that are None (not built in
    this stack). A component exported under a prefix (`md5Api`) declares suffixes (`Url`)."""
    exported: dict[str, Any] = {}
    for name, marks in _marks(type(component)).items():
        for mark in marks:
            if isinstance(mark, Export) and (value := getattr(component, name)) is not None:
                exported[prefix + mark.name] = value
    return exported


def register_declared_outputs(component: pulumi.ComponentResource) -> None:
    """Register the outputs the class of `component` declares; refuse one it never set."""
    component_class = type(component)
    names = declared_outputs(component_class)
    for name in names:
        if not hasattr(component, name):
            raise AttributeError(
                f"{component_class.__name__} declares the output {name!r} but never sets it"
            )
    component.register_outputs({name: getattr(component, name) for name in names})

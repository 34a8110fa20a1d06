"""A component's outputs, declared once: the annotations of its class.

DESIGN.md: a component's outputs are attributes that are always set and also passed to
`register_outputs`. So a component class lists them as annotations (`address:
pulumi.Output[str]`), sets each in `__init__`, and ends with `register_declared_outputs(self)`,
which registers exactly those, in their declared order. An attribute the class offers its
callers in code but does not register (a child resource, a secret handed on to another
component) is declared `NotRegistered[...]`.
"""

from __future__ import annotations

import inspect
from typing import Annotated, TypeVar

import pulumi

T = TypeVar("T")


class _NotRegisteredMark:
    """The metadata of a `NotRegistered[...]` annotation."""


_NOT_REGISTERED = _NotRegisteredMark()

# `origin_secret: NotRegistered[pulumi.Output[str]]`: typed as `pulumi.Output[str]`, no output.
NotRegistered = Annotated[T, _NOT_REGISTERED]


def declared_outputs(component_class: type) -> list[str]:
    """The outputs `component_class` declares, in order: the annotations of the class itself
    (not its bases': `urn`, the SDK's private fields), less the `NotRegistered` ones."""
    annotations = inspect.get_annotations(component_class, eval_str=True)
    return [
        name
        for name, annotation in annotations.items()
        if _NOT_REGISTERED not in getattr(annotation, "__metadata__", ())
    ]


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

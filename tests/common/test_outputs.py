"""A component's outputs are declared once, as annotations of its class, and registered from there."""

from __future__ import annotations

import pulumi
import pytest

from components.common.outputs import NotRegistered, declared_outputs, register_declared_outputs
from tools.offline import ProgramFailed, run_program

REGISTERED: list[dict[str, object]] = []  # what each Probe gave register_outputs


class Probe(pulumi.ComponentResource):
    """Declares three outputs of different kinds and one attribute that is no output."""

    url: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]
    username: str
    internal: NotRegistered[pulumi.Output[str]]

    def __init__(self, name: str, forget: str | None = None):
        super().__init__("test:outputs:Probe", name, None, None)
        values = {
            "url": pulumi.Output.from_input("https://example.test/"),
            "subnet_ids": [pulumi.Output.from_input("subnet-1")],
            "username": "admin",
            "internal": pulumi.Output.secret("kept in code only"),
        }
        for attribute, value in values.items():
            if attribute != forget:
                setattr(self, attribute, value)
        register_declared_outputs(self)

    def register_outputs(self, outputs):
        REGISTERED.append(dict(outputs))
        super().register_outputs(outputs)


def test_the_outputs_are_the_class_own_annotations_in_order_without_the_not_registered():
    assert declared_outputs(Probe) == ["url", "subnet_ids", "username"]


def test_a_component_registers_exactly_its_declared_outputs():
    REGISTERED.clear()
    run_program("dev", program=lambda: Probe("probe"))
    (outputs,) = REGISTERED
    assert list(outputs) == ["url", "subnet_ids", "username"]
    assert outputs["username"] == "admin"
    assert isinstance(outputs["url"], pulumi.Output)
    assert "internal" not in outputs and "urn" not in outputs


@pytest.mark.parametrize("forgotten", ["url", "username"])
def test_a_declared_output_never_set_is_refused_by_name(forgotten):
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", program=lambda: Probe("probe", forget=forgotten))
    error = failure.value.__cause__
    assert isinstance(error, AttributeError)
    assert str(error) == f"Probe declares the output {forgotten!r} but never sets it"


def test_an_attribute_that_is_no_output_may_stay_unset():
    REGISTERED.clear()
    run_program("dev", program=lambda: Probe("probe", forget="internal"))
    assert list(REGISTERED[0]) == ["url", "subnet_ids", "username"]

"""A component's outputs are declared once, as annotations of its class, and registered from there."""

from __future__ import annotations

from typing import Annotated

import pulumi
import pytest

from components.common.outputs import (
    Export,
    NotRegistered,
    declared_outputs,
    exported_outputs,
    register_declared_outputs,
)
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


# --- stack outputs: an output's export name is declared with it ----------------------------


class Exporter(pulumi.ComponentResource):
    """Two exported outputs, one output that is not exported, one exported output that is None
    in this stack, an exported value that is not registered and one attribute that is neither."""

    url: Annotated[pulumi.Output[str], Export("probeUrl")]
    subnet_ids: list[pulumi.Output[str]]
    check_id: Annotated[pulumi.Output[str] | None, Export("probeCheckId")]
    username: Annotated[str, Export("probeUsername")]
    subnet_count: NotRegistered[Annotated[int, Export("probeSubnetCount")]]
    internal: NotRegistered[pulumi.Output[str]]

    def __init__(self, name: str):
        super().__init__("test:outputs:Exporter", name, None, None)
        self.url = pulumi.Output.from_input("https://example.test/")
        self.subnet_ids = [pulumi.Output.from_input("subnet-1")]
        self.check_id = None
        self.username = "admin"
        self.subnet_count = len(self.subnet_ids)
        self.internal = pulumi.Output.secret("kept in code only")
        register_declared_outputs(self)

    def register_outputs(self, outputs):
        REGISTERED.append(dict(outputs))
        super().register_outputs(outputs)


def _exported(prefix: str = "") -> dict[str, object]:
    """What `exported_outputs` gives for an Exporter, and the stack outputs it makes."""
    exported: dict[str, object] = {}

    def program() -> None:
        exported.update(exported_outputs(Exporter("probe"), prefix))
        for name, value in exported.items():
            pulumi.export(name, value)

    REGISTERED.clear()
    plan = run_program("dev", program=program)
    assert plan.exports == {**exported, f"{prefix}probeUrl": "https://example.test/"}
    return exported


def test_the_exports_are_the_declared_export_names_in_order_without_none_values():
    exported = _exported()
    assert list(exported) == ["probeUrl", "probeUsername", "probeSubnetCount"]
    assert exported["probeUsername"] == "admin" and exported["probeSubnetCount"] == 1


def test_a_prefix_starts_every_export_name():
    assert list(_exported("media")) == [
        "mediaprobeUrl",
        "mediaprobeUsername",
        "mediaprobeSubnetCount",
    ]


def test_an_export_mark_changes_nothing_registered():
    _exported()
    assert declared_outputs(Exporter) == ["url", "subnet_ids", "check_id", "username"]
    assert list(REGISTERED[0]) == ["url", "subnet_ids", "check_id", "username"]

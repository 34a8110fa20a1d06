"""The offline plan as a change review: matching by URN, property diffs, masking, JSON format."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from tools.offline import run_program
from tools.plan import review
from tools.review.diff import CREATE, DELETE, MISSING, SAME, UPDATE, compare
from tools.review.render import WIDTH, render, short_type
from tools.review.snapshot import (
    FORMAT,
    VERSION,
    Resource,
    Snapshot,
    SnapshotFormatError,
    snapshot_of,
)

STACK_URN = "urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev"


def resource(name: str, inputs: dict, parent: str = STACK_URN, kind: str = "aws:s3/bucket:Bucket"):
    urn = f"urn:pulumi:dev::platform::{kind}::{name}"
    return Resource(urn=urn, type=kind, name=name, parent=parent, custom=True, inputs=inputs)


def snapshot(*resources: Resource, outputs: dict | None = None) -> Snapshot:
    return Snapshot("platform", "dev", "us-east-1", "update", list(resources), outputs or {})


def test_resources_are_created_updated_deleted_or_unchanged_by_urn():
    base = snapshot(
        resource("kept", {"bucket": "a"}),
        resource("changed", {"bucket": "b", "tags": {"Name": "old"}}),
        resource("gone", {"bucket": "c"}),
    )
    new = snapshot(
        resource("kept", {"bucket": "a"}),
        resource("changed", {"bucket": "b", "tags": {"Name": "new"}}),
        resource("added", {"bucket": "d"}),
    )
    ops = {change.resource.name: change.op for change in compare(base, new).changes}
    assert ops == {"kept": SAME, "changed": UPDATE, "added": CREATE, "gone": DELETE}


def test_a_nested_change_is_spelled_out_with_its_path():
    old = {
        "rules": [{"ports": {"from": 80, "to": 80}}],
        "policy": '{"Statement": [{"Effect": "Allow"}]}',
    }
    new = {
        "rules": [{"ports": {"from": 80, "to": 443}}],
        "policy": '{"Statement": [{"Effect": "Deny"}]}',
    }
    change = compare(snapshot(resource("r", old)), snapshot(resource("r", new))).changes[0]
    found = {(p.path, p.old, p.new) for p in change.properties}
    # JSON inside a string (a policy document) is compared by its structure too.
    assert found == {
        ("rules[0].ports.to", 80, 443),
        ("policy.Statement[0].Effect", "Allow", "Deny"),
    }


def test_added_and_removed_properties_and_list_items():
    old = {"a": 1, "items": ["x"]}
    new = {"b": 2, "items": ["x", "y"]}
    change = compare(snapshot(resource("r", old)), snapshot(resource("r", new))).changes[0]
    found = {(p.path, p.old, p.new) for p in change.properties}
    assert found == {("a", 1, MISSING), ("b", MISSING, 2), ("items[1]", MISSING, "y")}


def test_an_unknown_value_is_not_a_change_of_its_own():
    base = snapshot(resource("r", {"vpcId": "vpc-0123", "name": "n"}))
    new = snapshot(resource("r", {"vpcId": "[unknown]", "name": "n"}))
    assert compare(base, new).changes[0].op == SAME


def test_without_a_base_everything_is_created():
    new = snapshot(resource("a", {}), resource("b", {}))
    assert {change.op for change in compare(None, new).changes} == {CREATE}


def _secret_program(secret: str, description: str):
    def program() -> None:
        aws.ssm.Parameter(
            "db-password",
            type="SecureString",
            value=pulumi.Output.secret(secret),
            description=description,
        )
        pulumi.export("password", pulumi.Output.secret(secret))
        pulumi.export("description", description)

    return program


@pytest.fixture
def stack_file(tmp_path):
    path = tmp_path / "Pulumi.scratch.yaml"
    path.write_text("config: {}\n")
    return path


def test_secrets_are_masked_from_the_recorded_properties_and_never_printed(stack_file):
    base = run_program("scratch", stack_file=stack_file, program=_secret_program("hunter2", "v1"))
    new = run_program("scratch", stack_file=stack_file, program=_secret_program("swordfish", "v2"))
    report = review(new, snapshot_of(base), "HEAD")
    text = render(report, diff=True)
    written = json.dumps(report.to_json())
    for secret in ("hunter2", "swordfish"):
        assert secret not in text
        assert secret not in written
    parameter = next(r for r in report.snapshot.resources if r.name == "db-password")
    assert parameter.inputs["value"] == "[secret]"
    assert report.snapshot.outputs["password"] == "[secret]"
    assert '~ description: "v1" => "v2"' in text
    assert "password: [secret]" in text


def test_json_round_trips_as_a_base_with_no_changes(stack_plan):
    plan = stack_plan("dev")
    written = json.loads(json.dumps(review(plan, None).to_json()))
    assert written["format"] == FORMAT and written["version"] == VERSION
    base = Snapshot.from_json(written)
    again = review(plan, base, "saved")
    assert again.review.counts() == {SAME: len(plan.resources)}
    assert again.to_json()["changes"]["summary"] == {
        "create": 0,
        "update": 0,
        "delete": 0,
        "same": len(plan.resources),
    }


def test_json_lists_changes_and_cost_in_its_documented_fields():
    base = snapshot(resource("r", {"tags": {"Name": "old"}}), resource("gone", {}))
    new = snapshot(resource("r", {"tags": {"Name": "new"}}), outputs={"x": 1})
    plan_json = _report(base, new).to_json()
    resources = {item["name"]: item for item in plan_json["changes"]["resources"]}
    assert resources["r"]["op"] == "update"
    assert resources["r"]["properties"] == [{"path": "tags.Name", "old": "old", "new": "new"}]
    assert resources["gone"]["op"] == "delete"
    assert plan_json["changes"]["outputs"] == [{"path": "x", "new": 1}]
    assert plan_json["base"]["label"] == "HEAD"
    assert plan_json["cost"]["currency"] == "USD"


def _report(base: Snapshot | None, new: Snapshot):
    from tools.review.cost import estimate, price_table
    from tools.review.report import Report

    return Report(
        snapshot=new,
        review=compare(base, new),
        cost=estimate(new, price_table(new.region)),
        base=base,
        base_label="HEAD",
    )


@pytest.mark.parametrize(
    "data",
    [
        {"format": "something-else", "version": 1},
        {"format": FORMAT, "version": VERSION + 1},
        {"format": FORMAT, "version": VERSION, "resources": []},
    ],
    ids=["format", "version", "malformed"],
)
def test_a_file_that_is_not_a_plan_of_this_version_is_refused(data):
    with pytest.raises(SnapshotFormatError):
        Snapshot.from_json(data)


def test_the_preview_shaped_text_marks_each_operation_and_counts_them():
    base = snapshot(
        resource("kept", {}),
        resource("changed", {"a": 1}),
        resource("gone", {}),
        outputs={"url": "https://old", "same": 1, "dropped": 2},
    )
    new = snapshot(
        resource("kept", {}),
        resource("changed", {"a": 2}),
        resource("added", {}),
        outputs={"url": "https://new", "same": 1, "token": "[secret]"},
    )
    text = render(_report(base, new), diff=True)
    lines = text.splitlines()
    assert any(
        line.startswith(" ~ ") and "changed" in line and "[diff: ~a]" in line for line in lines
    )
    assert any(line.startswith(" + ") and "added" in line for line in lines)
    assert any(line.startswith(" - ") and "gone" in line for line in lines)
    assert "~ a: 1 => 2" in text
    assert "Resources: + 1 to create, ~ 1 to update, - 1 to delete, 1 unchanged" in lines
    outputs = lines[lines.index("Outputs:") + 1 :]
    assert outputs[:4] == [
        "  - dropped: 2",
        "    same: 1",
        "  + token: [secret]",
        '  ~ url: "https://new"',
    ]


def _component(name: str) -> Resource:
    urn = f"urn:pulumi:dev::platform::platform:x:Component::{name}"
    return Resource(
        urn=urn, type="platform:x:Component", name=name, parent=STACK_URN, custom=False, inputs={}
    )


def _tree_names(text: str) -> list[str]:
    """The names in the review's resource tree (the token after each row's type)."""
    rows = text.split("\n\n")[1].splitlines()[1:]
    names = []
    for row in rows:
        tokens = row.split()
        kind = next(index for index, token in enumerate(tokens) if ":" in token)
        names.append(tokens[kind + 1])
    return names


def test_with_a_base_only_changed_resources_and_their_parents_are_shown():
    parent = _component("app")
    quiet = _component("quiet")
    base = snapshot(
        parent,
        quiet,
        resource("changed", {"a": 1}, parent=parent.urn),
        resource("untouched", {}, parent=parent.urn),
        resource("calm", {}, parent=quiet.urn),
    )
    new = snapshot(
        parent,
        quiet,
        resource("changed", {"a": 2}, parent=parent.urn),
        resource("untouched", {}, parent=parent.urn),
        resource("calm", {}, parent=quiet.urn),
    )
    text = render(_report(base, new))
    assert _tree_names(text) == ["platform-dev", "app", "changed"]
    assert "Resources: + 0 to create, ~ 1 to update, - 0 to delete, 4 unchanged" in text
    everything = render(_report(base, new), show_sames=True)
    assert set(_tree_names(everything)) == {
        "platform-dev",
        "app",
        "changed",
        "untouched",
        "quiet",
        "calm",
    }


def test_a_deleted_resource_is_shown_under_its_parent():
    parent = _component("app")
    base = snapshot(parent, resource("gone", {}, parent=parent.urn), resource("kept", {}))
    new = snapshot(parent, resource("kept", {}))
    assert _tree_names(render(_report(base, new))) == ["platform-dev", "app", "gone"]


def test_without_a_base_every_resource_is_shown():
    parent = _component("app")
    new = snapshot(parent, resource("one", {}, parent=parent.urn), resource("two", {}))
    assert set(_tree_names(render(_report(None, new)))) == {"platform-dev", "app", "one", "two"}


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3:BucketServerSideEncryptionConfiguration",
        ),
        (
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:vpc:SecurityGroupIngressRule",
        ),
        ("aws:s3/bucketV2:BucketV2", "aws:s3:BucketV2"),
        ("platform:network:Network", "platform:network:Network"),
        ("pulumi:pulumi:Stack", "pulumi:pulumi:Stack"),
        ("pkg:mod/other:Thing", "pkg:mod/other:Thing"),
    ],
)
def test_type_tokens_are_shortened_as_the_pulumi_cli_shows_them(token, shown):
    assert short_type(token) == shown


def test_long_names_and_types_are_cut_to_the_terminal_width():
    long_type = (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    base = snapshot(resource("n" * 80, {"a": 1}, kind=long_type), resource("short", {}))
    new = snapshot(resource("n" * 80, {"a": 2}, kind=long_type), resource("short", {}))
    text = render(_report(base, new), diff=True, show_sames=True)
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    row = next(line for line in text.splitlines() if "nnnn" in line)
    assert "aws:…:BucketServerSide" in row and "n…" in row and " update" in row
    assert "~ a: 1 => 2" in text


def test_a_long_changed_value_is_cut_around_where_it_differs():
    old = "#!/bin/bash\n" + "echo setting-up-the-node\n" * 10 + "retention=30\n" + "done\n" * 10
    new = old.replace("retention=30", "retention=14")
    base = snapshot(resource("node", {"userData": old}))
    new_snapshot = snapshot(resource("node", {"userData": new}))
    line = next(
        line
        for line in render(_report(base, new_snapshot), diff=True).splitlines()
        if "~ userData:" in line
    )
    assert len(line) <= WIDTH
    assert "retention=30" in line and "retention=14" in line


def _found(old: dict, new: dict) -> list[tuple]:
    change = compare(snapshot(resource("r", old)), snapshot(resource("r", new))).changes[0]
    return [(p.path, p.old, p.new) for p in change.properties]


def test_an_item_inserted_in_a_list_of_values_is_one_addition_not_index_shifts():
    old = {"sites": ["https://example.com", "https://www.wikipedia.org"]}
    new = {"sites": ["https://www.python.org", "https://example.com", "https://www.wikipedia.org"]}
    assert _found(old, new) == [("sites[0]", MISSING, "https://www.python.org")]


def test_items_with_an_identity_are_matched_by_it():
    old = {
        "checks": [
            {"url": "https://a.example", "every": 60},
            {"url": "https://b.example", "every": 60},
        ]
    }
    new = {
        "checks": [
            {"url": "https://new.example", "every": 60},
            {"url": "https://a.example", "every": 60},
            {"url": "https://b.example", "every": 30},
        ]
    }
    assert _found(old, new) == [
        ('checks[url="https://new.example"]', MISSING, {"url": "https://new.example", "every": 60}),
        ('checks[url="https://b.example"].every', 60, 30),
    ]


def test_a_dashboard_body_gains_a_site_as_one_widget_per_title():
    def body(urls: list[str]) -> str:
        widgets = [
            {
                "type": "metric",
                "y": row * 6,
                "properties": {"title": f"Latency: {url}", "stat": "p90"},
            }
            for row, url in enumerate(urls)
        ]
        return json.dumps({"widgets": widgets})

    found = _found(
        {"dashboardBody": body(["https://example.com"])},
        {"dashboardBody": body(["https://www.python.org", "https://example.com"])},
    )
    added = 'dashboardBody.widgets[title="Latency: https://www.python.org"]'
    assert [path for path, _, _ in found] == [
        added,
        'dashboardBody.widgets[title="Latency: https://example.com"].y',
    ]

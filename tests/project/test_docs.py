"""The README and the pages under docs/ are the operator's manual: they must agree with the
project they describe.

The configuration tables are parsed by their header (a `key`, a `type` and a `default` column,
in any order, in any number of tables under "## Configuration" of docs/configuration.md), so rows
and tables can be added without touching this test; keys may be written with or without the
`platform:` prefix.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from tools.offline import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
# The system pages: each names its config keys under "## Settings" and links its runbooks.
SYSTEM_PAGES = ("network", "data", "web", "edge", "messaging", "api", "monitor")
NO_DEFAULT = {"", "-", "—", "none", "(none)", "n/a", "required", "unset"}


def readme() -> str:
    return README.read_text()


def page(name: str) -> str:
    return (DOCS / f"{name}.md").read_text()


def manual() -> str:
    """The README and every page under docs/."""
    return "\n".join([readme(), *(path.read_text() for path in sorted(DOCS.glob("*.md")))])


def section(text: str, heading: str) -> str:
    """The body of a `## heading` section, up to the next heading of the same level."""
    match = re.search(rf"^## {re.escape(heading)}\s*$", text, flags=re.MULTILINE)
    assert match, f"no '## {heading}' section"
    rest = text[match.end() :]
    following = re.search(r"^## ", rest, flags=re.MULTILINE)
    return rest[: following.start()] if following else rest


def split_row(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every Markdown table in `text`, as rows keyed by lower-cased header."""
    found, lines = [], text.splitlines()
    index = 0
    while index < len(lines) - 1:
        header, rule = lines[index].strip(), lines[index + 1].strip()
        if header.startswith("|") and re.fullmatch(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?", rule):
            names = [name.lower() for name in split_row(header)]
            rows, index = [], index + 2
            while index < len(lines) and lines[index].strip().startswith("|"):
                rows.append(dict(zip(names, split_row(lines[index]), strict=False)))
                index += 1
            found.append(rows)
        else:
            index += 1
    return found


def unquote(cell: str) -> str:
    cell = cell.strip()
    match = re.fullmatch(r"`([^`]*)`", cell)
    return match.group(1) if match else cell


def documented_config(text: str) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for table in tables(section(text, "Configuration")):
        if not table or not {"key", "type", "default"} <= set(table[0]):
            continue
        for row in table:
            key = unquote(row["key"]).removeprefix("platform:")
            assert key not in rows, f"the configuration page documents {key} twice"
            rows[key] = row
    return rows


def declared_config() -> dict[str, dict[str, Any]]:
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    return {key: spec or {} for key, spec in (project.get("config") or {}).items()}


def readme_default(cell: str) -> tuple[bool, Any]:
    """(has a default, the default as YAML would read it)."""
    cell = cell.strip()
    if not cell.startswith("`") and cell.strip("*_ ").lower() in NO_DEFAULT:
        return False, None
    return True, yaml.safe_load(unquote(cell) or '""')


def test_every_key_of_pulumi_yaml_is_documented_and_nothing_else():
    documented, declared = documented_config(page("configuration")), declared_config()
    assert sorted(set(declared) - set(documented)) == [], "missing from the configuration tables"
    assert sorted(set(documented) - set(declared)) == [], "documented but not in Pulumi.yaml"


def test_documented_types_and_defaults_match_pulumi_yaml():
    documented = documented_config(page("configuration"))
    # Keys missing from the table are reported by the test above; here, the rows that exist.
    for key, spec in declared_config().items():
        if (row := documented.get(key)) is None:
            continue
        # An untyped key (monitorSites) is documented by the type of its default.
        untyped = "array" if isinstance(spec.get("default"), list) else "string"
        assert unquote(row["type"]).lower() == str(spec.get("type", untyped)), key
        has_default, value = readme_default(row["default"])
        if "default" in spec:
            assert has_default, (
                f"{key}: the docs give no default, Pulumi.yaml has {spec['default']!r}"
            )
            assert value == spec["default"], f"{key}: docs {value!r} != {spec['default']!r}"
        else:
            assert not has_default, f"{key}: the docs give a default Pulumi.yaml does not have"


def test_the_table_parser_reads_a_table_written_differently():
    text = (
        "## Configuration\n\n| default | key | type | meaning |\n|:--|--|--|--|\n"
        "| `a\\|b` | `platform:x` | string | piped |\n| — | `y` | string | secret |\n"
        "| `[]` | `z` | array | list |\n\n## Next\n| key | type | default |\n|-|-|-|\n| `w` | a | b |\n"
    )
    rows = documented_config(text)
    assert set(rows) == {"x", "y", "z"}
    assert readme_default(rows["x"]["default"]) == (True, "a|b")
    assert readme_default(rows["y"]["default"]) == (False, None)
    assert readme_default(rows["z"]["default"]) == (True, [])


# --- the delivery documentation --------------------------------------------------------------

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"


def workflow_settings() -> set[str]:
    names = set()
    for path in WORKFLOWS.glob("*.yml"):
        names |= set(re.findall(r"\b(?:vars|secrets)\.([A-Z][A-Z0-9_]*)", path.read_text()))
    return names


def test_every_setting_the_workflows_read_is_documented_in_delivery():
    delivery = page("delivery")
    missing = sorted(name for name in workflow_settings() if f"`{name}`" not in delivery)
    assert missing == []


def test_delivery_names_the_workflow_files_and_the_oidc_trust():
    delivery = page("delivery")
    for path in WORKFLOWS.glob("*.yml"):
        assert f".github/workflows/{path.name}" in delivery
    assert "token.actions.githubusercontent.com:sub" in delivery
    assert "token.actions.githubusercontent.com:aud" in delivery
    assert "environment:prod" in delivery


@pytest.mark.parametrize(
    ("name", "heading", "must_mention"),
    [
        (
            "delivery",
            None,
            [
                "pulumi preview",
                "--policy-pack policies",
                "make test",
                "git clone",
                ".pulumi-version",
                "pulumi/auth-actions",
                "self-managed backend",
                "--expect-no-changes",
            ],
        ),
        (
            "development",
            "Dependencies and the toolchain",
            ["make lock", "requires-python", "renovate.json", "--require-hashes", "python3.13"],
        ),
        (
            "development",
            "Running without AWS",
            ["Pulumi.local.yaml", "localhost:4566", "--stack local"],
        ),
        (
            "policy-pack",
            "Policy pack in an organisation",
            ["pulumi policy publish", "pulumi policy enable"],
        ),
        (
            "runbooks",
            None,
            [
                "pulumi config set --secret alertPhoneNumber",
                "monitorSites",
                "--rotate-master-user-password",
                "pulumi destroy --stack dev",
            ],
        ),
    ],
)
def test_operator_sections_exist(name, heading, must_mention):
    body = page(name) if heading is None else section(page(name), heading)
    for text in must_mention:
        assert text in body, f"docs/{name}.md '## {heading}' does not mention {text!r}"


def test_make_targets_the_readme_uses_exist():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, flags=re.MULTILINE))
    used = set(re.findall(r"(?:`|^|\$ )make ([a-z][a-z0-9-]*)", manual(), flags=re.MULTILINE))
    assert used <= targets, used - targets


# --- stacks, policy config, make targets, contents -------------------------------------------


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """A stack value as its leaves: `aws:defaultTags` -> {"tags.Environment": "dev", ...}."""
    if isinstance(value, dict):
        return {
            name: leaf
            for key, item in value.items()
            for name, leaf in _leaves(item, f"{prefix}.{key}" if prefix else key).items()
        }
    return {prefix: value}


def stack_differences() -> dict[str, tuple[Any, Any]]:
    from tools.offline import read_stack_config

    dev_config, prod_config = (read_stack_config(stack) for stack in ("dev", "prod"))
    dev, prod = dev_config.values, prod_config.values
    # Encrypted values (a phone number, a password) are each stack's own, not a design difference.
    encrypted = {*dev_config.encrypted, *prod_config.encrypted}
    differences = {}
    for key in sorted((set(dev) | set(prod)) - encrypted):
        name = key.removeprefix("platform:")
        dev_leaves = _leaves(yaml.safe_load(dev.get(key, "null")))
        prod_leaves = _leaves(yaml.safe_load(prod.get(key, "null")))
        for leaf in sorted(set(dev_leaves) | set(prod_leaves)):
            if dev_leaves.get(leaf) != prod_leaves.get(leaf):
                label = f"{name} {leaf.split('.')[-1]}" if leaf else name
                differences[label] = (dev_leaves.get(leaf), prod_leaves.get(leaf))
    return differences


def _shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_the_stacks_table_lists_every_difference_of_dev_and_prod():
    rows = {
        " ".join(re.findall(r"`([^`]+)`", row["setting"])): row
        for table in tables(section(page("configuration"), "Stacks"))
        for row in table
        if "setting" in row
    }
    differences = stack_differences()
    assert sorted(rows) == sorted(differences), "rows differ from the stack files' differences"
    for label, (dev, prod) in differences.items():
        for cell, value in ((rows[label]["dev"], dev), (rows[label]["prod"], prod)):
            assert re.search(rf"(^|\W){re.escape(_shown(value))}(\W|$)", cell), (label, cell)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_example_policy_config_passes_the_default_stacks(stack_plan, tmp_path, stack):
    from tools.policy_gate import check_plan, load_policy_config

    body = page("policy-pack")
    example = re.search(r"Example `policy-config.json`.*?```json\n(.*?)```", body, flags=re.DOTALL)
    assert example, "no example policy-config.json"
    config_file = tmp_path / "policy-config.json"
    config_file.write_text(example.group(1))
    gate = check_plan(stack_plan(stack), load_policy_config(config_file))
    assert gate.mandatory == []


def test_the_development_page_shows_what_make_help_prints():
    help_text = subprocess.run(
        ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), "help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert help_text.strip() and help_text in page("development")


@pytest.mark.parametrize(
    "name", ["data", "edge", "policy-pack", "delivery", "configuration", "development"]
)
def test_the_contents_link_every_section(name):
    text = page(name)
    contents = next(line for line in text.split("\n\n") if line.startswith("Contents:"))
    headings = re.findall(r"^## (.+)$", re.sub(r"```.*?```", "", text, flags=re.DOTALL), re.M)
    for heading in headings:
        anchor = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        assert f"(#{anchor})" in contents, heading


@pytest.mark.parametrize("name", SYSTEM_PAGES)
def test_a_system_page_has_its_settings_and_runbooks(name):
    text = page(name)
    named = set(re.findall(r"`([a-z][A-Za-z0-9]*)`", section(text, "Settings")))
    assert named, f"docs/{name}.md names no config key under '## Settings'"
    assert "](runbooks.md#" in section(text, "Runbooks"), f"docs/{name}.md links no runbook"


def test_every_key_is_named_on_a_system_page():
    named = set()
    for name in SYSTEM_PAGES:
        named |= set(re.findall(r"`([a-z][A-Za-z0-9]*)`", section(page(name), "Settings")))
    assert sorted(set(declared_config()) - named) == []


def test_the_renamed_settings_are_the_ones_the_code_still_reads():
    from components.config.stack import DEPRECATED_LOG_RETENTION_KEYS, LOG_RETENTION_KEY

    rows = [
        (unquote(row["old key"]), unquote(row["new key"]))
        for table in tables(section(page("configuration"), "Renamed settings"))
        for row in table
        if "old key" in row
    ]
    assert sorted(rows) == sorted((old, LOG_RETENTION_KEY) for old in DEPRECATED_LOG_RETENTION_KEYS)
    note = section(readme(), "Renamed settings")
    for key in (*DEPRECATED_LOG_RETENTION_KEYS, LOG_RETENTION_KEY):
        assert f"`{key}`" in note, f"the README's renamed settings do not name {key}"

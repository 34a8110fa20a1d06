"""The review as text, shaped like `pulumi preview`: tree with marks, outputs, counts, cost.

Every line fits a terminal of `WIDTH` columns and nothing relies on the terminal wrapping: type
tokens are shortened as the Pulumi CLI shows them (`short_type`), a cell or value too long for
its column is cut with `…` (a changed string keeps the part that differs), and lists of names
and diagnostics continue on indented lines. The `--json` file has every value whole.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from tools.offline import STACK_TYPE
from tools.review.cost import CENT, Estimate, Item, money
from tools.review.diff import CREATE, DELETE, MARKS, MISSING, SAME, UPDATE, Change, PropertyChange
from tools.review.report import Report
from tools.review.snapshot import Resource

WIDTH = 100  # columns
TREE_LEAD = 5  # " ~   " before the type
MIN_COLUMN = 20  # a type or name column is cut no narrower than this
MIN_VALUE = 12  # characters of a changed value shown even after a long property path


def render(report: Report, *, diff: bool = False, show_sames: bool = False) -> str:
    """The review; with a base, unchanged resources are left out unless `show_sames`."""
    sections = [
        _header(report),
        _tree(report, diff, show_sames),
        _outputs(report),
        _resources_line(report),
        _cost(report),
    ]
    return "\n\n".join(section for section in sections if section)


def short_type(token: str) -> str:
    """`aws:s3/bucket:Bucket` as the Pulumi CLI shows it, `aws:s3:Bucket`.

    The CLI's `simplifyTypeName` (pulumi/pulumi, pkg/backend/display/progress.go) drops the
    module's last path part when it is the type's name in camelCase; other tokens stay whole.
    """
    parts = token.split(":")
    if len(parts) != 3 or not parts[2] or "/" not in parts[1]:
        return token
    package, module, name = parts
    prefix, _, last = module.rpartition("/")
    return f"{package}:{prefix}:{name}" if last == name[0].lower() + name[1:] else token


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters, ending in `…` when it was longer."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _header(report: Report) -> str:
    s = report.snapshot
    base = f"compared with {report.base_label}" if report.base else "no base: everything is new"
    return "\n".join(
        [
            cut(
                f"Offline plan ({s.mode}, mocked AWS): project {s.project}, stack {s.stack}, "
                f"region {s.region}",
                WIDTH,
            ),
            cut(base, WIDTH),
        ]
    )


class _Row(NamedTuple):
    op: str
    type_text: str  # the type, after the tree's branch drawing
    name: str
    change: Change | None


def _shown(report: Report, show_sames: bool) -> list[Resource]:
    """Like `pulumi preview`: the changed resources and the parents that lead to them."""
    resources = [change.resource for change in report.review.changes]
    if report.base is None or show_sames:
        return resources
    known = {resource.urn: resource for resource in resources}
    shown: set[str] = set()
    for change in report.review.changes:
        if change.op == SAME:
            continue
        urn = change.resource.urn
        while urn in known and urn not in shown:
            shown.add(urn)
            urn = known[urn].parent
    return [resource for resource in resources if resource.urn in shown]


def _tree(report: Report, diff: bool, show_sames: bool) -> str:
    changes = report.review.by_urn()
    resources = _shown(report, show_sames)
    urns = {resource.urn for resource in resources}
    children: dict[str, list[Resource]] = defaultdict(list)
    stack_urn = report.snapshot.stack_urn
    for resource in resources:
        children[resource.parent if resource.parent in urns else stack_urn].append(resource)
    stack_name = f"{report.snapshot.project}-{report.snapshot.stack}"
    rows = [_Row(CREATE if report.base is None else SAME, STACK_TYPE, stack_name, None)]

    def visit(parent: str, prefix: str) -> None:
        kids = sorted(children.get(parent, []), key=lambda r: (r.custom, r.name, r.type))
        for index, resource in enumerate(kids):
            last = index == len(kids) - 1
            change = changes[resource.urn]
            branch = f"{prefix}{'└─ ' if last else '├─ '}{short_type(resource.type)}"
            rows.append(_Row(change.op, branch, resource.name, change))
            visit(resource.urn, prefix + ("   " if last else "│  "))

    visit(stack_urn, "")
    type_width, name_width = _column_widths(rows)
    lines = [f"{'':{TREE_LEAD}}{'Type':<{type_width}}  {'Name':<{name_width}}  Plan"]
    for row in rows:
        plan = _plan_word(row.op, row.change)
        type_text, name = _type_cell(row.type_text, type_width), cut(row.name, name_width)
        line = f" {MARKS[row.op]}   {type_text:<{type_width}}  {name:<{name_width}}  {plan}"
        lines.append(cut(line.rstrip(), WIDTH))
        if diff and row.change and row.op == UPDATE:
            lines += [_property_line(p, "         ") for p in row.change.properties]
    return "\n".join(lines)


def _column_widths(rows: list[_Row]) -> tuple[int, int]:
    """Type and name columns that leave the plan column room within `WIDTH`.

    Types give up their module first (`aws:…:LogGroup`); then types and names share what is
    left, down to `MIN_COLUMN` each, and the plan's `[diff: ...]` is cut before the names.
    """
    plan_width = max(len(_plan_word(row.op, row.change)) for row in rows)
    type_width = max(len(row.type_text) for row in rows)
    name_width = max(len(row.name) for row in rows)

    def over() -> int:
        return TREE_LEAD + type_width + 2 + name_width + 2 + plan_width - WIDTH

    elided = max(len(_elided(row.type_text)) for row in rows)
    if over() > 0:
        type_width = max(type_width - over(), elided, MIN_COLUMN)
    plan_width = min(plan_width, len(f"{UPDATE} …"))
    while over() > 0 and max(type_width, name_width) > MIN_COLUMN:
        if type_width >= name_width:
            type_width -= 1
        else:
            name_width -= 1
    return type_width, name_width


def _elided(type_text: str) -> str:
    """A tree cell's type without its module: `└─ aws:…:LogGroup`."""
    return re.sub(r"(\S+?):\S+:(\S+)$", r"\1:…:\2", type_text)


def _type_cell(type_text: str, width: int) -> str:
    if len(type_text) <= width:
        return type_text
    return cut(_elided(type_text), width)


def _plan_word(op: str, change: Change | None = None) -> str:
    if op == UPDATE and change:
        # Like `pulumi preview`: the top-level input properties that differ.
        tops = dict.fromkeys(re.split(r"[.\[]", p.path, maxsplit=1)[0] for p in change.properties)
        return "update  [diff: " + ", ".join(f"~{top}" for top in tops) + "]"
    return "" if op == SAME else op


def _property_line(change: PropertyChange, indent: str) -> str:
    """`+ path: value`, `- path: value` or `~ path: old => new`, cut to `WIDTH`.

    The path says where the change is and is never cut: when it leaves less than `MIN_VALUE`
    characters per value, the line runs past `WIDTH` to show that much of each value.
    """
    if change.old is MISSING or change.new is MISSING:
        mark, value = ("+", change.new) if change.old is MISSING else ("-", change.old)
        head = f"{indent}{mark} {change.path}: "
        return cut(head + _value(value), max(WIDTH, len(head) + MIN_VALUE))
    head = f"{indent}~ {change.path}: "
    old, new = _value(change.old), _value(change.new)
    room = max((WIDTH - len(head) - len(" => ")) // 2, MIN_VALUE)
    if len(old) + len(new) > 2 * room:
        old, new = _around_difference(old, new, room)
    return cut(f"{head}{old} => {new}", max(WIDTH, len(head) + len(" => ") + 2 * room))


def _around_difference(old: str, new: str, room: int) -> tuple[str, str]:
    """Two long values cut to `room` characters each, keeping where they start to differ."""
    same = 0
    while same < min(len(old), len(new)) and old[same] == new[same]:
        same += 1
    start = max(same - room // 3, 0)

    def around(text: str) -> str:
        return cut(("…" if start else "") + text[start:], room)

    return around(old), around(new)


def _value(value: Any) -> str:
    if value in ("[secret]", "[unknown]") or (
        isinstance(value, str) and value.startswith(("archive sha256:", "asset sha256:"))
    ):
        return value
    return json.dumps(value, sort_keys=True)


def _outputs(report: Report) -> str:
    outputs = report.snapshot.outputs
    if not outputs and not report.base:
        return ""
    changed = {p.path.split(".")[0].split("[")[0] for p in report.output_changes()}
    old = report.base.outputs if report.base else {}
    lines = ["Outputs:"]
    for key in sorted(set(outputs) | set(old)):
        if key not in outputs:
            lines.append(cut(f"  - {key}: {_value(old[key])}", WIDTH))
            continue
        mark = "+" if report.base and key not in old else "~" if key in changed else " "
        lines.append(cut(f"  {mark} {key}: {_value(outputs[key])}", WIDTH))
    return "\n".join(lines)


def _resources_line(report: Report) -> str:
    counts = report.review.counts()
    return (
        f"Resources: + {counts[CREATE]} to create, ~ {counts[UPDATE]} to update, "
        f"- {counts[DELETE]} to delete, {counts[SAME]} unchanged"
    )


def _cost(report: Report) -> str:
    cost = report.cost
    table = cost.table
    if table is None:
        return (
            f"Monthly cost estimate: no price table for region {report.snapshot.region} "
            "(tools/prices/); not estimated."
        )
    lines = _wrapped(
        f"Monthly cost estimate (USD, {table.region} prices of {table.date} from "
        f"tools/prices/{table.path.name}, {table.hours_per_month} hours a month):",
        "",
        "  ",
    )
    resources = report.snapshot.by_urn()
    groups = cost.by_component()
    width = max((len(_item_text(item)) for items in groups.values() for item in items), default=0)
    width = min(max(width, 40), WIDTH - 4 - 2 - 10)
    for component_urn, items in groups.items():
        component = resources[component_urn]
        subtotal = sum((item.monthly for item in items), Decimal(0))
        title = cut(f"{short_type(component.type)}  {component.name}", width + 2)
        lines.append(f"  {title:<{width + 2}}  {money(subtotal):>10}")
        lines += [
            f"    {cut(_item_text(item), width):<{width}}  {money(item.monthly):>10}"
            for item in items
        ]
    lines.append(f"  {'Total':<{width + 2}}  {money(cost.total):>10}")
    if report.base_cost is not None:
        lines.append(_cost_change(report.base_cost, cost))
    lines += _listed("Usage-based, not estimated:", cost.usage)
    lines += _listed("Not priced:", cost.unpriced)
    return "\n".join(lines)


def _item_text(item: Item) -> str:
    unit = f"{item.unit:.2f}" if item.unit == item.unit.quantize(CENT) else str(item.unit)
    return f"{item.resource.name}: {item.what}, {item.quantity} x ${unit}/{item.per}"


def _cost_change(base: Estimate, new: Estimate) -> str:
    if base.table is None:
        return (
            f"  Change against the base: not estimated (no price table for {base.snapshot.region})"
        )
    delta = new.total - base.total
    sign = "+" if delta >= 0 else ""
    return f"  Change against the base: {money(base.total)} => {money(new.total)} ({sign}{money(delta)})"


def _listed(title: str, parts: list[tuple[Resource, str]]) -> list[str]:
    if not parts:
        return []
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for resource, what in parts:
        grouped[resource.type, what].append(resource.name)
    lines = [f"  {title}"]
    for (resource_type, what), names in grouped.items():
        text = f"{resource_type.split(':')[-1]} {what}: {', '.join(names)}"
        lines += _wrapped(text, "    ", "      ")
    return lines


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    """`text` on lines of at most `WIDTH` columns, broken at spaces (never inside a name)."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_diagnostics(report: Report) -> str:
    """Program warnings, then one line per policy result (the policy summary follows)."""
    lines = []
    for diagnostic in report.snapshot.diagnostics:
        lines += _wrapped(f"{diagnostic['severity']}: {diagnostic['message']}", "    ", "      ")
    for policy, level, urn, message in report.policy or []:
        where = f" ({short_type(urn.split('::')[-2])}: {urn.rsplit('::', 1)[-1]})" if urn else ""
        text = f"policy [{level}] {policy}{where}: {message.splitlines()[0]}"
        lines += _wrapped(text, "    ", "      ")
    if not lines:
        lines = ["    none"]
    return "\n".join(["Diagnostics:", *lines])

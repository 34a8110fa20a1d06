"""One review of a stack: the new snapshot, what changed against a base, and both cost estimates.

`to_json` is the `--json` file: the snapshot's fields (tools/review/snapshot.py), and

    "base":    null, or {"label": "HEAD" / a file name, "stack", "mode"}
    "changes": null without a base, else
               {"summary": {"create", "update", "delete", "same"},
                "resources": [{"urn", "type", "name", "op",
                               "properties": [{"path", "old", "new"}]}],   (op != "same")
                "outputs": [{"path", "old", "new"}]}
               ("old"/"new" are absent when the property was added/removed)
    "cost":    {"region", "currency", "priceDate", "priceTable", "hoursPerMonth", "total",
                "baseTotal", "items": [{"urn", "component", "what", "quantity", "unit", "per",
                "monthly"}], "usageBased": [{"urn", "what"}], "notPriced": [{"urn", "why"}]}
               (amounts are strings of US dollars with two decimals; "total" is null when the
               region has no price table)
    "policy":  null when the pack did not run, else [{"policy", "level", "urn", "message"}]
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tools.review.cost import Estimate, money, top_level
from tools.review.diff import MISSING, SAME, PropertyChange, Review, property_changes
from tools.review.snapshot import Snapshot


@dataclass
class Report:
    snapshot: Snapshot
    review: Review
    cost: Estimate
    base: Snapshot | None = None
    base_label: str = ""
    base_cost: Estimate | None = None
    # Policy results as (policy, level, urn, message); None when the pack did not run.
    policy: list[tuple[str, str, str, str]] | None = None

    def output_changes(self) -> list[PropertyChange]:
        if self.base is None:
            return []
        return property_changes(self.base.outputs, self.snapshot.outputs)

    def to_json(self) -> dict[str, Any]:
        data = self.snapshot.to_json()
        data["base"] = (
            {"label": self.base_label, "stack": self.base.stack, "mode": self.base.mode}
            if self.base
            else None
        )
        data["changes"] = self._changes_json() if self.base else None
        data["cost"] = _cost_json(self.cost, self.base_cost)
        data["policy"] = (
            None
            if self.policy is None
            else [
                {"policy": p, "level": level, "urn": urn, "message": message}
                for p, level, urn, message in self.policy
            ]
        )
        return data

    def _changes_json(self) -> dict[str, Any]:
        counts = self.review.counts()
        return {
            "summary": {op: counts.get(op, 0) for op in ("create", "update", "delete", "same")},
            "resources": [
                {
                    "urn": change.resource.urn,
                    "type": change.resource.type,
                    "name": change.resource.name,
                    "op": change.op,
                    "properties": [_property_json(p) for p in change.properties],
                }
                for change in self.review.changes
                if change.op != SAME
            ],
            "outputs": [_property_json(p) for p in self.output_changes()],
        }


def _property_json(change: PropertyChange) -> dict[str, Any]:
    data: dict[str, Any] = {"path": change.path}
    if change.old is not MISSING:
        data["old"] = change.old
    if change.new is not MISSING:
        data["new"] = change.new
    return data


def _amount(value: Decimal) -> str:
    return money(value).replace("$", "").replace(",", "")


def _cost_json(cost: Estimate, base_cost: Estimate | None) -> dict[str, Any]:
    table = cost.table
    return {
        "region": cost.snapshot.region,
        "currency": "USD",
        "priceDate": table.date if table else None,
        "priceTable": table.path.name if table else None,
        "hoursPerMonth": int(table.hours_per_month) if table else None,
        "total": _amount(cost.total) if table else None,
        "baseTotal": _amount(base_cost.total) if base_cost and base_cost.table else None,
        "items": [
            {
                "urn": item.resource.urn,
                "component": top_level(cost.snapshot, item.resource),
                "what": item.what,
                "quantity": int(item.quantity),
                "unit": str(item.unit),
                "per": item.per,
                "monthly": _amount(item.monthly),
            }
            for item in cost.items
        ],
        "usageBased": [{"urn": r.urn, "what": what} for r, what in cost.usage],
        "notPriced": [{"urn": r.urn, "why": why} for r, why in cost.unpriced],
    }

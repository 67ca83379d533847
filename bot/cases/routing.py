"""Decide who handles a report: the lead department from the category, the town from the place, else HQ triage."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoutingTable:
    """Category → lead department, per-town overrides, town offices and the HQ code, from the catalogue."""

    lead_by_category: dict[str, str]
    overrides: dict[tuple[str, str], str]
    office_by_town: dict[str, str]
    department_names: dict[str, str]
    category_names: dict[str, str]
    town_names: dict[str, str]
    hq_code: str


@dataclass(frozen=True)
class RouteDecision:
    """Where a ticket goes and why; stored on the ticket so anyone can see the reason."""

    lead_department_code: str
    town_code: str | None
    town_office_code: str | None
    needs_triage: bool
    reason: str


def decide_route(category_code: str, town_code: str | None, place_reason: str, table: RoutingTable) -> RouteDecision:
    """Route by category and town; anything unclear also lands in HQ's triage queue."""
    reasons = []
    category_name = table.category_names.get(category_code, category_code)
    lead = table.lead_by_category.get(category_code)
    override = table.overrides.get((town_code, category_code)) if town_code else None
    if override and town_code:  # an override exists only for a known town
        lead = override
        reasons.append(f"【{category_name}】在{table.town_names[town_code]}由{table.department_names[override]}承办（属地规则）")
    elif lead and lead != table.hq_code:
        reasons.append(f"【{category_name}】主管部门：{table.department_names[lead]}")
    else:
        lead = table.hq_code
        reasons.append(f"【{category_name}】无主管部门，转{table.department_names[lead]}分拨")
    if town_code:
        reasons.append(f"属地：{table.town_names[town_code]}" + (f"（{place_reason}）" if place_reason else ""))
    else:
        reasons.append(f"属地未确定（{place_reason or '无位置'}），待指挥部确认")
    needs_triage = lead == table.hq_code or town_code is None
    return RouteDecision(lead, town_code, table.office_by_town.get(town_code) if town_code else None,
                         needs_triage, "；".join(reasons))

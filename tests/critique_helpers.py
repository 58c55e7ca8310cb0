"""Shared by the critique tests: made-up findings, and every registered check run on a ledger."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd

from helpers.core.findings import Finding, findings_frame

from conftest import REPO


def mk(item, verdict, category, *, family="arithmetic", check="percent_count", area="baseline",
       printed="12 (30.5%)", expected="30.0", locators=("Table 9 / Item",), quantity="baseline.x",
       assumptions=(), items=("4.8",), section="Percentages against counts",
       notebook="01_baseline", explanation=None) -> Finding:
    return Finding(study="made_up", area=area, check=check, item=item, verdict=verdict,
                   category=category, locators=locators, printed=printed, expected=expected,
                   explanation=explanation or f"recomputed {expected} from {printed}",
                   quantity=quantity, assumptions=assumptions, family=family, items=items,
                   notebook=notebook, section=section)


def registry_findings(ledger) -> pd.DataFrame:
    """Every registered check on the whole ledger (faults isolated), as a findings table."""
    from helpers.checks import registry

    ctx = registry.Context(ledger)
    runs = [registry.run_check(c, ctx) for c in registry.checks()]
    return findings_frame(registry.findings_of(runs)).astype(str)


def copy_study(study: str, root: Path) -> Path:
    shutil.copytree(REPO / "data" / "published" / study, root / study)
    return root


def plant_second_appearance(study_dir: Path, table: str = "counts.csv") -> dict:
    """Add a second appearance of the first count row of ``table``, in the results text, with a
    different count (a contradiction a reviewer would flag). Returns the planted row."""
    path = study_dir / table
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0].keys())
    first = next(r for r in rows if r.get("count", "").strip())
    planted = dict(first)
    planted.update(row_id=first["row_id"] + "_planted", source="results",
                   locator="Results ¶9", count=str(int(first["count"]) + 7), percent="",
                   printed=f"{int(first['count']) + 7} patients", note="planted by the test")
    rows.append(planted)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return planted

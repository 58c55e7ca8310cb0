"""The one record every check returns, the severity rule, and writing a run's findings.

A check never writes a verdict by hand: it computes one of four verdicts

* ``consistent``   the printed value(s) agree with what the check recomputes;
* ``inconsistent`` they disagree, but a slip (rounding, transcription) could explain it;
* ``impossible``   no data could give what is printed (e.g. a p that contradicts its own CI);
* ``not testable`` the printed numbers cannot decide (e.g. GRIM with N above 10^decimals).

Severity follows one rule, :func:`severity_for`, written down here and nowhere else:

============  =======================================================  ========
verdict        category                                                 severity
============  =======================================================  ========
impossible     any                                                      critical
inconsistent   contradiction, statistical, arithmetic, design           major
inconsistent   rounding                                                 minor
consistent     any                                                      none
not testable   any                                                      none
============  =======================================================  ========

Categories: ``rounding`` (a printed percentage or mean against its own count at the printed
precision), ``arithmetic`` (sums, totals, derived rates), ``contradiction`` (one quantity printed
with different values), ``statistical`` (p, CI, feasibility of an estimate), ``design`` (results
against the stated design).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

VERDICTS = ("consistent", "inconsistent", "impossible", "not testable")
CATEGORIES = ("rounding", "arithmetic", "contradiction", "statistical", "design")
SEVERITIES = ("critical", "major", "minor", "none")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

COLUMNS = ("study", "area", "check", "item", "verdict", "severity", "category", "locators",
           "printed", "expected", "explanation", "quantity", "notebook", "section")


def severity_for(verdict: str, category: str) -> str:
    """The severity of a finding: the rule in the module docstring."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict '{verdict}' (one of {VERDICTS})")
    if category not in CATEGORIES:
        raise ValueError(f"unknown category '{category}' (one of {CATEGORIES})")
    if verdict == "impossible":
        return "critical"
    if verdict == "inconsistent":
        return "minor" if category == "rounding" else "major"
    return "none"


@dataclass(frozen=True)
class Finding:
    """One check applied to one item of the ledger.

    ``printed`` and ``expected`` are text: the printed value(s) as in the ledger, and what the
    check recomputes or expects (formatted at the printed precision where that matters).
    """

    study: str
    area: str                 # baseline, efficacy, survival, cox, toxicity, design
    check: str                # the check's function name, e.g. "percent_matches_count"
    item: str                 # what was checked, e.g. "Sex: Female"
    verdict: str
    category: str
    locators: tuple[str, ...]
    printed: str
    expected: str
    explanation: str
    quantity: str = ""
    notebook: str = ""        # filled in by FindingsLog
    section: str = ""         # the notebook section (markdown heading) holding the evidence

    def __post_init__(self):
        severity_for(self.verdict, self.category)  # validates both
        if isinstance(self.locators, str):
            object.__setattr__(self, "locators", (self.locators,))
        else:
            object.__setattr__(self, "locators", tuple(self.locators))

    @property
    def severity(self) -> str:
        return severity_for(self.verdict, self.category)

    def as_row(self) -> dict:
        row = asdict(self)
        row["locators"] = "; ".join(self.locators)
        row["severity"] = self.severity
        return {c: row[c] for c in COLUMNS}


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a tidy table, most severe first (stable, deterministic order)."""
    rows = [f.as_row() for f in findings]
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    if df.empty:
        return df
    df["_rank"] = df["severity"].map(SEVERITY_RANK)
    df = (df.sort_values(["_rank", "area", "check", "item", "printed"], kind="mergesort")
            .drop(columns="_rank").reset_index(drop=True))
    return df


def audit(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by check and verdict (an audit summary in the style of scrutiny)."""
    if df.empty:
        return pd.DataFrame(columns=["check", *VERDICTS, "total"])
    table = (pd.crosstab(df["check"], df["verdict"])
             .reindex(columns=list(VERDICTS), fill_value=0))
    table["total"] = table.sum(axis=1)
    return table.reset_index()


@dataclass
class FindingsLog:
    """Collects a notebook's findings and writes them under ``<output_dir>/findings/``."""

    study: str
    notebook: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, findings: Finding | Iterable[Finding], section: str = "") -> pd.DataFrame:
        """Record findings (tagging them with this notebook and ``section``); return them as a table."""
        items = [findings] if isinstance(findings, Finding) else list(findings)
        tagged = [Finding(**{**asdict(f), "notebook": self.notebook,
                             "section": section or f.section}) for f in items]
        self.findings.extend(tagged)
        return findings_frame(tagged)

    def frame(self) -> pd.DataFrame:
        return findings_frame(self.findings)

    def write(self, output_dir: str | Path) -> Path:
        """Write ``findings/<notebook>.csv`` and ``.json``; return the CSV path."""
        out = Path(output_dir) / "findings"
        out.mkdir(parents=True, exist_ok=True)
        df = self.frame()
        csv_path = out / f"{self.notebook}.csv"
        df.to_csv(csv_path, index=False, lineterminator="\n")
        (out / f"{self.notebook}.json").write_text(
            json.dumps(df.to_dict(orient="records"), indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8")
        return csv_path


def read_findings(path: str | Path) -> pd.DataFrame:
    """Read a findings CSV back (all text, empty cells as empty strings)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def merge_run_findings(run_dir: str | Path) -> pd.DataFrame:
    """Merge ``findings/*.csv`` of a run into ``findings.csv`` and ``findings.json`` at its top."""
    run_dir = Path(run_dir)
    parts = sorted((run_dir / "findings").glob("*.csv"))
    frames = [read_findings(p) for p in parts]
    df = (pd.concat(frames, ignore_index=True) if frames
          else pd.DataFrame(columns=list(COLUMNS)))
    if not df.empty:
        df["_rank"] = df["severity"].map(SEVERITY_RANK)
        df = (df.sort_values(["_rank", "area", "check", "item", "printed", "notebook"],
                             kind="mergesort")
                .drop(columns="_rank").reset_index(drop=True))
    df.to_csv(run_dir / "findings.csv", index=False, lineterminator="\n")
    (run_dir / "findings.json").write_text(
        json.dumps(df.to_dict(orient="records"), indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return df

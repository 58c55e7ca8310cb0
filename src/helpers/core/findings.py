"""The one record every check returns, and writing a run's findings.

A check never writes a verdict by hand: it computes one of five verdicts

* ``consistent``   the printed value(s) agree with what the check recomputes;
* ``inconsistent`` they disagree, and a slip (rounding, transcription, a swapped label) could
  explain it, or the disagreement rests on an assumption the finding names;
* ``implausible``  the printed value is possible but unlike what cited knowledge of the disease,
  the drugs or the design leads one to expect (never a proof);
* ``impossible``   no data could give what is printed: arithmetic alone, with the printed
  rounding, rules it out (only a finding whose evidence is ``conclusive`` may say so);
* ``not testable`` the printed numbers cannot decide.

Strength, weight and severity follow the rules of :mod:`helpers.core.evidence`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import pandas as pd

from .evidence import (ASSUMPTIONS, CATEGORIES, FLAGGED, SEVERITIES, SEVERITY_RANK, STRENGTH_RANK,
                       VERDICTS, check_assumptions, severity_for, strength_of, weight_of)

__all__ = ["ASSUMPTIONS", "CATEGORIES", "COLUMNS", "FLAGGED", "SEVERITIES", "SEVERITY_RANK",
           "VERDICTS", "Finding", "FindingsLog", "Result", "audit", "finding_from",
           "findings_frame", "merge_run_findings", "read_findings", "severity_for", "area_of"]

COLUMNS = ("study", "area", "family", "check", "item", "verdict", "severity", "strength", "weight",
           "category", "assumptions", "items", "locators", "printed", "expected", "explanation",
           "quantity", "notebook", "section")


_DERIVED = ("severity", "strength", "weight")   # properties of a Finding, not fields
_JOINED = ("locators", "assumptions", "items")


@dataclass(frozen=True)
class Result:
    """What a scalar check found on one item: the one result type of every check.

    ``assumptions`` are the keys of :data:`ASSUMPTIONS` the verdict rests on (empty: arithmetic
    alone); ``values`` holds the evidence a table or figure shows (implied p, bounds, ...).
    """

    verdict: str
    category: str
    expected: str = ""
    explanation: str = ""
    assumptions: tuple[str, ...] = ()
    values: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict '{self.verdict}' (one of {VERDICTS})")
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category '{self.category}' (one of {CATEGORIES})")
        a = (self.assumptions,) if isinstance(self.assumptions, str) else self.assumptions
        object.__setattr__(self, "assumptions", check_assumptions(a))

    @property
    def flagged(self) -> bool:
        return self.verdict in FLAGGED


@dataclass(frozen=True)
class Finding:
    """One check applied to one item of the ledger.

    ``printed`` and ``expected`` are text: the printed value(s) as in the ledger, and what the
    check recomputes or expects (formatted at the printed precision where that matters).
    ``assumptions`` are the keys of :data:`helpers.core.evidence.ASSUMPTIONS` this verdict rests
    on (empty: arithmetic alone). ``family`` and ``items`` (the trustworthiness-checklist items the
    check informs) are stamped by the check registry.
    """

    study: str
    area: str                 # baseline, efficacy, survival, cox, toxicity, design, text
    check: str                # the registered check's name, e.g. "percent_count"
    item: str                 # what was checked, e.g. "Sex: Female"
    verdict: str
    category: str
    locators: tuple[str, ...]
    printed: str
    expected: str
    explanation: str
    quantity: str = ""
    assumptions: tuple[str, ...] = ()
    family: str = ""
    items: tuple[str, ...] = ()
    notebook: str = ""        # filled in by FindingsLog
    section: str = ""         # the notebook section (markdown heading) holding the evidence

    def __post_init__(self):
        for name in ("locators", "assumptions", "items"):
            value = getattr(self, name)
            value = (value,) if isinstance(value, str) else tuple(value)
            object.__setattr__(self, name, tuple(v for v in value if v != ""))
        object.__setattr__(self, "assumptions", check_assumptions(self.assumptions))
        if self.verdict == "impossible" and self.strength != "conclusive":
            raise ValueError(
                f"check '{self.check}', item '{self.item}': 'impossible' needs evidence from "
                f"arithmetic alone, but the verdict rests on {list(self.assumptions)}; "
                "say 'inconsistent' and name the assumption")
        severity_for(self.verdict, self.category, self.strength, self.weight)  # validates

    @property
    def strength(self) -> str:
        return _strength(self.assumptions)

    @property
    def weight(self) -> str:
        return _weight(self.quantity, self.locators)

    @property
    def severity(self) -> str:
        return severity_for(self.verdict, self.category, self.strength, self.weight)

    @property
    def flagged(self) -> bool:
        return self.verdict in FLAGGED

    def with_(self, **changes) -> "Finding":
        """A copy with some fields changed."""
        return replace(self, **changes)

    def as_row(self) -> dict:
        """The finding as one row of :data:`COLUMNS` (tuples joined with "; ")."""
        strength, weight = self.strength, self.weight
        row = {c: getattr(self, c) for c in COLUMNS if c not in _DERIVED}
        for name in _JOINED:
            row[name] = "; ".join(row[name])
        row["strength"], row["weight"] = strength, weight
        row["severity"] = severity_for(self.verdict, self.category, strength, weight)
        return {c: row[c] for c in COLUMNS}


# strength and weight depend only on these (hashable) fields: memoised, as a large ledger gives
# hundreds of thousands of findings sharing a few hundred combinations
_strength = lru_cache(maxsize=1 << 12)(strength_of)
_weight = lru_cache(maxsize=1 << 16)(weight_of)


def finding_from(ctx, *, item: str, result: Result, locators, printed: str, quantity: str = "",
                 area: str | None = None, check: str = "") -> Finding:
    """The Finding of ``result`` on one item of ``ctx``'s ledger (``check``, ``family`` and
    ``items`` are stamped by the registry when the check runs).

    ``area`` defaults to the report area of ``quantity`` (:func:`area_of`).
    """
    return Finding(study=ctx.ledger.study, area=area or area_of(quantity), check=check, item=item,
                   verdict=result.verdict, category=result.category,
                   locators=(locators,) if isinstance(locators, str) else tuple(locators),
                   printed=printed, expected=result.expected, explanation=result.explanation,
                   quantity=quantity, assumptions=result.assumptions)


_AREAS = {"baseline": "baseline", "treatment": "baseline", "response": "efficacy",
          "survival": "survival", "cox": "cox", "direction": "cox", "ae": "toxicity",
          "design": "design", "cohort": "design", "background": "design", "term": "text",
          "regimen": "text", "claim": "text", "reference": "text", "citation": "text",
          "author": "text", "affiliation": "text", "contribution": "text"}


def area_of(quantity: str) -> str:
    """The report area of a quantity key, from its prefix (``ae.`` -> ``toxicity``)."""
    head = str(quantity).split(".", 1)[0]
    return _AREAS.get(head, head)


def _ranked(df: pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    if df.empty:
        return df
    df = df.assign(_rank=df["severity"].map(SEVERITY_RANK),
                   _strength=df["strength"].map(STRENGTH_RANK).fillna(len(STRENGTH_RANK)))
    return (df.sort_values(["_rank", "_strength", "area", "check", "item", "printed", *extra],
                           kind="mergesort")
              .drop(columns=["_rank", "_strength"]).reset_index(drop=True))


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a tidy table, most severe and strongest first (stable, deterministic order)."""
    rows = [f.as_row() for f in findings]
    return _ranked(pd.DataFrame(rows, columns=list(COLUMNS)))


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
    """Collects a notebook's findings and check runs; writes them under ``<output_dir>/findings/``.

    ``runs`` holds one row per registered check the notebook ran (status ``ran``,
    ``not applicable`` or ``failed``, with the reason or the error), so that the report can say
    what was not applicable and what failed.
    """

    study: str
    notebook: str
    findings: list[Finding] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    _frame: tuple = field(default=(), init=False, repr=False, compare=False)

    def add(self, findings: Finding | Iterable[Finding], section: str = "") -> pd.DataFrame:
        """Record findings (tagging them with this notebook and ``section``); return them as a table."""
        items = [findings] if isinstance(findings, Finding) else list(findings)
        tagged = [f.with_(notebook=self.notebook, section=section or f.section) for f in items]
        self.findings.extend(tagged)
        return findings_frame(tagged)

    def add_runs(self, runs: Iterable[dict], section: str = "") -> None:
        for run in runs:
            self.runs.append({**run, "notebook": self.notebook, "section": section})

    def frame(self) -> pd.DataFrame:
        """Every finding so far, ranked (built once per state of the log; a copy each call)."""
        key = (len(self.findings), id(self.findings[-1]) if self.findings else None)
        if not self._frame or self._frame[0] != key:
            self._frame = (key, findings_frame(self.findings))
        return self._frame[1].copy()

    def runs_frame(self) -> pd.DataFrame:
        cols = ["notebook", "section", "family", "check", "status", "findings", "reason"]
        return pd.DataFrame(self.runs, columns=cols)

    def write(self, output_dir: str | Path) -> Path:
        """Write ``findings/<notebook>.csv``/``.json`` and ``findings/<notebook>.checks.csv``."""
        out = Path(output_dir) / "findings"
        out.mkdir(parents=True, exist_ok=True)
        df = self.frame()
        csv_path = out / f"{self.notebook}.csv"
        df.to_csv(csv_path, index=False, lineterminator="\n")
        (out / f"{self.notebook}.json").write_text(
            json.dumps(df.to_dict(orient="records"), indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8")
        self.runs_frame().to_csv(out / f"{self.notebook}.checks.csv", index=False,
                                 lineterminator="\n")
        return csv_path


def read_findings(path: str | Path) -> pd.DataFrame:
    """Read a findings CSV back (all text, empty cells as empty strings)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def merge_run_findings(run_dir: str | Path) -> pd.DataFrame:
    """Merge ``findings/*.csv`` of a run into ``findings.csv``/``.json`` and ``checks.csv``."""
    run_dir = Path(run_dir)
    parts = sorted(p for p in (run_dir / "findings").glob("*.csv")
                   if not p.name.endswith(".checks.csv"))
    frames = [read_findings(p) for p in parts]
    df = (pd.concat(frames, ignore_index=True) if frames
          else pd.DataFrame(columns=list(COLUMNS)))
    df = df.reindex(columns=list(COLUMNS), fill_value="")
    df = _ranked(df, ("notebook",))
    df.to_csv(run_dir / "findings.csv", index=False, lineterminator="\n")
    (run_dir / "findings.json").write_text(
        json.dumps(df.to_dict(orient="records"), indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")
    runs = [read_findings(p) for p in sorted((run_dir / "findings").glob("*.checks.csv"))]
    checks = (pd.concat(runs, ignore_index=True) if runs else
              pd.DataFrame(columns=["notebook", "section", "family", "check", "status",
                                    "findings", "reason"]))
    checks.to_csv(run_dir / "checks.csv", index=False, lineterminator="\n")
    return df

"""Loading and validating a study's ledger (``data/published/<study>/``).

The schema is documented for people in ``data/published/README.md``; this module is the same schema
for the machine. Every value is kept as printed text; ``load_ledger`` checks that each numeric field
parses and obeys its bounds, and stops at the first problem with one message naming the file, line
and field (:class:`helpers.core.errors.LedgerError`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

from ..core.errors import LedgerError
from ..core.paths import published_root, relative_to_root
from ..core.printed import parse_printed

COMMON = ("row_id", "quantity", "source", "locator", "printed")
OPTIONAL_COMMON = ("note",)
SOURCES = {"title", "byline", "declarations", "references", "abstract", "introduction", "methods", "results", "table", "figure",
           "discussion", "conclusion"}
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


@dataclass(frozen=True)
class TableSpec:
    """What one ledger CSV must hold."""

    name: str
    required: tuple[str, ...]           # columns that must exist and be non-empty in every row
    optional: tuple[str, ...] = ()      # columns that must exist (may be empty) -- or may be absent
    integers: tuple[str, ...] = ()      # non-negative integers
    numbers: tuple[str, ...] = ()       # any printed number (may carry <, >)
    enums: dict[str, frozenset[str]] = field(default_factory=dict)
    required_if: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (column, value, fields required)


SPECS: dict[str, TableSpec] = {
    "counts": TableSpec(
        "counts.csv",
        required=("variable", "level", "role", "denominator", "population"),
        optional=("definition", "count", "percent"),
        integers=("count", "denominator"),
        numbers=("percent",),
        enums={"role": frozenset({"level", "rate", "total", "other"})},
        required_if=(("role", "rate", ("definition",)),),
    ),
    "summaries": TableSpec(
        "summaries.csv",
        required=("variable", "statistic", "center", "n", "population"),
        optional=("unit", "sd", "low", "high", "granularity"),
        integers=("n",),
        numbers=("center", "sd", "low", "high", "granularity"),
        enums={"statistic": frozenset({"mean_sd", "median_range", "median_iqr", "median", "mean"})},
        required_if=(("statistic", "mean_sd", ("sd",)),
                     ("statistic", "median_range", ("low", "high")),
                     ("statistic", "median_iqr", ("low", "high"))),
    ),
    "survival": TableSpec(
        "survival.csv",
        required=("endpoint", "statistic", "center", "unit", "n", "population"),
        optional=("ci_low", "ci_high", "ci_level"),
        integers=("n",),
        numbers=("center", "ci_low", "ci_high", "ci_level"),
        enums={"statistic": frozenset({"median", "rate"})},
    ),
    "hazard_ratios": TableSpec(
        "hazard_ratios.csv",
        required=("model", "endpoint", "variable", "level", "reference", "role"),
        optional=("hr", "ci_low", "ci_high", "ci_level", "p", "n_level", "n_reference",
                  "level_quantity", "reference_quantity"),
        integers=("n_level", "n_reference"),
        numbers=("hr", "ci_low", "ci_high", "ci_level", "p"),
        enums={"model": frozenset({"univariable", "multivariable"}),
               "role": frozenset({"estimate", "reference", "not_in_model"})},
        required_if=(("role", "estimate", ("hr",)), ("role", "reference", ("hr",))),
    ),
    "adverse_events": TableSpec(
        "adverse_events.csv",
        required=("event", "grade_band", "role", "denominator"),
        optional=("count", "percent"),
        integers=("count", "denominator"),
        numbers=("percent",),
        enums={"role": frozenset({"event", "total"})},
    ),
    "statements": TableSpec(
        "statements.csv",
        required=("kind", "endpoint", "variable", "level"),
        enums={"kind": frozenset({"poorer_prognosis", "better_prognosis"})},
    ),
    "design": TableSpec(
        "design.csv",
        required=("kind", "parameter", "value"),
        optional=("value_high", "comparator", "unit"),
        enums={"kind": frozenset({"cohort", "inclusion", "exclusion", "dates", "dose", "schedule",
                                  "assessment", "analysis", "outcome", "background"}),
               "comparator": frozenset({"", "=", "<", "<=", ">", ">=", "range"})},
    ),
}


# The text evidence (data/published/README.md, "The ledger's text evidence").
TEXT_SPECS: dict[str, TableSpec] = {
    "terms": TableSpec(
        "terms.csv", required=("category", "term"),
        enums={"category": frozenset({"disease", "histology", "staging_system", "tumour_marker",
                                      "imaging", "procedure", "prior_treatment", "drug", "regimen",
                                      "adverse_event", "laboratory", "pathology", "other"})}),
    "regimen": TableSpec(
        "regimen.csv", required=("component", "attribute", "value"),
        optional=("value_high", "unit"),
        enums={"attribute": frozenset({"dose", "route", "interval", "frequency", "duration",
                                       "cycles", "treatment_length"})}),
    "claims": TableSpec(
        "claims.csv", required=("kind", "subject"), optional=("object",),
        enums={"kind": frozenset({"groups", "mechanism", "treatment_change", "comparison"})}),
    "references": TableSpec(
        "references.csv", required=("number", "authors", "title"),
        optional=("journal", "year", "volume"), integers=("number",)),
    "citations": TableSpec("citations.csv", required=("refs", "subject")),
    "authors": TableSpec(
        "authors.csv", required=("position", "name"),
        optional=("affiliations", "corresponding", "equal_contribution"), integers=("position",),
        enums={"corresponding": frozenset({"", "yes", "no"}),
               "equal_contribution": frozenset({"", "yes", "no"})}),
    "affiliations": TableSpec(
        "affiliations.csv", required=("number", "institution"), optional=("unit",),
        integers=("number",)),
    "contributions": TableSpec("contributions.csv", required=("role", "names")),
}
SPECS.update(TEXT_SPECS)

STUDY_KEYS_REQUIRED = ("study", "title", "n")


@dataclass
class Ledger:
    """A validated ledger: ``meta`` from ``study.yaml`` and one DataFrame (all text) per CSV."""

    study: str
    path: Path
    meta: dict
    tables: dict[str, pd.DataFrame]
    covariates: dict = field(default_factory=dict)   # covariates.yaml, if the study has one

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def n(self) -> int:
        return int(self.meta["n"])

    @property
    def alpha(self) -> float | None:
        """The stated significance level, or None when the study states none."""
        value = self.meta.get("alpha")
        return None if value in (None, "") else float(value)

    def file_of(self, table: str) -> str:
        return relative_to_root(self.path / SPECS[table].name)

    def rows(self) -> pd.DataFrame:
        """Every row of every table in one long frame (common columns + ``table``)."""
        parts = []
        for name, df in self.tables.items():
            if len(df):
                part = df[list(COMMON) + ["note"]].copy()
                part.insert(0, "table", name)
                parts.append(part)
        if not parts:
            return pd.DataFrame(columns=["table", *COMMON, "note"])
        return pd.concat(parts, ignore_index=True)

    def appearances(self, quantity: str) -> pd.DataFrame:
        """All rows (any table) that print the given quantity."""
        rows = self.rows()
        return rows[rows["quantity"] == quantity].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Rows per table and per source: what the ledger holds, at a glance."""
        rows = self.rows()
        if rows.empty:
            return pd.DataFrame()
        return (rows.pivot_table(index="table", columns="source", values="row_id",
                                 aggfunc="count", fill_value=0)
                .assign(total=lambda d: d.sum(axis=1)))


def list_studies(root: Path | None = None) -> list[str]:
    root = Path(root) if root else published_root()
    return sorted(p.name for p in root.iterdir() if (p / "study.yaml").is_file())


def _study_dir(study: str, root: Path | None) -> Path:
    root = Path(root) if root else published_root()
    path = root / study
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", study or "") or not path.is_dir():
        known = ", ".join(list_studies(root)) if root.is_dir() else "none"
        raise LedgerError(relative_to_root(path), f"unknown study '{study}' (known studies: {known})")
    if not (path / "study.yaml").is_file():
        raise LedgerError(relative_to_root(path / "study.yaml"), "missing study.yaml")
    return path


def _load_meta(path: Path, study: str) -> dict:
    file = relative_to_root(path / "study.yaml")
    try:
        meta = yaml.safe_load((path / "study.yaml").read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LedgerError(file, f"not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise LedgerError(file, "must be a mapping of keys to values")
    for key in STUDY_KEYS_REQUIRED:
        if key not in meta or meta[key] in (None, ""):
            raise LedgerError(file, "missing required key", field=key)
    if str(meta["study"]) != study:
        raise LedgerError(file, f"'study' is '{meta['study']}' but the folder is '{study}'",
                          field="study")
    if not isinstance(meta["n"], int) or meta["n"] <= 0:
        raise LedgerError(file, f"'{meta['n']}' is not a positive integer", field="n")
    return _check_meta_values(meta, file)


def _check_meta_values(meta: dict, file: str) -> dict:
    if meta.get("alpha") not in (None, ""):
        try:
            alpha = float(meta["alpha"])
        except (TypeError, ValueError):
            raise LedgerError(file, f"'{meta['alpha']}' is not a number", field="alpha") from None
        if not 0 < alpha < 1:
            raise LedgerError(file, f"alpha {alpha} is outside (0, 1)", field="alpha")
    return meta


def _read_csv(file: Path, shown: str) -> pd.DataFrame:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LedgerError(shown, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise LedgerError(shown, "empty file (no header row)") from None
    header = [h.strip() for h in header]
    rows = []
    for i, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise LedgerError(shown, f"has {len(row)} fields but the header has {len(header)}",
                              line=i)
        rows.append([i, *[c.strip() for c in row]])
    return pd.DataFrame(rows, columns=["_line", *header])


def _validate_table(df: pd.DataFrame, spec: TableSpec, shown: str) -> pd.DataFrame:
    for col in (*COMMON, *spec.required):
        if col not in df.columns:
            raise LedgerError(shown, "missing required column", field=col)
    for col in (*OPTIONAL_COMMON, *spec.optional):
        if col not in df.columns:
            df[col] = ""

    def fail(row, col, problem):
        raise LedgerError(shown, problem, line=int(row["_line"]), field=col,
                          row_id=row.get("row_id") or None)

    for _, row in df.iterrows():
        for col in (*COMMON, *spec.required):
            if row[col] == "":
                fail(row, col, "required field is empty")
        if row["source"] not in SOURCES:
            fail(row, "source", f"'{row['source']}' is not one of {sorted(SOURCES)}")
        for col, allowed in spec.enums.items():
            if col in df.columns and row[col] not in allowed and not (row[col] == "" and col not in spec.required):
                fail(row, col, f"'{row[col]}' is not one of {sorted(a for a in allowed if a)}")
        for col, value, needed in spec.required_if:
            if row.get(col) == value:
                for need in needed:
                    if row[need] == "":
                        fail(row, need, f"required when {col} is '{value}'")
        parsed = {}
        for col in spec.integers:
            text = row[col]
            if text == "":
                continue
            if not re.fullmatch(r"\d+", text.replace(",", "")):
                fail(row, col, f"'{text}' is not a whole number")
            parsed[col] = int(text.replace(",", ""))
        for col in spec.numbers:
            text = row[col]
            if text == "":
                continue
            try:
                parsed[col] = parse_printed(text).value
            except ValueError:
                fail(row, col, f"'{text}' is not a number")
        _check_bounds(row, parsed, spec, fail)
    return df


def _check_bounds(row, v: dict, spec: TableSpec, fail: Callable) -> None:
    if "percent" in v and not 0 <= v["percent"] <= 100:
        fail(row, "percent", f"percentage {row['percent']} is outside 0-100")
    if "count" in v and "denominator" in v and v["count"] > v["denominator"]:
        fail(row, "count", f"count {v['count']} is above its denominator {v['denominator']}")
    if "denominator" in v and v["denominator"] == 0:
        fail(row, "denominator", "denominator is 0")
    for col in ("hr",):
        if col in v and spec.name == "hazard_ratios.csv" and v[col] <= 0:
            fail(row, col, f"hazard ratio {row[col]} is not above 0")
    if spec.name == "hazard_ratios.csv":
        for col in ("ci_low", "ci_high"):
            if col in v and v[col] <= 0:
                fail(row, col, f"CI limit {row[col]} of a hazard ratio is not above 0")
    if "ci_low" in v and "ci_high" in v and v["ci_low"] > v["ci_high"]:
        fail(row, "ci_low", f"CI lower limit {row['ci_low']} is above the upper limit {row['ci_high']}")
    if "p" in v and not 0 <= v["p"] <= 1:
        fail(row, "p", f"p-value {row['p']} is outside [0, 1]")
    if "sd" in v and v["sd"] < 0:
        fail(row, "sd", f"SD {row['sd']} is negative")
    if "low" in v and "high" in v and v["low"] > v["high"]:
        fail(row, "low", f"lower bound {row['low']} is above the upper bound {row['high']}")
    if "ci_level" in v and not 0 < v["ci_level"] < 100:
        fail(row, "ci_level", f"CI level {row['ci_level']} is not a percentage in (0, 100)")
    if spec.name == "design.csv":
        for col in ("value", "value_high"):
            text = row[col]
            if text and not _DATE.match(text):
                try:
                    parse_printed(text)
                except ValueError:
                    fail(row, col, f"'{text}' is neither a number nor a YYYY-MM date")


def load_ledger(study: str, root: Path | str | None = None) -> Ledger:
    """Load and validate ``data/published/<study>/``.

    Raises :class:`LedgerError` naming the file, line and field of the first problem found.
    Tables the folder does not have are returned empty, with their columns.
    """
    path = _study_dir(study, Path(root) if root else None)
    meta = _load_meta(path, study)
    tables: dict[str, pd.DataFrame] = {}
    seen_ids: dict[str, str] = {}
    for key, spec in SPECS.items():
        file = path / spec.name
        shown = relative_to_root(file)
        if not file.is_file():
            cols = [*COMMON, *OPTIONAL_COMMON, *spec.required, *spec.optional]
            tables[key] = pd.DataFrame(columns=cols)
            continue
        df = _validate_table(_read_csv(file, shown), spec, shown)
        for _, row in df.iterrows():
            rid = row["row_id"]
            if rid in seen_ids:
                raise LedgerError(shown, f"row_id '{rid}' is used twice (also in {seen_ids[rid]})",
                                  line=int(row["_line"]), field="row_id", row_id=rid)
            seen_ids[rid] = f"{spec.name} line {int(row['_line'])}"
        df = df.rename(columns={"_line": "line"})
        df["line"] = df["line"].astype(int)
        tables[key] = df.reset_index(drop=True)
    return Ledger(study=study, path=path, meta=meta, tables=tables,
                  covariates=_load_covariates(path))


def _load_covariates(path: Path) -> dict:
    """``covariates.yaml``: how hazard-ratio variables map to patient-level columns (optional)."""
    file = path / "covariates.yaml"
    if not file.is_file():
        return {}
    shown = relative_to_root(file)
    try:
        spec = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LedgerError(shown, f"not valid YAML: {exc}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("covariates", {}), dict):
        raise LedgerError(shown, "must map 'covariates' to a mapping of variable -> spec",
                          field="covariates")
    for variable, item in spec.get("covariates", {}).items():
        if not isinstance(item, dict) or not item.get("column"):
            raise LedgerError(shown, f"variable '{variable}' needs a 'column'", field=str(variable))
        if "cut" in item and not {"below", "above"} <= set(item):
            raise LedgerError(shown, f"variable '{variable}' has a 'cut' but not both 'below' and "
                                     "'above' level names", field=str(variable))
    return spec


def number(text: str) -> float | None:
    """The value of printed text, or None for an empty cell (convenience for notebooks)."""
    if text is None or str(text).strip() == "":
        return None
    return parse_printed(text).value


def ledger_from_tables(study: str, meta: dict | None = None,
                       tables: dict[str, list[dict]] | None = None) -> Ledger:
    """A ledger built in memory from row dicts, validated like :func:`load_ledger`.

    Used by the check registry's examples. Common columns are filled in when absent: ``row_id``
    (``<table>_<i>``), ``quantity`` (``<table>.<i>``), ``source`` (``table``), ``locator``
    (``Table 1 / <i>``) and ``printed`` (the row's values joined). ``meta`` adds to a minimal
    ``study.yaml`` (``study``, ``title``, ``n`` = 100).

    Example
    -------
    >>> ledger = ledger_from_tables("toy", {"n": 10}, {"counts": [{"variable": "Sex",
    ...     "level": "Male", "role": "level", "count": "3", "percent": "30.0",
    ...     "denominator": "10", "population": "all"}]})
    >>> ledger.counts["percent"].tolist()
    ['30.0']
    """
    meta = {"study": study, "title": f"{study} (in memory)", "n": 100, **(meta or {})}
    shown = f"<in-memory ledger {study}>"
    _check_meta_values(meta, shown)
    out: dict[str, pd.DataFrame] = {}
    seen: set[str] = set()
    for key, spec in SPECS.items():
        rows = list((tables or {}).get(key, []))
        cols = [*COMMON, *OPTIONAL_COMMON, *spec.required, *spec.optional]
        if not rows:
            out[key] = pd.DataFrame(columns=[*cols, "line"])
            continue
        filled = []
        for i, row in enumerate(rows, start=1):
            r = {k: "" if v is None else str(v) for k, v in row.items()}
            r.setdefault("row_id", f"{key}_{i}")
            r.setdefault("quantity", f"{key}.{i}")
            r.setdefault("source", "table")
            r.setdefault("locator", f"Table 1 / {key} {i}")
            r.setdefault("printed", " ".join(v for k, v in r.items()
                                             if k not in COMMON and v) or "-")
            if r["row_id"] in seen:
                raise LedgerError(shown, f"row_id '{r['row_id']}' is used twice", field="row_id")
            seen.add(r["row_id"])
            filled.append(r)
        df = pd.DataFrame(filled).fillna("")
        df.insert(0, "_line", range(2, len(df) + 2))
        df = _validate_table(df, spec, f"{shown}/{spec.name}")
        df = df.rename(columns={"_line": "line"})
        df["line"] = df["line"].astype(int)
        out[key] = df.reset_index(drop=True)
    unknown = set(tables or {}) - set(SPECS)
    if unknown:
        raise LedgerError(shown, f"unknown table(s) {sorted(unknown)} (known: {sorted(SPECS)})")
    return Ledger(study=study, path=published_root() / study, meta=meta, tables=out)

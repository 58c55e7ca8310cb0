"""Loading and validating a study's ledger (``data/published/<study>/``).

The schema is documented for people in ``data/published/README.md``; :mod:`helpers.ledger.schema`
is the same schema for the machine. Every value is kept as printed text. Validation is lazy:
``load_ledger`` reads every file, collects every problem (each naming file, line, row id and
field) and raises them together, one line per problem
(:class:`helpers.core.errors.LedgerErrors`, a :class:`~helpers.core.errors.LedgerError`).
:func:`validate_inputs` does the same for a ledger and a patient file and returns the problems, for
the runner to show before any kernel starts.

Example
-------
>>> from helpers.ledger.load import ledger_from_tables
>>> ledger_from_tables("toy", {"n": 10}, {"counts": [{"variable": "Sex", "level": "Male",
...     "role": "level", "count": "3", "Percent": "30.0", "denominator": "10",
...     "population": "all"}]})                                        # doctest: +ELLIPSIS
Traceback (most recent call last):
...
helpers.core.errors.LedgerErrors: <in-memory ledger toy>/counts.csv, field 'Percent': unknown column (did you mean 'percent'?)
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..core.errors import LedgerError, LedgerErrors, Problem, ValidationReport
from ..core.paths import published_root, relative_to_root
from ..core.printed import parse_printed
from .schema import (COMMON, KM_CI_METHODS, MAX_COUNT, NOT_REACHED, OPTIONAL_COMMON, SOURCES,
                     SPECS, STUDY_KEYS, STUDY_KEYS_REQUIRED, TEXT_SPECS, TIME_UNITS, PrintedDate,
                     TableSpec, comma_problem, looks_like_date, nearest_name, parse_date_printed)

__all__ = ["COMMON", "OPTIONAL_COMMON", "SOURCES", "SPECS", "TEXT_SPECS", "STUDY_KEYS_REQUIRED",
           "TableSpec", "PrintedDate", "parse_date_printed", "Ledger", "list_studies",
           "load_ledger", "ledger_from_tables", "validate_ledger", "validate_inputs", "number",
           "parse_restriction"]

CAP_PER_KIND = 50   # problems listed per file, field and kind; the rest are counted in one line


class _Problems:
    """Collects problems; more than CAP_PER_KIND of one kind in one field are summarised."""

    def __init__(self, kind: str = "ledger"):
        self.kind = kind
        self.items: list[Problem] = []
        self._seen: Counter = Counter()
        self._first: dict = {}
        self.meta: dict = {}
        self.covariates: dict = {}

    def add(self, file: str, problem: str, *, line: int | None = None, field: str | None = None,
            row_id: str | None = None, code: str | None = None) -> None:
        key = (file, field, code or problem)
        self._seen[key] += 1
        if self._seen[key] > CAP_PER_KIND:
            return
        self._first.setdefault(key, problem)
        self.items.append(Problem(str(file), problem, line=line, field=field,
                                  row_id=row_id or None, kind=self.kind))

    def extend(self, problems) -> None:
        self.items.extend(problems)

    def report(self) -> ValidationReport:
        out = list(self.items)
        for key, count in self._seen.items():
            if count > CAP_PER_KIND:
                file, fld, _ = key
                out.append(Problem(str(file), f"... and {count - CAP_PER_KIND} more rows with the "
                                              f"same problem ({self._first[key]})",
                                   field=fld, kind=self.kind))
        return ValidationReport(out)

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class Ledger:
    """A validated ledger: ``meta`` from ``study.yaml`` and one DataFrame (all text) per CSV."""

    study: str
    path: Path
    meta: dict
    tables: dict[str, pd.DataFrame]
    covariates: dict = field(default_factory=dict)   # covariates.yaml, if the study has one
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def _tables_key(self) -> tuple:
        """Changes when a table is replaced or changes shape, or ``meta`` changes (the memo is
        then rebuilt)."""
        return (tuple((name, id(df), df.shape) for name, df in self.tables.items()),
                repr(self.meta), repr(self.covariates))

    def memo(self, key, compute):
        """``compute()``, computed once per ``key`` while the tables stay the same objects of the
        same shape (checks that look things up per row use it to index a table once)."""
        stamp = self._tables_key()
        if self._memo.get("__stamp__") != stamp:
            self._memo.clear()
            self._memo["__stamp__"] = stamp
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def where(self, table: str, **equal) -> pd.DataFrame:
        """The rows of ``table`` whose columns equal the given values, e.g.
        ``ledger.where("counts", quantity="baseline.sex.male")``; an index per table and set of
        columns is built once, so a lookup per row of another table stays linear."""
        df = self.tables.get(table)
        if df is None or df.empty or any(c not in df.columns for c in equal):
            return df.iloc[0:0] if df is not None else pd.DataFrame()
        cols = tuple(sorted(equal))
        index = self.memo(("where", table, cols), lambda: df.groupby(
            list(cols), sort=False, dropna=False).indices)
        key = tuple(equal[c] for c in cols)
        pos = index.get(key if len(cols) > 1 else key[0])
        return df.iloc[pos] if pos is not None else df.iloc[0:0]

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
        rows = self.memo("rows", self.rows)
        index = self.memo("appearances", lambda: rows.groupby("quantity", sort=False).indices)
        pos = index.get(quantity)
        out = rows.iloc[pos] if pos is not None else rows.iloc[0:0]
        return out.reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Rows per table and per source: what the ledger holds, at a glance."""
        rows = self.rows()
        if rows.empty:
            return pd.DataFrame()
        return (rows.pivot_table(index="table", columns="source", values="row_id",
                                 aggfunc="count", fill_value=0)
                .assign(total=lambda d: d.sum(axis=1)))

    def dates(self) -> pd.DataFrame:
        """Every printed date with its precision (``year``, ``month`` or ``day``).

        One row per date: design.csv ``dates`` rows (``value`` and ``value_high``) and
        ``study.yaml`` ``accrual`` / ``data_cutoff``. Columns: ``where`` (row id or
        ``study.yaml``), ``parameter``, ``end`` (``start``, ``end`` or ``at``), ``printed``,
        ``precision``, ``first`` and ``last`` (the first and last day the printed date may mean).
        """
        out = []

        def add(where, parameter, end, text):
            try:
                d = parse_date_printed(text)
            except ValueError:
                return
            out.append({"where": where, "parameter": parameter, "end": end, "printed": d.text,
                        "precision": d.precision, "first": d.first, "last": d.last})

        design = self.tables.get("design")
        if design is not None and len(design):
            for _, r in design.iterrows():
                if r["kind"] == "dates" or looks_like_date(r["value"]):
                    both = bool(str(r.get("value_high", "")).strip())
                    add(r["row_id"], r["parameter"], "start" if both else "at", r["value"])
                    if both:
                        add(r["row_id"], r["parameter"], "end", r["value_high"])
        accrual = self.meta.get("accrual")
        if isinstance(accrual, (list, tuple)) and len(accrual) == 2:
            add("study.yaml", "accrual", "start", accrual[0])
            add("study.yaml", "accrual", "end", accrual[1])
        if self.meta.get("data_cutoff") not in (None, ""):
            add("study.yaml", "data_cutoff", "at", self.meta["data_cutoff"])
        return pd.DataFrame(out, columns=["where", "parameter", "end", "printed", "precision",
                                          "first", "last"])


def parse_restriction(text: str) -> list[tuple[str, str]]:
    """A counts row's ``restriction`` as (variable, level) pairs: ``"Sex: Female; ECOG: 0"`` ->
    ``[("Sex", "Female"), ("ECOG", "0")]``; empty text gives ``[]``."""
    s = "" if text is None else str(text).strip()
    if not s:
        return []
    pairs = []
    for part in s.split(";"):
        variable, _, level = part.partition(":")
        pairs.append((variable.strip(), level.strip()))
    return pairs


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


# --------------------------------------------------------------------------- study.yaml

class _TextDatesLoader(yaml.SafeLoader):
    """YAML's safe loader, except that dates stay text as printed (``2020-06-15``), so that a
    date that does not exist is reported by the schema (with its key) and keeps its precision."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _read_meta(path: Path, shown: str, problems: _Problems) -> dict | None:
    try:
        meta = yaml.load((path / "study.yaml").read_text(encoding="utf-8"),
                         Loader=_TextDatesLoader) or {}
    except UnicodeDecodeError as exc:
        problems.add(shown, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    except yaml.YAMLError as exc:
        problems.add(shown, "not valid YAML: " + " ".join(str(exc).split()))
        return None
    if not isinstance(meta, dict):
        problems.add(shown, "must be a mapping of keys to values")
        return None
    return meta


def _yaml_int_problem(value, key: str) -> str | None:
    """Why a study.yaml value is not a positive integer (None when it is one)."""
    if isinstance(value, bool):
        return (f"'{key}: {str(value).lower()}' is read by YAML as a yes/no value, not a number: "
                f"write the number itself ({key}: 120)")
    if isinstance(value, str):
        if re.fullmatch(r"\s*\d+\s*", value):
            return (f"'{value}' is text (it is quoted), not a number: write {key}: {value.strip()} "
                    f"without quotes")
        return f"'{value}' is not a positive integer"
    if isinstance(value, float):
        return f"{value!r} is not a whole number"
    if not isinstance(value, int):
        return f"'{value}' is not a positive integer"
    if value <= 0:
        return f"{value} is not a positive integer"
    return None


def _near_study_key(key: str) -> str | None:
    """The known study.yaml key a misspelt key stands for (``Alpha``, ``alhpa``), or None for a
    known key or one not close to any (other keys are kept, not read)."""
    if key in STUDY_KEYS:
        return None
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    for known in STUDY_KEYS:
        if re.sub(r"[^a-z0-9]", "", known) == norm:
            return known
    close = difflib.get_close_matches(key.lower(), list(STUDY_KEYS), n=1, cutoff=0.8)
    return close[0] if close else None


def _check_meta(meta: dict, shown: str, problems: _Problems, study: str | None) -> None:
    """Every rule of study.yaml (types, ranges, dates); the cross-checks with design.csv come
    later (:func:`_cross_check`)."""
    def add(key, problem):
        problems.add(shown, problem, field=key)

    for key in STUDY_KEYS_REQUIRED:
        if key not in meta or meta[key] in (None, ""):
            add(key, "missing required key")
    for key in meta:
        near = _near_study_key(str(key))
        if near and near not in meta:
            add(str(key), f"unknown key (did you mean '{near}'?)")
    if study is not None and meta.get("study") not in (None, "") and str(meta["study"]) != study:
        add("study", f"'study' is '{meta['study']}' but the folder is '{study}'")
    for key in ("n", "arms"):
        if meta.get(key) is not None and meta.get(key) != "":
            why = _yaml_int_problem(meta[key], key)
            if why:
                add(key, why)
    if meta.get("alpha") not in (None, ""):
        value = meta["alpha"]
        try:
            if isinstance(value, bool):
                raise TypeError
            alpha = float(value)
        except (TypeError, ValueError):
            add("alpha", f"'{value}' is not a number")
        else:
            if not 0 < alpha < 1:
                hint = f" (a proportion: {alpha / 100:g}?)" if 1 <= alpha < 100 else ""
                add("alpha", f"alpha {value} is outside (0, 1){hint}")
    for key in ("title", "citation", "doi", "source_text", "software", "disease",
                "disease_printed", "study"):
        value = meta.get(key)
        if value is not None and not isinstance(value, (str, int, float)) or isinstance(value, bool):
            add(key, f"must be text, not {type(value).__name__}")
    for key in ("sites", "regimen"):
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            continue                    # names joined by ',', ';' or '|' (one name is fine)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            add(key, f"must be a list of names ([a, b]) or names joined by ',', not {value!r}")
    if meta.get("time_unit") not in (None, "") and meta["time_unit"] not in TIME_UNITS:
        add("time_unit", f"'{meta['time_unit']}' is not one of {list(TIME_UNITS)}")
    if meta.get("km_ci_method") not in (None, "") and meta["km_ci_method"] not in KM_CI_METHODS:
        add("km_ci_method", f"'{meta['km_ci_method']}' is not one of {list(KM_CI_METHODS)}")
    accrual = meta.get("accrual")
    if accrual not in (None, ""):
        if not isinstance(accrual, (list, tuple)) or len(accrual) != 2:
            add("accrual", f"must be [start, end], not {accrual!r}")
        else:
            dates = []
            for value in accrual:
                try:
                    dates.append(parse_date_printed(value))
                except ValueError as exc:
                    add("accrual", str(exc))
            if len(dates) == 2 and dates[0].first > dates[1].last:
                add("accrual", f"accrual ends ({dates[1].text}) before it starts ({dates[0].text})")
    if meta.get("data_cutoff") not in (None, ""):
        try:
            parse_date_printed(meta["data_cutoff"])
        except ValueError as exc:
            add("data_cutoff", str(exc))


# --------------------------------------------------------------------------- CSV files

def _read_csv(file: Path, shown: str, problems: _Problems):
    """The header and the rows of a CSV, with the file line each row starts on.

    Reads with the csv module on the file's text (never ``str.splitlines``, which also breaks at
    U+2028 and form feeds): quoted fields keep their line breaks and line numbers stay right.
    Returns None when the file cannot be read at all.
    """
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(shown, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header = None
    start = 1
    try:
        for row in reader:
            if header is None:
                header = row
            elif any(cell.strip() for cell in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        why = str(exc)
        if "end of data" in why or "EOF" in why:
            why = (f"unclosed quote: the quoted field that starts on line {start} runs to the end "
                   f"of the file")
        problems.add(shown, f"not valid CSV ({why}); later rows were not read", line=start)
    if header is None:
        problems.add(shown, "empty file (no header row)")
        return None
    return header, rows


def _check_header(header: list[str], spec: TableSpec, shown: str, problems: _Problems) -> list:
    """The usable column names (None for a column that is dropped: unknown, unnamed, repeated)."""
    known = spec.columns
    names: list = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(header, start=1):
        name = str(raw).strip()
        if name == "":
            problems.add(shown, f"column {i} of the header has no name", line=1)
            names.append(None)
        elif name in seen:
            problems.add(shown, f"column '{name}' appears twice in the header (columns "
                                f"{seen[name]} and {i})", line=1, field=name)
            names.append(None)
        elif name not in known:
            near = nearest_name(name, known)
            hint = (f"did you mean '{near}'?" if near else
                    f"known columns: {', '.join(known)}")
            problems.add(shown, f"unknown column ({hint})", field=name)
            names.append(None)
            seen[name] = i
        else:
            names.append(name)
            seen[name] = i
    for col in (*COMMON, *spec.required):
        if col not in names:
            problems.add(shown, "missing required column", field=col)
    return names


def _frame(names: list, rows: list[tuple[int, list[str]]], spec: TableSpec, shown: str,
           problems: _Problems) -> pd.DataFrame:
    width = len(names)
    keep = [i for i, n in enumerate(names) if n is not None]
    records = []
    for line, row in rows:
        if len(row) != width:
            problems.add(shown, f"has {len(row)} fields but the header has {width}", line=line,
                         row_id=(row[names.index("row_id")].strip()
                                 if "row_id" in names and names.index("row_id") < len(row) else None),
                         code="ragged")
            continue
        records.append([line, *[row[i].strip() for i in keep]])
    df = pd.DataFrame(records, columns=["_line", *[names[i] for i in keep]])
    df.attrs["header"] = [names[i] for i in keep]
    for col in spec.columns:
        if col not in df.columns:
            df[col] = ""
    return df


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts (much faster than ``DataFrame.to_dict("records")`` for text frames)."""
    cols = list(df.columns)
    return [dict(zip(cols, vals)) for vals in zip(*(df[c].tolist() for c in cols))]


def _integer(text: str, col: str, fail) -> int | None:
    if "," in text:
        fail(col, comma_problem(text, False), "comma")
        return None
    if re.fullmatch(r"-\d+", text):
        fail(col, f"'{text}' is negative: a count cannot be below 0", "negative")
        return None
    if not re.fullmatch(r"\d+", text):
        fail(col, f"'{text}' is not a whole number", "not whole")
        return None
    if len(text) > 10 or int(text) > MAX_COUNT:
        shown = text if len(text) <= 16 else f"{text[:8]}...({len(text)} digits)"
        fail(col, f"'{shown}' is not a plausible count (more than {MAX_COUNT:,} patients)",
             "too large")
        return None
    return int(text)


def _number(text: str, col: str, spec: TableSpec, fail) -> float | None:
    if text == NOT_REACHED:
        if col in spec.not_reached:
            return math.inf
        allowed = " and ".join(spec.not_reached) if spec.not_reached else "no column"
        fail(col, f"'NR' (not reached) is allowed only in {allowed} of {spec.name}", "nr")
        return None
    if text.strip().lower() in {"nr", "n.r.", "not reached", "ne"} and col in spec.not_reached:
        fail(col, f"'{text}': write a median not reached as NR", "nr")
        return None
    why = comma_problem(text, col in spec.thousands)
    if why:
        fail(col, why, "comma")
        return None
    try:
        value = parse_printed(text).value
    except ValueError:
        fail(col, f"'{text}' is not a number", "not a number")
        return None
    if not math.isfinite(value):
        shown = text if len(text) <= 16 else f"{text[:8]}...({len(text)} characters)"
        fail(col, f"'{shown}' is not a finite number", "not finite")
        return None
    return value


def _validate_table(df: pd.DataFrame, spec: TableSpec, shown: str,
                    problems: _Problems) -> pd.DataFrame:
    """Every rule of one table, row by row; every problem is collected."""
    present = set(df.attrs.get("header", df.columns))
    design = spec.name == "design.csv"
    for rec in df.pipe(_records):
        rid = rec.get("row_id") or None

        def fail(col, problem, code=None, _line=int(rec["_line"]), _rid=rid):
            problems.add(shown, problem, line=_line, field=col, row_id=_rid, code=code)

        for col in (*COMMON, *spec.required):
            if col in present and rec[col] == "":
                fail(col, "required field is empty")
        if rec["source"] and rec["source"] not in SOURCES:
            fail("source", f"'{rec['source']}' is not one of {sorted(SOURCES)}", "enum")
        for col, allowed in spec.enums.items():
            value = rec.get(col, "")
            if value != "" and value not in allowed:
                near = nearest_name(value, sorted(a for a in allowed if a))
                hint = f" (did you mean '{near}'?)" if near else ""
                fail(col, f"'{value}' is not one of {sorted(a for a in allowed if a)}{hint}", "enum")
        for col, value, needed in spec.required_if:
            if rec.get(col) == value:
                for need in needed:
                    if rec[need] == "":
                        fail(need, f"required when {col} is '{value}'")
        for col, need in spec.required_with:
            if rec[col] != "" and rec[need] == "":
                fail(need, f"required when {col} is given")
        for col, (pattern, what) in spec.patterns.items():
            if rec[col] != "" and not re.match(pattern, rec[col]):
                fail(col, f"'{rec[col]}' is not {what}", "pattern")
        v: dict = {}
        for col in spec.integers:
            if rec[col] != "":
                got = _integer(rec[col], col, fail)
                if got is not None:
                    v[col] = got
        for col in spec.numbers:
            if rec[col] != "":
                got = _number(rec[col], col, spec, fail)
                if got is not None:
                    v[col] = got
        if design:
            _check_design_row(rec, fail)
        _check_bounds(rec, v, spec, fail)
    return df


def _check_design_row(rec: dict, fail) -> None:
    """design.csv ``value``/``value_high``: a date (``dates`` rows, or date-shaped text) real and
    ordered, else a number (thousands separators allowed: ``1,000,000`` is read as 1000000)."""
    is_dates = rec["kind"] == "dates"
    parsed: dict = {}
    for col in ("value", "value_high"):
        text = rec[col]
        if text == "":
            continue
        if is_dates or looks_like_date(text):
            try:
                parsed[col] = parse_date_printed(text)
            except ValueError as exc:
                fail(col, str(exc), "date")
        else:
            why = comma_problem(text, True)
            if why:
                fail(col, why, "comma")
                continue
            try:
                value = parse_printed(text).value
            except ValueError:
                fail(col, f"'{text}' is neither a number nor a date (YYYY, YYYY-MM or YYYY-MM-DD)",
                     "not a number")
                continue
            if not math.isfinite(value):
                fail(col, f"'{text[:16]}' is not a finite number", "not finite")
                continue
            parsed[col] = value
    lo, hi = parsed.get("value"), parsed.get("value_high")
    if isinstance(lo, PrintedDate) and isinstance(hi, PrintedDate):
        if lo.first > hi.last:
            fail("value_high", f"the end {hi.text} is before the start {lo.text}", "order")
    elif isinstance(lo, float) and isinstance(hi, float) and lo > hi:
        fail("value_high", f"the upper end {rec['value_high']} is below the lower end "
                           f"{rec['value']}", "order")


def _check_bounds(rec: dict, v: dict, spec: TableSpec, fail) -> None:
    name = spec.name
    if "percent" in v and not 0 <= v["percent"] <= 100:
        fail("percent", f"percentage {rec['percent']} is outside 0-100", "range")
    if "count" in v and "denominator" in v and v["count"] > v["denominator"]:
        fail("count", f"count {v['count']} is above its denominator {v['denominator']}", "range")
    if v.get("denominator") == 0:
        fail("denominator", "denominator is 0", "range")
    if name in ("summaries.csv", "survival.csv") and v.get("n") == 0:
        fail("n", "n is 0: no patient was analysed", "range")
    if name == "hazard_ratios.csv":
        if "hr" in v and v["hr"] <= 0:
            fail("hr", f"hazard ratio {rec['hr']} is not above 0", "range")
        for col in ("ci_low", "ci_high"):
            if col in v and v[col] <= 0:
                fail(col, f"CI limit {rec[col]} of a hazard ratio is not above 0", "range")
    for col in spec.nonnegative:
        if col in v and v[col] < 0:
            what = {"center": "a median or rate", "sd": "an SD"}.get(col, "a time or rate limit")
            fail(col, f"{rec[col]} is negative: {what} cannot be below 0", "negative")
    for col in spec.positive:
        if col in v and v[col] <= 0:
            fail(col, f"{rec[col]} is not above 0", "not positive")
    if "ci_low" in v and "ci_high" in v and v["ci_low"] > v["ci_high"]:
        fail("ci_low", f"CI lower limit {rec['ci_low']} is above the upper limit {rec['ci_high']}",
             "order")
    if "p" in v and not 0 <= v["p"] <= 1:
        fail("p", f"p-value {rec['p']} is outside [0, 1]", "range")
    if "low" in v and "high" in v and v["low"] > v["high"]:
        fail("low", f"lower bound {rec['low']} is above the upper bound {rec['high']}", "order")
    if "ci_level" in v and not 50 < v["ci_level"] < 100:
        hint = (f" (a percentage: {v['ci_level'] * 100:g})" if 0 < v["ci_level"] < 1 else "")
        fail("ci_level", f"CI level {rec['ci_level']} is not a percentage in (50, 100){hint}",
             "range")
    if name == "survival.csv":
        stat = rec["statistic"]
        if stat == "rate":
            if rec["unit"] not in ("", "percent"):
                fail("unit", f"a survival rate is in percent, not '{rec['unit']}'", "unit")
            for col in ("center", "ci_low", "ci_high"):
                if rec[col] == NOT_REACHED:
                    fail(col, "'NR' (not reached) is for a median, not a rate", "nr")
                elif col in v and v[col] > 100:
                    fail(col, f"survival rate {rec[col]}% is above 100", "range")
        elif stat == "median":
            if rec["landmark"] != "":
                fail("landmark", "a landmark belongs to a survival rate (statistic 'rate'), not "
                                 "a median", "landmark")


def _cross_check(meta: dict | None, tables: dict[str, pd.DataFrame], files: dict[str, str],
                 meta_file: str, problems: _Problems) -> None:
    """Rules across rows and files: row ids unique; population, denominator, level_quantity and
    reference_quantity resolve; study.yaml n and alpha agree with design.csv."""
    seen: dict[str, str] = {}
    for key, df in tables.items():
        for rid, line in zip(df["row_id"], df["_line"]):
            if rid == "":
                continue
            if rid in seen:
                problems.add(files[key], f"row_id '{rid}' is used twice (also in {seen[rid]})",
                             line=int(line), field="row_id", row_id=rid, code="dup id")
            else:
                seen[rid] = f"{SPECS[key].name} line {int(line)}"
    counts = tables.get("counts")
    quantities: dict[str, list] = {}
    if counts is not None:
        for q, c, line in zip(counts["quantity"], counts["count"], counts["_line"]):
            quantities.setdefault(q, []).append((c, int(line)))
    for key in ("counts", "summaries", "survival"):
        df = tables.get(key)
        if df is None or "population" not in df.columns:
            continue
        for rec in df[["_line", "row_id", "population"]].pipe(_records):
            pop = rec["population"]
            if pop not in ("", "all") and pop not in quantities:
                near = nearest_name(pop, sorted(quantities))
                hint = f" (did you mean '{near}'?)" if near else ""
                problems.add(files[key], f"population '{pop}' is not the quantity of any row of "
                                         f"counts.csv{hint}; use 'all' or the quantity key of the "
                                         f"subgroup's count row", line=int(rec["_line"]),
                             field="population", row_id=rec["row_id"] or None, code="population")
    if counts is not None:
        for rec in counts[["_line", "row_id", "population", "denominator"]].pipe(_records):
            sizes = [c for c, _ in quantities.get(rec["population"], []) if c != ""]
            if rec["population"] in ("", "all") or not sizes or rec["denominator"] == "":
                continue
            if rec["denominator"] not in sizes:
                where = ", ".join(f"{c} on line {ln}" for c, ln in quantities[rec["population"]]
                                  if c != "")
                problems.add(files["counts"],
                             f"denominator {rec['denominator']} is not the size of its population "
                             f"'{rec['population']}' (printed as {where}); a subgroup row's "
                             f"denominator is that subgroup's count", line=int(rec["_line"]),
                             field="denominator", row_id=rec["row_id"] or None, code="denominator")
    hr = tables.get("hazard_ratios")
    if hr is not None:
        for col in ("level_quantity", "reference_quantity"):
            for rec in hr[["_line", "row_id", col]].pipe(_records):
                q = rec[col]
                if q != "" and q not in quantities:
                    near = nearest_name(q, sorted(quantities))
                    hint = f" (did you mean '{near}'?)" if near else ""
                    problems.add(files["hazard_ratios"], f"'{q}' is not the quantity of any row "
                                                         f"of counts.csv{hint}",
                                 line=int(rec["_line"]), field=col, row_id=rec["row_id"] or None,
                                 code="quantity ref")
    design = tables.get("design")
    if meta is None or design is None or design.empty:
        return
    n = meta.get("n")
    rows = design[(design["kind"] == "cohort") & (design["parameter"] == "n")]
    if isinstance(n, int) and not isinstance(n, bool) and n > 0 and len(rows):
        values = [(r["value"].replace(",", ""), int(r["_line"]), r["row_id"])
                  for r in rows.pipe(_records)]
        if all(val != str(n) for val, _, _ in values):
            where = "; ".join(f"{val} on line {ln} (row_id {rid})" for val, ln, rid in values)
            problems.add(meta_file, f"n: {n} agrees with none of design.csv's cohort/n rows "
                                    f"({where}); the two must agree", field="n")
    alpha = meta.get("alpha")
    rows = design[(design["kind"] == "analysis") & (design["parameter"] == "alpha")]
    if alpha not in (None, "") and not isinstance(alpha, bool) and len(rows):
        try:
            a = float(alpha)
            if not 0 < a < 1:
                return
            values = [(parse_printed(r["value"]).value, r["value"], int(r["_line"]))
                      for r in rows.pipe(_records)]
        except (TypeError, ValueError):
            return
        if all(abs(val - a) > 1e-12 for val, _, _ in values):
            where = "; ".join(f"{txt} on line {ln}" for _, txt, ln in values)
            problems.add(meta_file, f"alpha: {alpha} agrees with none of design.csv's "
                                    f"analysis/alpha rows ({where})", field="alpha")


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    df = df.rename(columns={"_line": "line"})
    df.attrs.pop("header", None)
    df["line"] = df["line"].astype(int)
    return df.reset_index(drop=True)


def _empty(spec: TableSpec) -> pd.DataFrame:
    return pd.DataFrame(columns=[*COMMON, *OPTIONAL_COMMON, *spec.required, *spec.optional])


def _collect_ledger(study: str, root: Path | None) -> tuple[Ledger | None, _Problems]:
    path = _study_dir(study, Path(root) if root else None)
    problems = _Problems("ledger")
    meta_file = relative_to_root(path / "study.yaml")
    meta = _read_meta(path, meta_file, problems)
    if meta is not None:
        _check_meta(meta, meta_file, problems, study)
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for key, spec in SPECS.items():
        file = path / spec.name
        files[key] = relative_to_root(file)
        if not file.is_file():
            continue
        read = _read_csv(file, files[key], problems)
        if read is None:
            continue
        header, rows = read
        names = _check_header(header, spec, files[key], problems)
        df = _frame(names, rows, spec, files[key], problems)
        tables[key] = _validate_table(df, spec, files[key], problems)
    _cross_check(meta, tables, files, meta_file, problems)
    covariates = _load_covariates(path, problems)
    problems.meta, problems.covariates = meta or {}, covariates   # for validate_inputs
    if problems:
        return None, problems
    out = {key: _finish(tables[key]) if key in tables else _empty(spec)
           for key, spec in SPECS.items()}
    return Ledger(study=study, path=path, meta=meta, tables=out, covariates=covariates), problems


def validate_ledger(study: str, root: Path | str | None = None) -> ValidationReport:
    """Every problem of ``data/published/<study>/`` (empty when the ledger is valid)."""
    try:
        _, problems = _collect_ledger(study, Path(root) if root else None)
    except LedgerError as exc:          # no such study: nothing else can be read
        return ValidationReport(exc.problems)
    return problems.report()


def load_ledger(study: str, root: Path | str | None = None) -> Ledger:
    """Load and validate ``data/published/<study>/``.

    Raises :class:`LedgerError` (a :class:`~helpers.core.errors.LedgerErrors` listing every
    problem of every file, one line each, each naming file, line, row id and field). Tables the
    folder does not have are returned empty, with their columns.
    """
    ledger, problems = _collect_ledger(study, Path(root) if root else None)
    if ledger is None:
        problems.report().raise_if_any()
    return ledger


def _load_covariates(path: Path, problems: _Problems) -> dict:
    """``covariates.yaml``: how hazard-ratio variables map to patient-level columns (optional)."""
    file = path / "covariates.yaml"
    if not file.is_file():
        return {}
    shown = relative_to_root(file)
    try:
        spec = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        problems.add(shown, "not valid YAML: " + " ".join(str(exc).split()))
        return {}
    if not isinstance(spec, dict) or not isinstance(spec.get("covariates", {}), dict):
        problems.add(shown, "must map 'covariates' to a mapping of variable -> spec",
                     field="covariates")
        return {}
    for variable, item in spec.get("covariates", {}).items():
        if not isinstance(item, dict) or not item.get("column"):
            problems.add(shown, f"variable '{variable}' needs a 'column'", field=str(variable))
        elif "cut" in item and not {"below", "above"} <= set(item):
            problems.add(shown, f"variable '{variable}' has a 'cut' but not both 'below' and "
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
    (``Table 1 / <i>``) and ``printed`` (the row's values joined). Fields a row leaves out are
    empty, as in a CSV. ``meta`` adds to a minimal ``study.yaml`` (``study``, ``title``, ``n``:
    the design's cohort/n when it has one, else 100). Every rule of :func:`load_ledger` applies
    (row dict keys are the CSV's header); every problem is raised at once.

    Example
    -------
    >>> ledger = ledger_from_tables("toy", {"n": 10}, {"counts": [{"variable": "Sex",
    ...     "level": "Male", "role": "level", "count": "3", "percent": "30.0",
    ...     "denominator": "10", "population": "all"}]})
    >>> ledger.counts["percent"].tolist()
    ['30.0']
    """
    tables = dict(tables or {})
    base = {"study": study, "title": f"{study} (in memory)"}
    if "n" not in (meta or {}):
        base["n"] = 100
        for row in tables.get("design", []):
            if row.get("kind") == "cohort" and row.get("parameter") == "n":
                try:
                    base["n"] = int(str(row.get("value", "")).replace(",", ""))
                except ValueError:
                    pass
                break
    meta = {**base, **(meta or {})}
    shown = f"<in-memory ledger {study}>"
    problems = _Problems("ledger")
    _check_meta(meta, shown, problems, None)
    unknown = set(tables) - set(SPECS)
    for name in sorted(unknown):
        near = nearest_name(name, tuple(SPECS))
        hint = f"did you mean '{near}'? " if near else ""
        problems.add(shown, f"unknown table '{name}' ({hint}known: {sorted(SPECS)})")
    frames: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for key, spec in SPECS.items():
        rows = list(tables.get(key, []))
        files[key] = f"{shown}/{spec.name}"
        if not rows:
            continue
        filled = []
        for i, row in enumerate(rows, start=1):
            r = {str(k): "" if v is None else str(v) for k, v in row.items()}
            r.setdefault("row_id", f"{key}_{i}")
            r.setdefault("quantity", f"{key}.{i}")
            r.setdefault("source", "table")
            r.setdefault("locator", f"Table 1 / {key} {i}")
            r.setdefault("printed", " ".join(v for k, v in r.items()
                                             if k not in COMMON and v) or "-")
            filled.append(r)
        header: list[str] = []
        for r in filled:
            header.extend(k for k in r if k not in header)
        names = _check_header(header, spec, files[key], problems)
        records = [(i, [r.get(h, "") for h in header]) for i, r in enumerate(filled, start=2)]
        df = _frame(names, records, spec, files[key], problems)
        frames[key] = _validate_table(df, spec, files[key], problems)
    _cross_check(meta, frames, files, shown, problems)
    problems.report().raise_if_any()
    out = {key: _finish(frames[key]) if key in frames else
           pd.DataFrame(columns=[*spec.columns, "line"]) for key, spec in SPECS.items()}
    return Ledger(study=study, path=published_root() / study, meta=meta, tables=out)


def validate_inputs(study: str, ipd: str | None = None, *,
                    root: Path | str | None = None) -> ValidationReport:
    """Every problem of a run's inputs, before any kernel starts: the ledger of ``study`` and, when
    ``ipd`` names a patient file (a CSV path), that file (parse errors, columns, values, times
    in the study's ``time_unit``, the columns ``covariates.yaml`` maps to).

    Returns a :class:`~helpers.core.errors.ValidationReport` (a list of
    :class:`~helpers.core.errors.Problem`; empty when everything is valid). ``report.error()`` is
    the exception to raise, one line per problem; the runner prints them and exits 2.

    Example
    -------
    >>> report = validate_inputs("cao2024")
    >>> report.ok, list(report)
    (True, [])
    """
    problems = _Problems("ledger")
    meta: dict = {}
    covariates: dict = {}
    try:
        _, found = _collect_ledger(study, Path(root) if root else None)
        problems.extend(found.report())
        meta, covariates = found.meta, found.covariates
    except LedgerError as exc:
        problems.extend(exc.problems)
    if ipd not in (None, "") and _is_patient_file(ipd):
        from ..cohort.ipd import registered_sources, validate_ipd_file

        if not Path(str(ipd)).exists() and Path(str(ipd)).suffix.lower() != ".csv":
            known = ", ".join(registered_sources())
            problems.items.append(Problem(str(ipd), f"neither a CSV file nor a known source "
                                                    f"({known})", kind="patient data"))
            return ValidationReport(problems.items)

        unit = meta.get("time_unit") if isinstance(meta.get("time_unit"), str) else None
        problems.extend(validate_ipd_file(ipd, time_unit=unit, covariates=covariates))
    return ValidationReport(problems.items)


def _is_patient_file(ipd) -> bool:
    """A CSV path (not the name of a registered source such as ``synthetic``)."""
    from ..cohort.ipd import registered_sources

    text = str(ipd)
    if text in registered_sources():
        return False
    return True

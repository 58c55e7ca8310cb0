"""Patient-level data (IPD): the schema in ``data/ipd/README.md``, loading and validation.

``load_ipd(source, ...)`` takes a CSV path, or the name of a registered source (``"synthetic"``
and bundled datasets register themselves with :func:`register_source`). Every source goes through
:func:`validate_ipd`, so a broken file stops with every problem at once, one message each naming
file, line and field. :func:`validate_ipd_file` returns the problems of a CSV instead (the runner's
check before any kernel starts, through :func:`helpers.ledger.load.validate_inputs`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..core.errors import PatientDataError, Problem, ValidationReport
from ..core.paths import relative_to_root
from ..core.units import DAYS_PER_UNIT

RESPONSES = ("CR", "PR", "SD", "PD", "NE")
LINES = ("first", "later")
SURVIVAL_PAIRS = {"OS": ("os_time", "os_event"), "PFS": ("pfs_time", "pfs_event")}
AE_PREFIX = "ae_"

_SOURCES: dict[str, Callable[..., pd.DataFrame]] = {}


def register_source(name: str, loader: Callable[..., pd.DataFrame]) -> None:
    """Register a named IPD source; ``loader(**kwargs)`` returns a DataFrame in the schema."""
    _SOURCES[name] = loader


def registered_sources() -> list[str]:
    _import_builtin_sources()
    return sorted(_SOURCES)


def _import_builtin_sources() -> None:
    import importlib

    for module in ("helpers.cohort.synthetic", "helpers.cohort.datasets"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


_MISSING = ("", "NA", "N/A", "NaN", "nan", ".", "NULL")   # read as missing in numeric columns
MAX_YEARS = 200           # no follow-up time is longer: a longer one is an entry slip
CAP_PER_KIND = 50         # problems listed per column and kind; the rest are counted in one line
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


class _Problems:
    """Every problem of one patient file; more than CAP_PER_KIND of one kind are summarised."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []
        self._more: dict = {}

    def add(self, problem: str, *, line: int | None = None, field: str | None = None) -> None:
        self.items.append(Problem(self.file, problem, line=line, field=field,
                                  kind="patient data"))

    def many(self, line, idx, field: str, message: Callable[[int], str], code: str) -> None:
        """One problem per row index in ``idx`` (``message(i)`` says what), at most
        CAP_PER_KIND of them; the rest are counted in one more problem."""
        idx = np.asarray(idx)
        for i in idx[:CAP_PER_KIND]:
            self.add(message(int(i)), line=int(line[i]), field=field)
        if len(idx) > CAP_PER_KIND:
            self.add(f"... and {len(idx) - CAP_PER_KIND} more rows with the same problem "
                     f"({code})", field=field)

    def report(self) -> ValidationReport:
        return ValidationReport(self.items)


def _detect_separator(first_line: str) -> str:
    """The separator of a patient file, from its header line: the commonest of comma, semicolon
    and tab (a comma on a tie)."""
    counts = {sep: first_line.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda s: (counts[s], s == ","))
    return best if counts[best] else ","


def _read(path: Path, shown: str, problems: _Problems) -> pd.DataFrame | None:
    if not path.is_file():
        problems.add("file not found")
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(f"not UTF-8 text (byte {exc.start}: {exc.reason}); save the file as UTF-8")
        return None
    if not text.strip():
        problems.add("empty file")
        return None
    first = text.split("\n", 1)[0]
    sep = _detect_separator(first)
    fast = _read_plain(text, sep)
    if fast is not None:
        fast.attrs["file"] = shown
        fast.attrs["separator"] = _SEPARATORS[sep]
        return fast
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    width = 0
    try:
        for row in reader:
            if header is None:
                header = [c.strip() for c in row]
                width = len(header)
            elif any(row) and (len(row) > 1 or row[0].strip()):
                if len(row) != width:
                    problems.add(f"has {len(row)} fields but the header has {width} (a ragged "
                                 f"row, or an unquoted '{sep}' inside a value)", line=start)
                else:
                    rows.append(row)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        why = str(exc)
        if "end of data" in why or "EOF" in why:
            why = (f"unclosed quote: the quoted field that starts on line {start} runs to the end "
                   f"of the file")
        problems.add(f"not valid CSV ({why}); later rows were not read", line=start)
    header = header or []
    if sep != "," and "id" not in header:
        problems.add(f"looks {_SEPARATORS[sep]}-separated, but has no 'id' column", field="id")
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name == "":
            problems.add(f"column {i} of the header has no name", line=1)
        elif name in seen:
            problems.add(f"column '{name}' appears twice in the header (columns {seen[name]} and "
                         f"{i}); each column needs its own name", line=1, field=name)
        else:
            seen[name] = i
    if header and not rows and not problems.items:
        problems.add("has a header but no patients")
    if problems.items:
        return None
    df = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    df.attrs["file"] = shown
    df.attrs["separator"] = _SEPARATORS[sep]
    if lines != list(range(2, len(lines) + 2)):   # blank lines or quoted line breaks
        df.attrs["lines"] = np.asarray(lines, dtype=np.int64)
    return df


def _read_plain(text: str, sep: str) -> pd.DataFrame | None:
    """The fast path of :func:`_read`: a file with nothing the careful reader treats specially
    (no quote, carriage return or NUL; no blank or separator-only line; every line as wide as the
    header; header names present and distinct; an ``id`` column unless comma-separated) is read
    by pandas' C parser as text, giving the frame the careful reader gives. None for any other
    file: the careful reader then reads it and names every problem (file, line, field)."""
    if '"' in text or "\r" in text or "\x00" in text:
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2:
        return None
    header = [c.strip() for c in lines[0].split(sep)]
    width = len(header)
    if "" in header or len(set(header)) != width or (sep != "," and "id" not in header):
        return None
    seps = width - 1
    for line in lines[1:]:
        if line.count(sep) != seps or not line.strip() or not line.strip(sep):
            return None
    df = pd.read_csv(io.StringIO(text), sep=sep, header=None, skiprows=1, names=list(range(width)),
                     dtype=str, keep_default_na=False, na_filter=False, quoting=csv.QUOTE_NONE,
                     skip_blank_lines=False, engine="c")
    if len(df) != len(lines) - 1:
        return None
    df.columns = header
    return df.astype(object) if any(dt != object for dt in df.dtypes) else df


def read_ipd_csv(path: str | Path) -> pd.DataFrame:
    """Read a patient file as text columns, with every structural problem at once.

    The separator is detected from the header (comma, semicolon or tab); ragged rows, unclosed
    quotes, unnamed or repeated columns, an empty file or bad encoding stop with one message per
    problem, each naming file and line (:class:`~helpers.core.errors.PatientDataErrors`).
    """
    path = Path(path)
    shown = relative_to_root(path)
    problems = _Problems(shown)
    df = _read(path, shown, problems)
    problems.report().raise_if_any()
    return df


def _line_of(df: pd.DataFrame):
    """File line of each row (header = line 1)."""
    lines = df.attrs.get("lines")
    if lines is not None and len(lines) == len(df):
        return np.asarray(lines)
    return np.arange(len(df)) + 2


_SPACES = (" ", "\t", "\r", "\n", "\x0b", "\x0c", "\xa0")


def _text(series: pd.Series) -> pd.Series:
    """Values as stripped text (stripping only when some value has white space: fast on large
    files)."""
    if series.dtype != object or series.isna().any():
        series = series.astype(str)
    joined = "\x1f".join(series.tolist())
    if any(ws in joined for ws in _SPACES):
        return series.str.strip()
    return series


def _to_float(series: pd.Series) -> pd.Series:
    """Values as floats, NaN where a value is not a number (fast path: all numbers)."""
    try:
        return series.astype(float)
    except (TypeError, ValueError):
        return pd.to_numeric(series, errors="coerce").astype(float)


def _numeric(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Values as floats (missing tokens -> NaN) and the mask of non-empty values that are not
    numbers."""
    text = _text(series)
    missing = text.isin(_MISSING) | series.isna().to_numpy()
    values = _to_float(text.where(~missing, np.nan))
    bad = (values.isna() & ~missing).to_numpy()
    return values.astype(float), bad


def _max_time(time_unit: str | None) -> tuple[float, str]:
    if time_unit in DAYS_PER_UNIT:
        limit = MAX_YEARS * DAYS_PER_UNIT["years"] / DAYS_PER_UNIT[time_unit]
        return limit, f"{MAX_YEARS} years ({limit:,.0f} {time_unit})"
    limit = MAX_YEARS * DAYS_PER_UNIT["years"]
    return limit, f"{MAX_YEARS} years even in days ({limit:,.0f})"


def _validate(df: pd.DataFrame, file: str, problems: _Problems, time_unit: str | None,
              covariates: dict | None) -> pd.DataFrame:
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    line = _line_of(df)
    sep = df.attrs.get("separator", "comma")
    decimal_hint = (" (a decimal comma? the file is semicolon-separated: write decimals with a "
                    "point)") if sep == "semicolon" else ""
    dup = pd.Index(df.columns).duplicated()
    for name in pd.Index(df.columns)[dup].unique():
        problems.add(f"column '{name}' appears more than once; each column needs its own name",
                     line=1, field=name)
    if dup.any():
        df = df.loc[:, ~dup]

    if "id" not in df.columns:
        hint = ""
        if len(df.columns) == 1 and any(s in df.columns[0] for s in (";", "\t")):
            which = "semicolon" if ";" in df.columns[0] else "tab"
            hint = f" (the file looks {which}-separated)"
        problems.add("missing required column" + hint, field="id")
    else:
        ids = _text(df["id"])
        empty = ((ids == "") | ids.isin(["nan", "None"]) | df["id"].isna()).to_numpy()
        problems.many(line, np.flatnonzero(empty), "id", lambda i: "empty patient id", "empty id")
        dup_ids = ids.duplicated(keep="first").to_numpy() & ~empty
        if dup_ids.any():
            firsts = ~ids.duplicated(keep="first").to_numpy()
            first_line = dict(zip(ids[firsts], line[firsts]))
            idx = np.flatnonzero(dup_ids)
            problems.many(line, idx, "id", lambda i: f"duplicated patient id (first seen on line "
                                                     f"{first_line[ids.iloc[i]]})",
                          "duplicated id")
        df["id"] = ids

    limit, limit_text = _max_time(time_unit)
    for time_col, event_col in SURVIVAL_PAIRS.values():
        present = [c for c in (time_col, event_col) if c in df.columns]
        if len(present) == 1:
            missing = event_col if present[0] == time_col else time_col
            problems.add(f"missing required column (needed with '{present[0]}')", field=missing)
            continue
        if not present:
            continue
        raw = _text(df[time_col])
        times = _to_float(raw)
        arr = times.to_numpy()
        nan = np.isnan(arr)
        idx = np.flatnonzero(nan)
        problems.many(line, idx, time_col,
                      lambda i: ("empty time" if raw.iloc[i] == "" else
                                 f"'{raw.iloc[i]}' is not a number")
                      + decimal_hint * ("," in raw.iloc[i]), "not a number")
        with np.errstate(invalid="ignore"):
            inf = np.isinf(arr)
            idx = np.flatnonzero(inf)
            problems.many(line, idx, time_col, lambda i: f"'{raw.iloc[i]}' is not a finite time",
                          "infinite")
            idx = np.flatnonzero(~nan & ~inf & (arr < 0))
            problems.many(line, idx, time_col, lambda i: f"negative time {raw.iloc[i]}",
                          "negative time")
            idx = np.flatnonzero(~nan & ~inf & (arr > limit))
            problems.many(line, idx, time_col,
                          lambda i: f"time {raw.iloc[i]} is more than {limit_text}: not a "
                                    f"follow-up time (check the unit)", "absurd time")
        events = _to_float(_text(df[event_col]))
        bad = ~events.isin([0, 1]).to_numpy()
        idx = np.flatnonzero(bad)
        problems.many(line, idx, event_col, lambda i: f"'{df[event_col].iloc[i]}' is not 0 or 1",
                      "event")
        if not problems.items:
            df[time_col] = times
            df[event_col] = events.astype(int)

    for col, allowed, what in (("best_response", RESPONSES, "response category"),
                               ("line", LINES, "line of therapy")):
        if col not in df.columns:
            continue
        values = _text(df[col].fillna(""))
        bad = (~values.isin([*allowed, ""])).to_numpy()
        idx = np.flatnonzero(bad)
        problems.many(line, idx, col, lambda i: f"unknown {what} '{values.iloc[i]}' (one of "
                                                f"{', '.join(allowed)} or empty)", what)
        df[col] = values
    for col in [c for c in df.columns if c.startswith(AE_PREFIX)]:
        grade = _to_float(_text(df[col]))
        bad = (grade.isna() | ~grade.isin([0, 1, 2, 3, 4, 5])).to_numpy()
        idx = np.flatnonzero(bad)
        problems.many(line, idx, col, lambda i: f"'{df[col].iloc[i]}' is not a CTCAE grade 0-5",
                      "grade")
        if not bad.any():
            df[col] = grade.astype(int)

    must_be_numeric = {}
    for variable, item in ((covariates or {}).get("covariates") or {}).items():
        if not isinstance(item, dict) or not item.get("column"):
            continue
        column = str(item["column"])
        if column in df.columns and ("cut" in item or item.get("type") == "continuous"):
            must_be_numeric[column] = variable
    for col in df.columns:
        if col in ("id", "best_response", "line") or col.startswith(AE_PREFIX):
            continue
        if col in {c for pair in SURVIVAL_PAIRS.values() for c in pair}:
            continue
        if df[col].dtype != object:
            continue
        values, bad = _numeric(df[col])
        n_values = int((~values.isna()).sum())
        n_bad = int(bad.sum())
        if n_bad == 0:
            if n_values:
                inf = np.isinf(values.to_numpy())
                idx = np.flatnonzero(inf)
                problems.many(line, idx, col, lambda i: f"'{df[col].iloc[i]}' is not a finite "
                                                        f"number", "infinite")
                df[col] = values
            continue
        if col in must_be_numeric or n_values >= n_bad:
            why = (f"'{col}' is numeric for '{must_be_numeric[col]}' (covariates.yaml)"
                   if col in must_be_numeric else f"the other values of '{col}' are numbers")
            idx = np.flatnonzero(bad)
            problems.many(line, idx, col,
                          lambda i: f"'{str(df[col].iloc[i]).strip()}' is not a number ({why}; "
                                    f"leave a missing value empty)"
                                    + decimal_hint * ("," in str(df[col].iloc[i])), "not a number")
    return df.reset_index(drop=True)


def validate_ipd(df: pd.DataFrame, file: str = "<patient data>", *,
                 time_unit: str | None = None, covariates: dict | None = None) -> pd.DataFrame:
    """Check a patient frame against the schema and return it with typed columns.

    Every problem is collected and raised at once (one line each, naming file, line and field;
    line numbers count the header as line 1, as in a spreadsheet). ``time_unit`` (the study's)
    bounds the times at 200 years; without it, at 200 years in days. ``covariates`` (a study's
    ``covariates.yaml``) names the columns that must be numeric (a ``cut`` or a continuous
    covariate; a missing covariate column is left to the analysis that needs it).
    """
    problems = _Problems(file)
    out = _validate(df, file, problems, time_unit, covariates)
    problems.report().raise_if_any()
    for key in ("file", "separator", "lines"):
        if key in df.attrs:
            out.attrs[key] = df.attrs[key]
    return out


def validate_ipd_file(path: str | Path, *, time_unit: str | None = None,
                      covariates: dict | None = None) -> ValidationReport:
    """Every problem of a patient file (empty report when it is valid): reading, then the schema.

    Example
    -------
    >>> validate_ipd_file("no/such/file.csv").messages
    ['no/such/file.csv: file not found']
    """
    path = Path(path)
    shown = relative_to_root(path)
    problems = _Problems(shown)
    df = _read(path, shown, problems)
    if df is not None:
        _validate(df, shown, problems, time_unit, covariates)
    return problems.report()


def load_ipd(source: str, **kwargs) -> pd.DataFrame:
    """Load patient-level data from a registered name or a CSV path, validated.

    ``kwargs`` go to a registered loader (e.g. ``ledger=``, ``seed=`` for the synthetic cohort).
    A CSV file's times are bounded at 200 years in ``time_unit=`` (or the ``ledger=``'s
    ``time_unit``; days when neither is given). Every problem is raised at once
    (:class:`~helpers.core.errors.PatientDataErrors`, one line per problem).
    """
    _import_builtin_sources()
    if source in _SOURCES:
        df = validate_ipd(_SOURCES[source](**kwargs), file=f"<{source}>")
        df.attrs["file"] = f"<{source}>"
        return df
    path = Path(source)
    if path.suffix.lower() != ".csv" and not path.exists():
        known = ", ".join(sorted(_SOURCES)) or "none"
        raise PatientDataError(str(source), f"neither a CSV file nor a known source ({known})")
    unit = kwargs.get("time_unit")
    if unit is None and kwargs.get("ledger") is not None:
        unit = getattr(kwargs["ledger"], "meta", {}).get("time_unit")
    df = validate_ipd(read_ipd_csv(path), file=relative_to_root(path), time_unit=unit)
    df.attrs["file"] = relative_to_root(path)  # later messages (e.g. a covariate) name the file
    return df


def endpoints_available(df: pd.DataFrame) -> list[str]:
    """The survival endpoints a patient frame can analyse (``["PFS", "OS"]`` or fewer)."""
    return [ep for ep, (t, e) in SURVIVAL_PAIRS.items() if t in df.columns and e in df.columns]

"""Patient-level data (IPD): the schema in ``data/ipd/README.md``, loading and validation.

``load_ipd(source, ...)`` takes a CSV path, or the name of a registered source (``"synthetic"``
and bundled datasets register themselves with :func:`register_source`). Every source goes through
:func:`validate_ipd`, so a broken file stops with one message naming file, line and field.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..core.errors import PatientDataError
from ..core.paths import relative_to_root

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


def read_ipd_csv(path: str | Path) -> pd.DataFrame:
    """Read a patient file as text columns; empty file and bad encoding stop with a clear message."""
    path = Path(path)
    shown = relative_to_root(path)
    if not path.is_file():
        raise PatientDataError(shown, "file not found")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PatientDataError(shown, f"not UTF-8 text (byte {exc.start}: {exc.reason}); "
                                      "save the file as UTF-8") from None
    if not text.strip():
        raise PatientDataError(shown, "empty file")
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if df.empty:
        raise PatientDataError(shown, "has a header but no patients")
    return df


def validate_ipd(df: pd.DataFrame, file: str = "<patient data>") -> pd.DataFrame:
    """Check a patient frame against the schema and return it with typed columns.

    Line numbers in messages count the header as line 1, as in a spreadsheet.
    """
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]

    def fail(i, col, problem):
        raise PatientDataError(file, problem, line=int(i) + 2, field=col)

    if "id" not in df.columns:
        raise PatientDataError(file, "missing required column", field="id")
    ids = df["id"].astype(str).str.strip()
    for i in np.flatnonzero((ids == "") | ids.isin(["nan", "None"])):
        fail(i, "id", "empty patient id")
    dup = ids.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(ids == ids.iloc[i])[0])
        fail(i, "id", f"duplicated patient id (first seen on line {first + 2})")
    df["id"] = ids

    for time_col, event_col in SURVIVAL_PAIRS.values():
        present = [c for c in (time_col, event_col) if c in df.columns]
        if len(present) == 1:
            missing = event_col if present[0] == time_col else time_col
            raise PatientDataError(file, f"missing required column (needed with '{present[0]}')",
                                   field=missing)
        if not present:
            continue
        times = pd.to_numeric(df[time_col], errors="coerce")
        for i in np.flatnonzero(times.isna().to_numpy()):
            fail(i, time_col, f"'{df[time_col].iloc[i]}' is not a number")
        for i in np.flatnonzero((times < 0).to_numpy()):
            fail(i, time_col, f"negative time {df[time_col].iloc[i]}")
        events = pd.to_numeric(df[event_col], errors="coerce")
        bad = ~events.isin([0, 1])
        for i in np.flatnonzero(bad.to_numpy()):
            fail(i, event_col, f"'{df[event_col].iloc[i]}' is not 0 or 1")
        df[time_col] = times.astype(float)
        df[event_col] = events.astype(int)

    if "best_response" in df.columns:
        resp = df["best_response"].fillna("").astype(str).str.strip()
        bad = ~resp.isin([*RESPONSES, ""])
        for i in np.flatnonzero(bad.to_numpy()):
            fail(i, "best_response", f"unknown response category '{resp.iloc[i]}' "
                                     f"(one of {', '.join(RESPONSES)} or empty)")
        df["best_response"] = resp
    if "line" in df.columns:
        line = df["line"].fillna("").astype(str).str.strip()
        bad = ~line.isin([*LINES, ""])
        for i in np.flatnonzero(bad.to_numpy()):
            fail(i, "line", f"unknown line of therapy '{line.iloc[i]}' (one of {', '.join(LINES)} or empty)")
        df["line"] = line
    for col in [c for c in df.columns if c.startswith(AE_PREFIX)]:
        grade = pd.to_numeric(df[col], errors="coerce")
        bad = grade.isna() | ~grade.isin([0, 1, 2, 3, 4, 5])
        for i in np.flatnonzero(bad.to_numpy()):
            fail(i, col, f"'{df[col].iloc[i]}' is not a CTCAE grade 0-5")
        df[col] = grade.astype(int)
    for col in df.columns:
        if col in ("id", "best_response", "line") or col.startswith(AE_PREFIX):
            continue
        if df[col].dtype == object:
            numeric = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
            if numeric.notna().sum() == (df[col] != "").sum():
                df[col] = numeric
    return df.reset_index(drop=True)


def load_ipd(source: str, **kwargs) -> pd.DataFrame:
    """Load patient-level data from a registered name or a CSV path, validated.

    ``kwargs`` go to a registered loader (e.g. ``ledger=``, ``seed=`` for the synthetic cohort).
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
    df = validate_ipd(read_ipd_csv(path), file=relative_to_root(path))
    df.attrs["file"] = relative_to_root(path)  # later messages (e.g. a covariate) name the file
    return df


def endpoints_available(df: pd.DataFrame) -> list[str]:
    """The survival endpoints a patient frame can analyse (``["PFS", "OS"]`` or fewer)."""
    return [ep for ep, (t, e) in SURVIVAL_PAIRS.items() if t in df.columns and e in df.columns]

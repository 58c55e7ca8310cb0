"""Statistical disclosure control: no output carries an individual patient's value.

The rules (documented for users in ``data/ipd/README.md``), applied by every table, figure and
finding computed from patient-level data:

* **Small counts.** A count of patients below ``min_cell`` (default :data:`MIN_CELL` = 10) is shown
  as ``"<10"``, and so is a percentage or exact CI computed from it (``count/n`` and ``n`` would
  give the count back). :func:`show_count`, :func:`suppress_rates`.
* **Small groups.** A summary (mean, SD, median, quartiles, percentiles, a Kaplan-Meier median, a
  hazard ratio) of fewer than ``min_cell`` patients is suppressed. :func:`too_few`.
* **Extremes.** The minimum and maximum of a continuous variable are single patients' values: they
  are never shown (tables show the 5th/95th percentiles or the quartiles instead; a finding that
  compares a printed range with the data says whether it agrees, without the data's value).
* **Kaplan-Meier figures** are drawn from times coarsened to a grid (:func:`coarsen`; ``grid``
  defaults to :func:`default_grid`: one time unit of the study, and never finer than one month, so
  that a study counted in days is not drawn at the resolution of single deaths), and the curve is
  cut where fewer than ``min_cell`` patients remain at risk (:func:`cut_at_risk`).
* **Identifiers** never leave the patient frame (no function returns a row or an id).

:func:`disclosure_scan` audits the rules after the fact: it reads every file a run wrote (text,
CSV, JSON, notebooks, HTML; plotly's base64 ``bdata`` arrays decoded with
``numpy.frombuffer(base64.b64decode(bdata), dtype=...)``) and reports each patient id, and each exact
time, age or laboratory value that is distinctive enough not to occur by chance (a non-integer, or
an integer with at least three significant digits), that appears in them.

References: Office for National Statistics, *Statistical Disclosure Control for tables produced from
administrative data sources* (2019); Eurostat/CROS, *Handbook on Statistical Disclosure Control*
(Hundepool et al. 2010), ch. 4 (minimum frequency rule, dominance of extreme values); the Five Safes
output-checking rule of thumb (Ritchie 2008): at least 10 units per cell, no maxima or minima.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..core.units import DAYS_PER_MONTH, DAYS_PER_UNIT

MIN_CELL = 10
SUPPRESSED = "suppressed"


def small_text(min_cell: int = MIN_CELL) -> str:
    """How a suppressed count is shown: ``"<10"`` for ``min_cell`` = 10."""
    return f"<{int(min_cell)}"


def is_small(count, min_cell: int = MIN_CELL) -> bool:
    """Whether a count of patients must be suppressed (below ``min_cell``; never for min_cell 0)."""
    if count is None or pd.isna(count):
        return False
    return int(min_cell) > 0 and int(round(float(count))) < int(min_cell)


def show_count(count, min_cell: int = MIN_CELL) -> str:
    """A count of patients as it may be shown: the number, or ``"<10"`` below ``min_cell``."""
    if count is None or pd.isna(count):
        return "NA"
    return small_text(min_cell) if is_small(count, min_cell) else str(int(round(float(count))))


def too_few(n, min_cell: int = MIN_CELL) -> bool:
    """Whether a summary of ``n`` patients must be suppressed."""
    return is_small(n, min_cell)


def suppression_note(min_cell: int = MIN_CELL) -> str:
    return f"{SUPPRESSED}: fewer than {int(min_cell)} patients"


def suppress_rates(table: pd.DataFrame, min_cell: int = MIN_CELL, count: str = "count",
                   denominator: str = "denominator",
                   derived: Sequence[str] = ("percent", "ci_low", "ci_high")) -> pd.DataFrame:
    """A rates table with every cell that could give back a small count suppressed.

    Rows whose ``count`` or ``denominator`` is below ``min_cell`` get ``count`` (and the
    denominator, when small) as ``<NA>`` and the ``derived`` columns as NaN; a ``shown`` column says
    what may be printed (``"12/40"`` or ``"<10"``) and ``suppressed`` marks the rows.
    """
    out = table.copy()
    if out.empty:
        out["shown"] = pd.Series(dtype=object)
        out["suppressed"] = pd.Series(dtype=bool)
        return out
    k = pd.to_numeric(out[count], errors="coerce")
    n = pd.to_numeric(out[denominator], errors="coerce")
    small_k = np.array([is_small(v, min_cell) for v in k])
    small_n = np.array([is_small(v, min_cell) for v in n])
    hide = small_k | small_n
    out["shown"] = [f"{show_count(a, min_cell)}/{show_count(b, min_cell)}" for a, b in zip(k, n)]
    out[count] = k.astype("Int64").mask(hide)
    out[denominator] = n.astype("Int64").mask(small_n)
    for col in derived:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").mask(hide)
    out["suppressed"] = hide
    return out


# ------------------------------------------------------------------------------------------------
# Kaplan-Meier figures: coarsened times, cut where few remain at risk
# ------------------------------------------------------------------------------------------------

def default_grid(time_unit: str | None) -> float:
    """The default grid of a Kaplan-Meier figure, in the study's time unit: one time unit, and never
    finer than one month (a grid of one day would coarsen nothing in data counted in days)."""
    unit = str(time_unit or "").lower()
    days = DAYS_PER_UNIT.get(unit)
    if days is None:
        return 1.0
    return max(1.0, DAYS_PER_MONTH / days)


def coarsen(time, grid: float) -> np.ndarray:
    """Times moved up to the next multiple of ``grid`` (an event in ``(k-1)g, kg]`` is counted at
    ``kg``; time 0 stays 0)."""
    if not grid or grid <= 0:
        raise ValueError(f"grid must be positive, not {grid!r}")
    t = np.asarray(time, dtype=float)
    return np.ceil(t / grid - 1e-12) * grid


def cut_at_risk(curve: pd.DataFrame, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """The steps of a Kaplan-Meier curve (``n_risk`` column) where at least ``min_cell`` patients
    are at risk; the curve ends before the first step with fewer."""
    if curve.empty or min_cell <= 0:
        return curve
    few = np.flatnonzero(curve["n_risk"].to_numpy() < min_cell)
    return curve.iloc[: few[0]] if few.size else curve


# ------------------------------------------------------------------------------------------------
# summaries that are safe to show
# ------------------------------------------------------------------------------------------------

def safe_summary(values, min_cell: int = MIN_CELL) -> dict:
    """n, mean, SD, median, quartiles and 5th/95th percentiles of ``values`` (never min or max);
    every statistic is NaN when fewer than ``min_cell`` values are present, and ``n`` is shown as
    ``"<10"`` then."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    n = int(len(x))
    stats = {"n": show_count(n, min_cell)}
    names = ("mean", "sd", "median", "q1", "q3", "p5", "p95")
    if too_few(n, min_cell) or n == 0:
        return {**stats, **{k: np.nan for k in names}}
    q = x.quantile([0.5, 0.25, 0.75, 0.05, 0.95]).to_numpy()
    return {**stats, "mean": float(x.mean()), "sd": float(x.std(ddof=1)) if n > 1 else np.nan,
            "median": q[0], "q1": q[1], "q3": q[2], "p5": q[3], "p95": q[4]}


# ------------------------------------------------------------------------------------------------
# the scan
# ------------------------------------------------------------------------------------------------

_TEXT_SUFFIXES = {".csv", ".json", ".ipynb", ".html", ".htm", ".md", ".txt", ".tsv", ".svg",
                  ".log", ".yaml", ".yml", ".xml", ".js", ".tex"}
_NUMBER = re.compile(r"(?<![\w.])-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
# text that holds no patient value but many digits: colours (plotly templates), base64 blobs
# (embedded PNG images, plotly bdata once decoded separately)
_NOISE = re.compile(r'"bdata"\s*:\s*"[^"]*"|' r"rgba?\([^)]*\)|hsla?\([^)]*\)|#[0-9a-fA-F]{3,8}\b|[A-Za-z0-9+/]{40,}={0,2}")
# the plotly.js library a notebook or page embeds (thousands of constants, no data)
_LIBRARY = re.compile(r"<script[^>]*>(?:(?!</script>).){0,400}?plotly\.js v\d.*?</script>", re.S)
_B64 = r'(?:[A-Za-z0-9+/=]|\\u002[fF]|\\/)+'     # base64, with "/" JSON-escaped as in HTML
_BDATA = re.compile(r'\{\s*"dtype"\s*:\s*"(?P<dtype>[a-z0-9]+)"\s*,\s*"bdata"\s*:\s*"(?P<b>' + _B64 + r')"'
                    r'|\{\s*"bdata"\s*:\s*"(?P<b2>' + _B64 + r')"\s*,\s*"dtype"\s*:\s*"(?P<dtype2>[a-z0-9]+)"')
_PLOTLY_DTYPES = {"f8": "<f8", "f4": "<f4", "i1": "<i1", "u1": "<u1", "i2": "<i2", "u2": "<u2",
                  "i4": "<i4", "u4": "<u4", "i8": "<i8", "u8": "<u8"}


def significant_digits(value: float) -> int:
    """Significant digits of a number as printed in its shortest form (trailing zeros of an integer
    do not count: 310 has 2, 306 has 3, 0.25 has 2)."""
    v = abs(float(value))
    if v == 0 or not math.isfinite(v):
        return 0
    text = repr(v)
    if "e" in text:
        text = f"{v:.17g}"
    digits = text.replace(".", "").lstrip("0")
    if float(v).is_integer():
        digits = str(int(v)).rstrip("0")
    return len(digits)


def distinctive(value: float) -> bool:
    """A value that would not turn up in an output by chance: a non-integer, or an integer with at
    least three significant digits (so 5, 60 or 100 are ignored; 306, 1025 or 12.5 are not)."""
    v = float(value)
    if not math.isfinite(v):
        return False
    return (not v.is_integer()) or significant_digits(v) >= 3


def _scan_columns(patients: pd.DataFrame, columns: Iterable[str] | None) -> list[str]:
    if columns is not None:
        return [c for c in columns if c in patients.columns]
    return [c for c in patients.columns if c != "id" and pd.api.types.is_numeric_dtype(patients[c])
            and not c.endswith("_event") and not c.startswith("ae_")]


def _values_of(patients: pd.DataFrame, columns: list[str]) -> dict[float, list[str]]:
    """Distinctive value -> the columns holding it."""
    out: dict[float, list[str]] = {}
    for col in columns:
        for v in pd.to_numeric(patients[col], errors="coerce").dropna().unique():
            v = float(v)
            if distinctive(v):
                out.setdefault(v, []).append(col)
    return out


def _decoded_arrays(text: str) -> list[np.ndarray]:
    arrays = []
    for m in _BDATA.finditer(text):
        dtype = m.group("dtype") or m.group("dtype2")
        data = (m.group("b") or m.group("b2")).replace("\\u002f", "/").replace(
            "\\u002F", "/").replace("\\/", "/")
        np_dtype = _PLOTLY_DTYPES.get(dtype)
        if np_dtype is None:
            continue
        try:
            arrays.append(np.frombuffer(base64.b64decode(data), dtype=np_dtype))
        except ValueError:
            continue
    return arrays


def _json_strings(text: str) -> list[str]:
    """Text held in a JSON document (a notebook's cells and outputs, a plotly figure's JSON inside
    an HTML page), unescaped, so that numbers written as ``\\u0033`` or split by escapes are seen."""
    out = []
    try:
        doc = json.loads(text)
    except (ValueError, TypeError):
        return out

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.append(repr(node))

    walk(doc)
    return out


def published_values(ledger) -> set[float]:
    """Every number the paper prints (the ledger's ``printed`` texts and value columns): an output
    that repeats one of them tells nothing the paper does not."""
    out: set[float] = set()
    for df in ledger.tables.values():
        for col in df.columns:
            if col in ("row_id", "quantity", "line", "note"):
                continue
            for text in df[col].astype(str):
                for m in _NUMBER.finditer(text.replace(",", "")):
                    out.add(float(m.group(0)))
    return out


def permitted_values(patients: pd.DataFrame, min_cell: int = MIN_CELL,
                     columns: Iterable[str] | None = None,
                     quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> set[float]:
    """Values the disclosure rules let an output hold although a patient may hold them too:

    * counts of patients from ``min_cell`` to the number of patients (a count cannot be told from a
      time or a laboratory value that happens to equal it);
    * the quantiles (``quantiles``, by pandas' default linear interpolation, as tableone uses) of
      every scanned column with at least ``min_cell`` values: medians and quartiles are order
      statistics, i.e. one patient's value, and are released for groups of ``min_cell`` or more.

    Pass them (with :func:`published_values`) as ``allow`` to :func:`disclosure_scan`; a Kaplan-Meier
    median and its CI limits are event times -- allow them explicitly from the table that shows
    them.
    """
    out = {float(k) for k in range(int(min_cell), len(patients) + 1)}
    for col in _scan_columns(patients, columns):
        x = pd.to_numeric(patients[col], errors="coerce").dropna()
        if len(x) >= max(int(min_cell), 1):
            out |= {float(v) for v in x.quantile(list(quantiles))}
    return out


@dataclass(frozen=True)
class Hit:
    file: str
    kind: str          # id | value
    value: str
    columns: str
    where: str         # text | bdata


def disclosure_scan(output_dir: str | Path, patients: pd.DataFrame, *,
                    columns: Iterable[str] | None = None, allow: Iterable[float] = (),
                    id_column: str = "id") -> pd.DataFrame:
    """Every patient id, and every distinctive patient value, found in the files under ``output_dir``.

    Parameters
    ----------
    output_dir : path
        A run's output folder (or any folder); every file under it is read. Binary files other than
        the text formats (PNG images) are skipped: they hold pixels, not numbers.
    patients : DataFrame
        The patient-level data the outputs were computed from.
    columns : iterable of str, optional
        The columns whose values are looked for (default: every numeric column except events and
        adverse-event grades: times, ages, laboratory values).
    allow : iterable of float
        Values an output may hold on purpose (e.g. a Kaplan-Meier median of many patients, which is
        by construction one patient's time); each one allowed is a decision to write down.
    id_column : str
        The identifier column; each id is looked for as text (ids made of digits only cannot be
        told from numbers and are not looked for).

    Returns
    -------
    DataFrame
        One row per (file, value) found: ``file``, ``kind`` (``id`` or ``value``), ``value``,
        ``columns`` (the patient columns holding it), ``where`` (``text``: a number in the text;
        ``bdata``: a plotly base64 array). Empty when nothing leaks.

    Example
    -------
    >>> hits = disclosure_scan("outputs/ncctg_lung/run", load_ncctg_lung())   # doctest: +SKIP
    >>> hits.empty                                                            # doctest: +SKIP
    True

    Numbers in the text are compared exactly (as floats, so ``306``, ``306.0`` and ``3.06e2`` are
    the same); a value is looked for only when :func:`distinctive`. Reference: see the module
    docstring (ONS 2019; Hundepool et al. 2010).
    """
    root = Path(output_dir)
    values = _values_of(patients, _scan_columns(patients, columns))
    for v in allow:
        values.pop(float(v), None)
    ids = ([str(i) for i in patients[id_column].astype(str) if str(i).strip()]
           if id_column in patients.columns else [])
    # ids made of digits only ("1", "102") cannot be told from any other number: look for the others
    ids = [i for i in ids if not re.fullmatch(r"[\d.]+", i)]
    id_pattern = (re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
                             + r")(?![\w-])") if ids else None)
    hits: set[Hit] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix.lower() not in _TEXT_SUFFIXES:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        shown = str(path.relative_to(root))
        text = _LIBRARY.sub(" ", text)
        texts = [text, *_json_strings(text)] if path.suffix.lower() in (".json", ".ipynb") else [text]
        if path.suffix.lower() in (".html", ".htm"):
            texts += [s for block in re.findall(r"<script[^>]*>(.*?)</script>", text, re.S)
                      for s in [block]]
        for chunk in (_LIBRARY.sub(" ", c) for c in texts):
            if id_pattern is not None:
                for m in id_pattern.finditer(chunk):
                    hits.add(Hit(shown, "id", m.group(1), id_column, "text"))
            for m in _NUMBER.finditer(_NOISE.sub(" ", chunk)):
                try:
                    v = float(m.group(0))
                except ValueError:
                    continue
                if v in values:
                    hits.add(Hit(shown, "value", m.group(0), ", ".join(values[v]), "text"))
            for arr in _decoded_arrays(chunk):
                for v in np.unique(arr.astype(float)):
                    if float(v) in values:
                        hits.add(Hit(shown, "value", repr(float(v)), ", ".join(values[float(v)]),
                                     "bdata"))
    cols = ["file", "kind", "value", "columns", "where"]
    rows = sorted((h.file, h.kind, h.value, h.columns, h.where) for h in hits)
    return pd.DataFrame(rows, columns=cols)


__all__ = ["MIN_CELL", "SUPPRESSED", "small_text", "is_small", "show_count", "too_few",
           "suppression_note", "suppress_rates", "default_grid", "coarsen", "cut_at_risk",
           "safe_summary", "significant_digits", "distinctive", "disclosure_scan", "Hit",
           "published_values", "permitted_values"]

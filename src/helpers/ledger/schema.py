"""The ledger's schema for the machine: one :class:`TableSpec` per CSV, the keys of ``study.yaml``,
printed dates with their precision, and the rules for printed numbers.

The same schema for people is ``data/published/README.md``; every rule here is documented there
("What the loader refuses"). :mod:`helpers.ledger.load` applies it.
"""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import date

from ..core.dates import PrintedDate, parse_date

COMMON = ("row_id", "quantity", "source", "locator", "printed")
OPTIONAL_COMMON = ("note",)
SOURCES = {"title", "byline", "declarations", "references", "abstract", "introduction", "methods",
           "results", "table", "figure", "discussion", "conclusion"}
TIME_UNITS = ("days", "weeks", "months", "years")
NOT_REACHED = "NR"
MAX_COUNT = 10 ** 9        # no count of patients is larger: a longer integer is an entry slip


@dataclass(frozen=True)
class TableSpec:
    """What one ledger CSV must hold."""

    name: str
    required: tuple[str, ...]           # columns that must exist and be non-empty in every row
    optional: tuple[str, ...] = ()      # columns that may be absent or empty
    integers: tuple[str, ...] = ()      # non-negative whole numbers, digits only
    numbers: tuple[str, ...] = ()       # a printed number (may carry <, >)
    enums: dict[str, frozenset[str]] = field(default_factory=dict)
    required_if: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (column, value, fields required)
    required_with: tuple[tuple[str, str], ...] = ()  # (column, column it needs when non-empty)
    thousands: tuple[str, ...] = ()     # number columns that may carry thousands separators
    not_reached: tuple[str, ...] = ()   # number columns that may read "NR" (not reached)
    nonnegative: tuple[str, ...] = ()   # number columns that cannot be below 0
    positive: tuple[str, ...] = ()      # number columns that must be above 0
    patterns: dict[str, tuple[str, str]] = field(default_factory=dict)  # column: (regex, what)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the file may have, in the order of the documentation."""
        seen: dict[str, None] = {}
        for col in (*COMMON, *self.required, *self.optional, *OPTIONAL_COMMON):
            seen.setdefault(col, None)
        return tuple(seen)


_RESTRICTION = (r"^[^:;]+:\s*[^:;]+(;\s*[^:;]+:\s*[^:;]+)*$",
                "'<variable>: <level>' (several joined by '; '), e.g. 'Sex: Female'")

SPECS: dict[str, TableSpec] = {
    "counts": TableSpec(
        "counts.csv",
        required=("variable", "level", "role", "denominator", "population"),
        optional=("definition", "count", "percent", "restriction"),
        integers=("count", "denominator"),
        numbers=("percent",),
        enums={"role": frozenset({"level", "rate", "total", "other"})},
        required_if=(("role", "rate", ("definition",)),),
        patterns={"restriction": _RESTRICTION},
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
        nonnegative=("sd",),
        positive=("granularity",),
    ),
    "survival": TableSpec(
        "survival.csv",
        required=("endpoint", "statistic", "center", "unit", "n", "population"),
        optional=("ci_low", "ci_high", "ci_level", "landmark", "landmark_unit"),
        integers=("n",),
        numbers=("center", "ci_low", "ci_high", "ci_level", "landmark"),
        enums={"statistic": frozenset({"median", "rate"}),
               "unit": frozenset({*TIME_UNITS, "percent"}),
               "landmark_unit": frozenset(TIME_UNITS)},
        required_with=(("landmark", "landmark_unit"), ("landmark_unit", "landmark")),
        not_reached=("center", "ci_high"),
        nonnegative=("center", "ci_low", "ci_high"),
        positive=("landmark",),
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
        thousands=("value", "value_high"),
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
        optional=("journal", "year", "volume"), integers=("number",),
        patterns={"year": (r"^\d{4}[a-z]?$", "a four-digit year as printed (e.g. 2021)")}),
    "citations": TableSpec(
        "citations.csv", required=("refs", "subject"),
        patterns={"refs": (r"^\d+(\s*[-–,]\s*\d+)*$",
                           "reference numbers as printed: '19', '42-45' or '3,5'")}),
    "authors": TableSpec(
        "authors.csv", required=("position", "name"),
        optional=("affiliations", "corresponding", "equal_contribution"), integers=("position",),
        enums={"corresponding": frozenset({"", "yes", "no"}),
               "equal_contribution": frozenset({"", "yes", "no"})},
        patterns={"affiliations": (r"^\d+(\s*;\s*\d+)*$",
                                   "affiliation numbers separated by ';' (e.g. 1;2;3)")}),
    "affiliations": TableSpec(
        "affiliations.csv", required=("number", "institution"), optional=("unit",),
        integers=("number",)),
    "contributions": TableSpec("contributions.csv", required=("role", "names")),
}
SPECS.update(TEXT_SPECS)

# Common misnamings of columns, mapped to the schema's name (the nearest-name search misses them).
ALIASES = {"pct": "percent", "perc": "percent", "percentage": "percent", "proportion": "percent",
           "p_value": "p", "pvalue": "p", "p_val": "p", "pval": "p", "p-value": "p",
           "n_patients": "n", "number": "count", "median": "center", "centre": "center",
           "mean": "center", "lower": "ci_low", "upper": "ci_high", "lcl": "ci_low", "ucl": "ci_high",
           "ci_lower": "ci_low", "ci_upper": "ci_high", "lo": "low", "hi": "high", "id": "row_id",
           "notes": "note", "comment": "note", "comments": "note", "denom": "denominator",
           "landmark_time": "landmark", "ci": "ci_level", "conf_level": "ci_level"}


def nearest_name(name: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known column (or key) an unknown ``name`` most likely means, or None.

    Case and separators are ignored first (``Count`` -> ``count``, ``CI-low`` -> ``ci_low``), then
    common misnamings (``pct`` -> ``percent``, ``p_value`` -> ``p``), then the closest spelling
    (:func:`difflib.get_close_matches`, cutoff 0.6).
    """
    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    by_norm = {norm(k): k for k in known}
    if norm(name) in by_norm:
        return by_norm[norm(name)]
    alias = ALIASES.get(name.strip().lower()) or ALIASES.get(re.sub(r"[\s-]+", "_", name.strip().lower()))
    if alias in known:
        return alias
    close = difflib.get_close_matches(name.strip().lower(), list(known), n=1, cutoff=0.6)
    return close[0] if close else None


# --------------------------------------------------------------------------- study.yaml

STUDY_KEYS_REQUIRED = ("study", "title", "n")
# key: (type check, what it must be). Keys not listed are kept but not read.
STUDY_KEYS = {
    "study": "text", "title": "text", "citation": "text", "doi": "text", "source_text": "text",
    "n": "positive integer", "alpha": "number in (0, 1)", "time_unit": "time unit",
    "accrual": "date range", "data_cutoff": "date", "software": "text",
    "km_ci_method": "km method", "disease": "text", "disease_printed": "text",
    "sites": "list of text", "regimen": "list of text", "arms": "positive integer",
}
KM_CI_METHODS = ("log", "log-log", "plain")


# --------------------------------------------------------------------------- printed dates

_DATE_SHAPE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def looks_like_date(text: str) -> bool:
    """Text shaped like ``YYYY-MM`` or ``YYYY-MM-DD`` (a bare year is also a number)."""
    m = _DATE_SHAPE.match(str(text).strip())
    return bool(m and m.group(2))


def parse_date_printed(text) -> PrintedDate:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (months and days may have one digit) into
    :class:`helpers.core.dates.PrintedDate`, the package's one date type.

    Raises ``ValueError`` saying why (month 13, 31 February, not a date at all), in the words
    the loader's messages use; the parsing itself is :func:`helpers.core.dates.parse_date`.

    >>> parse_date_printed("2020").precision, parse_date_printed("2020-06").last.day
    ('year', 30)
    """
    if isinstance(text, date):
        return parse_date(text)
    s = str(text).strip()
    m = _DATE_SHAPE.match(s)
    if not m:
        raise ValueError(f"'{s}' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) else None
    d = int(m.group(3)) if m.group(3) else None
    if mo is not None and not 1 <= mo <= 12:
        raise ValueError(f"'{s}' is not a date: month {mo} does not exist")
    if not 1000 <= y <= 2999:
        raise ValueError(f"'{s}' is not a date: year {y} is out of range")
    if d is not None and not 1 <= d <= calendar.monthrange(y, mo)[1]:
        raise ValueError(f"'{s}' is not a date: day {d} does not exist in {y}-{mo:02d}")
    canonical = f"{y:04d}" + (f"-{mo:02d}" if mo else "") + (f"-{d:02d}" if d else "")
    return replace(parse_date(canonical), text=s)


# --------------------------------------------------------------------------- printed numbers

_GROUPED = re.compile(r"^[<>≤≥=]*\s*[-+−]?\d{1,3}(,\d{3})+(\.\d+)?$")


def comma_problem(text: str, thousands_allowed: bool) -> str | None:
    """Why a number with a comma is refused (None when it has none, or when it is a correctly
    grouped number in a column that may carry thousands separators)."""
    if "," not in text:
        return None
    grouped = bool(_GROUPED.match(text.strip()))
    if grouped and thousands_allowed:
        return None
    if grouped:
        plain = text.replace(",", "")
        return (f"'{text}' has a thousands separator, which this column does not allow: enter "
                f"the digits only ('{plain}'), or, if the comma is a decimal comma, with a point")
    if re.fullmatch(r"\s*[-+]?\d+,\d+\s*", text):
        return (f"'{text}' has a comma that is not a thousands separator (groups after a comma "
                f"have three digits): a decimal comma? Enter a point ('{text.replace(',', '.')}'), "
                f"or the number exactly as printed")
    return f"'{text}' has a comma and is not one number"

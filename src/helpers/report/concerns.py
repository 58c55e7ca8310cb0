"""Findings weighed into concerns: what a referee writes, one point per printed object and problem.

The grouping rule
-----------------
A *concern* is the set of flagged findings (inconsistent, implausible, impossible) that share

* **one problem**, read from the finding's check family and category (:data:`PROBLEMS`, first
  match wins): model estimates (families ``hazard`` and ``survival``), arithmetic (``arithmetic``,
  ``means``, ``sampling``), contradictions between appearances (``appearances``), rounding (any
  finding of category ``rounding`` that is not ``impossible``), design, plausibility,
  bibliography, patient data;
* **one printed object**, named by the problem's object rule: the *table* that prints the
  estimates (``Table 3``) for model estimates; the *quantity family* (the first part of the
  quantity key: the response rates with their subgroups, the baseline table, the adverse events)
  for arithmetic, plausibility, bibliography and patient data; the *quantity* itself for design
  statements; the *whole paper* for contradictions (each finding is already one quantity with its
  appearances) and for rounding (one rule for the paper).

Findings of one table therefore count as one concern, never as independent evidence. The distinct
checks inside a concern are its *lines of evidence*, each with its count and strongest verdict.

A concern's severity is the most severe of its findings, its strength the strongest, its weight
the heaviest (:mod:`helpers.core.evidence`). Concerns are ranked by severity; then by weight (a
claim the conclusions rest on before a supporting table); then by strength; then what the paper
says against itself before what rests on cited knowledge; then by INSPECT-SR domain, results (4)
before text (3) before conduct (2); then by number of lines of evidence and of findings (then
where they are printed, for a stable order) -- never by check name -- except that, with
patient-level data, a cohort that does not match the paper leads: every other comparison with
those data is about another cohort.

Titles, one-line summaries and requests come from templates keyed by problem and area; every
number in them is taken from the findings or the ledger (the cohort size ``n``), never typed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import pandas as pd

from ..core.evidence import (ASSUMPTIONS, FLAGGED, SEVERITY_RANK, STRENGTH_RANK, WEIGHTS,
                             strength_of, weight_of)
from ..core.findings import COLUMNS, Finding, findings_frame
from ..ledger.select import records

WEIGHT_RANK = {w: i for i, w in enumerate(WEIGHTS)}
VERDICT_STRENGTH = {"impossible": 0, "inconsistent": 1, "implausible": 2}


@dataclass(frozen=True)
class Problem:
    """One kind of problem: which findings it takes, how it names the printed object."""

    key: str
    families: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    objects: str = "family"          # table | family | quantity | paper
    items: tuple[str, ...] = ()      # checklist items when the findings carry none


PROBLEMS: tuple[Problem, ...] = (
    Problem("patient_data", families=("patient_level",), categories=("patient_data",),
            objects="family", items=("4.6", "R:statistics")),
    Problem("rounding", categories=("rounding",), objects="paper", items=("4.8", "R:errors")),
    Problem("model", families=("hazard", "survival"), objects="table", items=("4.9", "R:statistics")),
    Problem("contradiction", families=("appearances",), categories=("contradiction",),
            objects="paper", items=("4.10", "R:errors")),
    Problem("arithmetic", families=("arithmetic", "means", "sampling"), objects="family",
            items=("4.6", "4.8", "R:statistics")),
    Problem("design", families=("design",), categories=("design",), objects="quantity",
            items=("4.1", "2.5", "R:conduct")),
    Problem("plausibility", families=("plausibility",), categories=("plausibility",),
            objects="family", items=("3.1", "4.3", "4.4", "R:conduct")),
    Problem("bibliography", families=("bibliography",), categories=("bibliography",),
            objects="family", items=("3.1", "R:authorship")),
)
_BY_KEY = {p.key: p for p in PROBLEMS}

# Families of checks whose findings predate the contract (no ``family`` column): from the area.
_AREA_FAMILY = {"cox": "hazard", "survival": "survival"}
_CATEGORY_FAMILY = {"contradiction": "appearances", "design": "design",
                    "plausibility": "plausibility", "bibliography": "bibliography",
                    "patient_data": "patient_level"}

AREA_WORDS = {"baseline": "baseline characteristics", "efficacy": "response rates",
              "survival": "survival results", "cox": "hazard ratios",
              "toxicity": "adverse-event figures", "design": "design statements",
              "text": "text"}
FAMILY_WORDS = {"response": "response rates", "baseline": "baseline characteristics",
                "treatment": "treatment figures", "survival": "survival results",
                "ae": "adverse-event figures", "cox": "hazard ratios", "direction": "hazard ratios",
                "design": "design statements", "cohort": "cohort", "term": "clinical vocabulary",
                "regimen": "treatment regimen", "claim": "statements about the treatment",
                "reference": "reference list", "citation": "citations",
                "author": "authorship", "affiliation": "affiliations",
                "contribution": "contribution statements", "background": "background figures"}

# Quantity families that are one printed object for a referee: the citing sentences belong to the
# reference list; affiliations and contribution roles to the authorship statement.
OBJECT_ALIASES = {"citation": "reference", "affiliation": "author", "contribution": "author"}

# Short column headers of the exemplar table for a few lines of evidence (else the line's words).
EXEMPLAR_HEADERS = {"p_from_ci": "p implied by the CI", "ci_width_bound": "narrowest CI possible",
                    "hr_direction": "what the text implies", "ci_symmetry": "centre the CI implies"}
EXEMPLAR_ROWS = 8


@dataclass
class Line:
    """One line of evidence: the findings of one check inside a concern."""

    check: str
    words: str
    count: int
    verdict: str            # the strongest verdict among them
    strength: str


@dataclass
class Concern:
    """Flagged findings on one printed object with one problem (see the module docstring)."""

    problem: str
    object: str
    area: str
    title: str
    summary: str
    findings: pd.DataFrame
    lines: list[Line]
    exemplar: pd.DataFrame
    assumptions: tuple[str, ...]
    severity: str
    strength: str
    weight: str
    request: str
    items: tuple[str, ...]
    evidence: str = ""
    leads: bool = False
    rank: int = 0
    places: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_findings(self) -> int:
        return int(len(self.findings))

    @property
    def verdict(self) -> str:
        return min(self.findings["verdict"], key=lambda v: VERDICT_STRENGTH.get(v, 9))

    @property
    def assumption_words(self) -> list[str]:
        return [ASSUMPTIONS[a].words for a in self.assumptions]

    @property
    def domain(self) -> int:
        """The highest INSPECT-SR domain among the concern's items (4 results, 3 text and
        publication details, 2 conduct); 0 when it names none."""
        return max((int(i.split(".")[0]) for i in self.items if re.match(r"\d+\.", i)), default=0)

    @property
    def external(self) -> bool:
        """True when the concern rests on cited knowledge rather than on the paper alone."""
        return any(a.startswith("knowledge_base") for a in self.assumptions)

    def sort_key(self) -> tuple:
        return (0 if self.leads else 1, SEVERITY_RANK[self.severity], WEIGHT_RANK[self.weight],
                STRENGTH_RANK[self.strength], self.external, -self.domain, -len(self.lines),
                -self.n_findings, "; ".join(self.places), self.title)


# --------------------------------------------------------------------------------------------
# Preparing findings (also those of runs that predate the contract's columns)
# --------------------------------------------------------------------------------------------

def as_frame(findings) -> pd.DataFrame:
    """Findings as a text table with every column of :data:`COLUMNS` (missing ones filled in:
    family from the registry or the area, strength and weight from the evidence rules)."""
    if isinstance(findings, pd.DataFrame):
        df = findings.copy()
    else:
        items = list(findings)
        df = (findings_frame(items) if items and isinstance(items[0], Finding)
              else pd.DataFrame(items))
    df = df.reindex(columns=list(COLUMNS), fill_value="").fillna("").astype(str)
    if len(df):
        df["family"] = [fam or _family_of(check, area, cat)
                        for fam, check, area, cat in zip(df["family"], df["check"], df["area"],
                                                         df["category"])]
        df["strength"] = [s or strength_of(_split(a)) for s, a in zip(df["strength"], df["assumptions"])]
        df["weight"] = [w or weight_of(q, _split(loc, ";"))
                        for w, q, loc in zip(df["weight"], df["quantity"], df["locators"])]
    return df.reset_index(drop=True)


def _split(text: str, sep: str = ";") -> list[str]:
    return [t.strip() for t in str(text).split(sep) if t.strip()]


def _family_of(check: str, area: str, category: str) -> str:
    try:
        from ..checks import registry
        if check in registry.REGISTRY:
            return registry.REGISTRY[check].family
    except ImportError:  # pragma: no cover - the report never needs the checks to import
        pass
    return _AREA_FAMILY.get(area) or _CATEGORY_FAMILY.get(category) or "arithmetic"


def problem_of(family: str, category: str, verdict: str) -> str:
    """The problem a finding belongs to: rounding first (a ``rounding`` finding that is not
    ``impossible``), then contradiction (a finding of category ``contradiction`` outside the model
    estimates, whose table keeps its own: two printed numbers about one quantity that cannot both
    be right, whichever check found them), then the
    first problem of :data:`PROBLEMS` naming its family, then the first naming its category; else
    arithmetic."""
    if category == "rounding" and verdict != "impossible":
        return "rounding"
    if category == "contradiction" and family not in _BY_KEY["model"].families:
        return "contradiction"
    for p in PROBLEMS:
        if p.key != "rounding" and family in p.families:
            return p.key
    for p in PROBLEMS:
        if p.key != "rounding" and category in p.categories:
            return p.key
    return "arithmetic"


def items_of(df: pd.DataFrame) -> list[tuple[str, ...]]:
    """The checklist items of each finding: its ``items``, or its problem's default items for
    findings of runs that predate the contract."""
    out = []
    for text, fam, cat, v in zip(df["items"], df["family"], df["category"], df["verdict"]):
        out.append(tuple(_split(text)) or _BY_KEY[problem_of(fam, cat, v)].items)
    return out


@lru_cache(maxsize=1 << 16)
def place_of(locator: str) -> str:
    """Where a locator points, coarsely: ``Table 3 / Age`` -> ``Table 3``, ``Results 3.2 ¶1`` ->
    ``Results``."""
    head = str(locator).split(" / ")[0].strip()
    if re.match(r"(?i)(supplementary\s+)?(table|figure|fig\.)\s", head):
        return " ".join(head.split()[:3 if head.lower().startswith("supp") else 2])
    word = re.split(r"[\s¶(,:;]", head, maxsplit=1)[0]
    return word.capitalize() if word else ""


def _places(locators: Iterable[str]) -> list[str]:
    out = []
    for loc in locators:
        for one in _split(loc):
            p = place_of(one)
            if p and p not in out:
                out.append(p)
    return out


def object_of(problem: str, row: pd.Series) -> str:
    rule = _BY_KEY[problem].objects
    if rule == "paper":
        return "paper"
    if rule == "quantity":
        return row["quantity"] or row["item"]
    head = str(row["quantity"]).split(".", 1)[0]
    head = OBJECT_ALIASES.get(head, head)
    if rule == "table":
        tables = [p for p in _places([row["locators"]]) if re.match(r"(?i)(supp|table|fig)", p)]
        return tables[0] if tables else (_places([row["locators"]]) or [head])[0]
    return head or row["area"]


# --------------------------------------------------------------------------------------------
# Plain words: labels for quantity keys, text without internal ids or file names
# --------------------------------------------------------------------------------------------

_LABEL_FIELDS = (("variable", "level"), ("event", "grade_band"), ("endpoint", "statistic"),
                 ("term",), ("component", "attribute"), ("parameter",), ("subject",))


def quantity_labels(ledger) -> dict[str, str]:
    """A plain label for each quantity key of the ledger (``Sex: Male``, ``Rash, grade >=3``),
    from the first row that prints it."""
    labels: dict[str, str] = {}
    if ledger is None:
        return labels
    for df in getattr(ledger, "tables", {}).values():
        if df is None or df.empty or "quantity" not in df.columns:
            continue
        for fields in _LABEL_FIELDS:
            if not set(fields) <= set(df.columns):
                continue
            for r in records(df):
                q = str(r["quantity"])
                vals = [str(r[f]).strip() for f in fields if str(r[f]).strip()]
                if q in labels or not vals:
                    continue
                if fields == ("event", "grade_band") and len(vals) == 2:
                    labels[q] = f"{vals[0]}, grade {vals[1]}"
                else:
                    labels[q] = ": ".join(dict.fromkeys(vals))
            break
    return labels


_KEY = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.[a-z0-9]+(?:_[a-z0-9]+)*)+"
_FILE = re.compile(r"(?:\b|/)[\w./-]*\.(?:csv|ya?ml|json|py|ipynb|md|txt|html)\b")


class Plain:
    """Turns finding text into referee text: quantity keys become labels, file names and row ids
    are dropped, whitespace is normalised."""

    def __init__(self, ledger=None):
        self.labels = quantity_labels(ledger)
        ids: set[str] = set(self.labels)
        if ledger is not None:
            for df in getattr(ledger, "tables", {}).values():
                if df is not None and "row_id" in getattr(df, "columns", ()):
                    ids |= set(df["row_id"].astype(str))
        self.ids = {i for i in ids if ("." in i or "_" in i)}
        self._memo: dict[str, str] = {}

    def label(self, quantity: str) -> str:
        q = str(quantity)
        if q in self.labels:
            return self.labels[q]
        parts = q.split(".")[1:] or [q]
        words = " ".join(p.replace("_", " ") for p in parts)
        words = re.sub(r"\bge(\d)", r">=\1", re.sub(r"\blt(\d)", r"<\1", words))
        return words[:1].upper() + words[1:]

    def __call__(self, text) -> str:
        key = str(text)
        if key not in self._memo:
            self._memo[key] = self._plain(key)
        return self._memo[key]

    def _plain(self, text: str) -> str:
        text = " ".join(text.split())
        text = re.sub(r"\s*\[(" + _KEY + r")(?:,\s*" + _KEY + r")*\]", "", text)
        text = re.sub(r"\b(?:from|in|see)\s+" + _FILE.pattern, "", text)
        text = _FILE.sub("", text)

        def swap(m):
            key = m.group(0)
            if key in self.labels:
                return self.labels[key]
            if key in self.ids:
                return ""
            return key

        text = re.sub(r"(?<![\w.])" + _KEY + r"(?![\w.])", swap, text)
        text = re.sub(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", lambda m: m.group(0).replace("_", " "), text)
        text = re.sub(r"\(\s*(?:,\s*)*\)", "", text)
        text = re.sub(r"\s+([,.;:)])", r"\1", text)
        return " ".join(text.split()).strip()


def lower_first(text: str) -> str:
    """``Percentages against counts`` -> ``percentages against counts``; ``CI width`` stays."""
    text = str(text)
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def lower_disease(name: str) -> str:
    """``Hepatocellular carcinoma`` -> ``hepatocellular carcinoma``; ``Advanced Non-Small Cell
    Lung Cancer`` -> ``advanced non-small cell lung cancer``; acronyms (``NSCLC``) stay."""
    return " ".join(w if (w.isupper() and len(w) > 1) else w.lower() for w in str(name).split())


def first_sentence(text: str, max_words: int = 40) -> str:
    """The first sentence of ``text``; past ``max_words`` it ends at the last clause boundary
    (``;`` or ``:``) within the limit, else at the limit with an ellipsis."""
    text = " ".join(str(text).split())
    m = re.search(r"(?<=[.!?])\s+(?=[A-Z(])", text)
    head = text[: m.start()] if m else text
    words = head.split()
    if len(words) > max_words:
        cut = " ".join(words[:max_words])
        k = max(cut.rfind("; "), cut.rfind(": "))
        if k > len(cut) // 3 and cut[:k].count("(") == cut[:k].count(")"):
            return cut[:k].rstrip(",;: ") + "."
        if cut.count("(") > cut.count(")"):          # never end inside a parenthesis
            cut = cut[:cut.rfind("(")]
        head = cut.rstrip(",;: ") + " …"
    return head


# --------------------------------------------------------------------------------------------
# Titles, summaries and requests (templates keyed by problem and area)
# --------------------------------------------------------------------------------------------

def _what(concern_area: str, obj: str) -> str:
    return FAMILY_WORDS.get(obj) or AREA_WORDS.get(concern_area) or "figures"


def _title(problem: str, obj: str, df: pd.DataFrame, meta: dict, plain: Plain) -> str:
    impossible = (df["verdict"] == "impossible").any()
    n = meta.get("n")
    n_words = f" fitted to these {n} patients" if n not in (None, "") else ""
    area = df["area"].iloc[0]
    what = _what(area, obj)
    if problem == "model":
        hazard = (df["family"] == "hazard").any()
        only_text = set(df["category"]) <= {"contradiction"}
        if hazard and only_text:
            return f"The hazard ratios in {obj} point the opposite way from what the text says"
        if hazard:
            verb = "cannot have come" if impossible else "are hard to reconcile with what would come"
            return f"The hazard ratios in {obj} {verb} from a Cox model{n_words}"
        verb = "cannot be" if impossible else "do not look like"
        return f"The survival results in {obj} {verb} the output of a Kaplan-Meier analysis{n_words}"
    if problem == "arithmetic":
        if impossible:
            return f"The {what} cannot be obtained from the numbers of patients the paper states"
        return f"The {what} do not add up"
    if problem == "contradiction":
        k = df["quantity"].replace("", pd.NA).dropna().nunique() or len(df)
        places = ", ".join(_places(df["locators"])[:4])
        if k == 1:
            return (f"The paper prints two different values for "
                    f"{plain.label(df['quantity'].iloc[0]) or plain(df['item'].iloc[0])}")
        return f"The paper contradicts itself on {k} results ({places})"
    if problem == "rounding":
        return "Percentages are rounded by more than one rule"
    if problem == "design":
        label = plain(df["item"].iloc[0]) or plain.label(obj)
        return f"The results do not fit the stated design ({lower_first(label)})"
    if problem == "plausibility":
        stated = meta.get("disease_printed") or meta.get("disease")
        pointed = [m.group(1) for m in (re.match(r"(?i)vocabulary of (.+)$", plain(i).strip())
                                        for i in df["item"]) if m]
        if obj == "term" and pointed and len(pointed[0]) <= 60:
            return (f"The clinical vocabulary describes {lower_disease(pointed[0])}"
                    + (f", not {lower_disease(stated)}" if stated else ""))
        return f"The {what} do not fit what is known of the disease and the treatment"
    if problem == "bibliography":
        if obj in ("author", "affiliation", "contribution"):
            return "The authorship, affiliation and contribution statements raise questions"
        return "The reference list does not support what it is cited for"
    if problem == "patient_data":
        if obj == "cohort":
            return "The patient-level data are not the cohort the paper describes"
        return f"The patient-level data do not reproduce the {what}"
    return f"The {what} raise a question"


def _request(problem: str, obj: str, df: pd.DataFrame, meta: dict, plain: Plain) -> str:
    software = meta.get("software")
    output = f"the {software} output" if software else "the analysis output"
    places = ", ".join(_places(df["locators"])[:4]) or "the places listed"
    if problem == "model":
        if (df["family"] == "hazard").any():
            return (f"Please provide {output} of every model in {obj} (coefficients, standard "
                    "errors, the number of patients and events in each group) together with the "
                    "patient-level data, and correct the table and the text that describes it.")
        return ("Please provide the Kaplan-Meier curves with the numbers at risk, the number of "
                "events, the data cut-off date and the median follow-up.")
    if problem == "arithmetic":
        return (f"Please give the count and the denominator behind every rate in {places}, and "
                "correct those that no count can produce.")
    if problem == "contradiction":
        return ("Please state which value of each pair is correct and correct every place that "
                "prints the other.")
    if problem == "rounding":
        return "Please state the rounding rule used and apply it throughout."
    if problem == "design":
        return ("Please explain how the results fit the design stated in the methods, or correct "
                "the methods.")
    if problem == "plausibility":
        return ("Please confirm the disease, the population and the regimen the data describe, and "
                "explain each feature that belongs to another disease or regimen.")
    if problem == "bibliography":
        if obj in ("author", "affiliation", "contribution"):
            return ("Please state each author's affiliation and actual contribution to this study.")
        return ("Please check every reference against the statement it is cited for, and remove "
                "duplicated or unrelated references.")
    if problem == "patient_data":
        if obj == "cohort":
            return ("Please explain how the patient-level data relate to the cohort reported, and "
                    "provide the data the paper analysed.")
        return f"Please provide the data and {output} that produce these results."
    return "Please correct or explain these values."


def line_words(check: str, section: str, category: str) -> str:
    try:
        from ..checks import registry
        if check in registry.REGISTRY and registry.REGISTRY[check].title:
            return registry.REGISTRY[check].title.rstrip(".")
    except ImportError:  # pragma: no cover
        pass
    words = re.sub(r"^\s*\d+\s*[·.:-]\s*", "", str(section)).strip()
    return words or {"statistical": "statistical feasibility", "arithmetic": "arithmetic",
                     "contradiction": "agreement between appearances",
                     "rounding": "rounding"}.get(category, category)


def _exemplar(df: pd.DataFrame, lines: list[Line], plain: Plain, max_rows: int,
              problem: str = "") -> pd.DataFrame:
    """One row per item (printed value), one column per line of evidence (what it recomputes).
    For contradictions between appearances the printed values, with their places, are the
    evidence: no column is added."""
    headers = {ln.check: EXEMPLAR_HEADERS.get(ln.check, ln.words) for ln in lines}
    rows, order = {}, []
    for f in records(df):
        key = plain(f["item"]) or plain.label(f["quantity"])
        if key not in rows:
            rows[key] = {"item": key, "printed": ""}
            order.append(key)
        printed = plain(f["printed"]).replace(" | ", "; ")
        if not rows[key]["printed"] or (f["category"] != "contradiction"
                                        and len(printed) < len(rows[key]["printed"])):
            rows[key]["printed"] = printed
        if problem == "contradiction":
            continue
        col = headers[f["check"]]
        cell = plain(f["expected"]).replace(" | ", "; ") or f["verdict"]
        rows[key].setdefault(col, cell)
    cols = ["item", "printed"] + ([] if problem == "contradiction" else
                                  list(dict.fromkeys(headers[ln.check] for ln in lines)))
    table = pd.DataFrame([rows[k] for k in order], columns=cols).fillna("")
    filled = (table[cols[1:]] != "").sum(axis=1)      # rows with more lines of evidence first
    table = table.assign(_k=-filled).sort_values("_k", kind="mergesort").drop(columns="_k")
    return table.head(max_rows).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Grouping and ranking
# --------------------------------------------------------------------------------------------

def group_concerns(findings, ledger=None, *, meta: dict | None = None,
                   max_rows: int = EXEMPLAR_ROWS) -> list[Concern]:
    """The concerns of a run's findings, ranked (see the module docstring for the rule).

    Parameters
    ----------
    findings : DataFrame or iterable of Finding
        A run's findings (``findings.csv`` read as text, or ``Finding`` records).
    ledger : Ledger, optional
        The study's ledger: labels for quantity keys and the cohort size in titles.
    meta : dict, optional
        ``study.yaml`` values when no ledger is given.
    max_rows : int
        Rows of each concern's exemplar table.

    Returns
    -------
    list of Concern
        Most serious first, numbered from 1 in ``rank``.

    Example
    -------
    >>> from helpers.core.findings import Finding
    >>> f = Finding(study="toy", area="efficacy", check="x", item="ORR", verdict="inconsistent",
    ...             category="contradiction", locators=("Table 2 / ORR", "Abstract"),
    ...             printed="41.3% vs 43.8%", expected="one value", explanation="differ",
    ...             quantity="response.orr", family="appearances")
    >>> [c.title for c in group_concerns([f])]
    ['The paper prints two different values for Orr']
    """
    df = as_frame(findings)
    meta = dict(meta or {}) if ledger is None else {**(meta or {}), **ledger.meta}
    plain = Plain(ledger)
    flagged = df[df["verdict"].isin(FLAGGED)].copy()
    if flagged.empty:
        return []
    flagged["problem"] = [problem_of(fam, cat, v) for fam, cat, v in
                          zip(flagged["family"], flagged["category"], flagged["verdict"])]
    flagged["object"] = [object_of(p, r) for p, r in zip(flagged["problem"], records(flagged))]
    flagged = flagged.assign(_s=flagged["severity"].map(SEVERITY_RANK).fillna(9),
                             _t=flagged["strength"].map(STRENGTH_RANK).fillna(9),
                             _v=flagged["verdict"].map(VERDICT_STRENGTH).fillna(9))
    flagged = flagged.sort_values(["_s", "_t", "_v", "locators", "item"], kind="mergesort")
    out = []
    for (problem, obj), group in flagged.groupby(["problem", "object"], sort=False):
        group = group.drop(columns=["_s", "_t", "_v"]).reset_index(drop=True)
        lines = []
        for check, g in group.groupby("check", sort=False):
            best = min(g["verdict"], key=lambda v: VERDICT_STRENGTH.get(v, 9))
            lines.append(Line(check=check, words=line_words(check, g["section"].iloc[0],
                                                             g["category"].iloc[0]),
                              count=len(g), verdict=best,
                              strength=min(g["strength"], key=STRENGTH_RANK.__getitem__)))
        assumptions = tuple(sorted({a for text in group["assumptions"] for a in _split(text)}
                                   - {"arithmetic"}))
        items = tuple(dict.fromkeys(i for its in items_of(group) for i in its))
        top = group.iloc[0]
        summary = first_sentence(plain(top["explanation"])) or plain(top["expected"])
        label = plain(top["item"]) or plain.label(top["quantity"])
        if label and label.lower() not in summary.lower():
            summary = f"{label}: {summary}"
        if problem == "contradiction" and group["quantity"].nunique() > 1:
            summary = ("Each row below is one result printed twice with values that cannot both "
                       "be right (a count with a percentage it does not give, or two places that "
                       "disagree).")
        from .pages import evidence_href
        c = Concern(problem=problem, object=obj, area=top["area"],
                    title=_title(problem, obj, group, meta, plain), summary=summary,
                    findings=group, lines=lines, exemplar=_exemplar(group, lines, plain, max_rows, problem),
                    assumptions=assumptions,
                    severity=min(group["severity"], key=SEVERITY_RANK.__getitem__),
                    strength=min(group["strength"], key=STRENGTH_RANK.__getitem__),
                    weight=min(group["weight"], key=WEIGHT_RANK.__getitem__),
                    request=_request(problem, obj, group, meta, plain), items=items,
                    evidence=evidence_href(top["notebook"], top["section"]),
                    leads=(problem == "patient_data" and obj == "cohort"),
                    places=tuple(_places(group["locators"])))
        out.append(c)
    out.sort(key=Concern.sort_key)
    for i, c in enumerate(out, start=1):
        c.rank = i
    return out


def concerns_frame(concerns: list[Concern]) -> pd.DataFrame:
    """The concerns as a table: rank, title, severity, strength, weight, lines, findings, request."""
    cols = ["rank", "title", "severity", "strength", "weight", "lines", "findings", "places",
            "items", "request", "evidence"]
    return pd.DataFrame([{"rank": c.rank, "title": c.title, "severity": c.severity,
                          "strength": c.strength, "weight": c.weight, "lines": len(c.lines),
                          "findings": c.n_findings, "places": ", ".join(c.places),
                          "items": ", ".join(c.items), "request": c.request,
                          "evidence": c.evidence} for c in concerns], columns=cols)


def shown_lines(concern: Concern) -> list[Line]:
    """The lines of evidence as a reader sees them: lines described by the same words are merged
    (their counts added, the strongest verdict kept)."""
    merged: dict[str, Line] = {}
    for ln in concern.lines:
        if ln.words in merged:
            m = merged[ln.words]
            best = min((m.verdict, ln.verdict), key=lambda v: VERDICT_STRENGTH.get(v, 9))
            merged[ln.words] = Line(m.check, m.words, m.count + ln.count, best,
                                    min((m.strength, ln.strength), key=STRENGTH_RANK.__getitem__))
        else:
            merged[ln.words] = ln
    return list(merged.values())


def lines_sentence(concern: Concern) -> str:
    """``It rests on 3 lines of evidence: ... (12 findings, impossible); ...``"""
    lines = shown_lines(concern)
    parts = [f"{lower_first(ln.words)} ({ln.count} "
             f"{'finding' if ln.count == 1 else 'findings'}, {ln.verdict})" for ln in lines]
    k = len(lines)
    head = "one line of evidence" if k == 1 else f"{k} lines of evidence"
    return f"It rests on {head}: " + "; ".join(parts) + "."

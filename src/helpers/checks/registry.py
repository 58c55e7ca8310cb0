"""The check contract: every check is one registered :class:`Check` of the same shape.

A check takes a :class:`Context` (the study's ledger, the run's settings, the rounding policy, the
scope of quantity prefixes a notebook section looks at, and patient data where it needs them) and
returns :class:`~helpers.core.findings.Finding` records, one per item tested. It declares

* its ``name`` (unique) and ``family`` (the module that holds it);
* the ledger tables it ``reads`` (a ledger without rows in them, within the scope, makes the check
  *not applicable*, with that reason, never a crash); ``"patients"`` for patient-level data;
* the ``assumptions`` its verdicts may rest on (keys of
  :data:`helpers.core.evidence.ASSUMPTIONS`); each finding names the subset its own verdict rests
  on, so strength and severity are properties of the check's evidence, not of the layer that
  called it;
* the trustworthiness-checklist ``items`` it informs (INSPECT-SR item ids such as ``"4.9"``, or
  REAPPRAISED categories ``"R:<name>"``; see ``data/knowledge/checklists/``);
* its method's ``reference``, a one-line ``title``, an optional ``formula``;
* a must-pass and a must-flag :class:`Example`, run by the test suite for every registered check.

:func:`run_check` and :func:`run_family` isolate faults: a check that raises costs only its own
output; the run records ``failed`` with the error, and the runner reports it.

Example
-------
>>> from helpers.checks import registry
>>> registry.load_all()                                   # doctest: +SKIP
>>> registry.catalogue().head()                           # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from ..core.evidence import ASSUMPTIONS, CATEGORIES, check_assumptions
from ..core.findings import Finding, findings_frame

# The modules that register checks, in the order a reader meets them. Importing a module
# registers its checks; :func:`load_all` imports them all.
FAMILY_MODULES: dict[str, str] = {
    "arithmetic": "helpers.checks.arithmetic",
    "appearances": "helpers.checks.appearances",
    "means": "helpers.checks.means",
    "sampling": "helpers.checks.sampling",
    "design": "helpers.checks.design",
    "hazard": "helpers.checks.hazard",
    "survival": "helpers.checks.survival",
    "patient_level": "helpers.checks.patient_level",
    "plausibility": "helpers.checks.plausibility",
    "bibliography": "helpers.checks.bibliography",
}

# Tables a check may read: the ledger's CSV kinds, ``meta`` (study.yaml) and ``patients``.
READABLE = ("counts", "summaries", "survival", "hazard_ratios", "adverse_events", "statements",
            "design", "terms", "regimen", "claims", "references", "citations", "authors",
            "affiliations", "contributions", "meta", "patients", "knowledge")

_TABLE_WORDS = {
    "counts": "counts or percentages", "summaries": "means, medians or SDs",
    "survival": "survival medians or rates", "hazard_ratios": "hazard ratios",
    "adverse_events": "adverse-event counts", "statements": "statements of prognosis",
    "design": "design statements", "terms": "clinical vocabulary", "regimen": "treatment details",
    "claims": "text claims", "references": "reference list", "citations": "citing sentences",
    "authors": "author list", "affiliations": "affiliations", "contributions": "contribution roles",
    "meta": "study description", "patients": "patient-level data", "knowledge": "knowledge base",
}


class ContractError(ValueError):
    """A check or a finding breaks the contract (a programming error, caught by the tests)."""


@dataclass(frozen=True)
class Settings:
    """The run's settings every check may read (the notebooks' parameters)."""

    rounding: str = "auto"
    alpha: float | None = None      # None: the level the study states (None if it states none)
    seed: int = 12345
    ci_method: str = "log"
    extra: dict = field(default_factory=dict)


@dataclass
class Context:
    """What a check gets: the ledger, the settings, the rounding policy, the scope, patient data.

    ``scope`` is a tuple of quantity prefixes (``("baseline.",)``) or None for the whole ledger.
    ``patients`` is a :class:`helpers.cohort.ipd.PatientData`-like object with ``data`` and
    ``synthetic`` attributes, or None.
    """

    ledger: Any
    settings: Settings = field(default_factory=Settings)
    scope: tuple[str, ...] | None = None
    patients: Any = None
    _policy: Any = None

    @property
    def study(self) -> str:
        return self.ledger.study

    @property
    def policy(self):
        """The study's rounding policy (:mod:`helpers.checks.policy`), resolved once."""
        if self._policy is None:
            from .policy import resolve_policy
            self._policy = resolve_policy(self.ledger, self.settings.rounding)
        return self._policy

    @property
    def rule(self) -> str:
        """The study-wide rounding rule the policy resolves ``settings.rounding`` to."""
        return self.policy.rule

    @property
    def alpha(self) -> float | None:
        if self.settings.alpha is not None:
            return float(self.settings.alpha)
        stated = self.ledger.meta.get("alpha")
        return None if stated in (None, "") else float(stated)

    def table(self, name: str) -> pd.DataFrame:
        """The rows of a ledger table within the scope (all rows when the scope is None)."""
        df = self.ledger.tables.get(name)
        if df is None:
            return pd.DataFrame()
        if self.scope is None or df.empty or "quantity" not in df.columns:
            return df
        return df[df["quantity"].astype(str).str.startswith(tuple(self.scope))]

    def with_scope(self, scope: Sequence[str] | str | None) -> "Context":
        scope = (scope,) if isinstance(scope, str) else (tuple(scope) if scope else None)
        return Context(self.ledger, self.settings, scope, self.patients, self._policy)


@dataclass(frozen=True)
class Example:
    """A small ledger a check must pass (``expect="pass"``) or flag (``expect="flag"``).

    ``tables`` maps a ledger table name to a list of row dicts (only the fields that matter; the
    common columns are filled in: ``row_id``, ``quantity`` from ``scope`` when absent, ``source``
    ``table``, ``locator``, ``printed``). ``meta`` adds to a minimal ``study.yaml`` (``n``).
    ``patients`` is a callable returning a patient-level DataFrame, for checks that read them.
    """

    expect: str
    tables: dict[str, list[dict]] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    scope: tuple[str, ...] | None = None
    patients: Callable[[], pd.DataFrame] | None = None
    note: str = ""

    def __post_init__(self):
        if self.expect not in ("pass", "flag"):
            raise ContractError(f"Example.expect must be 'pass' or 'flag', not '{self.expect}'")

    def context(self) -> Context:
        from ..ledger.load import ledger_from_tables
        ledger = ledger_from_tables("example", self.meta, self.tables)
        patients = None
        if self.patients is not None:
            patients = _ExamplePatients(self.patients())
        return Context(ledger, Settings(**self.settings), self.scope, patients)


@dataclass
class _ExamplePatients:
    data: pd.DataFrame
    synthetic: bool = False
    source: str = "example"


@dataclass(frozen=True)
class Check:
    """One registered check (see the module docstring for the contract)."""

    name: str
    family: str
    func: Callable[[Context], Iterable[Finding]]
    title: str
    reads: tuple[str, ...]
    assumptions: tuple[str, ...]
    items: tuple[str, ...]
    reference: str
    category: str
    examples: tuple[Example, ...]
    formula: str = ""
    needs_all: bool = False          # True: every table in ``reads`` must have rows; else any

    def applicable(self, ctx: Context) -> str | None:
        """None when the check can run on ``ctx``; else the reason it is not applicable.

        ``patients``, ``meta`` and ``knowledge`` are preconditions (real patient data must be
        given; the other two are always there); ``needs_all`` (all) or not (any) applies to the
        ledger tables the check reads, within the scope.
        """
        if "patients" in self.reads:
            if ctx.patients is None:
                return "no patient-level data were given"
            if getattr(ctx.patients, "synthetic", False):
                return "the patient data are a synthetic cohort (findings only from real data)"
        tables = [t for t in self.reads if t not in ("patients", "meta", "knowledge")]
        if not tables:
            return None
        present = [len(ctx.table(t)) > 0 for t in tables]
        if (all if self.needs_all else any)(present):
            return None
        missing = [t for t, p in zip(tables, present) if not p]
        where = " in this section" if ctx.scope else ""
        return "the paper prints no " + " or ".join(_TABLE_WORDS.get(t, t) for t in missing) + where

    def run(self, ctx: Context) -> list[Finding]:
        """Run on ``ctx`` and stamp every finding with this check's name, family and items.

        With a scope, only findings whose ``quantity`` lies in the scope are returned.

        Raises :class:`ContractError` when a finding names an undeclared assumption.
        """
        out = []
        for f in self.func(ctx) or ():
            if not isinstance(f, Finding):
                raise ContractError(f"check '{self.name}' returned {type(f).__name__}, not Finding")
            undeclared = set(f.assumptions) - set(self.assumptions)
            if undeclared:
                raise ContractError(f"check '{self.name}': finding '{f.item}' rests on "
                                    f"undeclared assumption(s) {sorted(undeclared)}")
            out.append(f.with_(check=self.name, family=self.family, items=self.items))
        if ctx.scope:
            # a notebook section reports the findings about its own quantities; a check that reads
            # context outside the scope (the design's limits, the study's N) reports nothing else
            out = [f for f in out if str(f.quantity).startswith(tuple(ctx.scope))]
        return out


REGISTRY: dict[str, Check] = {}


def register(name: str, *, family: str, title: str, reads: Sequence[str],
             assumptions: Sequence[str], items: Sequence[str], reference: str, category: str,
             examples: Sequence[Example], formula: str = "", needs_all: bool = False):
    """Decorator registering ``func(ctx) -> Iterable[Finding]`` as a check.

    Example
    -------
    >>> @register("always_consistent", family="arithmetic", title="...", reads=["counts"],
    ...           assumptions=["arithmetic"], items=["4.9"], reference="...",
    ...           category="arithmetic", examples=[...])          # doctest: +SKIP
    ... def always_consistent(ctx): ...
    """

    def deco(func):
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ContractError(f"check '{name}' is registered twice")
        if family not in FAMILY_MODULES:
            raise ContractError(f"check '{name}': unknown family '{family}'")
        bad = [t for t in reads if t not in READABLE]
        if bad:
            raise ContractError(f"check '{name}': reads unknown table(s) {bad}")
        if category not in CATEGORIES:
            raise ContractError(f"check '{name}': unknown category '{category}'")
        try:
            assumed = check_assumptions(assumptions)
        except ValueError as exc:
            raise ContractError(f"check '{name}': {exc}") from None
        kinds = sorted(e.expect for e in examples)
        if "pass" not in kinds or "flag" not in kinds:
            raise ContractError(f"check '{name}' needs a must-pass and a must-flag example")
        if not items:
            raise ContractError(f"check '{name}' names no checklist item")
        REGISTRY[name] = Check(name=name, family=family, func=func, title=title,
                               reads=tuple(reads), assumptions=assumed, items=tuple(items),
                               reference=reference, category=category,
                               examples=tuple(examples), formula=formula, needs_all=needs_all)
        return func

    return deco


def load_all() -> dict[str, Check]:
    """Import every family module (registering its checks); return the registry."""
    for module in FAMILY_MODULES.values():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return REGISTRY


def checks(family: str | Sequence[str] | None = None) -> list[Check]:
    """Registered checks (of one family or several): families in ``FAMILY_MODULES`` order, checks
    in the order their module registers them (so the order does not depend on which module some
    caller happened to import first)."""
    load_all()
    fams = None if family is None else ({family} if isinstance(family, str) else set(family))
    rank = {f: i for i, f in enumerate(FAMILY_MODULES)}
    chosen = [c for c in REGISTRY.values() if fams is None or c.family in fams]
    return sorted(chosen, key=lambda c: rank[c.family])   # stable: keeps order within a family


def get(name: str) -> Check:
    load_all()
    if name not in REGISTRY:
        raise KeyError(f"no registered check '{name}' (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name]


@dataclass
class CheckRun:
    """What running one check on one context gave."""

    check: Check
    status: str                      # ran | not applicable | failed
    findings: list[Finding]
    reason: str = ""

    def as_row(self) -> dict:
        return {"family": self.check.family, "check": self.check.name, "status": self.status,
                "findings": len(self.findings), "reason": self.reason}


def run_check(check: Check | str, ctx: Context, *, isolate: bool = True) -> CheckRun:
    """Run one check; with ``isolate`` a failure becomes ``status="failed"`` with the error."""
    check = get(check) if isinstance(check, str) else check
    why = check.applicable(ctx)
    if why:
        return CheckRun(check, "not applicable", [], why)
    if not isolate:
        return CheckRun(check, "ran", check.run(ctx))
    try:
        return CheckRun(check, "ran", check.run(ctx))
    except Exception as exc:   # noqa: BLE001 -- fault isolation is the point
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" ({tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
        return CheckRun(check, "failed", [], f"{type(exc).__name__}: {exc}{where}")


def run_family(family: str | Sequence[str], ctx: Context, *, names: Sequence[str] | None = None,
               exclude: Sequence[str] = (), isolate: bool = True) -> list[CheckRun]:
    """Run every registered check of ``family`` (optionally only ``names``) on ``ctx``."""
    out = []
    for check in checks(family):
        if (names is not None and check.name not in names) or check.name in exclude:
            continue
        out.append(run_check(check, ctx, isolate=isolate))
    return out


def runs_frame(runs: Iterable[CheckRun]) -> pd.DataFrame:
    return pd.DataFrame([r.as_row() for r in runs],
                        columns=["family", "check", "status", "findings", "reason"])


def findings_of(runs: Iterable[CheckRun]) -> list[Finding]:
    return [f for r in runs for f in r.findings]


def catalogue() -> pd.DataFrame:
    """The registry as a table: one row per check with its metadata."""
    rows = []
    for c in checks():
        rows.append({"family": c.family, "check": c.name, "title": c.title,
                     "reads": ", ".join(c.reads), "assumptions": ", ".join(c.assumptions),
                     "items": ", ".join(c.items), "category": c.category,
                     "reference": c.reference, "formula": c.formula})
    return pd.DataFrame(rows, columns=["family", "check", "title", "reads", "assumptions",
                                       "items", "category", "reference", "formula"])


def catalogue_markdown() -> str:
    """``docs/checks.md``: what each check tests, formula, reference, assumptions, item."""
    lines = ["# The registered checks", "",
             "Generated from the check registry (`helpers.checks.registry`) by "
             "`reanalysis checks --markdown`; a test keeps this file in sync. Do not edit by hand.",
             "", "Assumptions (the weakest one sets a finding's strength):", ""]
    for a in ASSUMPTIONS.values():
        lines.append(f"- `{a.key}` ({a.strength}): {a.words}")
    current = None
    for c in checks():
        if c.family != current:
            current = c.family
            lines += ["", f"## {current}", ""]
        lines += [f"### `{c.name}`", "", c.title, ""]
        if c.formula:
            lines += [f"Formula: {c.formula}", ""]
        lines += [f"- reads: {', '.join(c.reads) or '—'}",
                  f"- assumptions: {', '.join(c.assumptions)}",
                  f"- checklist items: {', '.join(c.items)}",
                  f"- category: {c.category}",
                  f"- reference: {c.reference}", ""]
    return "\n".join(lines).rstrip() + "\n"

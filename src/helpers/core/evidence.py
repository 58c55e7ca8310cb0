"""How strong a finding's evidence is, how much the claim it touches weighs, and its severity.

Every registered check declares the assumptions its verdicts may rest on, from the closed vocabulary
:data:`ASSUMPTIONS`; every finding names the ones its own verdict rests on. From them follow

* the finding's **strength** (:func:`strength_of`): the weakest strength among its assumptions.
  Only a finding that rests on arithmetic alone (with the printed rounding) is ``conclusive``, and
  only a conclusive finding may say ``impossible``;
* the **weight** of the claim it touches (:func:`weight_of`): a headline result (the abstract, the
  conclusions, the response, survival and hazard-ratio results the conclusions rest on) outweighs a
  supporting table (baseline, adverse events, design), which outweighs a background number;
* its **severity** (:func:`severity_for`), by the one rule below.

Severity rule. A finding that is not flagged (``consistent``, ``not testable``) has severity
``none``. A flagged finding starts from its verdict: ``impossible`` 3, ``inconsistent`` and
``implausible`` 2. Then

1. a ``moderate`` or ``weak`` strength lowers it by one;
2. a ``conclusive`` finding on a ``headline`` claim is raised to 3;
3. a ``rounding`` finding, or one on a ``background`` claim, is capped at 1;
4. the level is at least 1.

Level 3 is ``critical``, 2 ``major``, 1 ``minor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

VERDICTS = ("consistent", "inconsistent", "implausible", "impossible", "not testable")
FLAGGED = ("inconsistent", "implausible", "impossible")
CATEGORIES = ("rounding", "arithmetic", "contradiction", "statistical", "design", "plausibility",
              "bibliography", "patient_data")
SEVERITIES = ("critical", "major", "minor", "none")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
STRENGTHS = ("conclusive", "strong", "moderate", "weak")
STRENGTH_RANK = {s: i for i, s in enumerate(STRENGTHS)}
WEIGHTS = ("headline", "supporting", "background")


@dataclass(frozen=True)
class Assumption:
    """One thing a verdict may take for granted, with how much it weakens the verdict."""

    key: str
    strength: str
    words: str          # what the letter and the report say ("the CI is a Wald interval")


ASSUMPTIONS: dict[str, Assumption] = {a.key: a for a in (
    Assumption("arithmetic", "conclusive",
               "arithmetic alone, with the precision at which the numbers are printed"),
    Assumption("rounding_rule_inferred", "strong",
               "the rounding rule inferred from the paper's other printed values"),
    Assumption("data_granularity", "strong",
               "the raw values lie on the grid the ledger gives (e.g. age recorded in whole years)"),
    Assumption("same_quantity", "strong",
               "the ledger's reading that the numbers describe the same quantity and patients"),
    Assumption("wald_interval", "strong",
               "the confidence interval is a Wald interval, exp(b ± z·SE), as R's coxph prints"),
    Assumption("same_test", "strong",
               "the p-value and the confidence interval come from the same Wald test"),
    Assumption("group_sizes_assumed", "moderate",
               "group sizes or event counts that are not printed, taken as favourable to the paper"),
    Assumption("uniform_accrual", "moderate",
               "patients were enrolled at an even rate over the stated accrual window"),
    Assumption("normal_distribution", "moderate",
               "the variable is roughly normally distributed"),
    Assumption("knowledge_base_specific", "strong",
               "cited knowledge that several terms belong to one disease only (the project's knowledge base)"),
    Assumption("knowledge_base", "moderate",
               "cited knowledge about the disease, its drugs or its design (the project's knowledge base)"),
    Assumption("text_interpretation", "weak",
               "a reading of the paper's wording, which another reader may read otherwise"),
    Assumption("patient_data", "strong",
               "the patient-level file is the data the paper analysed"),
)}


def check_assumptions(keys: Iterable[str]) -> tuple[str, ...]:
    """Validate assumption keys (unknown keys raise ``ValueError``); return them sorted, unique."""
    keys = tuple(sorted(set(keys)))
    unknown = [k for k in keys if k not in ASSUMPTIONS]
    if unknown:
        raise ValueError(f"unknown assumption(s) {unknown} (one of {sorted(ASSUMPTIONS)})")
    return keys


def strength_of(assumptions: Iterable[str]) -> str:
    """The strength of a verdict resting on ``assumptions``: the weakest of theirs.

    An empty set means arithmetic alone.

    Example
    -------
    >>> strength_of(["arithmetic", "wald_interval"])
    'strong'
    """
    keys = check_assumptions(assumptions) or ("arithmetic",)
    return max((ASSUMPTIONS[k].strength for k in keys), key=STRENGTH_RANK.__getitem__)


_HEADLINE_PREFIXES = ("response.", "survival.", "cox.", "direction.")
_BACKGROUND_PREFIXES = ("background.",)
_HEADLINE_PLACES = ("abstract", "conclusion", "title")


def weight_of(quantity: str, locators: Iterable[str] = ()) -> str:
    """The weight of the claim a finding touches: ``headline``, ``supporting`` or ``background``.

    Headline: results the conclusions rest on (response, survival, hazard ratios, statements of
    prognosis) or any number printed in the title, abstract or conclusions. Background: numbers
    quoted from other work. Everything else (baseline, adverse events, design, text) supports.
    """
    q = str(quantity or "")
    places = [str(loc).strip().lower() for loc in locators]
    if q.startswith(_BACKGROUND_PREFIXES) and not any(p.startswith(_HEADLINE_PLACES) for p in places):
        return "background"
    if q.startswith(_HEADLINE_PREFIXES) or any(p.startswith(_HEADLINE_PLACES) for p in places):
        return "headline"
    return "supporting"


def severity_for(verdict: str, category: str, strength: str = "conclusive",
                 weight: str = "supporting") -> str:
    """The severity of a finding, by the rule in the module docstring.

    Example
    -------
    >>> severity_for("impossible", "statistical", "conclusive", "headline")
    'critical'
    >>> severity_for("inconsistent", "design", "moderate", "supporting")
    'minor'
    """
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict '{verdict}' (one of {VERDICTS})")
    if category not in CATEGORIES:
        raise ValueError(f"unknown category '{category}' (one of {CATEGORIES})")
    if strength not in STRENGTHS:
        raise ValueError(f"unknown strength '{strength}' (one of {STRENGTHS})")
    if weight not in WEIGHTS:
        raise ValueError(f"unknown weight '{weight}' (one of {WEIGHTS})")
    if verdict not in FLAGGED:
        return "none"
    level = 3 if verdict == "impossible" else 2
    if strength in ("moderate", "weak"):
        level -= 1
    if strength == "conclusive" and weight == "headline":
        level = 3
    if category == "rounding" or weight == "background":
        level = min(level, 1)
    level = max(level, 1)
    return {3: "critical", 2: "major", 1: "minor"}[level]

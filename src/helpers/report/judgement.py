"""A trustworthiness judgement in the shape of INSPECT-SR, from a run's concerns.

INSPECT-SR (Cochrane; Wilkinson J et al., 2025) judges four domains -- 1 post-publication notices;
2 conduct, governance and transparency; 3 text and publication details; 4 results in the study --
each as "no concerns", "some concerns" or "serious concerns"; the overall judgement is the most
severe domain. The items are listed, paraphrased, in ``data/knowledge/checklists/inspect_sr.csv``;
REAPPRAISED categories (``reappraised.csv``) are placed in the INSPECT-SR domain they inform.

The rule
--------
A concern falls in every domain one of its checklist items belongs to (its findings' ``items``).
Within a domain:

* **serious concerns** when any concern in it is ``critical``, or at least two are ``major``;
* **some concerns** when any concern in it is ``major`` or ``minor``;
* **no concerns** when the run tested at least one of the domain's items (some finding that names
  the item was consistent or flagged) and no concern falls in the domain;
* **not assessed** when nothing in the run informs the domain (for example post-publication
  notices, which need a search of retraction databases).

The overall judgement is the most severe assessed domain. Items this project cannot assess
(``assessable_from_ledger = no``) are listed, never answered.

Example
-------
>>> from helpers.report.judgement import judge
>>> judge([]).overall                                           # doctest: +SKIP
'not assessed'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from ..core.paths import project_root
from .concerns import Concern, as_frame, items_of

JUDGEMENTS = ("serious concerns", "some concerns", "no concerns", "not assessed")
JUDGEMENT_RANK = {j: i for i, j in enumerate(JUDGEMENTS)}


@lru_cache(maxsize=1)
def checklists() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(INSPECT-SR items, REAPPRAISED categories) from ``data/knowledge/checklists/``."""
    root = project_root() / "data" / "knowledge" / "checklists"
    inspect = pd.read_csv(root / "inspect_sr.csv", dtype=str, keep_default_na=False)
    reappraised = pd.read_csv(root / "reappraised.csv", dtype=str, keep_default_na=False)
    return inspect, reappraised


def known_items() -> set[str]:
    """Every checklist id a check may name."""
    inspect, reappraised = checklists()
    return set(inspect["id"]) | set(reappraised["id"])


def domain_of(item: str) -> int | None:
    """The INSPECT-SR domain of an item id (``"4.9"`` -> 4, ``"R:authorship"`` -> 2)."""
    return _domains().get(item)


@lru_cache(maxsize=1)
def _domains() -> dict[str, int]:
    """Item id -> INSPECT-SR domain, read once (a REAPPRAISED id maps to its domain; where an id
    is in both lists, the REAPPRAISED mapping wins, as it always has)."""
    inspect, reappraised = checklists()
    out: dict[str, int] = {}
    for i, d in zip(inspect["id"], inspect["domain"]):
        out.setdefault(i, int(d))
    for i, d in zip(reappraised["id"], reappraised["inspect_sr_domain"]):
        out[i] = int(d)
    return out


@dataclass
class DomainJudgement:
    domain: int
    name: str
    judgement: str
    concerns: list[Concern] = field(default_factory=list)
    tested_items: list[str] = field(default_factory=list)
    not_assessed_items: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        if self.judgement == "not assessed":
            return "nothing in the paper's numbers or text informs this domain"
        if not self.concerns:
            return f"items {', '.join(self.tested_items)} tested; nothing flagged"
        sev = [c.severity for c in self.concerns]
        parts = [f"{sev.count(s)} {s}" for s in ("critical", "major", "minor") if s in sev]
        return (f"{', '.join(parts)} concern{'s' if len(sev) > 1 else ''} "
                f"(concern{'s' if len(sev) > 1 else ''} "
                + ", ".join(str(c.rank) for c in self.concerns) + ")")


@dataclass
class Judgement:
    overall: str
    domains: list[DomainJudgement]
    not_assessed: pd.DataFrame        # id, domain, item, topic of items the project cannot assess

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"domain": d.domain, "name": d.name, "judgement": d.judgement,
                              "reason": d.reason} for d in self.domains],
                            columns=["domain", "name", "judgement", "reason"])


def _domain_level(concerns: list[Concern]) -> str:
    sev = [c.severity for c in concerns]
    if "critical" in sev or sev.count("major") >= 2:
        return "serious concerns"
    if concerns:
        return "some concerns"
    return "no concerns"


def judge(concerns: list[Concern], findings: pd.DataFrame | None = None) -> Judgement:
    """The INSPECT-SR-shaped judgement of ``concerns`` (see the module docstring for the rule).

    Parameters
    ----------
    concerns : list of Concern
        From :func:`helpers.report.concerns.group_concerns`.
    findings : DataFrame, optional
        All findings of the run (text), to tell a domain that was tested and found clean from one
        that nothing informed.

    Returns
    -------
    Judgement
        ``overall``, one :class:`DomainJudgement` per domain, the items not assessed.

    Example
    -------
    >>> judge([], None).overall                                   # doctest: +SKIP
    'not assessed'
    """
    inspect, _ = checklists()
    tested: dict[int, list[str]] = {}
    if findings is not None and len(findings):
        decided = as_frame(findings)
        decided = decided[decided["verdict"] != "not testable"]
        for its in dict.fromkeys(tuple(x) for x in items_of(decided)):
            for item in its:
                d = domain_of(item)
                if d is not None and item not in tested.setdefault(d, []):
                    tested[d].append(item)
    by_domain: dict[int, list[Concern]] = {}
    for c in concerns:
        for d in dict.fromkeys(domain_of(i) for i in c.items):
            if d is not None:
                by_domain.setdefault(d, []).append(c)
                if not any(domain_of(i) == d for i in tested.get(d, [])):
                    tested.setdefault(d, []).extend(i for i in c.items if domain_of(i) == d)
    domains = []
    for d, rows in inspect.groupby(inspect["domain"].astype(int), sort=True):
        cs = by_domain.get(d, [])
        items = sorted(dict.fromkeys(tested.get(d, [])))
        level = _domain_level(cs) if (cs or items) else "not assessed"
        domains.append(DomainJudgement(
            domain=d, name=rows["domain_name"].iloc[0], judgement=level, concerns=cs,
            tested_items=items,
            not_assessed_items=list(rows.loc[rows["assessable_from_ledger"] == "no", "id"])))
    assessed = [x.judgement for x in domains if x.judgement != "not assessed"]
    overall = min(assessed, key=JUDGEMENT_RANK.__getitem__) if assessed else "not assessed"
    cannot = inspect.loc[inspect["assessable_from_ledger"] == "no", ["id", "domain", "item", "topic"]]
    return Judgement(overall=overall, domains=domains, not_assessed=cannot.reset_index(drop=True))


def recommendation(judgement: Judgement) -> str:
    """One sentence the letter opens with, chosen by the overall judgement."""
    return {
        "serious concerns": (
            "We recommend that the results not be relied on until the authors provide the "
            "patient-level data and the analysis output and these have been examined; for a "
            "published article an expression of concern would be appropriate meanwhile."),
        "some concerns": (
            "We recommend that the authors correct or explain the points below; none of them, "
            "on its own, shows that the results could not have been obtained."),
        "no concerns": ("We found nothing that needs correcting in what we could check."),
        "not assessed": ("We could not assess the manuscript from its printed numbers."),
    }[judgement.overall]

"""The draft review letter: major and minor concerns generated from a run's findings.

Every finding that is inconsistent or impossible goes into a concern saying where the number is
printed (its locators), what is printed, what the arithmetic or the statistics give instead (the
finding's ``expected`` and ``explanation``) and what the authors are asked to do; the findings of
one check with one verdict form one concern, listed item by item. The request is chosen by
rule from the finding's check, category and verdict (:data:`REQUEST_RULES`, first match wins),
never written per finding. Major concerns are the findings of severity ``critical`` or ``major``,
minor concerns those of severity ``minor`` (the rule of :func:`helpers.core.findings.severity_for`).
Findings that are not testable are listed, by check, as limits of the review.

No text in this module holds a number: each number in the letter is copied from a finding (its
printed and recomputed values, locators, item), is a count of findings, or is a run parameter.
The manuscript is named by the ``title`` and ``doi`` of the study's ``study.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from ..core.findings import COLUMNS, VERDICTS, Finding, findings_frame

REQUESTS: dict[str, str] = {
    "correct_table": "Please correct the table or sentence where this value is printed, or explain "
                     "how the printed value was obtained.",
    "recompute_percent": "Please recompute the percentage from its count, and either correct the "
                         "table or state the denominator the percentage was computed on.",
    "explain_denominator": "Please explain the denominator: state how many patients each "
                           "percentage refers to, and why it differs from the cohort analysed.",
    "reconcile": "Please state which value is correct and make every place that prints this "
                 "quantity agree.",
    "statistics": "Please check the estimate, its confidence interval and its p-value against the "
                  "analysis output, and correct whichever is misprinted.",
    "patient_data": "Please provide the patient-level data (or the analysis code with its output) "
                    "so that this result can be reproduced.",
    "design": "Please explain how this result fits the design stated in the methods, or correct "
              "the methods.",
}


@dataclass(frozen=True)
class RequestRule:
    """A finding matches when every given field matches (``check`` is a regular expression)."""

    request: str
    check: str = ""
    category: str = ""
    verdict: str = ""

    def matches(self, check: str, category: str, verdict: str) -> bool:
        return ((not self.check or re.search(self.check, check, re.IGNORECASE) is not None)
                and (not self.category or self.category == category)
                and (not self.verdict or self.verdict == verdict))


REQUEST_RULES: tuple[RequestRule, ...] = (
    RequestRule("explain_denominator", check=r"denominator|population"),
    RequestRule("reconcile", category="contradiction"),
    RequestRule("patient_data", category="statistical", verdict="impossible"),
    RequestRule("patient_data", category="statistical",
                check=r"cox|hazard|kaplan|km_|survival|median|monte|simulat|ipd|patient"),
    RequestRule("statistics", category="statistical"),
    RequestRule("recompute_percent", category="rounding"),
    RequestRule("correct_table", category="arithmetic"),
    RequestRule("design", category="design"),
)
DEFAULT_REQUEST = "correct_table"

INSTEAD_LABEL = {
    "rounding": "Recomputed from the count and denominator",
    "arithmetic": "The arithmetic gives",
    "contradiction": "Against its other appearances",
    "statistical": "The statistics give",
    "design": "The stated design implies",
}


def request_for(check: str, category: str, verdict: str) -> str:
    """The key of the request a finding leads to (:data:`REQUEST_RULES`, first match wins)."""
    for rule in REQUEST_RULES:
        if rule.matches(str(check), str(category), str(verdict)):
            return rule.request
    return DEFAULT_REQUEST


def _md(text) -> str:
    """Escape markdown in free text (keeps it readable: only characters markdown acts on)."""
    return re.sub(r"[\\`*_\[\]<|]", lambda m: "\\" + m.group(0), " ".join(str(text).split()))


def _code(text) -> str:
    """An inline code span that survives backticks inside the text."""
    text = " ".join(str(text).split())
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _as_frame(findings) -> pd.DataFrame:
    if isinstance(findings, pd.DataFrame):
        return findings[list(COLUMNS)].astype(str)
    items = list(findings)
    if items and isinstance(items[0], Finding):
        return findings_frame(items).astype(str)
    return pd.DataFrame(items, columns=list(COLUMNS)).astype(str)


def _evidence(f: pd.Series) -> str:
    from .pages import evidence_href

    href = evidence_href(f["notebook"], f["section"])
    if not href:
        return ""
    where = f"{f['notebook']} / {f['section']}" if f["section"] else f["notebook"]
    return f"[{_md(where)}]({href})"


def _instead(f: pd.Series) -> str:
    explanation = _md(f["explanation"])
    if f["expected"]:
        return _code(f["expected"]) + (f". {explanation}" if explanation else "")
    return explanation


def _concern(number: int, group: pd.DataFrame, request_number: int) -> str:
    """One concern: a finding, or several findings of one check with one verdict (listed)."""
    f = group.iloc[0]
    label = INSTEAD_LABEL.get(f["category"], "The check gives")
    verdict = (f"{f['verdict']} (severity {f['severity']}; check {_code(f['check'])}, "
               f"category {f['category']})")
    request = f"- **Request ({request_number}):** {REQUESTS[request_for(f['check'], f['category'], f['verdict'])]}"
    evidence = [_evidence(r) for _, r in group.iterrows()]
    if len(group) == 1:
        lines = [f"### {number}. {_md(f['item'])} ({_md(f['area'])})", "",
                 f"- **Where:** {_md(f['locators'])}",
                 f"- **Printed:** {_code(f['printed'])}" if f["printed"] else "- **Printed:** (no value)",
                 f"- **{label}:** {_instead(f)}",
                 f"- **Verdict:** {verdict}"]
        if evidence[0]:
            lines.append(f"- **Evidence:** {evidence[0]}")
        return "\n".join(lines + [request]) + "\n"
    same_evidence = len(set(evidence)) == 1
    lines = [f"### {number}. {len(group)} findings of check {_code(f['check'])} ({_md(f['area'])})", "",
             f"- **Verdict:** {verdict}"]
    if same_evidence and evidence[0]:
        lines.append(f"- **Evidence:** {evidence[0]}")
    lines += [request, "- **Where, what is printed, and what the check gives instead:**"]
    for (_, r), ev in zip(group.iterrows(), evidence):
        item = (f"    - **{_md(r['item'])}** ({_md(r['locators'])}): printed "
                + (_code(r["printed"]) if r["printed"] else "(no value)")
                + f"; {label[:1].lower() + label[1:]}: {_instead(r)}")
        lines.append(item + (f" Evidence: {ev}." if ev and not same_evidence else ""))
    return "\n".join(lines) + "\n"


def concern_groups(ranked: pd.DataFrame) -> list[pd.DataFrame]:
    """Flagged findings grouped into concerns: one per severity, verdict, category and check, in
    the order of the ranked findings."""
    flagged = ranked[ranked["verdict"].isin(["inconsistent", "impossible"])]
    keys = list(zip(flagged["severity"], flagged["verdict"], flagged["category"], flagged["check"]))
    order = list(dict.fromkeys(keys))
    return [flagged[[k == key for k in keys]] for key in order]


def build_letter(findings, *, meta: dict | None = None, run: str = "",
                 parameters: dict | None = None) -> str:
    """The draft letter (markdown) for a run's findings (a findings table or ``Finding`` records)."""
    from .pages import ranked_findings

    df = _as_frame(findings)
    meta = meta or {}
    ranked = ranked_findings(df)
    untestable = ranked[ranked["verdict"] == "not testable"]
    counts = {v: int((df["verdict"] == v).sum()) for v in VERDICTS}

    order: list[str] = []  # requests in order of first use
    used: dict[str, list[int]] = {}
    concerns_major, concerns_minor = [], []
    for number, group in enumerate(concern_groups(ranked), start=1):
        f = group.iloc[0]
        key = request_for(f["check"], f["category"], f["verdict"])
        if key not in order:
            order.append(key)
        used.setdefault(key, []).append(number)
        target = concerns_minor if f["severity"] == "minor" else concerns_major
        target.append(_concern(number, group, order.index(key) + 1))
    n_major = int(ranked["severity"].isin(["critical", "major"]).sum())
    n_minor = int((ranked["severity"] == "minor").sum())

    title = meta.get("title") or meta.get("study") or "the manuscript"
    out = ["# Draft review letter", ""]
    out += [f"**Manuscript:** {_md(title)}" + (f" (doi: {_md(meta['doi'])})" if meta.get("doi") else ""), ""]
    basis = f"**Basis:** the findings of reanalysis run {_code(run)}" if run else "**Basis:** the reanalysis findings"
    if parameters:
        basis += " with " + ", ".join(f"{_code(k)} = {_code(v)}" for k, v in sorted(parameters.items()))
    out += [basis + ". This draft is generated from the findings; read the evidence behind each "
            "concern before sending it.", ""]
    out += ["Dear Editor,", ""]
    out += [f"We re-derived the numbers printed in this manuscript from the values it reports. Of the "
            f"{len(df)} items checked, {counts['consistent']} are consistent, "
            f"{counts['inconsistent']} inconsistent, {counts['impossible']} impossible (no data could "
            f"give what is printed), and {counts['not testable']} could not be tested from the "
            f"printed numbers. The {n_major} major and {n_minor} minor finding(s) make "
            f"{len(concerns_major)} major and {len(concerns_minor)} minor concern(s); findings of one "
            f"check with one verdict form one concern.", ""]
    out += ["## Major concerns", ""]
    out += concerns_major or ["None of the checks found a major problem.", ""]
    out += ["## Minor concerns", ""]
    out += concerns_minor or ["None of the checks found a minor problem.", ""]
    if order:
        out += ["## Summary of requests", ""]
        for i, key in enumerate(order, start=1):
            which = ", ".join(str(n) for n in used[key])
            label = "concern" if len(used[key]) == 1 else "concerns"
            out.append(f"{i}. {REQUESTS[key]} ({label} {which})")
        out.append("")
    if len(untestable):
        out += ["## What could not be tested", "",
                "These items cannot be decided from the printed numbers alone; the patient-level "
                "data would settle them.", ""]
        for check, group in untestable.groupby("check", sort=True):
            items = "; ".join(_md(f"{i} ({loc})") for i, loc in zip(group["item"], group["locators"]))
            reason = _md(group["explanation"].iloc[0])
            out.append(f"- {_code(check)}: {items}." + (f" {reason}" if reason else ""))
        out.append("")
    out += ["Yours sincerely,", "", "[Reviewer]", ""]
    return "\n".join(out)


def concerns_table(findings) -> pd.DataFrame:
    """The concerns of a letter as a table: finding, severity, and the request chosen by rule."""
    df = _as_frame(findings)
    flagged = df[df["verdict"].isin(["inconsistent", "impossible"])].copy()
    flagged["request"] = [request_for(c, k, v) for c, k, v in
                          zip(flagged["check"], flagged["category"], flagged["verdict"])]
    return flagged.reset_index(drop=True)


def requests_used(findings: Iterable) -> list[str]:
    """The distinct requests a set of findings leads to, in rule order."""
    keys = set(concerns_table(findings)["request"])
    return [k for k in REQUESTS if k in keys]

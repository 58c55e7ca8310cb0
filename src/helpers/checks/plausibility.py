"""The paper against its disease, its regimen and its design (check family "plausibility").

Every check here sets what the ledger records in words or numbers against the cited knowledge base
(``data/knowledge/``, read by :mod:`helpers.ledger.knowledge`) or against the study's own
description in ``study.yaml`` (``disease``, ``sites``, ``regimen``, ``arms``):

* :func:`vocabulary_vs_disease_check` -- clinical terms that belong to another disease or organ
  than the stated one; the terms that point the same way make one finding naming that disease;
* :func:`baseline_vs_disease_check` -- printed shares and means against the cited ranges of the
  stated disease, how far outside, and which disease they fit instead;
* :func:`ae_vs_regimen_check` -- adverse events against the regimen's drugs: events of other drugs,
  events opposite to a drug's known effect, severe grades outnumbering mild ones, hallmark events
  of the regimen that the table omits;
* :func:`regimen_coherence_check` -- doses, durations and schedules printed at several places,
  drug and regimen names not in the stated regimen, mechanism claims against the knowledge base,
  treatment changes of drugs the regimen does not have;
* :func:`design_coherence_check` -- a single-arm study written as if it had groups.

None of these can prove an error: a verdict is ``implausible`` or ``inconsistent`` and rests on
``knowledge_base`` (moderate) and/or ``text_interpretation`` (weak); a finding that rests on a
knowledge-base figure of ``moderate`` confidence says so. A term or an event the knowledge base does
not know is ``not testable`` and listed.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from typing import Iterable

import pandas as pd

from ..core.findings import Finding, Result, finding_from
from ..core.text import slug
from ..ledger.knowledge import (EventRow, KnowledgeBase, compact, keys_of, knowledge_base,
                                normalise)
from .registry import Example, register

KB_REF = ("data/knowledge/ (every fact cited to data/knowledge/sources.csv); INSPECT-SR "
          "(Wilkinson et al., medRxiv 2025) domains 2-3; REAPPRAISED (Grey et al., Nature 2020)")
Z95 = 1.959963984540054


# ------------------------------------------------------------------------------------------
# shared helpers
# ------------------------------------------------------------------------------------------

def _kb(ctx) -> KnowledgeBase:
    return knowledge_base()


def meta_list(meta: dict, key: str) -> list[str]:
    v = meta.get(key)
    if v in (None, ""):
        return []
    if isinstance(v, str):
        return [p.strip() for p in re.split(r"[,|;]", v) if p.strip()]
    return [str(x).strip() for x in v if str(x).strip()]


def _arms(meta: dict) -> int | None:
    try:
        return int(meta.get("arms"))
    except (TypeError, ValueError):
        return None


def unique(items: Iterable) -> list:
    return list(OrderedDict.fromkeys(i for i in items if i not in ("", None)))


def _num(text) -> float | None:
    s = str(text or "").strip().replace(",", "").replace("\u2212", "-")
    m = re.fullmatch(r"[<>≤≥=~]*\s*(-?\d+(?:\.\d+)?)", s)
    return float(m.group(1)) if m else None


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x - round(x)) > 1e-9 else f"{x:.0f}"


def wilson(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a share ``k/n``, in percent."""
    if n <= 0:
        return (0.0, 100.0)
    p = min(1.0, max(0.0, k / n))
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (100 * max(0.0, mid - half), 100 * min(1.0, mid + half))


def _confidence_words(rows) -> str:
    moderate = [r for r in rows if getattr(r, "confidence", "high") == "moderate"]
    if not moderate:
        return ""
    return (" A knowledge-base figure used here is of moderate confidence (compiled from the cited "
            "source, not re-checked line by line): verify it before quoting.")


def _term_places(df: pd.DataFrame) -> list[str]:
    return unique(df["locator"].astype(str)) if not df.empty else []


# ------------------------------------------------------------------------------------------
# vocabulary against the stated disease
# ------------------------------------------------------------------------------------------

_STAGE_WORDS = re.compile(r"^(?:(?:advanced|metastatic|recurrent|unresectable|locally advanced|"
                          r"early|early-stage|late-stage|primary|inoperable)\s+)+")


def stated_scope(kb: KnowledgeBase, meta: dict) -> tuple[str | None, set[str]]:
    """The stated disease key (resolved through the knowledge base) and the organs it covers
    (the disease's organ plus ``sites``)."""
    raw = str(meta.get("disease") or "").strip()
    disease = (raw if raw in kb.disease_keys else kb.disease(raw)) if raw else None
    organs = {s.strip().lower() for s in meta_list(meta, "sites")}
    if disease:
        organs.add(kb.organ_of(disease))
    return disease, organs - {""}


def term_fit(kb: KnowledgeBase, term: str, category: str, disease: str,
             organs: set[str]) -> tuple[str, list[str], list[str], object]:
    """How one printed term relates to the stated disease and organs.

    Returns ``(status, diseases, organs, entry)`` with ``status`` one of ``fits`` (the term
    belongs to the stated disease or organs), ``neutral`` (general vocabulary), ``foreign``
    (specific or suggestive of other diseases/organs only), ``unknown``; ``entry`` is the
    vocabulary entry (or ``("disease", key)`` for a disease term found in ``diseases.csv``).
    """
    entries = kb.terms(term)
    if not entries and category in ("disease", "histology"):
        key = kb.disease(term) or kb.disease(_STAGE_WORDS.sub("", normalise(term)))
        if key:
            org = kb.organ_of(key)
            if key == disease or org in organs:
                return "fits", [key], [org], ("disease", key)
            return "foreign", [key], [org], ("disease", key)
    if not entries:
        # drug and adverse-event names say nothing about the disease (the regimen and adverse-event
        # checks judge them); they are known when drugs.csv or adverse_events.csv has them
        if category in ("drug", "regimen", "prior_treatment") and (kb.drug(term) or kb.klass(term)):
            return "neutral", [], [], None
        if category == "adverse_event" and kb.event_rows(term):
            return "neutral", [], [], None
        return "unknown", [], [], None
    fits, foreign = [], []
    for e in entries:
        if e.specificity == "general":
            continue
        e_organs = set(e.organs) or {kb.organ_of(d) for d in e.diseases}
        if disease in e.diseases or (e_organs & organs):
            fits.append(e)
        else:
            foreign.append(e)
    if fits:
        return "fits", list(fits[0].diseases), list(fits[0].organs), fits[0]
    if foreign:
        e = foreign[0]
        return "foreign", [d for d in e.diseases if d != disease], list(e.organs), e
    return "neutral", [], [], entries[0]


def vocabulary_table(ctx) -> pd.DataFrame:
    """Every distinct printed term with its places, its knowledge-base entry and how it fits the
    stated disease (columns ``term, category, locators, status, kb_term, specificity, diseases,
    organs, citation``)."""
    kb = _kb(ctx)
    disease, organs = stated_scope(kb, ctx.ledger.meta)
    terms = ctx.table("terms")
    rows = []
    if terms.empty:
        return pd.DataFrame(rows)
    def _key(text):       # spellings of one knowledge-base entry count as one term
        hits = kb.terms(text)
        return "kb:" + compact(hits[0].term) if hits else compact(text)

    terms = terms.assign(_key=terms["term"].map(_key))
    for _, grp in terms.groupby("_key", sort=False):
        first = grp.iloc[0]
        status, ds, os_, entry = term_fit(kb, first["term"], first["category"], disease or "",
                                          organs)
        if isinstance(entry, tuple):
            kb_term, spec, cite = kb.disease_name(entry[1]), "specific", kb.disease_citation(entry[1])
        elif entry is not None:
            kb_term, spec, cite = entry.term, entry.specificity, entry.citation
        else:
            kb_term, spec, cite = "", "", ()
        rows.append({"term": first["term"], "category": first["category"],
                     "locators": _term_places(grp), "quantities": unique(grp["quantity"]),
                     "status": status, "kb_term": kb_term, "specificity": spec,
                     "diseases": ds, "organs": os_, "citation": kb.cite(cite)})
    return pd.DataFrame(rows)


def _group_foreign(kb: KnowledgeBase, foreign: pd.DataFrame) -> "OrderedDict[str, list[dict]]":
    """Assign each foreign term to the disease (or organ) most foreign terms point to."""
    votes: dict[str, float] = {}
    for _, r in foreign.iterrows():
        for d in r["diseases"]:
            votes[d] = votes.get(d, 0) + (2 if r["specificity"] == "specific" else 1)
    groups: "OrderedDict[str, list[dict]]" = OrderedDict()
    for _, r in foreign.iterrows():
        if r["diseases"]:
            target = max(r["diseases"], key=lambda d: (votes.get(d, 0), -r["diseases"].index(d)))
        else:
            org = r["organs"][0] if r["organs"] else "other"
            same = [d for d in votes if kb.organ_of(d) == org]
            target = max(same, key=lambda d: votes[d]) if same else f"organ:{org}"
        groups.setdefault(target, []).append(r.to_dict())
    order = sorted(groups, key=lambda g: -len(groups[g]))
    return OrderedDict((g, groups[g]) for g in order)


def vocabulary_group_result(disease_name: str, stated: str, members: list[dict]) -> Result:
    """The verdict on the terms that point to one other disease (or organ)."""
    n_places = sum(len(m["locators"]) for m in members)
    specific = [m for m in members if m["specificity"] == "specific"]
    table = "; ".join(
        f"{m['term']} ({m['category']}; {', '.join(m['locators'])}; knowledge base: "
        f"{m['kb_term']}, {m['specificity']} to {', '.join(m['diseases']) or ', '.join(m['organs'])}"
        f"; {m['citation']})" for m in members)
    words = (f"{len(members)} term{'s' if len(members) > 1 else ''} at {n_places} "
             f"place{'s' if n_places > 1 else ''}")
    kind = "specific to" if len(specific) == len(members) else "specific to or suggestive of"
    if specific or len(members) >= 2:
        # at least two terms the knowledge base gives as specific to one other disease, among at
        # least four pointing to it, are independent pieces of evidence pointing the same way:
        # strong evidence (a single term, or suggestive terms only, stay moderate)
        strength = (("knowledge_base_specific",) if len(specific) >= 2 and len(members) >= 4
                    else ("knowledge_base",))
        return Result("implausible", "plausibility", f"vocabulary of {stated}",
                      f"{words} are {kind} {disease_name}, not the stated {stated}: {table}.",
                      strength,
                      values={"terms": members, "points_to": disease_name})
    return Result("consistent", "plausibility", f"vocabulary of {stated}",
                  f"one term suggestive of {disease_name} ({table}); one suggestive term alone "
                  "does not point away from the stated disease.", ("knowledge_base",),
                  values={"terms": members})


@register(
    "vocabulary_vs_disease", family="plausibility",
    title="The clinical vocabulary belongs to the stated disease and sites, not to another disease",
    reads=["terms"], assumptions=["knowledge_base", "knowledge_base_specific"],
    items=["3.1", "R:plagiarism"],
    reference=KB_REF + "; vocabulary.csv and diseases.csv", category="plausibility",
    formula="terms whose vocabulary entry is specific/suggestive of diseases or organs other than "
            "the stated disease and sites, grouped by the disease most of them point to",
    examples=[
        Example("pass", meta={"disease": "colorectal", "sites": ["liver"]}, tables={"terms": [
            {"category": "procedure", "term": "hepatic arterial infusion",
             "quantity": "term.procedure.hai", "locator": "Methods ¶1"},
            {"category": "procedure", "term": "hepatectomy", "quantity": "term.procedure.hx",
             "locator": "Methods ¶2"}]}),
        Example("flag", meta={"disease": "nsclc"}, tables={"terms": [
            {"category": "staging_system", "term": "BCLC stage", "quantity": "term.staging.bclc",
             "locator": "Table 1 / Stage"},
            {"category": "procedure", "term": "TACE", "quantity": "term.procedure.tace",
             "locator": "Results ¶1"},
            {"category": "disease", "term": "NSCLC", "quantity": "term.disease.nsclc",
             "locator": "Title"}]}),
    ])
def vocabulary_vs_disease_check(ctx) -> list[Finding]:
    """Terms of the ledger (``terms.csv``) against the stated disease and sites.

    Parameters
    ----------
    ctx : Context
        ``terms`` within scope; ``study.yaml`` ``disease`` (a key of ``diseases.csv``) and
        ``sites`` (organs whose vocabulary is expected).

    Returns
    -------
    list of Finding
        One ``implausible`` finding per other disease (or organ) that foreign terms point to, with
        the evidence table (term, category, places, knowledge-base entry, citation) in the
        explanation, when at least one of them is ``specific`` or two are ``suggestive``; one
        ``consistent`` finding for the terms that fit the stated disease or are general; one
        ``not testable`` finding listing the terms the knowledge base does not know. Without a
        stated disease the whole check is ``not testable``.

    Example
    -------
    A lung-cancer ledger printing "BCLC stage" and "TACE" -> "2 terms at 2 places are specific to
    Hepatocellular carcinoma" (``implausible``, knowledge base). A colorectal-liver-metastases
    ledger (sites [liver]) printing "hepatic arterial infusion" -> ``consistent``.

    References
    ----------
    The knowledge base's vocabulary.csv (each entry cited); INSPECT-SR item 3.1.
    """
    kb = _kb(ctx)
    meta = ctx.ledger.meta
    terms = ctx.table("terms")
    disease, organs = stated_scope(kb, meta)
    places = _term_places(terms)
    if not disease:
        why = ("the study states no disease (study.yaml 'disease')" if not meta.get("disease")
               else f"the stated disease '{meta.get('disease')}' is not in the knowledge base")
        return [finding_from(ctx, item="vocabulary against the stated disease",
                             result=Result("not testable", "plausibility", "",
                                           why + "; the vocabulary cannot be set against it."),
                             locators=places[:10], printed=f"{len(terms)} terms",
                             quantity="term.vocabulary")]
    stated = kb.disease_name(disease) + (f" (sites: {', '.join(sorted(organs))})"
                                         if meta_list(meta, "sites") else "")
    table = vocabulary_table(ctx)
    out: list[Finding] = []
    foreign = table[table["status"] == "foreign"]
    for target, members in _group_foreign(kb, foreign).items():
        name = (f"the {target.split(':', 1)[1]}" if target.startswith("organ:")
                else kb.disease_name(target))
        res = vocabulary_group_result(name, stated, members)
        locs = unique(loc for m in members for loc in m["locators"])
        out.append(finding_from(ctx, item=f"vocabulary of {name}", result=res, locators=locs,
                                printed="; ".join(m["term"] for m in members),
                                quantity=f"term.vocabulary.{slug(target)}"))
    fits = table[table["status"].isin(["fits", "neutral"])]
    if not fits.empty:
        n_fit = int((fits["status"] == "fits").sum())
        res = Result("consistent", "plausibility", f"vocabulary of {stated}",
                     f"{n_fit} term(s) belong to {stated} and {len(fits) - n_fit} are neutral "
                     f"(general vocabulary, drugs, adverse events): {', '.join(fits['term'])}.",
                     ("knowledge_base",))
        out.append(finding_from(ctx, item="vocabulary of the stated disease", result=res,
                                locators=unique(loc for ls in fits["locators"] for loc in ls)[:20],
                                printed="; ".join(fits["term"]),
                                quantity="term.vocabulary.stated"))
    unknown = table[table["status"] == "unknown"]
    if not unknown.empty:
        res = Result("not testable", "plausibility", "",
                     f"the knowledge base does not know {len(unknown)} term(s): "
                     f"{', '.join(unknown['term'])}.")
        out.append(finding_from(ctx, item="terms unknown to the knowledge base", result=res,
                                locators=unique(loc for ls in unknown["locators"] for loc in ls)[:20],
                                printed="; ".join(unknown["term"]),
                                quantity="term.vocabulary.unknown"))
    return out


# ------------------------------------------------------------------------------------------
# baseline against the disease
# ------------------------------------------------------------------------------------------

_CMP = ((">=", "ge"), ("≥", "ge"), ("\\geq", "ge"), ("<=", "le"), ("≤", "le"), ("\\leq", "le"),
        (">", "gt"), ("<", "lt"))


def _level_key(text: str) -> str:
    t = str(text).strip().lower()
    for sym, word in _CMP:
        t = t.replace(sym, word)
    return compact(t)


def _variable_keys(kb: KnowledgeBase, variable: str) -> list[str]:
    keys = [compact(variable)]
    for e in kb.terms(variable):
        keys.append(compact(e.term))
        keys += [compact(s) for s in e.synonyms if len(compact(s)) <= len(compact(variable))]
    return unique(keys)


def _kb_variables(kb: KnowledgeBase) -> dict[str, str]:
    return {compact(b.variable): b.variable for b in kb.baseline()}


def baseline_items(ctx) -> list[dict]:
    """The printed baseline values the knowledge base has ranges for (and those it has none for).

    Each item: ``variable`` (knowledge-base variable or None), ``statistic`` (share, mean or
    median), ``value``, ``n``, ``k`` (count, for shares), ``sd``, ``quantity``, ``locators``,
    ``printed``, ``label``.
    """
    kb = _kb(ctx)
    known = _kb_variables(kb)
    items: "OrderedDict[str, dict]" = OrderedDict()
    counts = ctx.table("counts")
    if not counts.empty:
        for _, r in counts.iterrows():
            if r.get("role") != "level" or str(r.get("population", "all")) != "all":
                continue
            n = _num(r.get("denominator"))
            k = _num(r.get("count"))
            pct = _num(r.get("percent"))
            if not n:
                continue
            value = pct if pct is not None else (100 * k / n if k is not None else None)
            if value is None:
                continue
            lev = _level_key(r["level"])
            cands = [lev + "share"] + [v + lev + "share" for v in _variable_keys(kb, r["variable"])]
            var = next((known[c] for c in cands if c in known), None)
            q = r["quantity"]
            it = items.setdefault(q, {"variable": var, "statistic": "share", "value": value,
                                      "n": int(n), "k": k if k is not None else value * n / 100,
                                      "sd": None, "quantity": q, "locators": [],
                                      "printed": r["printed"],
                                      "label": f"{r['variable']}: {r['level']}"})
            it["locators"].append(r["locator"])
    summaries = ctx.table("summaries")
    if not summaries.empty:
        for _, r in summaries.iterrows():
            if str(r.get("population", "all")) != "all":
                continue
            c = _num(r.get("center"))
            n = _num(r.get("n"))
            if c is None or not n:
                continue
            stat = "mean" if str(r["statistic"]).startswith("mean") else "median"
            var = next((known[v] for v in _variable_keys(kb, r["variable"]) if v in known), None)
            q = r["quantity"]
            it = items.setdefault(q, {"variable": var, "statistic": stat, "value": c, "n": int(n),
                                      "k": None, "sd": _num(r.get("sd")), "quantity": q,
                                      "locators": [], "printed": r["printed"],
                                      "label": str(r["variable"]), "unit": r.get("unit", "")})
            it["locators"].append(r["locator"])
    return list(items.values())


def _item_interval(item: dict) -> tuple[float, float]:
    """Sampling interval of the printed value (Wilson for shares; mean ± 1.96·SD/√n)."""
    if item["statistic"] == "share":
        return wilson(item["k"], item["n"])
    if item.get("sd"):
        half = Z95 * item["sd"] / math.sqrt(item["n"])
        return (item["value"] - half, item["value"] + half)
    return (item["value"], item["value"])


def baseline_result(item: dict, ranges, others, disease_name: str, name_of) -> Result:
    """One printed baseline value against the cited range(s) of the stated disease.

    ``ranges`` are the stated disease's :class:`BaselineRange` rows for the variable, ``others``
    the rows of other diseases; ``name_of`` maps a disease key to its name.
    """
    value = item["value"]
    lo_ci, hi_ci = _item_interval(item)
    unit = "%" if item["statistic"] == "share" else f" {ranges[0].unit if ranges else ''}".rstrip()
    assumptions = ["knowledge_base"]
    stat_note = ""
    same = [r for r in ranges if r.statistic == item["statistic"]]
    use = same or ranges
    if ranges and not same:
        assumptions.append("normal_distribution")
        stat_note = (f" The printed {item['statistic']} is set against cited "
                     f"{ranges[0].statistic}s (mean and median taken as close).")
    r = min(use, key=lambda b: 0 if b.low <= value <= b.high else min(abs(value - b.low),
                                                                      abs(value - b.high)))
    expected = f"{_fmt(r.low)}–{_fmt(r.high)}{unit} ({r.population}; {', '.join(r.citation)})"
    fits_other = [o for o in others if o.low <= value <= o.high
                  and (o.statistic == item["statistic"] or not same)]
    other_words = ""
    near = None
    if fits_other:
        other_words = " It lies within the cited range of " + "; ".join(
            f"{name_of(o.disease)} ({_fmt(o.low)}–{_fmt(o.high)}{unit})" for o in fits_other) + "."
    elif others:
        near = min(others, key=lambda o: min(abs(value - o.low), abs(value - o.high)))
        d_near = min(abs(value - near.low), abs(value - near.high))
        d_own = min(abs(value - r.low), abs(value - r.high))
        if d_near < d_own:
            other_words = (f" It is nearer the cited range of {name_of(near.disease)} "
                           f"({_fmt(near.low)}–{_fmt(near.high)}{unit}).")
    if hi_ci < r.low or lo_ci > r.high:
        side, edge = ("below", r.low) if hi_ci < r.low else ("above", r.high)
        gap = abs(value - edge)
        words = "points" if item["statistic"] == "share" else (r.unit or "units")
        return Result("implausible", "plausibility", expected,
                      f"{item['label']} {_fmt(value)}{unit} (n = {item['n']}; 95% interval "
                      f"{_fmt(lo_ci)}–{_fmt(hi_ci)}) lies {_fmt(gap)} {words} {side} the cited "
                      f"range for {disease_name}.{other_words}{stat_note}"
                      + _confidence_words([r, *(fits_other if other_words else [])]
                                          + ([near] if other_words and not fits_other else [])),
                      tuple(assumptions),
                      values={"gap": gap, "fits": [o.disease for o in fits_other]})
    return Result("consistent", "plausibility", expected,
                  f"{item['label']} {_fmt(value)}{unit} is compatible with the cited range for "
                  f"{disease_name}.{stat_note}", tuple(assumptions))


@register(
    "baseline_vs_disease", family="plausibility",
    title="Printed baseline shares and means lie within the cited ranges of the stated disease",
    reads=["counts", "summaries"], assumptions=["knowledge_base", "normal_distribution"],
    items=["4.3"], reference=KB_REF + "; baseline.csv", category="plausibility",
    formula="95% interval of the printed value (Wilson for shares, mean ± 1.96·SD/√n) disjoint "
            "from the cited range [low, high] of the stated disease",
    examples=[
        Example("pass", meta={"disease": "renal"}, tables={"counts": [
            {"variable": "Sex", "level": "Male", "role": "level", "count": "73", "percent": "73.0",
             "denominator": "100", "population": "all", "quantity": "baseline.sex.male"}]}),
        Example("flag", meta={"disease": "breast"}, tables={"counts": [
            {"variable": "Sex", "level": "Male", "role": "level", "count": "45", "percent": "45.0",
             "denominator": "100", "population": "all", "quantity": "baseline.sex.male"}]}),
    ])
def baseline_vs_disease_check(ctx) -> list[Finding]:
    """Baseline shares (``counts``) and means or medians (``summaries``) against ``baseline.csv``.

    Parameters
    ----------
    ctx : Context
        ``counts`` (rows with role ``level`` of the whole cohort) and ``summaries`` within scope;
        ``study.yaml`` ``disease``. A row is matched to a knowledge-base variable by its level
        (``Male`` -> ``male_share``), its variable and level (``AFP`` ``>=400`` ->
        ``afp_ge_400_share``) or the vocabulary term of its variable (``BCLC staging: C`` ->
        ``bclc_c_share``).

    Returns
    -------
    list of Finding
        Per matched value: ``implausible`` when its 95% sampling interval misses the cited range of
        the stated disease (how far, and which other disease's range it fits), else
        ``consistent``; ``not testable`` when the stated disease has no range for it (naming the
        diseases that do). One ``not testable`` finding lists the ``baseline.`` quantities the
        knowledge base has no range for.

    Example
    -------
    45 men of 100 in a breast-cancer cohort (cited male share 0–1%) -> ``implausible``.

    References
    ----------
    The knowledge base's baseline.csv (arm-level ranges of cited trials); INSPECT-SR item 4.3.
    """
    kb = _kb(ctx)
    disease, _ = stated_scope(kb, ctx.ledger.meta)
    out: list[Finding] = []
    unmatched = []
    for item in baseline_items(ctx):
        if item["variable"] is None:
            if str(item["quantity"]).startswith("baseline."):
                unmatched.append(item)
            continue
        ranges = kb.baseline(disease, item["variable"]) if disease else []
        others = [b for b in kb.baseline(None, item["variable"]) if b.disease != disease]
        if not disease:
            res = Result("not testable", "plausibility", "",
                         "the study states no disease known to the knowledge base.")
        elif not ranges:
            have = ", ".join(f"{kb.disease_name(o.disease)} ({_fmt(o.low)}–{_fmt(o.high)})"
                             for o in others)
            fit = [kb.disease_name(o.disease) for o in others if o.low <= item["value"] <= o.high]
            res = Result("not testable", "plausibility", "",
                         f"the knowledge base has no range of {item['variable']} for "
                         f"{kb.disease_name(disease)}; it has one for {have or 'no disease'}"
                         + (f" (the printed value fits {', '.join(fit)})" if fit else "") + ".")
        else:
            res = baseline_result(item, ranges, others, kb.disease_name(disease), kb.disease_name)
        out.append(finding_from(ctx, item=item["label"], result=res, locators=item["locators"],
                                printed=str(item["printed"]), quantity=item["quantity"]))
    if unmatched:
        res = Result("not testable", "plausibility", "",
                     "the knowledge base has no baseline range for: "
                     + ", ".join(unique(i["label"] for i in unmatched)) + ".")
        out.append(finding_from(ctx, item="baseline values without a cited range", result=res,
                                locators=unique(loc for i in unmatched for loc in i["locators"])[:20],
                                printed="; ".join(unique(i["label"] for i in unmatched)),
                                quantity="baseline.knowledge_base.unmatched"))
    return out


# ------------------------------------------------------------------------------------------
# adverse events against the regimen
# ------------------------------------------------------------------------------------------

def grade_kind(band: str) -> str:
    """``any``, ``mild`` (grades 1-2), ``severe`` (grade 3 or higher) or ``other``."""
    b = normalise(band).replace("grade", "").replace(" ", "")
    if b in ("", "any", "all", "1-5", "1-4", "total"):
        return "any"
    if re.fullmatch(r"(<3|<=2|≤2|1-2|1~2|1/2|[12])", b):
        return "mild"
    if re.fullmatch(r"(>=3|≥3|>2|3-4|3-5|3~4|3/4|[345]|\\geq3)", b):
        return "severe"
    return "other"


def ae_events(ctx) -> "OrderedDict[str, dict]":
    """Printed adverse events (role ``event``) by event: rates (percent) for ``any``, ``mild``,
    ``severe``, with counts, denominator, quantities, locators and printed text."""
    df = ctx.table("adverse_events")
    events: "OrderedDict[str, dict]" = OrderedDict()
    if df.empty:
        return events
    for _, r in df.iterrows():
        if r.get("role") != "event":
            continue
        key = compact(r["event"])
        ev = events.setdefault(key, {"event": r["event"], "bands": {}, "locators": [],
                                     "quantities": [], "printed": []})
        ev["locators"].append(r["locator"])
        ev["quantities"].append(r["quantity"])
        ev["printed"].append(f"{r['grade_band']}: {r['printed']}")
        kind = grade_kind(r["grade_band"])
        n = _num(r.get("denominator"))
        k = _num(r.get("count"))
        pct = _num(r.get("percent"))
        if not n or kind == "other":
            continue
        if k is None and pct is None:
            continue
        have = ev["bands"].get(kind)
        if have is not None and have["k"] is not None:
            continue          # keep the first place that prints a count
        ev["bands"][kind] = {"k": k if k is not None else pct * n / 100, "n": int(n),
                             "exact": k is not None}
    for ev in events.values():
        b = ev["bands"]
        if "any" not in b and "mild" in b and "severe" in b and b["mild"]["n"] == b["severe"]["n"]:
            b["any"] = {"k": b["mild"]["k"] + b["severe"]["k"], "n": b["mild"]["n"],
                        "exact": b["mild"]["exact"] and b["severe"]["exact"]}
    return events


def regimen_keys(kb: KnowledgeBase, regimen: list[str]) -> tuple[set[str], set[str]]:
    drugs = set()
    for d in regimen:
        key = d if kb.drug_row(d) else kb.drug(d)
        if key:
            drugs.add(key)
        elif kb.regimen(d):
            drugs |= set(kb.regimen_drugs(kb.regimen(d)))
    classes = {kb.drug_class(d) for d in drugs} - {""}
    return drugs, classes


def _who(kb: KnowledgeBase, key: str) -> str:
    row = kb.drug_row(key)
    if row:
        return row.get("name", key)
    members = kb.drugs_of_class(key)
    return f"{key.replace('_', ' ')} class" + (f" ({', '.join(members)})" if members else "")


def _who_list(kb: KnowledgeBase, keys: Iterable[str]) -> str:
    """Drugs and classes named once each, drugs gathered under their class
    (``'vegfr tki class (sorafenib, lenvatinib), Capecitabine'``)."""
    keys = unique(keys)
    classes = [k for k in keys if not kb.drug_row(k)]
    out, done = [], set()
    for c in classes:
        members = unique([k for k in keys if kb.drug_class(k) == c] + kb.drugs_of_class(c))
        out.append(f"{c.replace('_', ' ')} class ({', '.join(members)})" if members
                   else c.replace("_", " "))
        done |= set(members) | {c}
    for k in keys:
        if k in done:
            continue
        cls = kb.drug_class(k)
        if cls and cls not in classes and sum(kb.drug_class(j) == cls for j in keys) >= 2:
            members = [j for j in keys if kb.drug_class(j) == cls]
            out.append(f"{cls.replace('_', ' ')} class ({', '.join(members)})")
            done |= set(members)
            continue
        out.append(kb.drug_row(k).get("name", k))
        done.add(k)
    return ", ".join(out)


def _cites(kb: KnowledgeBase, rows, at_most: int = 4) -> str:
    keys = unique(c for e in rows for c in e.citation)
    more = f" and {len(keys) - at_most} more" if len(keys) > at_most else ""
    return kb.cite(keys[:at_most]) + more


def _range_words(e: EventRow, severe: bool = False) -> str:
    lo, hi = (e.g3_low, e.g3_high) if severe else (e.any_low, e.any_high)
    if lo is None and hi is None:
        return ""
    if lo is None or lo == hi:
        return f"{_fmt(hi if hi is not None else lo)}%"
    return f"{_fmt(lo)}–{_fmt(hi)}%"


def ae_event_result(kb: KnowledgeBase, event: dict, drugs: set[str], classes: set[str]) -> Result:
    """One printed adverse event against the regimen's drugs (see :func:`ae_vs_regimen_check`)."""
    rows = kb.event_rows(event["event"])
    own_keys = drugs | classes
    own = [e for e in rows if e.drug in own_keys]
    foreign = [e for e in rows if e.drug not in own_keys]
    opposite = [e for e in kb.events if e.drug in own_keys and e.opposite
                and any(keys_of(s) & keys_of(e.opposite) for s in kb.event_spellings(event["event"]))]
    b = event["bands"]
    any_b = b.get("any")
    rate = 100 * any_b["k"] / any_b["n"] if any_b else None
    ci = wilson(any_b["k"], any_b["n"]) if any_b else None
    rate_words = f"{_fmt(rate)}% any grade" if rate is not None else "printed rate"
    reasons, used = [], []
    if opposite:
        o = opposite[0]
        reasons.append(f"{_who(kb, o.drug)} causes {o.event} ({_range_words(o) or 'labelled'}; "
                       f"{kb.cite(o.citation)}), the opposite of {event['event'].lower()}")
        used.append(o)
    char_foreign = [e for e in foreign if e.characteristic]
    if char_foreign and not own:
        names = _who_list(kb, (e.drug for e in char_foreign))
        reasons.append(f"{event['event'].lower()} ({rate_words}) is characteristic of {names}, "
                       f"none of which is in the regimen, and the knowledge base lists it for none "
                       f"of the regimen's drugs ({_cites(kb, char_foreign)})")
        used += char_foreign
    elif char_foreign and own and ci is not None:
        top = max((e.any_high for e in own if e.any_high is not None), default=None)
        fits = [e for e in char_foreign if e.any_high is not None and e.any_high >= ci[0]]
        if top is not None and ci[0] > top and fits:
            reasons.append(f"{rate_words} exceeds what the regimen's drugs produce (at most "
                           f"{_fmt(top)}%: {_who_list(kb, (e.drug for e in own))}) "
                           f"and fits {_who_list(kb, (e.drug for e in fits))}")
            used += own + fits
    mild, severe = b.get("mild"), b.get("severe")
    if mild and severe and severe["k"] > mild["k"]:
        graded = [e for e in rows if e.any_low is not None and e.g3_high is not None]
        minority = [e for e in graded if e.g3_high < e.any_low - e.g3_high]
        if minority:
            e = minority[0]
            reasons.append(f"grade ≥3 ({_fmt(severe['k'])}) outnumbers grade 1–2 "
                           f"({_fmt(mild['k'])}), whereas with {_who(kb, e.drug)} severe cases are "
                           f"the minority ({_range_words(e, True)} grade ≥3 of {_range_words(e)} "
                           f"any grade; {kb.cite(e.citation)})")
            used.append(e)
    if reasons:
        return Result("implausible", "plausibility",
                      "events of the regimen's drugs, at their cited rates",
                      "; ".join(reasons) + "." + _confidence_words(used), ("knowledge_base",),
                      values={"foreign": unique(e.drug for e in char_foreign)})
    if own:
        note = ""
        top = max((e.any_high for e in own if e.any_high is not None), default=None)
        if top is not None and ci is not None and ci[0] > top:
            note = (f" The printed {rate_words} lies above the cited {_fmt(top)}% (figures depend "
                    "on dose, combination and how events were counted): a question, not a finding.")
        return Result("consistent", "plausibility", "",
                      f"{event['event']} is a known event of "
                      f"{_who_list(kb, (e.drug for e in own))}.{note}", ("knowledge_base",))
    if rows:
        return Result("consistent", "plausibility", "",
                      f"{event['event']} is listed for other drugs "
                      f"({_who_list(kb, (e.drug for e in rows))}) but is not "
                      "characteristic of them; it says nothing against the regimen.",
                      ("knowledge_base",))
    return Result("not testable", "plausibility", "",
                  f"the knowledge base lists no drug causing {event['event'].lower()}.")


def absent_hallmarks(kb: KnowledgeBase, events: dict, drug: str, threshold: float = 10.0):
    """Characteristic events of ``drug`` (its own and its class's rows) with a cited any-grade
    incidence of at least ``threshold`` % that no printed event matches."""
    printed = list(events.values())
    missing = []
    for e in kb.events_of(drug):
        if not e.characteristic or e.any_low is None or e.any_low < threshold:
            continue
        spell = [e.event, *e.synonyms]
        hit = any(any(keys_of(s) & keys_of(p["event"]) for s in spell)
                  or e.matches(p["event"])
                  or any(e.matches(s) for s in kb.event_spellings(p["event"]))
                  for p in printed)
        if not hit:
            missing.append(e)
    return missing


MIN_EVENTS_FOR_ABSENCE = 5


@register(
    "ae_vs_regimen", family="plausibility",
    title="The adverse events fit the drugs of the stated regimen",
    reads=["adverse_events"], assumptions=["knowledge_base"], items=["4.4"],
    reference=KB_REF + "; adverse_events.csv (drug labels and trials)", category="plausibility",
    formula="events characteristic only of drugs outside the regimen; events opposite to a "
            "regimen drug's effect; grade ≥3 > grade 1–2 where the cited ≥3 share is a minority; "
            "hallmark events (cited incidence ≥10%) of a regimen drug absent from the table",
    examples=[
        Example("pass", meta={"disease": "renal", "regimen": ["interleukin-2"]}, tables={
            "adverse_events": [
                {"event": "Hypotension", "grade_band": "any", "role": "event", "count": "30",
                 "percent": "60.0", "denominator": "50", "quantity": "ae.hypotension.any"}]}),
        Example("flag", meta={"disease": "renal", "regimen": ["interleukin-2"]}, tables={
            "adverse_events": [
                {"event": "Hypertension", "grade_band": "any", "role": "event", "count": "20",
                 "percent": "40.0", "denominator": "50", "quantity": "ae.hypertension.any"}]}),
    ])
def ae_vs_regimen_check(ctx) -> list[Finding]:
    """Printed adverse events (``adverse_events.csv``) against ``study.yaml`` ``regimen``.

    Parameters
    ----------
    ctx : Context
        ``adverse_events`` rows (role ``event``) within scope, with grade bands ``any``, grade
        1–2 (``<3``, ``1-2``) and grade ≥3 (``>=3``, ``3-4``); the stated ``regimen`` (drug keys of
        ``drugs.csv`` or regimen keys).

    Returns
    -------
    list of Finding
        One per printed event: ``implausible`` when it is characteristic only of drugs outside
        the regimen (naming them), or exceeds the regimen's cited rates while fitting another
        drug's, or is the opposite of a regimen drug's known effect, or its grade ≥3 count
        outnumbers grade 1–2 where the knowledge base's figures make severe cases a minority;
        ``consistent`` when a regimen drug is known to cause it; ``not testable`` when the
        knowledge base knows no drug causing it. One finding per regimen drug on its hallmark
        events (cited incidence ≥10%) missing from the table (``implausible``), when the table
        lists at least five events.

    Example
    -------
    An IL-2 series printing hypertension in 40% -> ``implausible`` (IL-2 causes hypotension); one
    printing hypotension -> ``consistent``.

    References
    ----------
    The knowledge base's adverse_events.csv (drug labels, pivotal trials); CTCAE v5.0;
    INSPECT-SR item 4.4.
    """
    kb = _kb(ctx)
    regimen = meta_list(ctx.ledger.meta, "regimen")
    events = ae_events(ctx)
    out: list[Finding] = []
    drugs, classes = regimen_keys(kb, regimen)
    if not drugs:
        why = ("the study states no regimen (study.yaml 'regimen')" if not regimen else
               f"no drug of the stated regimen ({', '.join(regimen)}) is in the knowledge base")
        for ev in events.values():
            out.append(finding_from(ctx, item=ev["event"],
                                    result=Result("not testable", "plausibility", "", why + "."),
                                    locators=unique(ev["locators"]), printed="; ".join(ev["printed"]),
                                    quantity=ev["quantities"][0]))
        return out
    for ev in events.values():
        res = ae_event_result(kb, ev, drugs, classes)
        out.append(finding_from(ctx, item=ev["event"], result=res, locators=unique(ev["locators"]),
                                printed="; ".join(ev["printed"]), quantity=ev["quantities"][0]))
    all_locs = unique(loc for ev in events.values() for loc in ev["locators"])
    table_locs = unique(str(loc).split(" / ")[0] for loc in all_locs
                       if str(loc).lower().startswith("table")) or all_locs
    for drug in sorted(drugs):
        missing = absent_hallmarks(kb, events, drug)
        if len(events) < MIN_EVENTS_FOR_ABSENCE:
            res = Result("not testable", "plausibility", "",
                         f"the paper prints {len(events)} adverse event(s); too few to judge "
                         "which expected events are absent.")
        elif missing:
            listed = "; ".join(f"{e.event} ({_range_words(e)} any grade; {e.note or 'see source'}; "
                               f"{kb.cite(e.citation)})" for e in missing)
            res = Result("implausible", "plausibility",
                         f"hallmark events of {kb.drug_row(drug).get('name', drug)}",
                         f"the table omits hallmark events of {kb.drug_row(drug).get('name', drug)}"
                         f" that the knowledge base gives at ≥10%: {listed}." +
                         _confidence_words(missing), ("knowledge_base",),
                         values={"missing": [e.event for e in missing]})
        else:
            res = Result("consistent", "plausibility", "",
                         f"the table lists the hallmark events of "
                         f"{kb.drug_row(drug).get('name', drug)} the knowledge base gives at ≥10% "
                         "(or it gives none).", ("knowledge_base",))
        out.append(finding_from(ctx, item=f"expected events of {drug}", result=res,
                                locators=table_locs[:3], printed=f"{len(events)} events printed",
                                quantity=f"ae.expected.{slug(drug)}"))
    return out


# ------------------------------------------------------------------------------------------
# regimen coherence
# ------------------------------------------------------------------------------------------

PROTOCOL_ATTRIBUTES = ("dose", "interval", "frequency", "duration")
_UNIT_WORDS = {"h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
               "min": "minutes", "minute": "minutes", "minutes": "minutes", "d": "days",
               "day": "days", "days": "days", "wk": "weeks", "week": "weeks", "weeks": "weeks",
               "month": "months", "months": "months"}


def _unit(u) -> str:
    t = normalise(u)
    return _UNIT_WORDS.get(t, t.replace("²", "2").replace(" ", ""))


def _span(row) -> tuple[float, float] | None:
    lo = _num(row.get("value"))
    if lo is None:
        return None
    hi = _num(row.get("value_high"))
    return (lo, hi if hi is not None else lo)


def _resolve_name(kb: KnowledgeBase, text: str) -> tuple[str, str] | None:
    """A printed drug/regimen name as ``("drug", key)``, ``("class", key)``, ``("regimen", key)``."""
    for kind, fn in (("drug", kb.drug), ("regimen", kb.regimen), ("class", kb.klass)):
        key = fn(text)
        if key:
            return kind, key
    return None


def _in_regimen(kb: KnowledgeBase, kind: str, key: str, drugs: set[str], classes: set[str]) -> bool:
    if kind == "drug":
        return key in drugs
    if kind == "class":
        return key in classes
    return bool(kb.regimen_drugs(key)) and set(kb.regimen_drugs(key)) <= drugs


def _generic_matches_regimen(kb: KnowledgeBase, entry, drugs: set[str]) -> bool:
    """Whether a generic treatment term (a vocabulary entry) names a kind of drug the regimen has:
    one of its spellings occurs in a regimen drug's key, name, class, synonyms or mechanism."""
    spellings = {compact(s) for s in (entry.term, *entry.synonyms) if len(compact(s)) >= 3}
    for d in drugs:
        row = kb.drug_row(d)
        text = compact(" ".join(str(row.get(c, "")) for c in
                                ("key", "name", "synonyms", "drug_class", "mechanism")))
        text += compact(str(row.get("drug_class", "")).replace("_", " "))
        if any(s in text for s in spellings):
            return True
    return False


def _foreign_disease_of(kb: KnowledgeBase, name: str, disease: str, organs: set[str]) -> list[str]:
    out = []
    for e in kb.terms(name):
        if e.specificity == "general" or disease in e.diseases:
            continue
        if set(e.organs) & organs:
            continue
        out += [d for d in e.diseases if d != disease]
    return unique(out)


def mechanism_result(kb: KnowledgeBase, drug: str, claimed: str) -> Result:
    """A claimed target or mechanism of ``drug`` against its knowledge-base targets."""
    row = kb.drug_row(drug)
    targets = [t for t in str(row.get("targets", "")).split("|") if t.strip()]
    obj = compact(claimed)
    mech = compact(row.get("mechanism", ""))
    if not obj:
        return Result("not testable", "plausibility", "", "no mechanism or target is printed.")
    hit = [t for t in targets if len(compact(t)) >= 3 and (compact(t) in obj or obj in compact(t))]
    if hit or (len(obj) >= 6 and obj in mech):
        return Result("consistent", "plausibility", "; ".join(targets),
                      f"'{claimed}' agrees with the knowledge base's targets of "
                      f"{row.get('name', drug)} ({'; '.join(targets)}).", ("knowledge_base",))
    others = []
    for k in kb.drug_keys:
        if k == drug:
            continue
        ts = [t for t in str(kb.drug_row(k).get("targets", "")).split("|") if t.strip()]
        t_hit = [t for t in ts if len(compact(t)) >= 5 and (compact(t) in obj or obj in compact(t))]
        if t_hit:
            others.append((k, t_hit[0]))
    if others:
        named = ", ".join(unique(kb.drug_row(k).get("name", k) for k, _ in others))
        return Result("implausible", "plausibility", "; ".join(targets),
                      f"the paper says {row.get('name', drug)} acts on '{claimed}'; the knowledge "
                      f"base gives its targets as {'; '.join(targets)} ({kb.cite(row.get('citation', ''))}),"
                      f" while '{others[0][1]}' is the target of {named}." +
                      (f" Note: {row.get('note')}" if row.get("note") else ""),
                      ("knowledge_base",), values={"target_of": [k for k, _ in others]})
    return Result("not testable", "plausibility", "; ".join(targets),
                  f"'{claimed}' names no target the knowledge base lists for any drug.")


@register(
    "regimen_coherence", family="plausibility",
    title="Doses, durations and schedules agree wherever printed; the drugs and regimens named, "
          "their mechanisms and treatment changes fit the stated regimen",
    reads=["regimen", "terms", "claims"], assumptions=["knowledge_base", "text_interpretation"],
    items=["2.5", "3.1", "R:conduct"], reference=KB_REF + "; drugs.csv, regimens.csv",
    category="design",
    formula="per component and attribute (dose, interval, frequency, duration, same unit): "
            "printed values or ranges that do not overlap; names resolving to drugs/regimens "
            "outside study.yaml regimen; claimed targets vs drugs.csv targets",
    examples=[
        Example("pass", meta={"disease": "renal", "regimen": ["interleukin-2"]}, tables={
            "regimen": [
                {"component": "interleukin-2", "attribute": "dose", "value": "600000", "unit": "IU/kg",
                 "quantity": "regimen.interleukin_2.dose", "locator": "Methods ¶1"},
                {"component": "interleukin-2", "attribute": "dose", "value": "600000",
                 "unit": "IU/kg", "quantity": "regimen.interleukin_2.dose",
                 "locator": "Abstract / Methods"}]}),
        Example("flag", meta={"disease": "renal", "regimen": ["interleukin-2"]}, tables={
            "regimen": [
                {"component": "interleukin-2", "attribute": "interval", "value": "2", "unit": "weeks",
                 "quantity": "regimen.interleukin_2.interval", "locator": "Methods ¶1"},
                {"component": "interleukin-2", "attribute": "interval", "value": "3",
                 "unit": "weeks", "quantity": "regimen.interleukin_2.interval",
                 "locator": "Results ¶1"}]}),
    ])
def regimen_coherence_check(ctx) -> list[Finding]:
    """The regimen as printed (``regimen.csv``, ``terms.csv``, ``claims.csv``) against itself, the
    stated regimen and the knowledge base.

    Parameters
    ----------
    ctx : Context
        ``regimen``, ``terms`` (categories ``drug``, ``regimen``) and ``claims`` (kinds
        ``comparison``, ``mechanism``, ``treatment_change``) within scope; ``study.yaml``
        ``regimen``, ``disease`` and ``sites``.

    Returns
    -------
    list of Finding
        * per component and protocol attribute printed at two or more places: ``inconsistent``
          when the printed values (or ranges) do not overlap, else ``consistent`` (attributes that
          vary by patient, cycles and treatment length, are not compared);
        * per drug or regimen name that resolves in the knowledge base: ``consistent`` when it is
          in the stated regimen or named only as a comparator (a ``comparison`` claim);
          ``inconsistent`` otherwise; ``implausible`` (leftover text) when a comparator regimen of
          another disease carries a protocol attribute printed at the same place as the study's
          own value for it;
        * per ``mechanism`` claim on a known drug: ``implausible`` when the claimed target is
          another drug's and not this one's, ``consistent`` when it is one of its targets;
        * per ``treatment_change`` claim: ``inconsistent`` when its drug, class or kind of drug is
          not in the regimen;
        * one ``not testable`` finding lists the names the knowledge base does not know.

    Example
    -------
    An interval of 2 weeks in the methods and 3 weeks in the results -> ``inconsistent``;
    "gemcitabine inhibits thymidylate synthase" -> ``implausible`` (the knowledge base gives
    ribonucleotide reductase and DNA synthesis; thymidylate synthase is the target of
    fluoropyrimidines, raltitrexed and pemetrexed).

    References
    ----------
    The knowledge base's drugs.csv and regimens.csv (drug labels); INSPECT-SR item 2.5.
    """
    kb = _kb(ctx)
    meta = ctx.ledger.meta
    regimen = meta_list(meta, "regimen")
    drugs, classes = regimen_keys(kb, regimen)
    disease, organs = stated_scope(kb, meta)
    reg = ctx.table("regimen")
    terms = ctx.table("terms")
    claims = ctx.table("claims")
    out: list[Finding] = []

    # 1. the same protocol attribute printed at several places
    if not reg.empty:
        reg = reg.assign(_comp=reg["component"].map(compact))
        for (comp, attr), grp in reg.groupby(["_comp", "attribute"], sort=False):
            if attr not in PROTOCOL_ATTRIBUTES or len(grp) < 2:
                continue
            spans = [(r, _span(r), _unit(r.get("unit", ""))) for _, r in grp.iterrows()]
            spans = [s for s in spans if s[1] is not None]
            if len(spans) < 2:
                continue
            name = grp.iloc[0]["component"]
            units = {u for _, _, u in spans}
            printed = "; ".join(f"{r['locator']}: {r['value']}"
                                + (f"–{r['value_high']}" if r.get("value_high") else "")
                                + (f" {r['unit']}" if r.get("unit") else "") for r, _, _ in spans)
            clash = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
                     if a[2] == b[2] and (a[1][1] < b[1][0] or b[1][1] < a[1][0])]
            if len(units) > 1:
                res = Result("not testable", "design", "",
                             f"the {attr} of {name} is printed in different units ({', '.join(sorted(units))}).")
            elif clash:
                a, b = clash[0]
                res = Result("inconsistent", "design", "one value (or overlapping ranges)",
                             f"the {attr} of {name} is printed as {a[0]['value']}"
                             + (f"–{a[0]['value_high']}" if a[0].get("value_high") else "")
                             + f" at {a[0]['locator']} and {b[0]['value']}"
                             + (f"–{b[0]['value_high']}" if b[0].get("value_high") else "")
                             + f" at {b[0]['locator']} ({a[0].get('unit', '')}); the places "
                             "describe the same protocol.", ("text_interpretation",))
            else:
                res = Result("consistent", "design", "",
                             f"the {attr} of {name} agrees wherever printed.", ())
            out.append(finding_from(ctx, item=f"{name}: {attr}", result=res,
                                    locators=unique(r["locator"] for r, _, _ in spans),
                                    printed=printed, quantity=grp.iloc[0]["quantity"]))

    # 2. drug and regimen names not in the stated regimen
    comparators = set()
    if not claims.empty:
        for _, c in claims[claims["kind"] == "comparison"].iterrows():
            comparators |= keys_of(c["subject"])
    names: "OrderedDict[str, dict]" = OrderedDict()

    def _add(name, locator, quantity, source):
        hit = _resolve_name(kb, name)
        k = f"{hit[0]}:{hit[1]}" if hit else compact(name)
        if not k:
            return
        item = names.setdefault(k, {"name": name, "locators": [], "quantity": quantity,
                                    "sources": set()})
        item["locators"].append(locator)
        item["sources"].add(source)

    if not terms.empty:
        for _, t in terms[terms["category"].isin(["drug", "regimen"])].iterrows():
            _add(t["term"], t["locator"], t["quantity"], "terms")
    if not reg.empty:
        for _, r in reg.iterrows():
            _add(r["component"], r["locator"], r["quantity"], "regimen")
    unknown = []
    if drugs:
        for k, item in names.items():
            hit = _resolve_name(kb, item["name"])
            if hit is None:
                entries = [e for e in kb.terms(item["name"])]
                if not entries:
                    unknown.append(item)
                continue
            kind, key = hit
            locs = unique(item["locators"])
            if _in_regimen(kb, kind, key, drugs, classes):
                res = Result("consistent", "design", "", f"{item['name']} is part of the stated "
                             f"regimen ({', '.join(regimen)}).", ("knowledge_base",))
            elif keys_of(item["name"]) & comparators or keys_of(key) & comparators:
                other = _foreign_disease_of(kb, item["name"], disease or "", organs)
                comp_rows = (reg[reg["component"].map(lambda c: _resolve_name(kb, c) == hit)]
                             if not reg.empty else pd.DataFrame())
                same_place = []
                if not comp_rows.empty:
                    for _, r in comp_rows.iterrows():
                        if r["attribute"] not in PROTOCOL_ATTRIBUTES:
                            continue
                        peers = reg[(reg["locator"] == r["locator"]) & (reg["_comp"] != r["_comp"])
                                    & (reg["attribute"] == r["attribute"])]
                        for _, p in peers.iterrows():
                            ph = _resolve_name(kb, p["component"])
                            if ph is not None and not _in_regimen(kb, *ph, drugs, classes):
                                continue
                            if ph is None and compact(p["component"]) in comparators:
                                continue
                            same_place.append((r, p))
                if other and same_place:
                    r, p = same_place[0]
                    res = Result("implausible", "design", "",
                                 f"{item['name']} ({kb.regimen_row(key).get('name', key) if kind == 'regimen' else key}), "
                                 f"a regimen the knowledge base places in "
                                 f"{', '.join(kb.disease_name(d) for d in other)}, is given a "
                                 f"{r['attribute']} of {r['value']} {r.get('unit', '')} at "
                                 f"{r['locator']}, the place that gives this study's "
                                 f"{p['component']} {r['attribute']} as {p['value']} "
                                 f"{p.get('unit', '')}: worded as a comparison, it reads like text "
                                 "about another study's regimen.",
                                 ("knowledge_base", "text_interpretation"))
                else:
                    res = Result("consistent", "design", "",
                                 f"{item['name']} is not in the stated regimen but is named as a "
                                 "comparator.", ("knowledge_base",))
            else:
                what = {"drug": "drug", "class": "drug class", "regimen": "regimen"}[kind]
                res = Result("inconsistent", "design", f"drugs of {', '.join(regimen)}",
                             f"the {what} {item['name']} is named at {', '.join(locs)} but is not "
                             f"in the stated regimen ({', '.join(regimen)}) and is not named as a "
                             "comparator.", ("knowledge_base", "text_interpretation"))
            out.append(finding_from(ctx, item=f"named: {item['name']}", result=res, locators=locs,
                                    printed=item["name"], quantity=item["quantity"]))

    # 3. mechanism claims and 4. treatment changes
    if not claims.empty:
        for _, c in claims.iterrows():
            if c["kind"] == "mechanism":
                hit = _resolve_name(kb, c["subject"])
                if hit is None or hit[0] != "drug":
                    continue
                res = mechanism_result(kb, hit[1], c.get("object", "") or "")
                out.append(finding_from(ctx, item=f"mechanism of {c['subject']}", result=res,
                                        locators=[c["locator"]],
                                        printed=c.get("printed", "") or c.get("object", ""),
                                        quantity=c["quantity"]))
            elif c["kind"] == "treatment_change":
                subject = c["subject"]
                hit = _resolve_name(kb, subject)
                generic = [e for e in kb.terms(subject)
                           if e.category in ("drug", "regimen", "prior_treatment")]
                if not drugs:
                    res = Result("not testable", "design", "",
                                 "the study states no regimen known to the knowledge base.")
                elif hit is not None:
                    ok = _in_regimen(kb, *hit, drugs, classes)
                    res = Result("consistent" if ok else "inconsistent", "design",
                                 f"drugs of {', '.join(regimen)}",
                                 f"the paper reports a change ({c.get('object') or 'change'}) of "
                                 f"{subject}, which {'is' if ok else 'is not'} in the stated "
                                 f"regimen ({', '.join(regimen)}).", ("knowledge_base",))
                elif generic:
                    ok = _generic_matches_regimen(kb, generic[0], drugs)
                    res = Result("consistent" if ok else "inconsistent", "design",
                                 f"drugs of {', '.join(regimen)}",
                                 f"the paper reports a change ({c.get('object') or 'change'}) of "
                                 f"{subject} ({generic[0].term}); " +
                                 ("a drug of the regimen is of that kind." if ok else
                                  f"no drug of the stated regimen ({', '.join(regimen)}) is of that "
                                  "kind in the knowledge base."),
                                 ("knowledge_base", "text_interpretation"))
                else:
                    res = Result("not testable", "design", "",
                                 f"the knowledge base does not know '{subject}'.")
                out.append(finding_from(ctx, item=f"treatment change: {subject}", result=res,
                                        locators=[c["locator"]], printed=c.get("printed", ""),
                                        quantity=c["quantity"]))
    if unknown:
        res = Result("not testable", "design", "",
                     "the knowledge base does not know these drug or regimen names: "
                     + ", ".join(i["name"] for i in unknown) + ".")
        out.append(finding_from(ctx, item="names unknown to the knowledge base", result=res,
                                locators=unique(loc for i in unknown for loc in i["locators"])[:20],
                                printed="; ".join(i["name"] for i in unknown),
                                quantity="regimen.names.unknown"))
    return out


# ------------------------------------------------------------------------------------------
# design coherence
# ------------------------------------------------------------------------------------------

_SUBGROUP_WORDS = ("subgroup", "subset", "stratum", "strata")


def groups_claim_result(subject: str, arms: int | None) -> Result:
    """A ``groups`` claim against the number of arms the design has."""
    s = normalise(subject)
    if arms is None:
        return Result("not testable", "design", "",
                      "the study does not state its number of arms (study.yaml 'arms').")
    if arms >= 2:
        return Result("consistent", "design", f"{arms} arms",
                      f"'{subject}': the design has {arms} arms or groups.", ("text_interpretation",))
    if any(w in s for w in _SUBGROUP_WORDS):
        return Result("consistent", "design", "1 arm",
                      f"'{subject}' names subgroups of the one cohort, not arms.",
                      ("text_interpretation",))
    return Result("inconsistent", "design", "1 arm",
                  f"the text speaks of '{subject}', but the study is a single cohort (1 arm): "
                  "wording that belongs to a study with groups.", ("text_interpretation",))


@register(
    "design_coherence", family="plausibility",
    title="A single-arm study is not written as if it had treatment groups",
    reads=["claims"], assumptions=["text_interpretation"], items=["2.5", "3.1", "R:conduct"],
    reference=KB_REF + "; TEXT_EVIDENCE.md (claims kind 'groups', study.yaml 'arms')",
    category="design", formula="study.yaml arms == 1 and a claim of kind 'groups' that is not a "
                               "subgroup of the cohort",
    examples=[
        Example("pass", meta={"arms": 1}, tables={"claims": [
            {"kind": "groups", "subject": "patient subgroups", "quantity": "claim.groups.subgroups",
             "locator": "Discussion ¶2"}]}),
        Example("flag", meta={"arms": 1}, tables={"claims": [
            {"kind": "groups", "subject": "both groups", "quantity": "claim.groups.both_groups",
             "locator": "Discussion ¶4"}]}),
    ])
def design_coherence_check(ctx) -> list[Finding]:
    """Claims of kind ``groups`` against ``study.yaml`` ``arms``.

    Parameters
    ----------
    ctx : Context
        ``claims`` within scope; ``study.yaml`` ``arms``.

    Returns
    -------
    list of Finding
        One per ``groups`` claim: ``inconsistent`` (text interpretation) when the study has one
        arm and the claim is not about subgroups of the cohort; ``consistent`` otherwise;
        ``not testable`` when the number of arms is not stated.

    Example
    -------
    A single-arm cohort whose discussion says "the adverse reactions in both groups are similar"
    -> ``inconsistent``.

    References
    ----------
    INSPECT-SR item 2.5 (conduct as described); REAPPRAISED "research conduct".
    """
    claims = ctx.table("claims")
    arms = _arms(ctx.ledger.meta)
    out = []
    if claims.empty:
        return out
    for _, c in claims[claims["kind"] == "groups"].iterrows():
        res = groups_claim_result(c["subject"], arms)
        out.append(finding_from(ctx, item=f"groups: {c['subject']}", result=res,
                                locators=[c["locator"]], printed=c.get("printed", "") or c["subject"],
                                quantity=c["quantity"]))
    return out

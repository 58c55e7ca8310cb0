"""The reference list and the byline (check family "bibliography").

* :func:`references_check` -- duplicated references (the same title after normalisation, or the
  same authors and title), one number holding two different entries, the share of self-citations
  with the off-topic ones named, and claims about a specific drug or regimen cited to references
  whose titles are about something else;
* :func:`authorship_check` -- every author credited with every contribution role, contributors
  who are not authors, and affiliations whose field (``data/knowledge/fields.csv``) is unrelated
  to a clinical cancer study, with how many authors hold only such affiliations.

The topic of the paper, for self-citations, is its stated disease (name, synonyms, organ), its
regimen's drugs (names, synonyms, classes) and the procedures its title names, each spelt as in
the knowledge base. Verdicts are ``inconsistent`` or ``implausible`` and never ``impossible``:
a reading of names and titles (``text_interpretation``) or a knowledge-base entry
(``knowledge_base``) is always involved, except for a title printed twice.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Iterable

import pandas as pd

from ..core.findings import Finding, Result, finding_from
from ..core.text import slug
from ..ledger.knowledge import KnowledgeBase, compact, knowledge_base, normalise, split_list
from .plausibility import meta_list, regimen_keys, unique, stated_scope
from .registry import Example, register

BIB_REF = ("INSPECT-SR (Wilkinson et al., medRxiv 2025) item 3.1; REAPPRAISED (Grey et al., "
           "Nature 2020) 'authorship'; CRediT taxonomy (Brand et al., Learned Publishing 2015)")


def _kb() -> KnowledgeBase:
    return knowledge_base()


# ------------------------------------------------------------------------------------------
# names
# ------------------------------------------------------------------------------------------

def norm_title(title: str) -> str:
    """A title for comparison: lower case, letters and digits only, single spaces."""
    t = normalise(title)
    t = re.sub(r"[^0-9a-zα-ω]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def reference_authors(text: str) -> list[tuple[str, str]]:
    """``'Cao Q, Wang Q, Wu X, et al'`` -> ``[('cao', 'q'), ('wang', 'q'), ('wu', 'x')]``
    (surname, first initial), in Vancouver style (surname then initials)."""
    out = []
    for part in re.split(r"[,;]", str(text or "")):
        p = part.strip().rstrip(".")
        if not p or re.fullmatch(r"et\.?\s*al\.?", p, flags=re.I):
            continue
        p = re.sub(r"\bet\.?\s*al\.?$", "", p, flags=re.I).strip()
        toks = p.split()
        if len(toks) == 1:
            out.append((toks[0].lower(), ""))
            continue
        initials = [t for t in toks[1:] if re.fullmatch(r"[A-Z][A-Z.\-]*", t)]
        if initials:
            out.append((" ".join(t for t in toks if t not in initials).lower(), initials[0][0].lower()))
        else:  # given names first
            out.append((toks[-1].lower(), toks[0][0].lower()))
    return out


def byline_keys(name: str) -> set[tuple[str, str]]:
    """(surname, first initial) readings of a byline name printed as ``Given Family`` or
    ``Family Given``."""
    toks = [t for t in re.split(r"[\s]+", normalise(name).replace(".", " ")) if t]
    if not toks:
        return set()
    if len(toks) == 1:
        return {(toks[0], "")}
    return {(toks[-1], toks[0][0]), (toks[0], toks[1][0])}


def same_person(a: str, b: str) -> bool:
    """Whether two printed names are the same person (order, case, hyphens, initials ignored)."""
    ka = compact(a)
    kb_ = compact(b)
    if ka == kb_:
        return True
    ta = sorted(t for t in re.split(r"[\s.]+", normalise(a).replace("-", "")) if t)
    tb = sorted(t for t in re.split(r"[\s.]+", normalise(b).replace("-", "")) if t)
    return ta == tb


# ------------------------------------------------------------------------------------------
# topic of the paper
# ------------------------------------------------------------------------------------------

# Adjectives of organ names, so that "pulmonary" in a title counts for an organ "lung" (words of
# English, not clinical facts).
ORGAN_ADJECTIVES = {"lung": ("pulmonary",), "liver": ("hepatic",), "kidney": ("renal",),
                    "colon": ("colonic", "colorectal"), "stomach": ("gastric",),
                    "breast": ("mammary",), "pleura": ("pleural",), "skin": ("cutaneous",),
                    "pancreas": ("pancreatic",), "oesophagus": ("oesophageal", "esophageal"),
                    "bladder": ("urothelial",), "prostate": ("prostatic",),
                    "ovary": ("ovarian",), "thyroid": ("thyroid",), "bile_duct": ("biliary",)}


def topic_phrases(kb: KnowledgeBase, meta: dict, terms: pd.DataFrame | None = None) -> list[str]:
    """Words that make a title on-topic: the stated disease (name, synonyms, organ), the regimen's
    drugs (key, name, synonyms, class) and the procedures the paper's title names."""
    phrases: list[str] = []
    disease, organs = stated_scope(kb, meta)
    if disease:
        row = kb.tables["diseases"]
        row = row[row["key"] == disease].iloc[0].to_dict() if not row.empty else {}
        phrases += [disease, row.get("name", ""), *split_list(row.get("synonyms"))]
    for o in sorted(organs):
        phrases += [o.replace("_", " "), *ORGAN_ADJECTIVES.get(o, ())]
    drugs, classes = regimen_keys(kb, meta_list(meta, "regimen"))
    for d in drugs:
        r = kb.drug_row(d)
        phrases += [d, r.get("name", ""), *split_list(r.get("synonyms"))]
        phrases += re.findall(r"[A-Za-z0-9-]+", r.get("name", ""))[:1]
    phrases += [c.replace("_", " ") for c in classes]
    if terms is not None and not terms.empty:
        title = terms[(terms["source"] == "title") & (terms["category"] == "procedure")]
        for t in title["term"]:
            phrases.append(t)
            for e in kb.terms(t):
                phrases += [e.term, *e.synonyms]
    out = []
    for p in phrases:
        n = norm_title(p)
        if len(n) >= 3 and n not in out:
            out.append(n)
    return out


def on_topic(title: str, phrases: Iterable[str]) -> list[str]:
    """The topic phrases a title contains as whole words (a plural ``s`` allowed)."""
    t = f" {norm_title(title)} "
    hits = []
    for p in phrases:
        if re.search(r"(?<![0-9a-z])" + re.escape(p) + r"s?(?![0-9a-z])", t):
            hits.append(p)
    return hits


def parse_refs(text: str) -> list[int]:
    """Reference numbers of a citation bracket: ``'42-45'`` -> 42..45, ``'3,5'`` -> 3, 5."""
    out = []
    for part in re.split(r"[,;]", str(text or "")):
        p = part.strip().replace("\u2013", "-").replace("\u2014", "-")
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", p)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if a <= b and b - a < 100:
                out += list(range(a, b + 1))
        elif p.isdigit():
            out.append(int(p))
    return out


def _named_drugs(kb: KnowledgeBase, text: str) -> list[tuple[str, str]]:
    """Drugs, classes and regimens a short phrase names (word n-grams looked up in the base)."""
    words = re.findall(r"[0-9a-zα-ω]+(?:-[0-9a-zα-ω]+)*", normalise(text))
    found: list[tuple[str, str]] = []
    for n in (4, 3, 2, 1):
        for i in range(len(words) - n + 1):
            gram = " ".join(words[i:i + n])
            if len(compact(gram)) < 3:
                continue
            for kind, fn in (("drug", kb.drug), ("regimen", kb.regimen), ("class", kb.klass)):
                key = fn(gram)
                if key and (kind, key) not in found:
                    found.append((kind, key))
            base = re.sub(r"-based$", "", gram)
            if base != gram:
                key = kb.klass(base) or kb.drug(base)
                if key and ("class", key) not in found and ("drug", key) not in found:
                    found.append(("class" if kb.klass(base) else "drug", key))
    return found


def _spellings(kb: KnowledgeBase, kind: str, key: str) -> list[str]:
    if kind == "drug":
        r = kb.drug_row(key)
        return [key, r.get("name", ""), *split_list(r.get("synonyms")),
                r.get("drug_class", "").replace("_", " ")]
    if kind == "class":
        out = [key.replace("_", " ")]
        for d in kb.drugs_of_class(key):
            r = kb.drug_row(d)
            out += [d, r.get("name", ""), *split_list(r.get("synonyms"))]
        return out
    r = kb.regimen_row(key)
    out = [key, r.get("name", ""), *split_list(r.get("synonyms"))]
    for d in kb.regimen_drugs(key):
        out += _spellings(kb, "drug", d)
    return out


# ------------------------------------------------------------------------------------------
# references
# ------------------------------------------------------------------------------------------

def duplicate_groups(refs: pd.DataFrame) -> list[list[dict]]:
    """Groups of reference entries with different numbers and the same normalised title (or the
    same first-author surname and a title that starts the other's)."""
    rows = [r for _, r in refs.iterrows()]
    groups: "OrderedDict[str, list[dict]]" = OrderedDict()
    for r in rows:
        groups.setdefault(norm_title(r["title"]), []).append(r.to_dict())
    out = [g for g in groups.values() if len({str(x["number"]) for x in g}) > 1]
    keys = list(groups)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            short, long_ = sorted((a, b), key=len)
            if len(short) < 25 or not long_.startswith(short):
                continue
            ga, gb = groups[a], groups[b]
            fa = reference_authors(ga[0]["authors"])[:1]
            fb = reference_authors(gb[0]["authors"])[:1]
            if fa and fa == fb and {str(x["number"]) for x in ga} != {str(x["number"]) for x in gb}:
                out.append(ga + gb)
    return out


def _ref_item(r: dict) -> str:
    return f"[{r['number']}] {r['authors']}. {r['title']}"


@register(
    "references", family="bibliography",
    title="The reference list has no duplicates, cites the authors' own work on topic, and "
          "supports the drug claims cited to it",
    reads=["references"], assumptions=["knowledge_base", "text_interpretation"],
    items=["3.1"], reference=BIB_REF, category="bibliography",
    formula="same normalised title under two numbers; self-citation = a reference author "
            "(surname + first initial) in the byline, off-topic = a title naming none of the "
            "paper's disease, regimen drugs or title procedures; a cited drug named in none of "
            "the cited titles",
    examples=[
        Example("pass", tables={"references": [
            {"number": "1", "authors": "Doe J, Roe R", "title": "A made-up trial of drug A",
             "quantity": "reference.1", "locator": "References / 1", "source": "references"},
            {"number": "2", "authors": "Poe P", "title": "Another made-up cohort",
             "quantity": "reference.2", "locator": "References / 2", "source": "references"}]}),
        Example("flag", tables={"references": [
            {"number": "1", "authors": "Doe J, Roe R", "title": "A made-up trial of drug A",
             "quantity": "reference.1", "locator": "References / 1", "source": "references"},
            {"number": "7", "authors": "Doe J, Roe R", "title": "A Made-Up Trial of Drug A.",
             "quantity": "reference.7", "locator": "References / 7", "source": "references"}]}),
    ])
def references_check(ctx) -> list[Finding]:
    """The reference list (``references.csv``) against itself, the byline and the citing
    sentences (``authors.csv``, ``citations.csv``).

    Parameters
    ----------
    ctx : Context
        ``references`` (number, authors, title), ``authors`` (byline names), ``citations`` (refs,
        subject, printed) and ``terms`` within scope; ``study.yaml`` ``disease``, ``sites``,
        ``regimen`` for the paper's topic.

    Returns
    -------
    list of Finding
        * one ``inconsistent`` finding per duplicated reference (the same title under two or more
          numbers), or one ``consistent`` finding when there is none; one ``inconsistent``
          finding per number that holds two different entries;
        * with a byline: one finding on self-citation, its share and the self-citations whose
          titles share no topic with the paper, ``implausible`` (text interpretation, knowledge
          base) when two or more are off-topic, else ``consistent``;
        * per citing sentence that names a drug, class or regimen: ``implausible`` (a weak signal,
          text interpretation) when none of the cited titles names it, ``consistent`` when one
          does, ``not testable`` when a cited number is not in the list.

    Example
    -------
    "A made-up trial of drug A" printed as references 1 and 7 -> ``inconsistent`` (duplicate).

    References
    ----------
    INSPECT-SR item 3.1 (references that do not support what they are cited for).
    """
    kb = _kb()
    refs = ctx.table("references")
    out: list[Finding] = []
    if refs.empty:
        return out
    refs = refs.copy()
    refs["number"] = refs["number"].astype(str)

    # 1. duplicates, and one number for two entries
    dups = duplicate_groups(refs)
    for g in dups:
        numbers = unique(str(x["number"]) for x in g)
        res = Result("inconsistent", "bibliography", "each work cited once",
                     f"the same work is listed as references {', '.join(numbers)}: "
                     + " | ".join(_ref_item(x) for x in g) + ".", ())
        out.append(finding_from(ctx, item=f"duplicate references {' = '.join(numbers)}", result=res,
                                locators=unique(x["locator"] for x in g),
                                printed=" | ".join(x["title"] for x in g),
                                quantity=g[0]["quantity"]))
    if not dups:
        res = Result("consistent", "bibliography", "each work cited once",
                     f"{refs['number'].nunique()} references, no title printed twice.", ())
        out.append(finding_from(ctx, item="duplicate references", result=res,
                                locators=["References"], printed=f"{len(refs)} entries",
                                quantity="reference.duplicates"))
    for num, g in refs.groupby("number", sort=False):
        if g["title"].map(norm_title).nunique() > 1:
            res = Result("inconsistent", "bibliography", "one entry per number",
                         f"reference number {num} holds {len(g)} different entries: "
                         + " | ".join(_ref_item(x) for _, x in g.iterrows())
                         + "; a citation of it cannot be resolved.", ("text_interpretation",))
            out.append(finding_from(ctx, item=f"reference {num}: two entries", result=res,
                                    locators=unique(g["locator"]), printed=" | ".join(g["title"]),
                                    quantity=g.iloc[0]["quantity"]))

    # 2. self-citation
    authors = ctx.table("authors")
    if not authors.empty:
        keys = set().union(*(byline_keys(n) for n in authors["name"]))
        phrases = topic_phrases(kb, ctx.ledger.meta, ctx.table("terms"))
        distinct = refs.drop_duplicates("number")
        selfs, off = [], []
        for _, r in distinct.iterrows():
            ra = set(reference_authors(r["authors"]))
            if ra & keys:
                selfs.append(r)
                if phrases and not on_topic(r["title"], phrases):
                    off.append(r)
        share = 100 * len(selfs) / len(distinct)
        words = (f"{len(selfs)} of {len(distinct)} references ({share:.0f}%) have a byline "
                 "author among their authors (surname and first initial; a common name can "
                 "match someone else)")
        if not phrases:
            res = Result("not testable", "bibliography", "",
                         words + "; the study states no disease or regimen to judge topic by.")
        elif len(off) >= 2:
            res = Result("implausible", "bibliography", "self-citations on the paper's topic",
                         words + f"; {len(off)} of them name none of the paper's topic words "
                         f"({', '.join(phrases[:8])}{', ...' if len(phrases) > 8 else ''}): "
                         + " | ".join(_ref_item(r) for r in off) + ".",
                         ("knowledge_base", "text_interpretation"),
                         values={"self": [r["number"] for r in selfs],
                                 "off_topic": [r["number"] for r in off]})
        else:
            res = Result("consistent", "bibliography", "self-citations on the paper's topic",
                         words + (f"; {len(off)} of them is off-topic: " + _ref_item(off[0])
                                  if off else "; all on the paper's topic") + ".",
                         ("knowledge_base", "text_interpretation"))
        locs = unique(r["locator"] for r in (off or selfs)) or ["References"]
        out.append(finding_from(ctx, item="self-citation", result=res, locators=locs,
                                printed="; ".join(f"[{r['number']}]" for r in selfs),
                                quantity="reference.self_citation"))

    # 3. drug claims cited to references about something else
    cites = ctx.table("citations")
    if not cites.empty:
        by_number = {str(n): g for n, g in refs.groupby("number")}
        for _, c in cites.iterrows():
            named = _named_drugs(kb, f"{c['subject']}")
            if not named:
                continue
            nums = parse_refs(c["refs"])
            missing = [n for n in nums if str(n) not in by_number]
            titles = [(n, t) for n in nums if str(n) in by_number
                      for t in by_number[str(n)]["title"]]
            what = ", ".join(f"{k}" for _, k in named)
            if not nums or missing:
                res = Result("not testable", "bibliography", "",
                             f"cited reference(s) {', '.join(map(str, missing)) or c['refs']} "
                             "not in the reference list.")
            else:
                support = [(n, t) for n, t in titles
                           if any(on_topic(t, [norm_title(s) for s in _spellings(kb, kind, key)
                                               if len(norm_title(s)) >= 3])
                                  for kind, key in named)]
                if support:
                    res = Result("consistent", "bibliography", f"a cited title on {what}",
                                 f"reference {support[0][0]} is about {what}.",
                                 ("text_interpretation",))
                else:
                    res = Result("implausible", "bibliography", f"a cited title on {what}",
                                 f"the clause on {what} ('{c['subject']}') cites "
                                 f"[{c['refs']}], whose titles name none of it: "
                                 + " | ".join(f"[{n}] {t}" for n, t in titles)
                                 + ". A weak signal: a title need not name every drug its paper "
                                 "discusses.", ("text_interpretation",))
            out.append(finding_from(ctx, item=f"citation [{c['refs']}]: {c['subject']}",
                                    result=res, locators=[c["locator"]],
                                    printed=str(c.get("printed", "")) or c["subject"],
                                    quantity=c["quantity"]))
    return out


# ------------------------------------------------------------------------------------------
# authorship
# ------------------------------------------------------------------------------------------

def affiliation_fields(kb: KnowledgeBase, affs: pd.DataFrame) -> "OrderedDict[str, dict]":
    """Per affiliation number: its unit, institution, the matched field entry (unit first, then
    institution) and whether it is unrelated (``oncology_relevant`` = no)."""
    out: "OrderedDict[str, dict]" = OrderedDict()
    for _, a in affs.iterrows():
        unit = str(a.get("unit", "") or "")
        inst = str(a.get("institution", "") or "")
        f = kb.field_of(unit) if unit else None
        f = f or kb.field_of(inst)
        out[str(a["number"])] = {"unit": unit, "institution": inst, "field": f,
                                 "locator": a["locator"], "quantity": a["quantity"],
                                 "unrelated": bool(f) and f.oncology_relevant == "no"}
    return out


@register(
    "authorship", family="bibliography",
    title="Contribution roles, contributors and affiliations fit the authors of a clinical study",
    reads=["authors", "contributions", "affiliations"],
    assumptions=["knowledge_base", "text_interpretation"], items=["R:authorship", "2.5"],
    reference=BIB_REF + "; data/knowledge/fields.csv (OECD Fields of Science 2007)",
    category="bibliography",
    formula="every author in every role (with >= 3 roles and >= 3 authors); contributor names "
            "not in the byline; affiliations whose field has oncology_relevant = no, and authors "
            "holding only such affiliations",
    examples=[
        Example("pass", tables={
            "authors": [{"position": "1", "name": "Ann Doe", "affiliations": "1",
                         "quantity": "author.ann_doe", "locator": "Byline / 1"},
                        {"position": "2", "name": "Bo Roe", "affiliations": "1",
                         "quantity": "author.bo_roe", "locator": "Byline / 2"}],
            "affiliations": [{"number": "1", "unit": "Department of Oncology",
                              "institution": "Made-up Hospital", "quantity": "affiliation.1",
                              "locator": "Affiliations / 1"}]}),
        Example("flag", tables={
            "authors": [{"position": "1", "name": "Ann Doe", "affiliations": "1",
                         "quantity": "author.ann_doe", "locator": "Byline / 1"},
                        {"position": "2", "name": "Bo Roe", "affiliations": "2",
                         "quantity": "author.bo_roe", "locator": "Byline / 2"}],
            "affiliations": [{"number": "1", "unit": "Department of Oncology",
                              "institution": "Made-up Hospital", "quantity": "affiliation.1",
                              "locator": "Affiliations / 1"},
                             {"number": "2", "unit": "Department of Earth Sciences",
                              "institution": "Made-up University", "quantity": "affiliation.2",
                              "locator": "Affiliations / 2"}]}),
    ])
def authorship_check(ctx) -> list[Finding]:
    """The byline (``authors.csv``, ``affiliations.csv``) and the contribution statement
    (``contributions.csv``).

    Parameters
    ----------
    ctx : Context
        ``authors`` (names and affiliation numbers), ``contributions`` (role, names separated by
        ``;``) and ``affiliations`` (unit, institution) within scope.

    Returns
    -------
    list of Finding
        * one finding on the roles: ``implausible`` (text interpretation) when every author is
          credited with every one of three or more roles, else ``consistent``;
        * one per contributor who is not a byline author (``inconsistent``, text interpretation),
          or one ``consistent`` finding when all are authors;
        * one on the affiliations: ``implausible`` (knowledge base) when at least one author holds
          only affiliations of fields unrelated to a clinical cancer study (fields.csv
          ``oncology_relevant`` = no), naming the fields and counting the authors; ``consistent``
          otherwise; affiliations no keyword matches are listed as not classified.

    Example
    -------
    A second author whose only affiliation is a Department of Earth Sciences -> ``implausible``.

    References
    ----------
    REAPPRAISED 'authorship'; ICMJE authorship criteria; CRediT; OECD FOS 2007 (fields.csv).
    """
    kb = _kb()
    authors = ctx.table("authors")
    contribs = ctx.table("contributions")
    affs = ctx.table("affiliations")
    out: list[Finding] = []
    names = list(authors["name"]) if not authors.empty else []

    if not contribs.empty and names:
        credited = {r["role"]: [n.strip() for n in str(r["names"]).split(";") if n.strip()]
                    for _, r in contribs.iterrows()}
        everyone = all(all(any(same_person(a, n) for n in ns) for a in names)
                       for ns in credited.values())
        locs = unique(contribs["locator"])
        if everyone and len(credited) >= 3 and len(names) >= 3:
            res = Result("implausible", "bibliography", "roles that differ between authors",
                         f"all {len(names)} authors are credited with every one of the "
                         f"{len(credited)} roles ({', '.join(credited)}): the statement "
                         "distinguishes no one's contribution.", ("text_interpretation",))
        else:
            res = Result("consistent", "bibliography", "roles that differ between authors",
                         f"the {len(credited)} roles credit different authors.",
                         ("text_interpretation",))
        out.append(finding_from(ctx, item="contribution roles", result=res, locators=locs[:5],
                                printed=f"{len(credited)} roles, {len(names)} authors",
                                quantity="contribution.roles"))
        strangers: "OrderedDict[str, list]" = OrderedDict()
        for _, r in contribs.iterrows():
            for n in str(r["names"]).split(";"):
                n = n.strip()
                if n and not any(same_person(n, a) for a in names):
                    strangers.setdefault(n, []).append(r)
        for n, rows in strangers.items():
            res = Result("inconsistent", "bibliography", "contributors are authors",
                         f"{n} is credited with {', '.join(r['role'] for r in rows)} but is not "
                         "in the byline.", ("text_interpretation",))
            out.append(finding_from(ctx, item=f"contributor not an author: {n}", result=res,
                                    locators=unique(r["locator"] for r in rows),
                                    printed=n, quantity=f"contribution.{slug(rows[0]['role'])}"))
        if not strangers:
            res = Result("consistent", "bibliography", "contributors are authors",
                         "every contributor named is a byline author.", ("text_interpretation",))
            out.append(finding_from(ctx, item="contributors", result=res, locators=locs[:5],
                                    printed=f"{len(credited)} roles",
                                    quantity="contribution.names"))

    if not affs.empty:
        fields = affiliation_fields(kb, affs)
        unrelated = {k: v for k, v in fields.items() if v["unrelated"]}
        unknown = [k for k, v in fields.items() if v["field"] is None]
        only = []
        if not authors.empty:
            for _, a in authors.iterrows():
                nums = [x.strip() for x in str(a.get("affiliations", "") or "").split(";") if x.strip()]
                if nums and all(n in unrelated for n in nums):
                    only.append(a["name"])
        listed = "; ".join(f"{v['unit'] or v['institution']} [{k}]: {v['field'].field}"
                           for k, v in unrelated.items())
        tail = (f" Not classified (no keyword of fields.csv): "
                + "; ".join(f"{fields[k]['unit'] or fields[k]['institution']} [{k}]" for k in unknown)
                + "." if unknown else "")
        if only:
            res = Result("implausible", "bibliography", "affiliations in fields of a clinical study",
                         f"{len(unrelated)} of {len(fields)} affiliations are in fields unrelated "
                         f"to a clinical cancer study ({listed}); {len(only)} of {len(names)} "
                         f"authors hold only such affiliations ({', '.join(only)})." + tail,
                         ("knowledge_base",), values={"unrelated": list(unrelated), "authors": only})
        else:
            res = Result("consistent", "bibliography", "affiliations in fields of a clinical study",
                         (f"{len(unrelated)} affiliation(s) in unrelated fields ({listed}), but every "
                          "author also holds a related one." if unrelated else
                          "no affiliation is in a field unrelated to a clinical study.") + tail,
                         ("knowledge_base",))
        locs = unique(v["locator"] for v in (unrelated or fields).values())
        out.append(finding_from(ctx, item="affiliation fields", result=res, locators=locs,
                                printed="; ".join(v["unit"] or v["institution"]
                                                  for v in (unrelated or fields).values()),
                                quantity="affiliation.fields"))
    return out

"""The letter a reviewer signs: an opening judgement, the major concerns, the minor ones in a
paragraph, the assumptions, the requests, an appendix pointing to the findings.

Built from a run's findings in three steps: :func:`helpers.report.concerns.group_concerns` weighs
the flagged findings into ranked concerns; :func:`helpers.report.judgement.judge` turns them into
an INSPECT-SR-shaped judgement; :func:`build_critique` keeps both, and :func:`render` writes the
letter as plain text, Markdown or HTML from one list of blocks, so the three say the same thing.

The shape of the letter:

* an **opening paragraph** of at most :data:`OPENING_WORDS` words: what was checked, the overall
  judgement and the domains behind it, the most serious concerns, a recommendation;
* the **major concerns** (severity critical or major), together at most about
  :data:`MAJOR_WORDS` words: each with its title, one line, its lines of evidence, a compact
  exemplar table while the budget allows, and its request; past the budget a concern keeps its
  title, line and request, and past that it is named in a closing sentence;
* the **minor concerns** in one short paragraph (rounding is one sentence);
* **one paragraph of assumptions** (which concern rests on what, in the words of
  :data:`helpers.core.evidence.ASSUMPTIONS`);
* the **requests** collected, each once;
* an **appendix** pointing to ``findings.csv``.

A clean paper gets a short letter that says so plainly and lists what was checked. With patient
data, a cohort that does not match the paper leads (the concerns' ranking rule). No internal id,
file path or check name reaches the letter: text from findings passes through
:class:`helpers.report.concerns.Plain`. No number is typed in this module: each comes from the
findings, the ledger (``study.yaml``) or the checklists, or is a count.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pandas as pd

from ..core.evidence import ASSUMPTIONS, STRENGTH_RANK
from .concerns import (AREA_WORDS, Concern, line_words, as_frame, group_concerns,
                       lines_sentence, lower_first)
from .judgement import Judgement, judge, recommendation

OPENING_WORDS = 150
MAJOR_WORDS = 1200
TABLE_ROWS = 6
CELL_CHARS = 48
TOP_TITLES = 3
HEADING_LEVEL = 2

MAJOR = ("critical", "major")


@dataclass
class Critique:
    """What the letter and the index page say: the concerns, the judgement, the counts."""

    findings: pd.DataFrame
    concerns: list[Concern]
    judgement: Judgement
    meta: dict = field(default_factory=dict)
    run: str = ""
    parameters: dict = field(default_factory=dict)

    @property
    def major(self) -> list[Concern]:
        return [c for c in self.concerns if c.severity in MAJOR]

    @property
    def minor(self) -> list[Concern]:
        return [c for c in self.concerns if c.severity == "minor"]

    def count(self, verdicts) -> int:
        verdicts = (verdicts,) if isinstance(verdicts, str) else tuple(verdicts)
        return int(self.findings["verdict"].isin(verdicts).sum()) if len(self.findings) else 0

    @property
    def recommendation(self) -> str:
        return recommendation(self.judgement)

    @property
    def with_patient_data(self) -> bool:
        df = self.findings
        return bool(len(df)) and bool(((df["family"] == "patient_level")
                                       & (df["verdict"] != "not testable")).any())


def build_critique(findings, *, ledger=None, meta: dict | None = None, run: str = "",
                   parameters: dict | None = None) -> Critique:
    """The concerns and the judgement of a run's findings.

    Parameters
    ----------
    findings : DataFrame or iterable of Finding
        The run's findings.
    ledger : Ledger, optional
        The study's ledger (labels of quantities, the cohort size, ``study.yaml``).
    meta : dict, optional
        ``study.yaml`` values when no ledger is given.
    run, parameters
        The run's name and parameters (for the record; the letter does not print them).

    Returns
    -------
    Critique

    Example
    -------
    >>> build_critique([], meta={"title": "A made-up trial"}).judgement.overall
    'not assessed'
    """
    df = as_frame(findings)
    meta = {**(meta or {}), **(ledger.meta if ledger is not None else {})}
    concerns = group_concerns(df, ledger, meta=meta)
    return Critique(findings=df, concerns=concerns, judgement=judge(concerns, df), meta=meta,
                    run=run, parameters=dict(parameters or {}))


# --------------------------------------------------------------------------------------------
# Blocks: one list, three renderings
# --------------------------------------------------------------------------------------------

@dataclass
class Block:
    kind: str                 # heading | para | table | list | subheading
    text: str = ""
    items: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    section: str = ""         # opening | major | minor | assumptions | requests | appendix | other


def _words(text: str) -> int:
    return len([w for w in str(text).split() if re.search(r"\w", w)])


def block_words(block: Block) -> int:
    if block.kind == "table" and block.table is not None:
        cells = " ".join(block.table.astype(str).to_numpy().ravel()) + " " + " ".join(block.table.columns)
        return _words(cells)
    return _words(block.text) + sum(_words(i) for i in block.items)


def _shorten(cell: str) -> str:
    """A cell longer than :data:`CELL_CHARS` loses its parenthetical asides."""
    text = str(cell)
    if len(text) <= CELL_CHARS:
        return text
    while True:
        new = re.sub(r"\s*\([^()]*\)", "", text)
        if new == text:
            break
        text = new
    return " ".join(text.split())


def _table(c: Concern, rows: int) -> pd.DataFrame:
    t = c.exemplar.head(rows).copy()
    for col in t.columns[2:]:          # the printed values stay as printed
        t[col] = [_shorten(v) for v in t[col]]
    t = t.rename(columns={"item": "row"})
    return t


def _join(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _quote(text: str) -> str:
    return f"\u201c{text}\u201d"


def _concern_numbers(cs: list[Concern]) -> str:
    nums = [str(c.rank) for c in cs]
    return ("concern " if len(nums) == 1 else "concerns ") + _join(nums)


def _opening(cr: Critique) -> str:
    j = cr.judgement
    tested = cr.count(("consistent", "inconsistent", "implausible", "impossible"))
    flagged = cr.count(("inconsistent", "implausible", "impossible"))
    untestable = cr.count("not testable")
    against = ["against each other"]
    df = cr.findings
    if len(df) and (df["family"].isin(("plausibility", "bibliography"))
                    & (df["verdict"] != "not testable")).any():
        against.append("against cited knowledge")
    if cr.with_patient_data:
        against.append("against the patient-level data supplied")
    head = (f"We re-derived and cross-checked the numbers and statements this manuscript prints, "
            f"{_join(against)}: {tested} could be tested ({flagged} flagged) and "
            f"{untestable} could not be decided from what is printed.")
    serious = [d for d in j.domains if d.judgement in ("serious concerns", "some concerns")]
    if serious:
        why = "; ".join(f"{d.judgement} about {d.name} (domain {d.domain})" for d in serious)
        verdict = (f"In the terms of the INSPECT-SR trustworthiness assessment our overall "
                   f"judgement is {_quote(j.overall)}: {why}.")
    else:
        verdict = (f"In the terms of the INSPECT-SR trustworthiness assessment our overall "
                   f"judgement is {_quote(j.overall)}.")
    rec = recommendation(j)
    for k in range(min(TOP_TITLES, len(cr.major)), -1, -1):
        top = ""
        if k:
            titles = "; ".join(f"({c.rank}) {c.title}" for c in cr.major[:k])
            top = f"The most serious: {titles}."
        text = " ".join(p for p in (head, verdict, top, rec) if p)
        if _words(text) <= OPENING_WORDS:
            return text
    return " ".join((verdict, rec))


def _checked(cr: Critique) -> str:
    df = cr.findings[cr.findings["verdict"] != "not testable"]
    if df.empty:
        return "Nothing in the ledger could be tested."
    counts = df.groupby("area").size()
    parts = [f"{AREA_WORDS.get(a, a)} ({n})" for a, n in counts.items()]
    methods = list(dict.fromkeys(lower_first(line_words(ch, sec, cat)) for ch, sec, cat in
                                 zip(df["check"], df["section"], df["category"])))
    return ("What we checked, with the number of items tested: " + _join(parts) + ". "
            f"The {len(methods)} kinds of check applied: " + "; ".join(methods) + ".")


def _concern_blocks(c: Concern, budget: int, full: bool) -> list[Block]:
    head = Block("subheading", f"{c.rank}. {c.title}", section="major")
    summary = c.summary[:1].upper() + c.summary[1:]
    text = f"{summary} {lines_sentence(c)}" if summary.endswith((".", "…")) else \
        f"{summary}. {lines_sentence(c)}"
    body = Block("para", text, section="major")
    req = Block("para", f"Request: {c.request}", section="major")
    blocks = [head, body]
    if full and len(c.exemplar):
        table = Block("table", table=_table(c, TABLE_ROWS), section="major")
        more = len(c.findings) - len(table.table)
        note = Block("para", f"The table shows {len(table.table)} of the {c.n_findings} findings of "
                     "this concern; all are in findings.csv.", section="major") if more > 0 else None
        extra = [table] + ([note] if note else [])
        if sum(map(block_words, blocks + extra + [req])) <= budget:
            blocks += extra
    return blocks + [req]


def letter_blocks(cr: Critique) -> list[Block]:
    """The letter as a list of blocks (see the module docstring for its shape)."""
    meta = cr.meta
    title = meta.get("title") or meta.get("study") or "the manuscript"
    doi = meta.get("doi")
    ref = f"Re: {_quote(title)}" + (f", doi {doi}" if doi and doi != "none" else "")
    out = [Block("heading", "Review of the manuscript's numbers", section="other"),
           Block("para", ref, section="other"),
           Block("para", "Dear Editor,", section="other"),
           Block("para", _opening(cr), section="opening")]
    if not cr.concerns:
        out.append(Block("para", "We found no number that contradicts another, no percentage "
                         "that its count cannot give, and no estimate that its interval or "
                         "p-value rules out. " + _checked(cr), section="other"))
    if cr.major:
        heading = Block("heading", "Major concerns", section="major")
        out.append(heading)
        used, rest = block_words(heading), []
        for i, c in enumerate(cr.major):
            # the words left once the closing sentence naming the later concerns is reserved
            room = MAJOR_WORDS - used - block_words(_further(cr.major[i + 1:]))
            blocks = _concern_blocks(c, room, full=True)
            words = sum(map(block_words, blocks))
            if words > room and i:
                blocks = _concern_blocks(c, 0, full=False)
                words = sum(map(block_words, blocks))
                if words > room:
                    rest = cr.major[i:]
                    break
            out += blocks
            used += words
        if rest:
            out.append(_further(rest))
    if cr.minor:
        sentences = []
        for c in cr.minor:
            places = _join(list(c.places[:3]))
            if c.problem == "rounding":
                sentences.append(f"({c.rank}) {c.title}: {c.n_findings} printed values"
                                 + (f" (in {places})" if places else "")
                                 + " follow a different rule from the rest of the paper.")
            else:
                sentences.append(f"({c.rank}) {c.title}" + (f" ({places})" if places else "") + ".")
        out += [Block("heading", "Minor concerns", section="minor"),
                Block("para", " ".join(sentences) + " Their requests are listed below.",
                      section="minor")]
    out += _assumption_blocks(cr)
    if cr.concerns:
        reqs: dict[str, list[Concern]] = {}
        for c in cr.concerns:
            reqs.setdefault(c.request, []).append(c)
        items = [f"{r} ({_concern_numbers(cs)})" for r, cs in reqs.items()]
        out += [Block("heading", "Requests to the authors", section="requests"),
                Block("list", items=items, section="requests")]
    n = len(cr.findings)
    appendix = (f"Every finding ({n} in all), with where the number is printed, what was "
                "recomputed, the verdict, the strength of its evidence and the assumptions it "
                "rests on, is listed in findings.csv, which accompanies this letter.")
    out += [Block("heading", "Appendix", section="appendix"), Block("para", appendix, section="appendix")]
    not_assessed = cr.judgement.not_assessed
    if len(not_assessed):
        out.append(Block("para", "Not assessed, because they need sources beyond the paper "
                         "(INSPECT-SR items " + ", ".join(not_assessed["id"]) + "): "
                         + _join(list(not_assessed["topic"])) + ".", section="appendix"))
    out += [Block("para", "Yours sincerely,", section="other"),
            Block("para", "[Name, affiliation, date]", section="other")]
    return out


def _further(rest: list[Concern]) -> Block:
    """The closing sentence naming the major concerns past the word budget (empty: no words)."""
    if not rest:
        return Block("para", "", section="major")
    return Block("para", "Further major concerns, each with its evidence in findings.csv: "
                 + "; ".join(f"({c.rank}) {c.title}" for c in rest) + ".", section="major")


def _assumption_blocks(cr: Critique) -> list[Block]:
    if not cr.concerns:
        return []
    plain = [c for c in cr.concerns if not c.assumptions]
    by_key: dict[str, list[Concern]] = {}
    for c in cr.concerns:
        for a in c.assumptions:
            by_key.setdefault(a, []).append(c)
    parts = []
    if plain:
        parts.append(f"{_concern_numbers(plain)[:1].upper()}{_concern_numbers(plain)[1:]} rest"
                     + ("s" if len(plain) == 1 else "") + " on arithmetic alone, with the "
                     "precision at which the numbers are printed.")
    if by_key:
        # each assumption once, strongest first, with the concerns that rest on it
        keys = sorted(by_key, key=lambda k: (STRENGTH_RANK[ASSUMPTIONS[k].strength], k))
        parts.append("Beyond arithmetic, the verdicts rest on: " + "; ".join(
            f"{ASSUMPTIONS[k].words} ({_concern_numbers(by_key[k])})" for k in keys) + ".")
        parts.append("A finding that needs one of these is called inconsistent or implausible, "
                     "never impossible, and weighs less.")
    return [Block("heading", "Assumptions", section="assumptions"),
            Block("para", " ".join(parts), section="assumptions")]


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

def _text_table(t: pd.DataFrame) -> str:
    rows = [list(map(str, t.columns))] + [list(map(str, r)) for r in t.itertuples(index=False)]
    return "\n".join("  " + " | ".join(r) for r in rows)


def _md_cell(text: str) -> str:
    return str(text).replace("|", "/")


def _md_table(t: pd.DataFrame) -> str:
    head = "| " + " | ".join(_md_cell(c) for c in t.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in t.columns) + "|"
    body = ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in t.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def render(blocks: list[Block], fmt: str = "text") -> str:
    """The letter in ``fmt``: ``text`` (plain, for a journal's text box), ``markdown`` or
    ``html`` (a page)."""
    if fmt not in ("text", "markdown", "html"):
        raise ValueError(f"unknown format '{fmt}' (text, markdown or html)")
    out = []
    for b in blocks:
        if fmt == "html":
            e = html.escape
            if b.kind == "heading":
                out.append(f"<h{HEADING_LEVEL}>{e(b.text)}</h{HEADING_LEVEL}>")
            elif b.kind == "subheading":
                out.append(f"<h{HEADING_LEVEL + 1}>{e(b.text)}</h{HEADING_LEVEL + 1}>")
            elif b.kind == "para":
                out.append(f"<p>{e(b.text)}</p>")
            elif b.kind == "list":
                out.append("<ol>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ol>")
            elif b.kind == "table" and b.table is not None:
                head = "".join(f"<th>{e(str(c))}</th>" for c in b.table.columns)
                rows = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in r) + "</tr>"
                               for r in b.table.itertuples(index=False))
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            continue
        if b.kind == "heading":
            out.append(("#" * HEADING_LEVEL + " " if fmt == "markdown" else "") + b.text)
            if fmt == "text":
                out.append("=" * len(b.text) if b is blocks[0] else "-" * len(b.text))
        elif b.kind == "subheading":
            out.append(("#" * (HEADING_LEVEL + 1) + " " if fmt == "markdown" else "") + b.text)
        elif b.kind == "para":
            out.append(b.text)
        elif b.kind == "list":
            out.append("\n".join(f"{i}. {t}" for i, t in enumerate(b.items, start=1)))
        elif b.kind == "table" and b.table is not None:
            out.append(_md_table(b.table) if fmt == "markdown" else _text_table(b.table))
        out.append("")
    if fmt == "html":
        from .pages import letter_page
        return letter_page("\n".join(out))
    return "\n".join(out).rstrip() + "\n"


def build_letter(findings, *, meta: dict | None = None, ledger=None, run: str = "",
                 parameters: dict | None = None, fmt: str = "markdown") -> str:
    """The letter for a run's findings, in ``fmt`` (``text``, ``markdown`` or ``html``).

    Example
    -------
    >>> print(build_letter([], meta={"title": "A made-up trial"}, fmt="text"))  # doctest: +SKIP
    """
    cr = build_critique(findings, ledger=ledger, meta=meta, run=run, parameters=parameters)
    return render(letter_blocks(cr), fmt)


def word_counts(blocks: list[Block]) -> dict[str, int]:
    """Words per section of the letter (``opening``, ``major``, ``minor``, ``assumptions``,
    ``requests``, ``appendix``, ``other``) and in all (``total``)."""
    counts: dict[str, int] = {}
    for b in blocks:
        counts[b.section] = counts.get(b.section, 0) + block_words(b)
    counts["total"] = sum(v for k, v in counts.items())
    return counts

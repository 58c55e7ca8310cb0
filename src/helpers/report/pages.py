"""The pages of a run's report: ranking and counting findings, linking each to its evidence, and the
index page.

Shared with the summary notebook (``notebooks/05_report.ipynb``), so the index page and the notebook
show the same table. :func:`evidence_href` is also used by the draft letter
(:mod:`helpers.report.letter`); this module never imports the letter.
"""

from __future__ import annotations

import html
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..core.evidence import STRENGTH_RANK
from ..core.findings import COLUMNS, FLAGGED, SEVERITIES, SEVERITY_RANK, VERDICTS, read_findings
from ..core.paths import REPORT_MARKERS, relative_to_root
from ..ledger.select import records

SEVERITY_COLOURS = {"critical": "#b2182b", "major": "#ef8a62", "minor": "#fddbc7", "none": "#d9d9d9"}
VERDICT_RANK = {"impossible": 0, "inconsistent": 1, "implausible": 2, "not testable": 3,
                "consistent": 4}

GLOSSARY = {
    "consistent": "the printed value agrees with what is recomputed from the paper's other numbers",
    "inconsistent": "it disagrees; a slip could explain it, or the disagreement rests on an "
                    "assumption the finding names",
    "implausible": "it is possible, but unlike what cited knowledge of the disease, the drugs or "
                   "the design leads one to expect",
    "impossible": "no data could give what is printed: arithmetic alone, with the printed "
                  "rounding, rules it out",
    "not testable": "the printed numbers cannot decide",
}
STRENGTH_GLOSSARY = ("Strength: conclusive (arithmetic alone), strong, moderate or weak, the "
                     "weakest assumption the verdict rests on. Severity (critical, major, minor) "
                     "follows from the verdict, the strength and the weight of the claim "
                     "(headline results outweigh supporting tables).")


# --------------------------------------------------------------------------------------------
# Findings of a run: loading, ranking, counting, linking to the evidence
# --------------------------------------------------------------------------------------------

def load_run_findings(run_dir: str | Path) -> pd.DataFrame:
    """A run's findings: ``findings.csv`` when the runner merged them, else the per-notebook files
    under ``findings/`` (read in memory, nothing written), else an empty table."""
    run_dir = Path(run_dir)
    merged = run_dir / "findings.csv"
    if merged.is_file():
        df = read_findings(merged)
    else:  # an interactive session: notebooks may be writing their files right now
        parts = []
        for p in sorted((run_dir / "findings").glob("*.csv")):
            try:
                part = read_findings(p)
                if set(COLUMNS) - set(part.columns):
                    raise pd.errors.ParserError("incomplete header")
                parts.append(part)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
                warnings.warn(f"{relative_to_root(p)} skipped: cannot be read yet ({exc})", stacklevel=2)
        parts = [p for p in parts if len(p)]
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{relative_to_root(merged)}: missing column(s) {', '.join(missing)}")
    return df[list(COLUMNS)].astype(str)

@lru_cache(maxsize=4096)
def section_anchor(section: str) -> str:
    """The ``id`` nbconvert gives the markdown heading ``section`` (rendered by nbconvert itself,
    so markdown in the heading and non-ASCII text get the same id as in the exported page)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text = " ".join(str(section).split())
    if not text:
        return ""
    m = re.search(r'\bid="([^"]*)"', markdown2html_mistune("## " + text))
    return html.unescape(m.group(1)) if m else ""

def notebook_page(notebook: str) -> str:
    """The exported page of a notebook (``01_baseline`` -> ``01_baseline.html``)."""
    name = str(notebook).strip()
    return (name[:-len(".ipynb")] if name.endswith(".ipynb") else name) + ".html"

def evidence_href(notebook: str, section: str) -> str:
    """Relative link to the section of the exported notebook that holds a finding's evidence."""
    if not str(notebook).strip():
        return ""
    anchor = section_anchor(section) if str(section).strip() else ""
    return notebook_page(notebook) + (f"#{anchor}" if anchor else "")

@lru_cache(maxsize=1 << 16)
def place_of(locator: str) -> str:
    """Where in the paper a locator points, coarsely: ``Table 3 / Age: >=60`` -> ``Table 3``,
    ``Results 3.2 ¶1`` -> ``Results``, ``Abstract / Results`` -> ``Abstract``."""
    head = str(locator).split(" / ")[0].strip()
    if re.match(r"(?i)(supplementary\s+)?(table|figure|fig\.)\s", head):
        return " ".join(head.split()[:2 if not head.lower().startswith("supp") else 3])
    word = re.split(r"[\s¶(,:;]", head, maxsplit=1)[0]
    return word.capitalize() if word else "(no locator)"

def ranked_findings(df: pd.DataFrame, *, flagged_only: bool = False) -> pd.DataFrame:
    """Findings most severe first (severity, then verdict, area, check, item), numbered, each with
    the link to its evidence. ``flagged_only`` keeps inconsistent and impossible findings."""
    cols = ["rank", "severity", "verdict", "strength", "weight", "category", "area", "item",
            "locators", "printed", "expected", "explanation", "assumptions", "family", "check",
            "notebook", "section", "evidence"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.reindex(columns=[c for c in dict.fromkeys([*COLUMNS, *df.columns])],
                     fill_value="").fillna("")
    if flagged_only:
        out = out[out["verdict"].isin(list(FLAGGED))]
    out = out.assign(_s=out["severity"].map(SEVERITY_RANK),
                     _t=out["strength"].map(STRENGTH_RANK).fillna(len(STRENGTH_RANK)),
                     _v=out["verdict"].map(VERDICT_RANK))
    out = out.sort_values(["_s", "_t", "_v", "area", "check", "item", "printed", "notebook"],
                          kind="mergesort").drop(columns=["_s", "_t", "_v"]).reset_index(drop=True)
    out["evidence"] = [evidence_href(n, s) for n, s in zip(out["notebook"], out["section"])]
    out.insert(0, "rank", range(1, len(out) + 1))
    return out[cols]

def verdict_severity_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by verdict (rows) and severity (columns), with totals."""
    table = pd.DataFrame(0, index=pd.Index(list(VERDICTS), name="verdict"),
                         columns=pd.Index(list(SEVERITIES), name="severity"))
    for (verdict, severity), n in df.groupby(["verdict", "severity"]).size().items():
        table.loc[verdict, severity] = int(n)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table.astype(int)

def findings_by_place(df: pd.DataFrame) -> pd.DataFrame:
    """One row per finding and place of the paper it involves (a finding that spans the abstract
    and a table counts once in each), with its area and severity."""
    rows = []
    for locators, area, severity in zip(df["locators"], df["area"], df["severity"]):
        places = []
        for loc in str(locators).split(";"):
            if loc.strip() and place_of(loc) not in places:
                places.append(place_of(loc))
        for place in places or ["(no locator)"]:
            rows.append({"place": place, "area": area, "severity": severity})
    return pd.DataFrame(rows, columns=["place", "area", "severity"])

def _place_counts(df: pd.DataFrame) -> pd.DataFrame:
    long = findings_by_place(df)
    if long.empty:
        return pd.DataFrame(columns=list(SEVERITIES))
    table = (pd.crosstab(long["place"], long["severity"])
             .reindex(columns=list(SEVERITIES), fill_value=0))
    order = table.assign(_w=table["critical"] * 1e6 + table["major"] * 1e3 + table["minor"])
    return table.loc[order.sort_values(["_w"], ascending=False, kind="mergesort").index]

def figure_by_place(df: pd.DataFrame, title: str = "Findings by place in the paper and severity"):
    """Interactive figure: stacked bars of findings per place of the paper, coloured by severity."""
    import plotly.graph_objects as go

    counts = _place_counts(df)
    fig = go.Figure()
    for sev in SEVERITIES:
        if sev in counts and counts[sev].sum():
            fig.add_bar(y=list(counts.index), x=list(counts[sev]), name=sev, orientation="h",
                        marker_color=SEVERITY_COLOURS[sev],
                        hovertemplate="%{y}: %{x} finding(s), severity " + sev + "<extra></extra>")
    fig.update_layout(barmode="stack", title=title, xaxis_title="findings",
                      yaxis=dict(autorange="reversed"), legend_title="severity",
                      height=max(300, 60 + 28 * len(counts)), template="plotly_white")
    if counts.empty:
        fig.add_annotation(text="no findings in this run", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
    return fig

def _cell(value) -> str:
    return html.escape(str(value)).replace("; ", ";<br>")

RANKED_MAX_ROWS = 2000   # rows the ranked table shows by default (findings.csv holds every one)


def ranked_html(table: pd.DataFrame, *, max_chars: int = 300, table_id: str = "",
                max_rows: int | None = RANKED_MAX_ROWS) -> str:
    """The ranked table as HTML: every cell escaped (text longer than ``max_chars`` shortened, the
    full text in the cell's title and in findings.csv), the evidence as a link; each row carries
    its severity and verdict as ``data-`` attributes for the page's filter. At most ``max_rows``
    rows (the highest ranked), with a line saying how many of how many; None shows every row."""
    if table.empty:
        return "<p><em>No findings to list.</em></p>"
    cut = ""
    if max_rows is not None and len(table) > max_rows:
        cut = (f'<p class="rt-cut"><em>Showing the {max_rows:,} highest-ranked of {len(table):,} '
               "findings; findings.csv and findings.json hold every finding.</em></p>")
        table = table.head(max_rows)
    show = ["rank", "severity", "verdict", "strength", "area", "item", "locators", "printed",
            "expected", "explanation", "evidence"]
    show = [c for c in show if c in table.columns or c == "evidence"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in show)
    body = []
    for r in records(table):
        cells = []
        for c in show:
            if c == "evidence":
                href = str(r.get("evidence", ""))
                label = f"{r['notebook']} / {r['section']}" if r["section"] else str(r["notebook"])
                cells.append(f'<td><a href="{html.escape(href)}">{html.escape(label)}</a></td>'
                             if href else "<td></td>")
            elif c == "severity":
                sev = str(r[c])
                cells.append(f'<td class="sev-{html.escape(sev)}">{html.escape(sev)}</td>')
            else:
                text = str(r[c])
                short = text if len(text) <= max_chars else text[: max_chars - 1] + "…"
                title = f' title="{html.escape(text)}"' if short != text else ""
                cells.append(f"<td{title}>{_cell(short)}</td>")
        attrs = (f' data-severity="{html.escape(str(r["severity"]))}"'
                 f' data-verdict="{html.escape(str(r["verdict"]))}"')
        body.append(f"<tr{attrs}>" + "".join(cells) + "</tr>")
    style = ("<style>table.findings{border-collapse:collapse;table-layout:fixed;width:100%}"
             "table.findings th,table.findings td{text-align:left;vertical-align:top;"
             "border:1px solid #ccc;padding:2px 5px;overflow-wrap:anywhere}"
             "table.findings td.sev-critical{background:#b2182b;color:#fff}"
             "table.findings td.sev-major{background:#ef8a62}table.findings td.sev-minor"
             "{background:#fddbc7}</style>")
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    return (cut + style + f'<table class="findings"{ident}><thead><tr>' + head + "</tr></thead><tbody>"
            + "\n".join(body) + "</tbody></table>")

def broken_evidence_links(findings: pd.DataFrame, pages: dict[str, dict]) -> pd.DataFrame:
    """Findings whose notebook page or section heading does not exist in the exported HTML."""
    rows = []
    seen = set()
    for nb_name, section in zip(findings["notebook"], findings["section"]):
        key = (nb_name, section)
        if key in seen or not str(nb_name).strip():
            continue
        seen.add(key)
        stem = notebook_page(nb_name)[: -len(".html")]
        if stem not in pages:
            rows.append({"notebook": nb_name, "section": section, "problem": "no such notebook page"})
        elif str(section).strip() and section_anchor(section) not in pages[stem]["heading_ids"]:
            rows.append({"notebook": nb_name, "section": section,
                         "problem": "no heading with this text in the notebook"})
    return pd.DataFrame(rows, columns=["notebook", "section", "problem"])


# --------------------------------------------------------------------------------------------
# index.html and the letter's HTML page
# --------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:78rem;padding:0 1rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .45rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}td.num{text-align:right}
td.sev-critical{background:#b2182b;color:#fff}td.sev-major{background:#ef8a62}
td.sev-minor{background:#fddbc7}td.sev-none{background:#f0f0f0}
.muted{color:#666}code{background:#f6f6f6;padding:0 .2rem}
.scroll{overflow-x:auto;max-width:100%}
section.judgement{border-left:.5rem solid #999;padding:.2rem 1rem;margin:1rem 0;background:#fafafa}
section.j-serious{border-color:#b2182b}section.j-some{border-color:#ef8a62}section.j-none{border-color:#4d9221}
td.j-serious{background:#b2182b;color:#fff}td.j-some{background:#ef8a62}td.j-none{background:#d9f0d3}
ol.concerns li{margin:.35rem 0}.tag{font-size:.8rem;color:#555;background:#eee;padding:0 .3rem;border-radius:.2rem}
dl.glossary{margin:.3rem 0;font-size:.9rem}dl.glossary dt{font-weight:bold;float:left;clear:left;width:7rem}dl.glossary dd{margin:0 0 .1rem 7.5rem}
section#judgement h2,section#top-concerns h2,section#glossary h2{margin-top:.8rem}
p.filters label{margin-right:1rem}
"""

def _kv_table(pairs: Iterable[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in pairs)
    return f"<table>{rows}</table>"

def _frame_html(df: pd.DataFrame) -> str:
    head = "<th></th>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr><th>" + html.escape(str(i)) + "</th>"
                   + "".join(f'<td class="num">{html.escape(str(v))}</td>' for v in r) + "</tr>"
                   for i, r in zip(df.index, df.itertuples(index=False)))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

_FILTER_JS = """
(function () {
  var text = document.getElementById('filter-text'), sev = document.getElementById('filter-severity'),
      ver = document.getElementById('filter-verdict'), shown = document.getElementById('filter-count');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#all-findings tbody tr'));
  var flagged = ['inconsistent', 'implausible', 'impossible'];
  function apply() {
    var t = text.value.toLowerCase(), s = sev.value, v = ver.value, k = 0;
    rows.forEach(function (r) {
      var okv = !v || (v === 'flagged' ? flagged.indexOf(r.dataset.verdict) >= 0 : r.dataset.verdict === v);
      var ok = okv && (!s || r.dataset.severity === s) && (!t || r.textContent.toLowerCase().indexOf(t) >= 0);
      r.style.display = ok ? '' : 'none';
      if (ok) { k += 1; }
    });
    shown.textContent = k + ' of ' + rows.length + ' findings shown';
  }
  [text, sev, ver].forEach(function (e) { e.addEventListener('input', apply); e.addEventListener('change', apply); });
  apply();
})();
"""

_JUDGEMENT_CLASS = {"serious concerns": "serious", "some concerns": "some", "no concerns": "none",
                    "not assessed": "na"}


def _few_words(text: str, n: int = 24) -> str:
    words = str(text).split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def _first_screen(critique) -> str:
    """The overall judgement, the domains, the top concerns with a link to their evidence, and the
    glossary of verdict words."""
    esc = html.escape
    if critique is None:
        return ""
    j = critique.judgement
    domains = "".join(
        f'<tr><td>{d.domain}</td><td>{esc(d.name)}</td>'
        f'<td class="j-{_JUDGEMENT_CLASS[d.judgement]}">{esc(d.judgement)}</td>'
        f"<td>{esc(d.reason)}</td></tr>" for d in j.domains)
    from_letter = getattr(critique, "recommendation", "")
    items = []
    for c in critique.concerns[:TOP_CONCERNS]:
        link = (f' <a class="evidence" href="{esc(c.evidence)}">evidence</a>' if c.evidence else "")
        items.append(f'<li class="concern sev-{esc(c.severity)}"><a href="#concern-{c.rank}">'
                     f"<strong>{esc(c.title)}</strong></a> <span class=\"tag\">{esc(c.severity)}, "
                     f"{esc(c.strength)}</span><br><span class=\"line\">{esc(_few_words(c.summary))}</span>"
                     f"{link}</li>")
    more = len(critique.concerns) - TOP_CONCERNS
    concerns = (f'<ol class="concerns">{"".join(items)}</ol>'
                + (f'<p class="muted">{more} more {"concern" if more == 1 else "concerns"} below.</p>'
                   if more > 0 else "")
                if items else "<p>No concerns: no finding was flagged.</p>")
    glossary = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in GLOSSARY.items())
    return f"""<section id="judgement" class="judgement j-{_JUDGEMENT_CLASS[j.overall]}">
<h2>Overall judgement: {esc(j.overall)}</h2>
<p>{esc(from_letter)}</p>
<table class="domains"><thead><tr><th>domain</th><th>INSPECT-SR domain</th><th>judgement</th><th>why</th></tr></thead>
<tbody>{domains}</tbody></table>
</section>
<section id="top-concerns"><h2>Top concerns</h2>{concerns}</section>
<section id="glossary"><h2>What the verdicts mean</h2><dl class="glossary">{glossary}</dl>
<p class="muted">{esc(STRENGTH_GLOSSARY)}</p></section>"""


def _concern_details(critique) -> str:
    esc = html.escape
    if critique is None or not critique.concerns:
        return ""
    out = ['<h2 id="concerns">Every concern</h2>']
    for c in critique.concerns:
        lines = "".join(f"<li>{esc(ln.words)}: {ln.count} {'finding' if ln.count == 1 else 'findings'}, "
                        f"{esc(ln.verdict)}</li>"
                        for ln in c.lines)
        table = c.exemplar
        head = "".join(f"<th>{esc(str(col))}</th>" for col in table.columns)
        rows = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in r) + "</tr>"
                       for r in table.itertuples(index=False))
        assumed = "; ".join(c.assumption_words) or "arithmetic alone"
        link = f' <a href="{esc(c.evidence)}">evidence</a>' if c.evidence else ""
        out.append(f"""<div class="concern-detail" id="concern-{c.rank}">
<h3>{c.rank}. {esc(c.title)}</h3>
<p><span class="tag">{esc(c.severity)}, {esc(c.strength)}, {esc(c.weight)}</span> {esc(c.summary)}{link}</p>
<ul>{lines}</ul>
<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>
<p>Rests on: {esc(assumed)}. Checklist items: {esc(", ".join(c.items))}.</p>
<p><strong>Request:</strong> {esc(c.request)}</p></div>""")
    return "\n".join(out)


TOP_CONCERNS = 5


def check_status(run_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the run's ``checks.csv`` says about checks that gave nothing: ``(failed,
    not_applicable)``. A check counts as not applicable only when no section of any notebook ran
    it; its reasons are listed once each. Both empty when the run has no ``checks.csv``."""
    path = Path(run_dir) / "checks.csv"
    cols = ["check", "family", "notebooks", "reason"]
    if not path.is_file():
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=cols)
    df = pd.read_csv(path, dtype=str).fillna("")

    def summary(rows: pd.DataFrame) -> pd.DataFrame:
        out = [{"check": check, "family": g["family"].iloc[0],
                "notebooks": ", ".join(dict.fromkeys(g["notebook"])),
                "reason": "; ".join(dict.fromkeys(r for r in g["reason"] if r))}
               for check, g in rows.groupby("check", sort=False)]
        return pd.DataFrame(out, columns=cols)

    failed = summary(df[df["status"] == "failed"])
    ran = set(df.loc[df["status"] == "ran", "check"])
    idle = df[(df["status"] == "not applicable") & ~df["check"].isin(ran)]
    return failed, summary(idle)


def _check_status_html(run_dir: Path) -> str:
    esc = html.escape
    failed, idle = check_status(run_dir)

    def table(df: pd.DataFrame) -> str:
        rows = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in r) + "</tr>"
                       for r in df.itertuples(index=False))
        head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

    out = []
    if len(failed):
        out.append('<h2 id="failed-checks">Checks that failed</h2><p class="warn">These checks '
                   "raised an error; their findings are missing and the run is marked incomplete."
                   f"</p>{table(failed)}")
    if len(idle):
        out.append('<h2 id="not-applicable">Checks that did not apply</h2><p class="muted">No '
                   "section of any notebook could run these checks on this ledger, for the reason "
                   f"given.</p>{table(idle)}")
    return "\n".join(out)


def write_index(run_dir: str | Path, *, study: str, run: str, title: str, manifest: dict,
                findings: pd.DataFrame, pages: dict[str, dict], broken: pd.DataFrame,
                critique=None) -> Path:
    """The entry page of the run (static HTML with one small inline script, works offline).

    The first screen holds the overall judgement with its domains, the top concerns (title, one
    line, a link to their evidence) and the glossary of verdict words; below them every concern in
    full, then every finding in one table that a text box and two menus filter in the browser.
    ``critique`` is a :class:`helpers.report.letter.Critique` (passed in: this module never imports
    the letter or the concerns).
    """
    run_dir = Path(run_dir)
    esc = html.escape
    ranked = ranked_findings(findings)
    timing = {t["notebook"]: t["seconds"] for t in manifest["timing"]["notebooks"]}
    per_nb = findings.groupby("notebook").size().to_dict() if len(findings) else {}
    nb_rows = []
    for stem, info in pages.items():
        secs = timing.get(f"{stem}.ipynb", timing.get(stem))
        nb_rows.append(
            f'<tr><td><a href="{esc(info["page"])}">{esc(stem)}</a></td><td>{esc(info["title"])}</td>'
            f'<td class="num">{per_nb.get(stem, 0)}</td>'
            f'<td class="num">{"" if secs is None else f"{secs:.1f} s"}</td>'
            f'<td><a href="{esc(stem)}.ipynb">executed notebook</a></td></tr>')
    git = manifest["git"]
    given = manifest["parameters"]["given"]
    params = ", ".join(f"{k} = {v!r}" for k, v in sorted(given.items())) or "notebook defaults"
    docs = [("review_letter.html", "Review letter"), ("review_letter.txt", "Review letter (plain text)"),
            ("review_letter.md", "Review letter (markdown)"), ("concerns.csv", "Concerns (CSV)"),
            ("findings.csv", "All findings (CSV)"), ("findings.json", "All findings (JSON)"),
            ("manifest.json", "Run manifest: parameters, input hashes, versions, timings")]
    doc_items = "".join(f'<li><a href="{esc(f)}">{esc(label)}</a></li>' for f, label in docs
                        if (run_dir / f).exists() or f.startswith(("findings", "manifest")))
    warn = []
    if len(broken):
        rows = "".join(f'<tr><td><a href="{esc(notebook_page(n))}">{esc(n)}</a></td><td>{esc(sec)}</td>'
                       f"<td>{esc(prob)}</td></tr>"
                       for n, sec, prob in broken[["notebook", "section", "problem"]].itertuples(index=False))
        warn.append("<p>These findings name a section that has no heading in their notebook, so "
                    "their evidence link opens the top of the page:</p><table><thead><tr>"
                    "<th>notebook</th><th>section</th><th>problem</th></tr></thead>"
                    f"<tbody>{rows}</tbody></table>")
    removed = sorted({u for info in pages.values() for u in info["removed_remote"]})
    if removed:
        warn.append("<p class='muted'>Removed from notebook outputs so that the pages work offline: "
                    + ", ".join(f"<code>{esc(u)}</code>" for u in removed) + "</p>")
    summaries = [info["page"] for stem, info in pages.items() if any(m in stem for m in REPORT_MARKERS)]
    start_links = [f'<a href="{esc(p)}">the summary notebook ({esc(p)})</a>' for p in summaries]
    start_links.append('<a href="review_letter.html">the review letter</a>')
    options_sev = "".join(f'<option value="{s}">{s}</option>' for s in SEVERITIES)
    options_ver = "".join(f'<option value="{v}">{v}</option>' for v in VERDICTS)
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reanalysis of {esc(study)}: run {esc(run)}</title><style>{_CSS}</style></head>
<body>
<h1>Reanalysis of {esc(title)}</h1>
<p class="muted">Study <code>{esc(study)}</code>, run <code>{esc(run)}</code>, finished {esc(manifest["finished_at"])}
in {manifest["timing"]["total_seconds"]:.1f} s; commit <code>{esc(str(git.get("commit") or "unknown")[:12])}</code>{" (uncommitted changes)" if git.get("dirty") else ""}.
Read next: {" and ".join(start_links)}.</p>
{_first_screen(critique)}
{_concern_details(critique)}
<h2 id="findings">Every finding</h2>
<p class="filters"><label>Search <input id="filter-text" type="search" placeholder="text in any column"></label>
<label>Severity <select id="filter-severity"><option value="">any</option>{options_sev}</select></label>
<label>Verdict <select id="filter-verdict"><option value="flagged" selected>flagged</option><option value="">any</option>{options_ver}</select></label>
<span id="filter-count" class="muted"></span></p>
<div class="scroll">{ranked_html(ranked, max_chars=220, table_id="all-findings")}</div>
<h2 id="counts">Findings by verdict and severity</h2>
{_frame_html(verdict_severity_counts(findings))}
<h2 id="parameters">Parameters</h2>
<p>{esc(params)}</p>
<h2 id="notebooks">Notebooks</h2>
<table><thead><tr><th>page</th><th>title</th><th>findings</th><th>wall time</th><th>source</th></tr></thead>
<tbody>{"".join(nb_rows)}</tbody></table>
{_check_status_html(run_dir)}
<h2 id="documents">Documents</h2>
<ul>{doc_items}</ul>
{"<h2 id='warnings'>Warnings</h2>" + "".join(warn) if warn else ""}
<script>{_FILTER_JS}</script>
</body></html>
"""
    path = run_dir / "index.html"
    path.write_text(body, encoding="utf-8")
    return path

_LETTER_CSS = ("body{font-family:Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
               "line-height:1.45;color:#222}table{border-collapse:collapse;font-size:.85rem;"
               "margin:.4rem 0 .8rem}th,td{border:1px solid #bbb;padding:.15rem .4rem;"
               "text-align:left;vertical-align:top}th{background:#f2f2f2}")


def letter_page(body: str) -> str:
    """``review_letter.html``: the letter's HTML body in a page of its own."""
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Review letter</title><style>{_LETTER_CSS}</style></head><body>"
            + body + "</body></html>\n")

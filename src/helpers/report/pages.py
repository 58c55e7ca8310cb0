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

from ..core.findings import COLUMNS, SEVERITIES, SEVERITY_RANK, VERDICTS, read_findings
from ..core.paths import REPORT_MARKERS, relative_to_root

SEVERITY_COLOURS = {"critical": "#b2182b", "major": "#ef8a62", "minor": "#fddbc7", "none": "#d9d9d9"}
VERDICT_RANK = {"impossible": 0, "inconsistent": 1, "not testable": 2, "consistent": 3}


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
    cols = ["rank", "severity", "verdict", "category", "area", "item", "locators", "printed",
            "expected", "explanation", "check", "notebook", "section", "evidence"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.copy()
    if flagged_only:
        out = out[out["verdict"].isin(["inconsistent", "impossible"])]
    out = out.assign(_s=out["severity"].map(SEVERITY_RANK), _v=out["verdict"].map(VERDICT_RANK))
    out = out.sort_values(["_s", "_v", "area", "check", "item", "printed", "notebook"],
                          kind="mergesort").drop(columns=["_s", "_v"]).reset_index(drop=True)
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
    for _, f in df.iterrows():
        places = []
        for loc in str(f["locators"]).split(";"):
            if loc.strip() and place_of(loc) not in places:
                places.append(place_of(loc))
        for place in places or ["(no locator)"]:
            rows.append({"place": place, "area": f["area"], "severity": f["severity"]})
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

def static_figure_by_place(df: pd.DataFrame, title: str = "Findings by place in the paper and severity"):
    """The same figure with matplotlib (survives any export)."""
    import matplotlib.pyplot as plt

    counts = _place_counts(df)
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.8 + 0.35 * len(counts))))
    left = None
    for sev in SEVERITIES:
        if sev in counts and counts[sev].sum():
            ax.barh(list(counts.index), counts[sev].to_numpy(), left=left, label=sev,
                    color=SEVERITY_COLOURS[sev], edgecolor="#555555", linewidth=0.4)
            left = counts[sev].to_numpy() if left is None else left + counts[sev].to_numpy()
    if counts.empty:
        ax.text(0.5, 0.5, "no findings in this run", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    else:
        ax.invert_yaxis()
        ax.legend(title="severity", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_xlabel("findings")
    ax.set_title(title)
    fig.tight_layout()
    return fig

def _cell(value) -> str:
    return html.escape(str(value)).replace("; ", ";<br>")

def ranked_html(table: pd.DataFrame, *, max_chars: int = 300) -> str:
    """The ranked table as HTML: every cell escaped (text longer than ``max_chars`` shortened; the
    full text is in findings.csv), the evidence as a link."""
    if table.empty:
        return "<p><em>No findings to list.</em></p>"
    show = ["rank", "severity", "verdict", "category", "area", "item", "locators", "printed",
            "expected", "explanation", "evidence"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in show)
    body = []
    for _, r in table.iterrows():
        cells = []
        for c in show:
            if c == "evidence":
                href = str(r["evidence"])
                label = f"{r['notebook']} / {r['section']}" if r["section"] else str(r["notebook"])
                cells.append(f'<td><a href="{html.escape(href)}">{html.escape(label)}</a></td>'
                             if href else "<td></td>")
            elif c == "severity":
                sev = str(r[c])
                cells.append(f'<td class="sev-{html.escape(sev)}">{html.escape(sev)}</td>')
            else:
                text = str(r[c])
                text = text if len(text) <= max_chars else text[: max_chars - 1] + "…"
                cells.append(f"<td>{_cell(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    style = ("<style>table.findings{border-collapse:collapse}table.findings th,table.findings td"
             "{text-align:left;vertical-align:top;border:1px solid #ccc;padding:2px 5px}"
             "table.findings td.sev-critical{background:#b2182b;color:#fff}"
             "table.findings td.sev-major{background:#ef8a62}table.findings td.sev-minor"
             "{background:#fddbc7}</style>")
    return (style + '<table class="findings"><thead><tr>' + head + "</tr></thead><tbody>"
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
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .45rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}td.num{text-align:right}
td.sev-critical{background:#b2182b;color:#fff}td.sev-major{background:#ef8a62}
td.sev-minor{background:#fddbc7}td.sev-none{background:#f0f0f0}
.muted{color:#666}code{background:#f6f6f6;padding:0 .2rem}
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

def write_index(run_dir: str | Path, *, study: str, run: str, title: str, manifest: dict,
                findings: pd.DataFrame, pages: dict[str, dict], broken: pd.DataFrame) -> Path:
    """The entry page of the run (static HTML, no scripts, works offline)."""
    run_dir = Path(run_dir)
    esc = html.escape
    flagged = ranked_findings(findings, flagged_only=True)
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
    docs = [("review_letter.html", "Draft review letter"), ("review_letter.md", "Draft review letter (markdown)"),
            ("findings.csv", "All findings (CSV)"), ("findings.json", "All findings (JSON)"),
            ("manifest.json", "Run manifest: parameters, input hashes, versions, timings")]
    doc_items = "".join(f'<li><a href="{esc(f)}">{esc(label)}</a></li>' for f, label in docs)
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
    start_links.append('<a href="review_letter.html">the draft review letter</a>')
    start_here = f"<p><strong>Start with</strong> {' and '.join(start_links)}.</p>"
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reanalysis of {esc(study)}: run {esc(run)}</title><style>{_CSS}</style></head>
<body>
<h1>Reanalysis of {esc(title)}</h1>
<p class="muted">Study <code>{esc(study)}</code>, run <code>{esc(run)}</code>, finished {esc(manifest["finished_at"])}
in {manifest["timing"]["total_seconds"]:.1f} s; commit <code>{esc(str(git.get("commit") or "unknown")[:12])}</code>{" (uncommitted changes)" if git.get("dirty") else ""}.</p>
{start_here}
<h2 id="parameters">Parameters</h2>
<p>{esc(params)}</p>
<h2 id="counts">Findings by verdict and severity</h2>
{_frame_html(verdict_severity_counts(findings))}
<p class="muted">Severity follows one rule (helpers.core.findings.severity_for): impossible is critical;
inconsistent is major, or minor when the category is rounding; consistent and not testable are none.</p>
<h2 id="flagged">Flagged findings, most severe first</h2>
{ranked_html(flagged)}
<p class="muted">Every finding, flagged or not, with the figure by place in the paper: see the summary notebook.</p>
<h2 id="notebooks">Notebooks</h2>
<table><thead><tr><th>page</th><th>title</th><th>findings</th><th>wall time</th><th>source</th></tr></thead>
<tbody>{"".join(nb_rows)}</tbody></table>
<h2 id="documents">Documents</h2>
<ul>{doc_items}</ul>
{"<h2 id='warnings'>Warnings</h2>" + "".join(warn) if warn else ""}
</body></html>
"""
    path = run_dir / "index.html"
    path.write_text(body, encoding="utf-8")
    return path

def write_letter_html(md_path: Path) -> Path:
    """``review_letter.html``: the markdown letter rendered for reading in a browser."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text = md_path.read_text(encoding="utf-8")
    body = markdown2html_mistune(text)
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Draft review letter</title>'
            f"<style>{_CSS} a.anchor-link{{display:none}}</style></head><body>{body}</body></html>\n")
    out = md_path.with_suffix(".html")
    out.write_text(page, encoding="utf-8")
    return out

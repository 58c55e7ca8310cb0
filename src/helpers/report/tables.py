"""Finding tables a reviewer can read, in JupyterLab and in the exported HTML.

:func:`findings_table` shows the columns a reviewer needs (item, verdict, severity, strength,
printed, expected, explanation, locators, and the check that produced the row), wraps text instead
of cutting it, keeps printed values exactly as printed and writes computed numbers one way
(:func:`format_number`). A table longer than ``searchable_from`` rows gets a search box and verdict
and severity menus: a few lines of plain JavaScript in the page (no library, no network), the same
filter as the report's ``index.html``. In an untrusted JupyterLab notebook the script does not run
and the whole table shows.
"""

from __future__ import annotations

import html
import itertools
import math
import re

import pandas as pd

from ..core.findings import SEVERITIES, VERDICTS

TABLE_COLUMNS = ["item", "verdict", "severity", "strength", "printed", "expected", "explanation",
                 "locators", "check"]
# kept for callers of the former helpers.report.figures.FINDING_COLUMNS
FINDING_COLUMNS = TABLE_COLUMNS

MAX_ROWS = 500   # rows a findings table displays by default (the findings files hold all)
_FLOAT_TEXT = re.compile(r"^[-+]?(?:\d+\.\d{7,}|\d+(?:\.\d+)?[eE][-+]?\d+)$")
_ids = itertools.count(1)


def format_number(x) -> str:
    """A computed number written one way: integers as integers, other values to 4 significant
    digits without exponent between 0.001 and 10^6, with one outside.

    Example
    -------
    >>> [format_number(v) for v in (3, 1.926583, 0.000012345, 2.5e7, float("nan"))]
    ['3', '1.927', '1.234e-05', '2.5e+07', '']
    """
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    if 1e-3 <= abs(v) < 1e6:
        return f"{v:.4g}" if "e" not in f"{v:.4g}" else f"{v:.{max(0, 3 - int(math.floor(math.log10(abs(v)))))}f}"
    return f"{v:.4g}"


def _text(value, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "printed":            # as printed, never reformatted
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    s = str(value)
    return format_number(float(s)) if _FLOAT_TEXT.match(s.strip()) else s


_STYLE = """<style>
.rt-wrap{max-width:100%;overflow-x:auto}
table.rt{border-collapse:collapse;table-layout:fixed;width:100%;font-size:0.85em}
table.rt th,table.rt td{text-align:left;vertical-align:top;border:1px solid #ccc;padding:2px 5px;
 white-space:normal;overflow-wrap:anywhere;word-break:normal}
table.rt th{background:#f3f3f3}
table.rt td.v-impossible{background:#d55e00;color:#fff}
table.rt td.v-inconsistent{background:#e69f00}
table.rt td.v-implausible{background:#cc79a7;color:#fff}
table.rt td.v-consistent{background:#d6eaf8}
table.rt td.v-not-testable{background:#eeeeee}
table.rt th{overflow-wrap:normal;word-break:keep-all}
table.rt td.v-impossible,table.rt td.v-inconsistent,table.rt td.v-implausible,table.rt td.v-consistent,
table.rt td.v-not-testable{overflow-wrap:normal}
table.rt col.c-item{width:13%} table.rt col.c-verdict{width:9%} table.rt col.c-severity{width:7%}
table.rt col.c-strength{width:9%} table.rt col.c-printed{width:12%} table.rt col.c-expected{width:10%}
table.rt col.c-explanation{width:22%} table.rt col.c-locators{width:10%} table.rt col.c-check{width:8%}
p.rt-filter label{margin-right:1em}
</style>"""

_FILTER_JS = """(function(){var root=document.getElementById(%(id)s);if(!root){return;}
var text=root.querySelector('input'),sel=root.querySelectorAll('select'),shown=root.querySelector('.rt-count');
var rows=Array.prototype.slice.call(root.querySelectorAll('tbody tr'));
var flagged=['inconsistent','implausible','impossible'];
function apply(){var t=text.value.toLowerCase(),v=sel[0].value,s=sel[1].value,k=0;
rows.forEach(function(r){var okv=!v||(v==='flagged'?flagged.indexOf(r.dataset.verdict)>=0:r.dataset.verdict===v);
var ok=okv&&(!s||r.dataset.severity===s)&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);
r.style.display=ok?'':'none';if(ok){k+=1;}});shown.textContent=k+' of '+rows.length+' rows shown';}
root.querySelector('p.rt-filter').style.display='';
[text,sel[0],sel[1]].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
apply();})();"""


class FindingsTable:
    """A findings table for display (``_repr_html_``); ``frame`` holds the rows shown, with the
    columns of :data:`TABLE_COLUMNS` present in the findings."""

    def __init__(self, frame: pd.DataFrame, *, caption: str = "", searchable_from: int = 15,
                 max_rows: int | None = MAX_ROWS):
        self.frame = frame
        self.caption = caption
        self.searchable_from = searchable_from
        self.max_rows = max_rows

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def shown(self) -> pd.DataFrame:
        """The rows displayed: all of them, or the first ``max_rows`` (the most severe: the
        frame is ranked) when there are more."""
        if self.max_rows is None or len(self.frame) <= self.max_rows:
            return self.frame
        return self.frame.head(self.max_rows)

    def _cut_note(self) -> str:
        if len(self.shown) == len(self.frame):
            return ""
        return (f"Showing the first {len(self.shown):,} of {len(self.frame):,} findings, most "
                "severe first; every finding is in the run's findings files "
                "(findings/<notebook>.csv).")

    def __repr__(self) -> str:
        head = f"FindingsTable({len(self.frame)} rows)"
        note = self._cut_note()
        return (f"{head}\n{self.shown.to_string(max_colwidth=60)}"
                + (f"\n{note}" if note else ""))

    def to_html(self) -> str:
        df = self.shown
        if df.empty:
            return "<p><em>No findings in this section.</em></p>"
        ident = f"rt-{next(_ids)}"
        cols = list(df.columns)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        colgroup = "".join(f'<col class="c-{html.escape(c)}">' for c in cols)
        body = []
        for r in df.to_dict("records"):
            cells = []
            for c in cols:
                text = _text(r.get(c), c)
                cls = f' class="v-{text.replace(" ", "-")}"' if c == "verdict" else ""
                cells.append(f"<td{cls}>{html.escape(text).replace('; ', ';<br>')}</td>")
            body.append(f'<tr data-verdict="{html.escape(str(r.get("verdict", "")))}" '
                        f'data-severity="{html.escape(str(r.get("severity", "")))}">'
                        + "".join(cells) + "</tr>")
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        note = self._cut_note()
        note = f'<p class="rt-cut"><em>{html.escape(note)}</em></p>' if note else ""
        table = (f'{note}<div class="rt-wrap"><table class="rt">{caption}<colgroup>{colgroup}</colgroup>'
                 f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
        if len(df) < self.searchable_from:
            return f'{_STYLE}<div id="{ident}">{table}</div>'
        ver = "".join(f'<option value="{v}">{v}</option>' for v in VERDICTS)
        sev = "".join(f'<option value="{s}">{s}</option>' for s in SEVERITIES)
        controls = (f'<p class="rt-filter" style="display:none"><label>Search <input type="search" '
                    f'placeholder="text in any column"></label><label>Verdict <select>'
                    f'<option value="">any</option><option value="flagged">flagged</option>{ver}'
                    f'</select></label><label>Severity <select><option value="">any</option>{sev}'
                    f'</select></label><span class="rt-count"></span></p>')
        script = "<script>" + _FILTER_JS % {"id": repr(ident)} + "</script>"
        return f'{_STYLE}<div id="{ident}">{controls}{table}{script}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()


def findings_table(df: pd.DataFrame, *, caption: str = "", searchable_from: int = 15,
                   max_rows: int | None = MAX_ROWS) -> FindingsTable:
    """A section's findings as a reviewer reads them: most severe first (the order the findings
    frame already has), the columns of :data:`TABLE_COLUMNS` that exist, text wrapped, computed
    numbers formatted one way, printed values as printed; searchable when long.

    Parameters
    ----------
    df : DataFrame
        Findings (:func:`helpers.core.findings.findings_frame`, ``nb.run(...)``).
    caption : str
        A caption above the table.
    searchable_from : int
        Tables with at least this many rows get the search box and menus.
    max_rows : int or None
        At most this many rows are displayed (the most severe first), with a line saying how
        many of how many; None shows every row. A notebook of a very large ledger stays
        readable and small; the findings files keep every row.

    Returns
    -------
    FindingsTable
        Displayed as HTML; ``.frame`` holds the rows.

    Example
    -------
    >>> t = findings_table(pd.DataFrame([{"item": "Sex: Male", "verdict": "impossible",
    ...     "severity": "critical", "strength": "conclusive", "printed": "7 (70.1%)",
    ...     "expected": "70.0%", "explanation": "7/10 = 70.0%", "locators": "Table 1",
    ...     "check": "percent_count", "family": "arithmetic"}]))
    >>> list(t.frame.columns)[:3], 'v-impossible' in t.to_html()
    (['item', 'verdict', 'severity'], True)
    """
    if df is None or df.empty:
        return FindingsTable(pd.DataFrame(columns=TABLE_COLUMNS), caption=caption)
    cols = [c for c in TABLE_COLUMNS if c in df.columns]
    return FindingsTable(df[cols].reset_index(drop=True), caption=caption,
                         searchable_from=searchable_from, max_rows=max_rows)


__all__ = ["FINDING_COLUMNS", "FindingsTable", "MAX_ROWS", "TABLE_COLUMNS", "findings_table", "format_number"]

"""HTML export of a run's executed notebooks (nbconvert, JupyterLab template), offline and light.

Every executed notebook ``<run>/<name>.ipynb`` becomes ``<run>/<name>.html``:

* **formulas**: TeX in markdown cells (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) is
  converted to MathML at export (:func:`tex_to_mathml`, with ``latex2mathml``), which browsers
  render natively; no math library and no network are needed, and no TeX source is left in the
  page. Code spans and fenced code are left alone; ``\\$`` stays a dollar sign.
* **figures**: a plotly figure is kept in the notebook as its JSON (the
  ``application/vnd.plotly.v1+json`` output JupyterLab renders) and drawn in the page by one small
  ``Plotly.newPlot`` call. plotly.js itself is written **once per output root**
  (``<output root>/plotly.min.js``, e.g. ``outputs/plotly.min.js``) and loaded by a relative
  path, so the pages stay offline without carrying 4.6 MB each. A page whose script cannot be
  found says so in place of each figure.
* **no second copy of the library**: the plotly.js bundle that plotly's ``notebook`` renderer
  writes into a notebook, and the HTML duplicate of each figure, are removed from the executed
  ``.ipynb`` too (its figures keep their JSON).
* **no remote resource**: every ``<script src="http...">`` or remote stylesheet an output asks for
  is removed, as are the template's require.js, MathJax, mermaid and widget loaders.
* the injected-parameters cell shows the run folder relative to the output root's parent
  (``outputs/<study>/<run>``), not an absolute path of the machine that ran it.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from pathlib import Path

PLOTLY_JS = "plotly.min.js"
PLOTLY_MIME = "application/vnd.plotly.v1+json"

# Blocks of nbconvert's JupyterLab template that load scripts from the network; plotly.js by a
# relative path instead.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}
{%- if resources.plotly_src -%}<script src="{{ resources.plotly_src }}"></script>{%- endif -%}
{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block input -%}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline">
     <div class="cm-editor cm-s-jupyter">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
     </div>
</div>
{%- endblock input -%}
{%- block extra_css -%}
<style>
math[display="block"] { display: block; margin: 0.6em 0; overflow-x: auto; }
.reanalysis-missing-plotly { border: 1px dashed #999; padding: 0.5em; color: #444; }
</style>
{%- endblock extra_css -%}
"""
_REMOTE_SCRIPT = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["'](?P<url>(?:https?:)?//[^"']+)["'][^>]*>\s*</script>""",
    re.IGNORECASE)
_REMOTE_STYLESHEET = re.compile(
    r"""<link\b[^>]*\bhref\s*=\s*["'](?P<url>(?:https?:)?//[^"']+)["'][^>]*>""", re.IGNORECASE)


def html_exporter():
    """The nbconvert HTML exporter with the offline JupyterLab template.

    The template differs from JupyterLab's in what it loads (no require.js, MathJax, mermaid or
    widget scripts; plotly.js by relative path when the page has figures) and in one speed-up:
    code cells are highlighted by pygments (which escapes the source) without bleach's second
    pass over the highlighted HTML.
    """
    import jinja2
    from nbconvert import HTMLExporter

    loader = jinja2.DictLoader({"reanalysis_offline.html.j2": _OFFLINE_TEMPLATE})
    return HTMLExporter(template_file="reanalysis_offline.html.j2", extra_loaders=[loader])


_FOCUSABLE = re.compile(r'<div class="([^"]*\bjp-(?:Cell-inputWrapper|OutputArea-output)\b[^"]*)"'
                        r'(?![^>]*\btabindex=)')
_IMG_NO_ALT = re.compile(r"<img\b(?![^>]*\balt=)")


def render_page(exporter, nb, resources: dict) -> str:
    """``exporter.from_notebook_node`` without its BeautifulSoup pass over the whole page (which
    parses and re-serialises every figure's data): the same two edits (focusable cells, alt text
    on images) are made with regular expressions."""
    try:
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    except ImportError:  # another nbconvert layout: the exporter's own path
        return exporter.from_notebook_node(nb, resources=resources)[0]
    langinfo = nb.metadata.get("language_info", {})
    lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
    exporter.register_filter("highlight_code", exporter.filters.get(
        "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=exporter)))
    resources = exporter._init_resources(resources)
    exporter.register_filter("filter_data_type", WidgetsDataTypeFilter(
        notebook_metadata=exporter._nb_metadata, parent=exporter, resources=resources))
    body, _ = TemplateExporter.from_notebook_node(exporter, nb, resources)
    body = _FOCUSABLE.sub(lambda m: f'<div class="{m.group(1)}" tabindex="0"', body)
    return _IMG_NO_ALT.sub('<img alt="No description has been provided for this image" ', body)


# --------------------------------------------------------------------------------------------
# Formulas: TeX in markdown -> MathML
# --------------------------------------------------------------------------------------------

# Code that must not be touched: fenced blocks, then inline code spans.
_CODE = re.compile(r"(^|\n)(```|~~~)[^\n]*\n.*?(\n\2[^\n]*(?=\n|$)|$)|(`+)(?!`).+?(?<!`)\4(?!`)",
                   re.DOTALL)
_MATH = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)(?<!\\)\$\$"                       # $$ display $$
    r"|\\\[(?P<bd>.+?)\\\]"                                    # \[ display \]
    r"|\\\((?P<bi>.+?)\\\)"                                    # \( inline \)
    r"|(?<![\\$\w])\$(?P<di>[^\s$](?:[^$\n]|\n(?!\n))*?(?<![\s\\]))\$(?![\d$])",  # $inline$
    re.DOTALL)


def _convert(tex: str, display: bool) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - a formula latex2mathml cannot parse stays readable
        return f'<code class="tex">{html.escape(tex.strip())}</code>'


def tex_to_mathml(markdown: str) -> tuple[str, list[str]]:
    """Replace the TeX formulas of a markdown text by placeholders; return the text and the
    MathML of each placeholder (``REANALYSISMATH<k>Z``) in order.

    Placeholders (rather than MathML inline) keep the markdown renderer from touching the MathML;
    :func:`insert_mathml` puts the MathML in the rendered HTML.

    Example
    -------
    >>> text, maths = tex_to_mathml("a share $k/n$ and `code $x$`")
    >>> text
    'a share REANALYSISMATH0Z and `code $x$`'
    >>> maths[0].startswith('<math')
    True
    """
    maths: list[str] = []

    def math(m: re.Match) -> str:
        display = m.group("dd") is not None or m.group("bd") is not None
        tex = next(g for g in (m.group("dd"), m.group("bd"), m.group("bi"), m.group("di"))
                   if g is not None)
        maths.append(_convert(tex, display))
        return f"REANALYSISMATH{len(maths) - 1}Z"

    out, last = [], 0
    for code in _CODE.finditer(markdown):
        out.append(_MATH.sub(math, markdown[last:code.start()]))
        out.append(code.group(0))
        last = code.end()
    out.append(_MATH.sub(math, markdown[last:]))
    return "".join(out), maths


_PLACEHOLDER = re.compile(r"REANALYSISMATH(\d+)Z")
_ATTRIBUTE = re.compile(r'(\b(?:id|href|title|alt)\s*=\s*")([^"]*)(")')


def insert_mathml(body: str, maths: list[str]) -> str:
    """Put the MathML of :func:`tex_to_mathml` in place of its placeholders in rendered HTML
    (inside attribute values, such as heading ids, the placeholder is simply dropped)."""
    if not maths:
        return body
    body = _ATTRIBUTE.sub(lambda m: m.group(1) + _PLACEHOLDER.sub("", m.group(2)) + m.group(3),
                          body)
    body = re.sub(r"<p>\s*(REANALYSISMATH\d+Z)\s*</p>", r"<div>\1</div>", body)
    return _PLACEHOLDER.sub(lambda m: maths[int(m.group(1))], body)


# --------------------------------------------------------------------------------------------
# plotly.js once per output root
# --------------------------------------------------------------------------------------------

def output_root_of(run_dir: str | Path) -> Path:
    """The output root a run folder lies in: the project's ``outputs/`` when the run is inside
    it, else the parent of the first ancestor named after a study of ``data/published``
    (``<root>/<study>/<run>``, ``<root>/<study>/<grid>/<run>``), else the run folder itself."""
    from ..core.paths import outputs_root, published_root

    run_dir = Path(run_dir).resolve()
    try:
        root = outputs_root().resolve()
        if root in run_dir.parents:
            return root
    except FileNotFoundError:
        pass
    try:
        studies = {p.name for p in published_root().iterdir() if p.is_dir()}
    except (FileNotFoundError, OSError):
        studies = set()
    for parent in run_dir.parents:
        if parent.name in studies:
            return parent.parent
    return run_dir


def ensure_plotly_js(root: str | Path) -> Path:
    """Write plotly.js (the version plotly.py ships) to ``<root>/plotly.min.js`` unless the same
    file is already there; atomic, so concurrent runs never see half a file."""
    from plotly.offline import get_plotlyjs

    root = Path(root)
    target = root / PLOTLY_JS
    js = get_plotlyjs().encode("utf-8")
    if target.is_file() and target.stat().st_size == len(js) and \
            hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(js).digest():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{PLOTLY_JS}.{os.getpid()}.tmp"
    tmp.write_bytes(js)
    os.replace(tmp, target)
    return target


def plotly_src(run_dir: str | Path, root: str | Path | None = None) -> str:
    """The relative path from a run folder's pages to the shared plotly.js (written if needed).
    Pages of the run (``index.html`` too) load it with ``<script src="...">``."""
    run_dir = Path(run_dir).resolve()
    target = ensure_plotly_js(output_root_of(run_dir) if root is None else Path(root).resolve())
    return Path(os.path.relpath(target, run_dir)).as_posix()


def figure_html(figure: dict, div_id: str, src: str) -> str:
    """A plotly figure (its JSON as a dict) as a div and one ``Plotly.newPlot`` call; when
    plotly.js did not load, the div says where it was looked for."""
    data = json.dumps(figure.get("data", []), separators=(",", ":"))
    layout = dict(figure.get("layout", {}))
    height = layout.get("height")
    layout_json = json.dumps(layout, separators=(",", ":"))
    style = f"height:{int(height)}px; width:100%;" if isinstance(height, (int, float)) else "width:100%;"
    missing = html.escape(f"This figure needs plotly.js, looked for at {src} (written once per "
                          f"output root); copy that file there to see it.")
    did = json.dumps(div_id)
    return (f'<div id="{html.escape(div_id)}" class="plotly-graph-div" style="{style}"></div>'
            f"<script>(function(){{var el=document.getElementById({did});"
            f"if(!window.Plotly){{el.className='reanalysis-missing-plotly';el.style.height='auto';"
            f"el.textContent={json.dumps(missing)};return;}}"
            f"Plotly.newPlot(el,{data},{layout_json},{{responsive:true,displaylogo:false}});}})();"
            f"</script>")


def _is_plotly_bundle(text: str) -> bool:
    """An output holding plotly.js itself or its loader (what plotly's notebook renderer writes)."""
    return ("window.PlotlyConfig" in text or "define('plotly'" in text
            or (len(text) > 500_000 and "plotly.js" in text.lower()))


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def lighten_notebook(nb) -> bool:
    """Remove from an executed notebook (in place) the copies of plotly.js and the HTML
    duplicates of plotly figures (the figure JSON stays); True when anything changed."""
    changed = False
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        kept = []
        for out in outputs:
            data = out.get("data", {})
            if PLOTLY_MIME in data:
                extra = [k for k in data if k != PLOTLY_MIME]
                if extra:
                    for k in extra:
                        del data[k]
                    changed = True
            elif "text/html" in data and _is_plotly_bundle(_joined(data["text/html"])):
                changed = True
                continue
            kept.append(out)
        if len(kept) != len(outputs):
            cell["outputs"] = kept
    return changed


# --------------------------------------------------------------------------------------------
# Notebook -> page
# --------------------------------------------------------------------------------------------

def strip_remote_resources(nb) -> list[str]:
    """Remove ``<script src="http...">`` and remote stylesheets from a notebook's HTML outputs
    (in place); return the URLs removed."""
    removed: list[str] = []

    def _strip(text: str) -> str:
        for pattern in (_REMOTE_SCRIPT, _REMOTE_STYLESHEET):
            removed.extend(m.group("url") for m in pattern.finditer(text))
            text = pattern.sub("", text)
        return text

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                data["text/html"] = _strip(_joined(data["text/html"]))
    return sorted(set(removed))


def _page_figures(nb, name: str, src: str) -> int:
    """Replace every plotly output by its page rendering (in place); return how many."""
    k = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if PLOTLY_MIME in data:
                fig = data[PLOTLY_MIME]
                fig = json.loads(fig) if isinstance(fig, str) else fig
                k += 1
                out["data"] = {"text/html": figure_html(fig, f"{name}-figure-{k}", src)}
    return k


def _page_formulas(nb) -> list[str]:
    maths: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text, found = tex_to_mathml(cell.source)
        if found:
            # renumber so that one list serves the whole page
            offset = len(maths)
            cell.source = _PLACEHOLDER.sub(lambda m: f"REANALYSISMATH{int(m.group(1)) + offset}Z",
                                           text)
            maths.extend(found)
    return maths


def _shown_run_dir(run_dir: Path, root: Path) -> str:
    """The run folder as the injected-parameters cell shows it: ``<root name>/<study>/<run>``."""
    final = run_dir.resolve()
    name = final.name
    if name.startswith(".") and name.endswith(".partial"):
        final = final.with_name(name[1:-len(".partial")])
    try:
        return (Path(root.name) / final.relative_to(root)).as_posix()
    except ValueError:
        return final.name


def relative_injected_paths(nb, run_dir: Path, root: Path) -> bool:
    """In the injected-parameters cell, show the run folder relative to the output root's parent
    instead of this machine's absolute path (in place); True when anything changed."""
    shown = _shown_run_dir(run_dir, root)
    absolute = sorted({str(run_dir), str(run_dir.resolve())}, key=len, reverse=True)
    changed = False
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.source
            for a in absolute:
                source = source.replace(a, shown)
            if source != cell.source:
                cell.source = source
                changed = True
    return changed


def export_notebooks_html(run_dir: str | Path, *, root: str | Path | None = None
                          ) -> dict[str, dict]:
    """Export every executed notebook of ``run_dir`` to ``<name>.html``; return, per notebook,
    the page name, the heading ids it holds, the remote URLs removed, its title, and how many
    figures and formulas it shows.

    Parameters
    ----------
    run_dir : path
        The run folder (the runner passes its ``.<run>.partial`` folder; the relative path to
        plotly.js stays right after the rename, which keeps the folder's parent).
    root : path, optional
        Where ``plotly.min.js`` is written (default: :func:`output_root_of`).

    Returns
    -------
    dict
        ``{notebook stem: {"page", "heading_ids", "removed_remote", "title", "figures",
        "formulas"}}``.
    """
    import nbformat

    run_dir = Path(run_dir)
    root = output_root_of(run_dir) if root is None else Path(root).resolve()
    src = plotly_src(run_dir, root)
    exporter = html_exporter()
    pages: dict[str, dict] = {}
    for path in sorted(run_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        removed = strip_remote_resources(nb)
        changed = lighten_notebook(nb)
        changed = relative_injected_paths(nb, run_dir, root) or changed
        if changed or removed:
            nbformat.write(nb, path)
        n_figures = _page_figures(nb, path.stem, src)
        maths = _page_formulas(nb)
        body = render_page(exporter, nb, {"metadata": {"name": path.stem},
                                          "plotly_src": src if n_figures else ""})
        body = insert_mathml(body, maths)
        page = path.with_suffix(".html")
        page.write_text(body, encoding="utf-8")
        ids = {html.unescape(m) for m in re.findall(r'<h[1-6][^>]*\bid="([^"]*)"', body)}
        pages[path.stem] = {"page": page.name, "heading_ids": ids, "removed_remote": removed,
                            "title": _notebook_title(nb) or path.stem, "figures": n_figures,
                            "formulas": len(maths)}
    return pages


def _notebook_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if m:
                return _PLACEHOLDER.sub("", m.group(1)).strip()
    return ""

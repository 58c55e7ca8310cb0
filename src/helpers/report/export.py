"""HTML export of a run's executed notebooks (nbconvert, JupyterLab template), offline.

Every executed notebook becomes ``<notebook>.html``. The pages work offline: plotly.js is embedded
by the notebooks' renderer (``plotly_mimetype+notebook``) and every ``<script src="http...">`` a
notebook output asks for (plotly's notebook renderer always adds MathJax from a CDN) is removed from
the outputs before export, as are the template's require.js, MathJax and mermaid loaders. Formulas
in markdown therefore show as TeX source.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

# Blocks of nbconvert's JupyterLab template that load scripts from the network.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_REMOTE_SCRIPT = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["'](?P<url>(?:https?:)?//[^"']+)["'][^>]*>\s*</script>""",
    re.IGNORECASE)
_REMOTE_STYLESHEET = re.compile(
    r"""<link\b[^>]*\bhref\s*=\s*["'](?P<url>(?:https?:)?//[^"']+)["'][^>]*>""", re.IGNORECASE)


def html_exporter():
    """The nbconvert HTML exporter with the offline JupyterLab template."""
    import jinja2
    from nbconvert import HTMLExporter

    loader = jinja2.DictLoader({"reanalysis_offline.html.j2": _OFFLINE_TEMPLATE})
    return HTMLExporter(template_file="reanalysis_offline.html.j2", extra_loaders=[loader])

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
                value = data["text/html"]
                joined = "".join(value) if isinstance(value, list) else value
                data["text/html"] = _strip(joined)
    return sorted(set(removed))

def export_notebooks_html(run_dir: str | Path) -> dict[str, dict]:
    """Export every executed notebook of ``run_dir`` to ``<name>.html``; return, per notebook,
    the page name, the heading ids it holds and the remote URLs removed."""
    import nbformat

    run_dir = Path(run_dir)
    exporter = html_exporter()
    pages: dict[str, dict] = {}
    for path in sorted(run_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        removed = strip_remote_resources(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        page = path.with_suffix(".html")
        page.write_text(body, encoding="utf-8")
        ids = {html.unescape(m) for m in re.findall(r'<h[1-6][^>]*\bid="([^"]*)"', body)}
        pages[path.stem] = {"page": page.name, "heading_ids": ids, "removed_remote": removed,
                            "title": _notebook_title(nb) or path.stem}
    return pages

def _notebook_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if m:
                return m.group(1).strip()
    return ""

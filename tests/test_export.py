"""HTML export: formulas as MathML, plotly.js once per output root, light executed notebooks.

The unit tests build made-up executed notebooks; the slow tests run the cao2024 notebooks once
into a temporary output root and open every page in headless Chromium (the DOM after scripts
ran): no TeX is left in the text a reader sees, formulas are <math> elements, plotly figures are
drawn, and the run folder stays under 10 MB.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import pytest

from helpers.report import export

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TEX_LEFT = re.compile(r"\$[^$\s][^$]*\$|\\\(|\\\[|\\frac|\\sum|\\mathrm")


def dom(page: Path) -> str:
    """The page's DOM after its scripts ran (headless Chromium)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium not found: make test installs it (scripts/install_system_deps.sh)")
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--virtual-time-budget=20000", "--dump-dom", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def visible_text(dom_html: str) -> str:
    """Text a reader sees: without scripts, styles and the MathML itself."""
    t = re.sub(r"<(script|style|math)\b.*?</\1>", " ", dom_html, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", t))


# ------------------------------------------------------------------------------------------
# formulas
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, n", [
    ("share $k/n$ of $N$", 2),
    ("$$\\sum_i k_i = N$$", 1),
    ("inline \\(\\exp(b \\pm z\\,\\mathrm{SE})\\) and display \\[x^2\\]", 2),
    ("costs $5 and $10 each", 0),          # dollar amounts are not formulas
    ("escaped \\$x\\$ stays", 0),
    ("`code $x$` and\n```\n$y$\n```\n", 0),  # code is left alone
])
def test_tex_to_mathml_finds_formulas_and_only_them(text, n):
    out, maths = export.tex_to_mathml(text)
    assert len(maths) == n
    assert all(m.startswith("<math") for m in maths)
    if n:
        assert "$" not in out and "\\(" not in out and "\\[" not in out
    else:
        assert out == text


def test_display_formula_is_a_block_and_placeholders_leave_attributes_clean():
    out, maths = export.tex_to_mathml("# Heading $x$\n\n$$a+b$$\n")
    assert 'display="block"' in maths[1]
    body = ('<h1 id="Heading-REANALYSISMATH0Z">Heading REANALYSISMATH0Z</h1>'
            "<p>REANALYSISMATH1Z</p>")
    page = export.insert_mathml(body, maths)
    assert 'id="Heading-"' in page and "REANALYSIS" not in page
    assert page.count("<math") == 2 and "<div><math" in page


# ------------------------------------------------------------------------------------------
# a made-up executed notebook
# ------------------------------------------------------------------------------------------

def _executed(run_dir: Path) -> Path:
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], name="made up"))
    fig.update_layout(title="A made-up figure", height=300)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Made up\n\nA rate $p = k/n$ and\n\n$$\\sum_j k_j = N$$"),
        nbformat.v4.new_code_cell(f'output_dir = "{run_dir}"',
                                  metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("configure_display()", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": "<script>window.PlotlyConfig = {MathJaxConfig: "
                                               "'local'};/* plotly.js bundle */</script>"})]),
        nbformat.v4.new_code_cell("show(fig)", outputs=[nbformat.v4.new_output(
            "display_data", data={export.PLOTLY_MIME: json.loads(fig.to_json()),
                                  "text/html": "<div>duplicate</div>"})]),
    ]
    run_dir.mkdir(parents=True)
    path = run_dir / "01_made_up.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def exported(tmp_path):
    run_dir = tmp_path / "outputs" / "cao2024" / ".demo.partial"   # a study name, no numbers
    path = _executed(run_dir)
    pages = export.export_notebooks_html(run_dir)
    return tmp_path / "outputs", run_dir, path, pages


def test_plotly_js_once_per_output_root_by_relative_path(exported, tmp_path):
    root, run_dir, path, pages = exported
    js = root / export.PLOTLY_JS
    assert js.is_file() and js.stat().st_size > 1_000_000
    page = (run_dir / "01_made_up.html").read_text()
    assert '<script src="../../plotly.min.js"></script>' in page
    assert len(page) < 1_000_000 and "window.PlotlyConfig" not in page  # CSS only, no library
    assert pages["01_made_up"]["figures"] == 1 and pages["01_made_up"]["formulas"] == 2
    # a second run in the same root reuses the file; a grid run one level deeper finds it too
    before = js.stat().st_mtime_ns
    grid_run = root / "cao2024" / "grid__x" / "alpha-0.05"
    _executed(grid_run)
    export.export_notebooks_html(grid_run)
    assert js.stat().st_mtime_ns == before
    assert '<script src="../../../plotly.min.js">' in (grid_run / "01_made_up.html").read_text()
    assert not list(run_dir.glob("plotly*.js")) and not list(grid_run.glob("plotly*.js"))


def test_executed_notebook_loses_the_library_copy_and_html_duplicates(exported):
    _, run_dir, path, _ = exported
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert len(outputs) == 1 and set(outputs[0]["data"]) == {export.PLOTLY_MIME}
    injected = nb.cells[1].source
    assert str(run_dir) not in injected and "outputs/cao2024/demo" in injected


@pytest.mark.slow
def test_made_up_page_in_chromium(exported):
    _, run_dir, _, _ = exported
    d = dom(run_dir / "01_made_up.html")
    assert d.count("<math") == 2
    assert 'class="main-svg"' in d and "plot-container" in d
    assert not TEX_LEFT.search(visible_text(d))


@pytest.mark.slow
def test_page_says_where_plotly_js_is_missing(exported):
    root, run_dir, _, _ = exported
    (root / export.PLOTLY_JS).unlink()
    d = dom(run_dir / "01_made_up.html")
    assert "main-svg" not in d and "This figure needs plotly.js" in d


# ------------------------------------------------------------------------------------------
# the real run: every page of cao2024
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cao_run(tmp_path_factory):
    from helpers.run.runner import run_notebooks

    root = tmp_path_factory.mktemp("export") / "outputs"
    res = run_notebooks("cao2024", "export", {}, output_root=root, jobs=2, log=lambda _: None)
    if not res.ok:
        pytest.fail(f"the cao2024 run failed: {res.message}")
    return root, Path(res.run_dir)


@pytest.mark.slow
def test_cao2024_run_folder_is_light(cao_run):
    root, run_dir = cao_run
    size = sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file())
    assert size <= 10 * 2**20, f"run folder {size / 2**20:.1f} MB"
    assert (root / export.PLOTLY_JS).is_file()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["shared_assets"][export.PLOTLY_JS]["path"] == "../../plotly.min.js"
    for nb_path in run_dir.glob("*.ipynb"):
        text = nb_path.read_text()
        assert "window.PlotlyConfig" not in text, nb_path.name
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if "injected-parameters" in cell.metadata.get("tags", []):
                assert str(root.parent) not in cell.source, (nb_path.name, cell.source)


@pytest.mark.slow
def test_cao2024_pages_render_formulas_and_figures_offline(cao_run):
    _, run_dir = cao_run
    pages = sorted(run_dir.glob("0*.html"))
    assert pages
    formulas = figures = 0
    # one headless Chromium per page, as before; they are independent and spend most of their
    # time waiting, so a few run at once (each page's DOM is still checked below, in order)
    with ThreadPoolExecutor(max_workers=3) as pool:
        doms = list(pool.map(dom, pages))
    for page, d in zip(pages, doms):
        raw = page.read_text()
        assert not re.search(r"<script[^>]+src=[\"']https?:", raw), page.name
        text = visible_text(d)
        left = TEX_LEFT.search(text)
        assert not left, f"{page.name}: TeX left: {text[max(0, left.start() - 60):left.end() + 60]!r}"
        formulas += d.count("<math")
        n_div = raw.count('class="plotly-graph-div"')
        assert d.count('class="plot-container') == n_div, page.name   # every figure drawn
        figures += n_div
    assert formulas > 0 and figures > 0


def test_page_keeps_nbconvert_accessibility_edits_without_its_soup_pass(exported):
    _, run_dir, _, _ = exported
    page = (run_dir / "01_made_up.html").read_text()
    assert 'class="jp-Cell-inputWrapper" tabindex="0"' in page
    assert re.search(r'jp-OutputArea-output[^"]*" tabindex="0"', page)
    assert page.count("<math") == 2 and "REANALYSISMATH" not in page

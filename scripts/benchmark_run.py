"""How far a full run is from its floor, measured side by side in one invocation.

The floor: the same notebooks reduced to their ``parameters`` cell and their imports (every
``import`` / ``from ... import`` statement of their code cells, nothing else), executed by the same
runner (:func:`helpers.run.runner.run_notebooks`) with the same parallelism. The full run: the
notebooks as they are (what ``make reanalysis`` runs). Both go to a temporary output root, so
nothing under ``outputs/`` is touched.

Prints both wall times and their ratio, the run folder's size, then a profile of the full run:
per notebook the time in its import cell(s) and in the rest, the slowest cells (papermill's
per-cell durations in the executed notebooks), and the time after the notebooks (merging findings,
HTML export, report).

Usage::

    .venv/bin/python scripts/benchmark_run.py [--study cao2024] [--jobs 2] [--repeat 1]
        [--top 12] [--keep DIR] [-p NAME VALUE ...]
"""

from __future__ import annotations

import argparse
import ast
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def import_only(source: str) -> str:
    """The import statements of a code cell's source (unparsed), or '' when it has none or
    does not parse (IPython magics)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    keep = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(ast.unparse(node) for node in keep)


def floor_notebooks(notebooks: list[Path], into: Path) -> list[Path]:
    """Copies of ``notebooks`` reduced to the parameters cell and the imports of every code cell."""
    import nbformat

    into.mkdir(parents=True, exist_ok=True)
    out = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        cells = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if "parameters" in cell.metadata.get("tags", []):
                cells.append(cell)
                continue
            imports = import_only(cell.source)
            if imports:
                cells.append(nbformat.v4.new_code_cell(imports))
        nb.cells = cells
        target = into / path.name
        nbformat.write(nb, target)
        out.append(target)
    return out


def timed_run(study: str, run: str, params: dict, notebooks: list[Path], root: Path, jobs: int,
              verbose: bool) -> tuple[float, object]:
    from helpers.run.runner import run_notebooks

    t0 = time.perf_counter()
    res = run_notebooks(study, run, params, notebooks=notebooks, output_root=root, jobs=jobs,
                        log=print if verbose else (lambda _: None))
    return time.perf_counter() - t0, res


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def profile(run_dir: Path, top: int) -> tuple[list[tuple], list[tuple]]:
    """Per notebook (name, import-cell seconds, other seconds, total) and the slowest cells
    (seconds, notebook, cell index, first line)."""
    import nbformat

    per_nb, cells = [], []
    for path in sorted(run_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        imp = rest = 0.0
        for i, cell in enumerate(nb.cells):
            d = cell.metadata.get("papermill", {}).get("duration")
            if not d or cell.cell_type != "code":
                continue
            if import_only(cell.source):   # the cells that import (and start the notebook)
                imp += d
            else:
                rest += d
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            cells.append((d, path.stem, i, first[:70]))
        per_nb.append((path.stem, imp, rest, imp + rest))
    cells.sort(reverse=True)
    return per_nb, cells[:top]


def main(argv: list[str] | None = None) -> int:
    from helpers.run.runner import discover_notebooks, skip_slow_optional_imports

    skip_slow_optional_imports()  # as the runner does before nbformat / nbconvert load

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--study", default="cao2024")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="pairs of runs (median reported)")
    ap.add_argument("--top", type=int, default=12, help="slowest cells listed")
    ap.add_argument("--keep", default=None, help="keep the outputs in this folder")
    ap.add_argument("--verbose", action="store_true", help="show the runner's progress lines")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                    metavar=("NAME", "VALUE"))
    args = ap.parse_args(argv)
    params = dict(args.parameter)

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="benchmark_run_"))
    base.mkdir(parents=True, exist_ok=True)
    notebooks = discover_notebooks()
    floor_nbs = floor_notebooks(notebooks, base / "floor_notebooks")
    floors, fulls, last_full = [], [], None
    try:
        for k in range(args.repeat):
            print(f"[{k + 1}/{args.repeat}] floor: {len(floor_nbs)} notebooks reduced to parameters "
                  f"and imports, {args.jobs} at a time ...", flush=True)
            t_floor, res_floor = timed_run(args.study, f"floor-{k}", params, floor_nbs,
                                           base / "outputs", args.jobs, args.verbose)
            print(f"      {t_floor:.1f} s ({'complete' if res_floor.ok else 'incomplete: ' + str(res_floor.message).splitlines()[0]})",
                  flush=True)
            print(f"[{k + 1}/{args.repeat}] full run: {len(notebooks)} notebooks ...", flush=True)
            t_full, res_full = timed_run(args.study, f"full-{k}", params, notebooks,
                                         base / "outputs", args.jobs, args.verbose)
            print(f"      {t_full:.1f} s ({'complete' if res_full.ok else 'FAILED'})", flush=True)
            if not res_full.ok:
                print(res_full.message, file=sys.stderr)
                return 1
            floors.append(t_floor)
            fulls.append(t_full)
            last_full = Path(res_full.run_dir)
        floor, full = statistics.median(floors), statistics.median(fulls)
        print()
        print(f"study {args.study}, {args.jobs} notebooks at a time, median of {args.repeat}:")
        print(f"  floor (parameters + imports)  {floor:7.1f} s")
        print(f"  full run                      {full:7.1f} s")
        print(f"  ratio full / floor            {full / floor:7.2f}")
        print(f"  run folder                    {folder_size(last_full) / 2**20:7.1f} MB "
              f"({last_full.name})")
        import json
        manifest = json.loads((last_full / "manifest.json").read_text())
        worker = {Path(t["notebook"]).stem: t["seconds"] for t in manifest["timing"]["notebooks"]}
        per_nb, slow = profile(last_full, args.top)
        nb_total = sum(t for *_, t in per_nb)
        print("\nper notebook (papermill cell durations, s):  cells with imports   rest   total"
              "   worker")
        for name, imp, rest, tot in per_nb:
            print(f"  {name:<40} {imp:10.1f} {rest:7.1f} {tot:7.1f} {worker.get(name, 0):8.1f}")
        print(f"  {'all notebooks (serial sum)':<40} {sum(p[1] for p in per_nb):10.1f} "
              f"{sum(p[2] for p in per_nb):7.1f} {nb_total:7.1f} {sum(worker.values()):8.1f}")
        print("  (worker: the runner's time for the notebook: process and kernel start, cells, "
              "saves)")
        print(f"\nslowest {len(slow)} cells:")
        for d, name, i, first in slow:
            print(f"  {d:6.2f} s  {name} cell {i}: {first}")
        nb_wall = sum(t["seconds"] for t in manifest["timing"]["notebooks"])
        print(f"\nrunner: notebooks {nb_wall:.1f} s of worker time; wall {full:.1f} s "
              f"(includes kernel start, the report notebook after the others, merging, HTML "
              f"export and the report)")
        until_report = float(manifest["timing"].get("total_seconds") or 0)
        if until_report:
            print(f"after the notebooks (the report: HTML export, letter, manifest; and the "
                  f"checks before the run): {t_full - until_report:.1f} s of the last full run")
        from helpers.report.export import export_notebooks_html

        copy = base / "export_copy" / args.study / last_full.name
        shutil.copytree(last_full, copy)
        t0 = time.perf_counter()
        export_notebooks_html(copy, root=base / "export_copy")
        print(f"HTML export of the run alone (again, on a copy): {time.perf_counter() - t0:.1f} s")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

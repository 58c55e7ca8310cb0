"""The ``reanalysis`` command (``pyproject.toml`` entry point): parses the command line and calls
the batch runner (:mod:`helpers.run.runner`) for one run, or the grid (:mod:`helpers.run.grid`) for
``--grid``.

Exit status: 0 a complete run (or grid); 1 a run that failed or is incomplete (published as
``<run>.failed/`` with ``FAILED.txt``); 2 a usage or input error, found before any kernel starts
(bad run name, parameter, ledger, unwritable output folder, a run of the same name already running,
an existing run without ``--overwrite``); 130 / 143 interrupted by SIGINT (Ctrl-C) / SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import InputError, ParameterError
from ..core.paths import relative_to_root
from .grid import parse_grid, run_grid, run_name
from .runner import RunError, RunInterrupted, discover_notebooks, run_notebooks


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reanalysis",
        description="Execute every notebook with papermill into outputs/<study>/<run>/.")
    p.add_argument("--study", default="cao2024", help="study folder under data/published (default cao2024)")
    p.add_argument("--run", default=None,
                   help="run name: the folder under outputs/<study>/ (default: named after the -p "
                        "parameters, or 'default'; with --grid, a prefix for the grid's run names)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"), help="set a notebook parameter (repeatable)")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                   help="run every combination of these values, one run folder each (repeatable)")
    p.add_argument("--notebooks", default="",
                   help="comma-separated notebook names, or paths to .ipynb files (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="notebooks executed in parallel (default 2)")
    p.add_argument("--output-root", default=None, help="where run folders go (default outputs/)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing run folder (only one written by reanalysis)")
    p.add_argument("--wait", action="store_true",
                   help="wait for a run of the same name to finish instead of refusing")
    p.add_argument("--start-timeout", type=int, default=180, help="kernel start timeout in seconds")
    return p

def select_notebooks(spec: str) -> list[Path]:
    """``--notebooks``: names of notebooks in ``notebooks/`` or paths to ``.ipynb`` files."""
    notebooks = discover_notebooks()
    if not spec:
        return notebooks
    by_stem = {nb.stem: nb for nb in notebooks}
    chosen, missing = [], []
    for item in (n.strip() for n in spec.split(",")):
        if not item:
            continue
        path = Path(item)
        if path.suffix == ".ipynb" and path.is_file():
            chosen.append(path.resolve())
        elif item.removesuffix(".ipynb") in by_stem:
            chosen.append(by_stem[item.removesuffix(".ipynb")])
        else:
            missing.append(item.removesuffix(".ipynb"))
    if missing:
        raise ParameterError(f"unknown notebook(s): {', '.join(missing)} "
                             f"(known: {', '.join(by_stem)})")
    return chosen

def checks_main(argv: list[str]) -> int:
    """``reanalysis checks [--markdown] [--family F]``: list the check registry."""
    parser = argparse.ArgumentParser(prog="reanalysis checks",
                                     description="List every registered check with its metadata.")
    parser.add_argument("--markdown", action="store_true",
                        help="print docs/checks.md (the catalogue generated from the registry)")
    parser.add_argument("--family", default=None, help="only this family")
    args = parser.parse_args(argv)
    import pandas as pd

    from ..checks import registry

    if args.markdown:
        sys.stdout.write(registry.catalogue_markdown())
        return 0
    cat = registry.catalogue()
    if args.family:
        cat = cat[cat["family"] == args.family]
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 60,
                           "display.width", 200):
        print(cat[["family", "check", "assumptions", "items", "title"]].to_string(index=False))
    counts = cat.groupby("family", sort=False).size()
    print("\n" + ", ".join(f"{fam}: {k}" for fam, k in counts.items())
          + f" — {len(cat)} checks")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["checks"]:
        return checks_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        # values stay text: the runner parses each by the type the notebooks declare
        params = {name: value for name, value in args.parameter}
        notebooks = select_notebooks(args.notebooks)
        output_root = Path(args.output_root) if args.output_root else None
        if args.grid:
            return _main_grid(args, params, notebooks, output_root)
        run = args.run
        if run is None:
            run = run_name(params) if params else "default"
        result = run_notebooks(args.study, run, params, notebooks=notebooks,
                               output_root=output_root,
                               jobs=args.jobs, overwrite=args.overwrite,
                               start_timeout=args.start_timeout, wait=args.wait)
    except (ParameterError, InputError, RunError) as exc:
        print(f"reanalysis: error: {exc}", file=sys.stderr)
        return 2
    except RunInterrupted as exc:
        print(f"\nreanalysis: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # outside a run (validating, or between the runs of a grid)
        print("\nreanalysis: interrupted while no run was in progress", file=sys.stderr)
        return 130
    if not result.ok:
        print(f"reanalysis: run incomplete; see {relative_to_root(result.run_dir)}/FAILED.txt\n"
              f"{result.message}", file=sys.stderr)
        return 1
    print(f"reanalysis: wrote {relative_to_root(result.run_dir)}")
    if (result.run_dir / "index.html").is_file():
        print(f"reanalysis: report {relative_to_root(result.run_dir / 'index.html')}")
    return 0

def _main_grid(args, params: dict, notebooks: list[Path], output_root: Path | None) -> int:
    """``--grid``: every combination into its own run; exit 1 when any run failed."""
    grid = parse_grid(args.grid)
    result = run_grid(args.study, grid, params, notebooks=notebooks, output_root=output_root,
                      jobs=args.jobs, overwrite=args.overwrite, prefix=args.run or "",
                      start_timeout=args.start_timeout, wait=args.wait)
    failed = [r for r in result.runs if not r.ok]
    for r in failed:
        print(f"reanalysis: run {r.name} failed; see {relative_to_root(r.run_dir)}/FAILED.txt\n"
              f"{r.message}", file=sys.stderr)
    print(f"reanalysis: {len(result.runs) - len(failed)} of {len(result.runs)} run(s) written; "
          f"comparison {relative_to_root(result.comparison_path)}")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

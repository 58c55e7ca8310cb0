"""How a full run scales with the size of its inputs: a large ledger and a large patient file.

What it measures
----------------
For each input it generates, it runs the whole batch runner (the ``reanalysis`` command, i.e.
:func:`helpers.run.runner.run_notebooks` with every notebook, ``--jobs`` at a time) as a child
process into a temporary output root, and prints one line per input:

* ``rows``: ledger rows (all CSV files of the study folder) or patients in the file;
* ``wall s``: wall time of the ``reanalysis`` command, from start to exit;
* ``cpu s``: user + system CPU time of the command and every process it waited for (its kernels
  and workers; ``resource.getrusage(RUSAGE_CHILDREN)`` in a small parent process per run). Wall
  time depends on what else the machine runs; CPU time much less;
* ``tree peak MB``: the peak, over samples every 0.2 s, of the summed resident set size (VmRSS in
  ``/proc/<pid>/status``) of the runner and all its descendants at that moment. Pages shared
  between processes count once per process, so this overstates the memory in use a little; it
  is what "the run's peak memory" means in the targets (2 GB for a ledger of 50,000 rows, 4 GB for
  a patient file of 1,000,000 rows);
* ``max proc MB``: the largest single process's peak RSS (``ru_maxrss`` of the children of that
  per-run parent, which the kernel keeps exactly; it may miss a peak shorter than one sample in the tree figure);
* ``exit``: the command's exit status (0 = complete run); ``run MB``: size of the run folder.

The inputs (nothing is written under ``outputs/`` or ``data/``; everything goes to a temporary
folder, removed at the end unless ``--keep DIR``):

* ``ledger:N`` -- a copy of ``data/published/ncctg_lung`` with rows added until the study folder
  holds about N rows: categorical variables in ``counts.csv`` (three levels that partition the
  cohort), adverse events (any grade and grade >= 3), hazard-ratio pairs (a reference row and an
  estimate whose CI and p agree, half of them linked to the count rows of their levels), each with
  its own ``quantity`` keys; one variable in 25 carries a deliberate slip (a percentage 0.3 off) so
  that the flagged-finding paths run too. Read through ``REANALYSIS_LEDGER_ROOT``; patient data
  ``-p ipd ncctg_lung`` (``--ledger-ipd``). ``ledger:0`` is the unchanged copy (the floor).
* ``ipd:N`` -- a patient file of N rows in the schema of ``data/ipd/README.md`` for the study
  ``ncctg_lung``: the 228 NCCTG patients resampled with replacement, ages and calorie intakes
  jittered, survival times redrawn from an exponential model fitted to the data (whole days), a
  few missing covariate values kept; run with ``-p ipd <file>``.

How to run it::

    .venv/bin/python scripts/benchmark_scale.py                       # ledger:5000 ledger:50000 ipd:1000000
    .venv/bin/python scripts/benchmark_scale.py --sizes ledger:0 ledger:5000 ipd:100000
    .venv/bin/python scripts/benchmark_scale.py --sizes ipd:1000000 --keep /tmp/scale --jobs 2

Exit status 0 when every run completed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_STUDY = "ncctg_lung"
DEFAULT_SIZES = ("ledger:5000", "ledger:50000", "ipd:1000000")
TARGETS = {"ledger": (50_000, 180.0, 2048.0), "ipd": (1_000_000, 180.0, 4096.0)}  # rows, s, MB
PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------------------------
# inputs


def _csv_rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _append(path: Path, rows: list[dict]) -> None:
    header, _ = _csv_rows(path)
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})


def _pct(count: int, n: int) -> str:
    return f"{math.floor(1000 * count / n + 0.5) / 10:.1f}"   # half up, one decimal


def _ledger_rows(folder: Path) -> int:
    return sum(max(0, sum(1 for _ in csv.reader(p.open(newline="", encoding="utf-8"))) - 1)
               for p in folder.glob("*.csv"))


def make_ledger(root: Path, target_rows: int) -> tuple[str, int]:
    """A study folder ``scale_<N>`` under ``root``: ncctg_lung plus generated rows."""
    study = f"scale_{target_rows}"
    folder = root / study
    shutil.copytree(ROOT / "data" / "published" / BASE_STUDY, folder)
    meta = (folder / "study.yaml").read_text(encoding="utf-8")
    (folder / "study.yaml").write_text(meta.replace(f"study: {BASE_STUDY}", f"study: {study}", 1),
                                       encoding="utf-8")
    n = int(next(line.split(":", 1)[1] for line in meta.splitlines() if line.startswith("n:")))
    extra = max(0, target_rows - _ledger_rows(folder))
    # shares: counts 1/2 (3 rows per variable), adverse events 1/4 (2), hazard ratios 1/4 (2)
    n_vars, n_events, n_hr = extra // 6, extra // 8, extra // 8
    n_vars += (extra - 3 * n_vars - 2 * n_events - 2 * n_hr) // 3
    counts, aes, hrs = [], [], []
    for k in range(n_vars):
        a = 20 + (k * 7) % 60
        b = 40 + (k * 11) % 80
        c = n - a - b
        for level, count in (("A", a), ("B", b), ("C", c)):
            pct = _pct(count, n)
            if level == "A" and k % 25 == 7:            # a deliberate slip
                pct = f"{float(pct) + 0.3:.1f}"
            counts.append(dict(
                row_id=f"g_m{k}_{level.lower()}", quantity=f"baseline.marker_{k}.{level.lower()}",
                source="table", locator=f"Table S1 / Marker {k}: {level}",
                variable=f"Marker {k}", level=level, role="level", count=str(count), percent=pct,
                denominator=str(n), population="all", printed=f"{count} ({pct}%)"))
    for k in range(n_events):
        anyg = 5 + (k * 13) % 150
        high = (anyg * (1 + k % 5)) // 10
        for band, count in (("any", anyg), (">=3", high)):
            pct = _pct(count, n)
            aes.append(dict(
                row_id=f"g_ae{k}_{'any' if band == 'any' else 'g3'}",
                quantity=f"ae.event_{k}.{'any' if band == 'any' else 'ge3'}", source="table",
                locator=f"Table S2 / Event {k} / {band}", event=f"Event {k}", grade_band=band,
                role="event", count=str(count), percent=pct, denominator=str(n),
                printed=f"{count} ({pct}%)"))
    for k in range(n_hr):
        beta = ((k * 37) % 200 - 100) / 250.0           # log-HR in (-0.4, 0.4)
        se = 0.08 + (k % 9) / 60.0
        lo, hi = math.exp(beta - 1.959964 * se), math.exp(beta + 1.959964 * se)
        z = abs(beta) / se
        p = math.erfc(z / math.sqrt(2))
        p_text = "<0.001" if p < 0.001 else f"{p:.3f}"
        model = "univariable" if k % 2 == 0 else "multivariable"
        linked = k < n_vars and k % 2 == 0
        var = f"Marker {k}" if linked else f"Factor {k}"
        key = f"marker_{k}" if linked else f"factor_{k}"
        hr_text = f"{math.exp(beta):.2f}"
        common = dict(source="table", model=model, endpoint="OS", variable=var, reference="B")
        hrs.append(dict(common, row_id=f"g_hr{k}_ref", quantity=f"cox.{model}.{key}.b",
                        locator=f"Table S3 / {var}: B / {model}", level="B", role="reference",
                        hr="1", printed="1"))
        row = dict(common, row_id=f"g_hr{k}_a", quantity=f"cox.{model}.{key}.a",
                   locator=f"Table S3 / {var}: A / {model}", level="A", role="estimate",
                   hr=hr_text, ci_low=f"{lo:.2f}", ci_high=f"{hi:.2f}", ci_level="95", p=p_text,
                   printed=f"{hr_text} ({lo:.2f}-{hi:.2f})")
        if linked:
            row.update(level_quantity=f"baseline.marker_{k}.a",
                       reference_quantity=f"baseline.marker_{k}.b")
        hrs.append(row)
    _append(folder / "counts.csv", counts)
    _append(folder / "hazard_ratios.csv", hrs)
    ae_header = ["row_id", "quantity", "source", "locator", "printed", "event", "grade_band",
                 "role", "count", "percent", "denominator", "note"]
    ae_path = folder / "adverse_events.csv"
    if not ae_path.exists():
        with ae_path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerow(ae_header)
    if aes:
        _append(ae_path, aes)
    elif not _csv_rows(ae_path)[1]:
        ae_path.unlink()                                 # a header-only file is refused
    return study, _ledger_rows(folder)


def make_patients(path: Path, n: int, seed: int = 20240101) -> int:
    """``n`` patients for ncctg_lung: the NCCTG rows resampled, times redrawn (see docstring)."""
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(ROOT / "src"))
    from helpers.cohort.datasets import load_ncctg_lung

    base = load_ncctg_lung()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(base), size=n)
    df = base.iloc[pick].reset_index(drop=True)
    df["id"] = [f"P{i:07d}" for i in range(1, n + 1)]
    df["age"] = (df["age"] + rng.integers(-3, 4, size=n)).clip(lower=30)
    df["meal.cal"] = (df["meal.cal"] * rng.uniform(0.9, 1.1, size=n)).round()
    # exponential OS with the sex and ECOG effects of the data, administrative censoring
    rate = (base["os_event"].sum() / base["os_time"].sum()
            * np.exp(np.where(df["sex"] == "Female", -0.5, 0.0)
                     + 0.45 * (df["ph.ecog"].fillna(1) - 1)))
    t = rng.exponential(1.0 / rate)
    c = rng.uniform(150, 1000, size=n)
    df["os_time"] = np.maximum(1, np.round(np.minimum(t, c)))
    df["os_event"] = (t <= c).astype(int)
    df.to_csv(path, index=False, float_format="%.10g")
    return n


# --------------------------------------------------------------------------------------------
# measuring


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(pid: int) -> tuple[int, int]:
    """(summed RSS in bytes, number of processes) of ``pid`` and all its descendants."""
    tree = _children()
    todo, total, count = [pid], 0, 0
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
            count += 1
        except OSError:
            pass
        todo.extend(tree.get(p, ()))
    return total, count


# A small parent for each run, so that ru_maxrss of its children covers that run alone (this
# script's own RUSAGE_CHILDREN would keep the largest process of every earlier run).
_WRAPPER = """
import json, resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(json.dumps({"rc": rc, "maxrss_kb": r.ru_maxrss,
                                         "cpu": r.ru_utime + r.ru_stime}))
sys.exit(rc)
"""


def run_measured(cmd: list[str], env: dict, log: Path, timeout: float) -> dict:
    usage = log.with_suffix(".rusage.json")
    t0 = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(usage), *cmd], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        peak = [0, 0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                rss, count = tree_rss(proc.pid)
                peak[0] = max(peak[0], rss)
                peak[1] = max(peak[1], count)
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)      # the group this script started
            try:
                rc = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
            rc = f"timeout ({rc})"
        finally:
            stop.set()
            sampler.join()
    wall = time.perf_counter() - t0
    try:
        info = json.loads(usage.read_text())
        cpu, max_proc = info["cpu"], info["maxrss_kb"] * 1024
    except (OSError, ValueError):            # stopped before it could say
        cpu, max_proc = float("nan"), 0
    return dict(wall=wall, cpu=cpu, tree_peak=peak[0], max_proc=max_proc, processes=peak[1],
                rc=rc)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES),
                    help="inputs: ledger:N (about N ledger rows) and/or ipd:N (N patients); "
                         f"default {' '.join(DEFAULT_SIZES)}")
    ap.add_argument("--jobs", type=int, default=2, help="notebooks at a time (default 2)")
    ap.add_argument("--ledger-ipd", default="ncctg_lung",
                    help="patient data for the ledger runs (default ncctg_lung; 'synthetic' "
                         "simulates a cohort from the large ledger)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run before it is "
                                                                 "stopped (default 1800)")
    ap.add_argument("--keep", default=None, help="keep inputs, outputs and logs in this folder")
    args = ap.parse_args(argv)

    specs = []
    for item in args.sizes:
        kind, _, size = item.partition(":")
        if kind not in ("ledger", "ipd") or not size.isdigit():
            ap.error(f"--sizes {item}: ledger:N or ipd:N")
        specs.append((kind, int(size)))

    base = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="scale_"))
    for forbidden in (ROOT / "outputs", ROOT / "data"):
        if base == forbidden or forbidden in base.parents:
            ap.error(f"--keep {base}: not under {forbidden} (inputs and outputs go elsewhere)")
    base.mkdir(parents=True, exist_ok=True)
    exe = str(ROOT / ".venv" / "bin" / "reanalysis")
    results = []
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start; working in "
          f"{base}", flush=True)
    try:
        for kind, size in specs:
            env = dict(os.environ)
            env.pop("REANALYSIS_LEDGER_ROOT", None)
            tag = f"{kind}-{size}"
            t0 = time.perf_counter()
            if kind == "ledger":
                ledger_root = base / "ledgers" / tag
                ledger_root.mkdir(parents=True, exist_ok=True)
                study, rows = make_ledger(ledger_root, size)
                env["REANALYSIS_LEDGER_ROOT"] = str(ledger_root)
                params = ["-p", "ipd", args.ledger_ipd]
            else:
                study = BASE_STUDY
                path = base / "patients" / f"patients_{size}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                rows = make_patients(path, size)
                params = ["-p", "ipd", str(path)]
            made = time.perf_counter() - t0
            out_root = base / "outputs" / tag
            cmd = [exe, "--study", study, "--run", "bench", "--jobs", str(args.jobs),
                   "--output-root", str(out_root), *params]
            print(f"{tag}: input of {rows} rows made in {made:.1f} s; running ...", flush=True)
            log = base / f"{tag}.log"
            res = run_measured(cmd, env, log, args.timeout)
            runs = [d for d in (out_root / study).glob("bench*") if d.is_dir()] \
                if (out_root / study).is_dir() else []
            res.update(input=tag, rows=rows, run_size=sum(folder_size(d) for d in runs),
                       load=os.getloadavg()[0], folder=runs[0].name if runs else "-")
            results.append(res)
            print(f"  exit {res['rc']} in {res['wall']:.1f} s (log {log})", flush=True)
            if res["rc"] != 0:
                print("  " + "\n  ".join(log.read_text(errors="replace").splitlines()[-12:]))
        print()
        print("tree peak = summed RSS of the runner and all its descendants (sampled every "
              "0.2 s); max proc = largest single process (ru_maxrss)")
        head = (f"{'input':<14} {'rows':>9} {'wall s':>8} {'cpu s':>8} {'tree peak MB':>13} "
                f"{'max proc MB':>12} {'procs':>6} {'exit':>6} {'run MB':>7} {'load':>5}  target")
        print(head)
        print("-" * len(head))
        for r in results:
            kind = r["input"].split("-")[0]
            rows_t, secs, mb = TARGETS[kind]
            target = (f"{rows_t:,} rows: <{secs:.0f} s, <{mb / 1024:.0f} GB"
                      if r["rows"] >= 0.9 * rows_t else "")
            if target:
                ok = r["rc"] == 0 and r["wall"] < secs and r["tree_peak"] / 2**20 < mb
                target += " " + ("met" if ok else "NOT met")
            print(f"{r['input']:<14} {r['rows']:>9} {r['wall']:>8.1f} {r['cpu']:>8.1f} "
                  f"{r['tree_peak'] / 2**20:>13.0f} {r['max_proc'] / 2**20:>12.0f} "
                  f"{r['processes']:>6} {str(r['rc']):>6} {r['run_size'] / 2**20:>7.1f} "
                  f"{r['load']:>5.1f}  {target}")
        print("(load = 1-minute load average at the end of the run; above the CPU count, "
              "other work shared the machine and wall times are longer than on an idle one)")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0 if all(r["rc"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

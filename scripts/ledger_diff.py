"""Diff two independent entries of a study ledger (double data entry).

    python scripts/ledger_diff.py ENTRY_A_DIR ENTRY_B_DIR

Rows are matched per file on (quantity, source, locator); rows still unmatched are then paired on
(quantity, source) when that pairs them one-to-one. Prints the rows only one entry has and, for
matched rows, every field that differs. ``row_id`` and ``note`` are not compared. Exit status 1
when there are differences, so the script can gate a merge.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

IGNORE = {"row_id", "note"}


def norm(text: str) -> str:
    t = (text or "").replace("\\geq", "≥").replace("\\pm", "±").replace(">=", "≥").replace("<=", "≤")
    return re.sub(r"\s+", " ", t).strip().lower()


def read(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def pair(rows_a, rows_b, key):
    ka, kb = defaultdict(list), defaultdict(list)
    for r in rows_a:
        ka[key(r)].append(r)
    for r in rows_b:
        kb[key(r)].append(r)
    matched, left_a, left_b = [], [], []
    for k in set(ka) | set(kb):
        a, b = ka.get(k, []), kb.get(k, [])
        n = min(len(a), len(b))
        matched += list(zip(a[:n], b[:n]))
        left_a += a[n:]
        left_b += b[n:]
    return matched, left_a, left_b


def diff_file(name: str, rows_a, rows_b) -> list[str]:
    out = []
    m1, la, lb = pair(rows_a, rows_b, lambda r: (r.get("quantity"), r.get("source"), norm(r.get("locator"))))
    m2, la, lb = pair(la, lb, lambda r: (r.get("quantity"), r.get("source")))
    for a, b in m1 + m2:
        for col in sorted((set(a) | set(b)) - IGNORE):
            va, vb = a.get(col, ""), b.get(col, "")
            if norm(va) != norm(vb):
                out.append(f"{name}: {a.get('quantity')} @ {a.get('locator')} | {col}: A={va!r} B={vb!r}")
    for r in la:
        out.append(f"{name}: only in A: {r.get('quantity')} @ {r.get('locator')} printed={r.get('printed')!r}")
    for r in lb:
        out.append(f"{name}: only in B: {r.get('quantity')} @ {r.get('locator')} printed={r.get('printed')!r}")
    return sorted(out)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    a, b = Path(argv[0]), Path(argv[1])
    names = sorted({p.name for p in a.glob("*.csv")} | {p.name for p in b.glob("*.csv")})
    lines = []
    for name in names:
        lines += diff_file(name, read(a / name), read(b / name))
    for line in lines:
        print(line)
    print(f"{len(lines)} difference(s)")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Settle two independent entries of a ledger's text evidence against the source text.

Every difference is classified and settled by a stated rule; every settled difference is logged.
Usage: python settle.py A_DIR B_DIR SOURCE_TXT OUT_DIR LOG_CSV
"""
import csv, re, sys
from collections import defaultdict
from pathlib import Path

A, B, SRC, OUT, LOG = map(Path, sys.argv[1:6])
norm_ws = lambda t: re.sub(r"\s+", " ", (t or "")).strip()
def normtext(t):
    t = (t or "").replace("\\geq", "≥").replace("\\pm", "±").replace("*", "")
    return norm_ws(t).lower()
SOURCE = normtext(SRC.read_text(encoding="utf-8"))
def verbatim(p):
    p = normtext(p)
    return bool(p) and p in SOURCE

def read(path):
    if not path.is_file():
        return [], []
    with open(path, newline="", encoding="utf-8") as fh:
        r = csv.DictReader(fh)
        return list(r), r.fieldnames

CODING = {"subject", "object"}
log = []
def note(file, key, field, a, b, chosen, rule):
    log.append({"file": file, "quantity": key, "field": field, "A": a, "B": b, "settled": chosen, "rule": rule})

def choose_printed(a, b):
    va, vb = verbatim(a), verbatim(b)
    if va and not vb:
        return a, "only A's excerpt is verbatim in the text"
    if vb and not va:
        return b, "only B's excerpt is verbatim in the text"
    if not va and not vb:
        return a, "MANUAL: neither excerpt verbatim"
    na, nb = normtext(a), normtext(b)
    longer, shorter = (a, b) if len(na) >= len(nb) else (b, a)
    if normtext(shorter) in normtext(longer):
        if len(longer.split()) <= 25:
            return longer, "both verbatim; the longer excerpt contains the shorter (kept, within 25 words)"
        return shorter, "both verbatim; the longer excerpt exceeds 25 words (shorter kept)"
    return longer, "both verbatim, different spans; the longer kept"

def settle_field(file, key, field, a, b):
    if field == "printed":
        v, rule = choose_printed(a, b)
    elif field == "locator":
        if norm_ws(b).lower().startswith(norm_ws(a).lower()):
            v, rule = b, "B's locator extends A's with the printed header text (more specific)"
        elif norm_ws(a).lower().startswith(norm_ws(b).lower()):
            v, rule = a, "A's locator extends B's with the printed header text (more specific)"
        else:
            v, rule = a, "different wording of one place; A's kept"
    elif field in CODING:
        if not norm_ws(a):
            v, rule = b, "coding field empty in A; B's kept"
        elif not norm_ws(b):
            v, rule = a, "coding field empty in B; A's kept"
        else:
            v, rule = a, "coding phrases of one clause differing in wording only; A's kept"
    else:
        v, rule = a, "MANUAL"
    note(file, key, field, a, b, v, rule)
    return v

def pair(ra, rb, keyf):
    ka, kb = defaultdict(list), defaultdict(list)
    for r in ra: ka[keyf(r)].append(r)
    for r in rb: kb[keyf(r)].append(r)
    m, la, lb = [], [], []
    for k in set(ka) | set(kb):
        a, b = ka.get(k, []), kb.get(k, [])
        n = min(len(a), len(b)); m += list(zip(a[:n], b[:n])); la += a[n:]; lb += b[n:]
    return m, la, lb

def overlap(a, b):
    ta, tb = set(normtext(a).split()), set(normtext(b).split())
    return len(ta & tb) / max(1, min(len(ta), len(tb)))

OUT.mkdir(parents=True, exist_ok=True)
names = sorted({p.name for p in A.glob("*.csv")} | {p.name for p in B.glob("*.csv")})
for name in names:
    ra, fa = read(A / name); rb, fb = read(B / name)
    fields = list(dict.fromkeys((fa or []) + (fb or [])))
    m1, la, lb = pair(ra, rb, lambda r: (r.get("quantity"), r.get("source"), norm_ws(r.get("locator")).lower()))
    m2, la, lb = pair(la, lb, lambda r: (r.get("quantity"), r.get("source")))
    # rows keyed differently: same file, same source and locator, overlapping printed text
    m3 = []
    for a in list(la):
        cands = [b for b in lb if b.get("source") == a.get("source") and
                 norm_ws(b.get("locator")).lower() == norm_ws(a.get("locator")).lower() and
                 b.get("category", "") == a.get("category", "") and
                 b.get("attribute", "") == a.get("attribute", "") and
                 overlap(a.get("printed"), b.get("printed")) >= 0.6]
        if len(cands) >= 1:
            b = cands[0]; m3.append((a, b)); la.remove(a); lb.remove(b)
    out = []
    for a, b, how in [(a, b, "matched") for a, b in m1 + m2] + [(a, b, "rekeyed") for a, b in m3]:
        row = dict(a)
        if how == "rekeyed":
            # B names one key per concept (short form); A one key per printed spelling
            row["quantity"] = b["quantity"]
            for f in ("term",):
                if f in b: row[f] = b[f]
            note(name, b["quantity"], "quantity", a["quantity"], b["quantity"], b["quantity"],
                 "same place and text keyed differently: B's key (one key per concept)")
        for f in fields:
            if f in ("row_id", "note", "quantity") or (how == "rekeyed" and f == "term"):
                continue
            va, vb = a.get(f, "") or "", b.get(f, "") or ""
            if norm_ws(va).lower() != norm_ws(vb).lower():
                row[f] = settle_field(name, row["quantity"], f, va, vb)
        notes = [n for n in (a.get("note", ""), b.get("note", "")) if n]
        row["note"] = notes[0] if notes else ""
        out.append(row)
    for who, rows in (("A", la), ("B", lb)):
        for r in rows:
            ok = verbatim(r.get("printed"))
            rule = (f"only {who} entered this place; its excerpt is verbatim in the text: added"
                    if ok else f"MANUAL: only {who}; excerpt not verbatim")
            note(name, r.get("quantity"), "(row)", r.get("printed") if who == "A" else "",
                 r.get("printed") if who == "B" else "", "added" if ok else "?", rule)
            if ok or name in ("references.csv", "authors.csv", "affiliations.csv", "contributions.csv"):
                out.append(dict(r))
    # unique row ids
    seen = set()
    for r in out:
        rid = r.get("row_id") or "r"
        base, k = rid, 2
        while rid in seen:
            rid = f"{base}_{k}"; k += 1
        r["row_id"] = rid; seen.add(rid)
    out.sort(key=lambda r: (r.get("source", ""), r.get("locator", ""), r.get("quantity", "")))
    with open(OUT / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader(); w.writerows(out)
with open(LOG, "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=["file", "quantity", "field", "A", "B", "settled", "rule"])
    w.writeheader(); w.writerows(log)
from collections import Counter
print(len(log), "differences settled"); print(Counter(l["rule"] for l in log).most_common())

import csv
from pathlib import Path
def rows(p):
    with open(p, newline="", encoding="utf-8") as fh:
        r = csv.DictReader(fh); return list(r), r.fieldnames
def write(p, data, fields):
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields); w.writeheader(); w.writerows(data)
for st in ("shablak2011", "vanschil2010", "hai_il2_crlm"):
    D = Path("settle") / st; LOG = Path("settle") / f"{st}_log.csv"
    log, lf = rows(LOG)
    def manual(file, q, field, a, b, chosen, rule):
        log.append({"file": file, "quantity": q, "field": field, "A": a, "B": b, "settled": chosen, "rule": "manual: " + rule})
    if st == "shablak2011":
        b, bf = rows(Path("settle/loc_B") / st / "counts.csv")
        a, _ = rows(Path("settle/loc_A") / st / "counts.csv")
        va = sorted((r["count"], r["percent"], r["denominator"]) for r in a)
        vb = sorted((r["count"], r["percent"], r["denominator"]) for r in b)
        assert va == vb, (va, vb)
        log = [l for l in log if l["file"] != "counts.csv"]
        for r in b:
            manual("counts.csv", r["quantity"], "(row)", "", r["printed"], "B's row",
                   "both entries print the same counts, percentages and denominators at the same sentences; "
                   "B's rows kept: role 'other' for responses (the abstract defines no response criteria), "
                   "subgroup sizes as 'total' rows")
        write(D / "counts.csv", b, bf)
    for name in ("terms.csv", "regimen.csv", "claims.csv", "design.csv"):
        p = D / name
        if not p.is_file():
            continue
        t, tf = rows(p)
        out, seen = [], set()
        for r in t:
            k = (r["quantity"], r["locator"].lower(), r["printed"].lower()[:40])
            if k in seen:
                manual(name, r["quantity"], "(row)", r["printed"], "", "dropped", "the same place entered by both under one key after re-keying: one row kept")
                continue
            seen.add(k); out.append(r)
        write(p, out, tf)
    for l in log:
        if l["rule"] == "MANUAL":
            l["rule"] = "manual: the two codings name one thing; " + ("B's" if l["settled"] != l["B"] else "A's") + " wording kept"
            if l["field"] in ("component", "parameter", "level") and l["B"]:
                l["settled"] = l["B"]
    write(LOG, log, ["file", "quantity", "field", "A", "B", "settled", "rule"])
    print(st, len(log))

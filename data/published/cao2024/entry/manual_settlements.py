import csv, re
from pathlib import Path
D = Path("settle/cao2024"); LOG = Path("settle/cao2024_log.csv")
log = list(csv.DictReader(open(LOG)))
def rows(name):
    with open(D / name, newline="", encoding="utf-8") as fh:
        r = csv.DictReader(fh); return list(r), r.fieldnames
def write(name, data, fields):
    with open(D / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields); w.writeheader(); w.writerows(data)
def manual(file, q, field, a, b, chosen, rule):
    log.append({"file": file, "quantity": q, "field": field, "A": a, "B": b, "settled": chosen, "rule": "manual: " + rule})
# terms: one key per concept for tumour diameter; one category for other primary tumours
t, tf = rows("terms.csv")
DIAM = {"term.pathology.maximum_tumour_diameter", "term.other.tumor_diameter", "term.other.maximum_tumor_diameter"}
for r in t:
    if r["quantity"] in DIAM:
        manual("terms.csv", r["quantity"], "quantity/category", r["quantity"], "", "term.other.maximum_tumour_diameter",
               "A keyed tumour diameter under other, B under pathology: a measurement, not a pathology finding; one key")
        r["quantity"], r["category"], r["term"] = "term.other.maximum_tumour_diameter", "other", "maximum tumour diameter"
out, seen = [], set()
def place(r):
    return (r["quantity"], r["source"], re.sub(r"\s*\([^)]*\)\s*$", "", r["locator"]).strip().lower())
for r in t:
    if r["quantity"] == "term.other.other_primary_malignant_tumors":
        manual("terms.csv", r["quantity"], "(row)", r["printed"], "", "dropped",
               "A filed 'other primary malignant tumors' under other, B under disease: kept B's (it names diseases)")
        continue
    k = place(r)
    if k in seen:
        manual("terms.csv", r["quantity"], "(row)", r["printed"], "", "dropped", "the same place entered twice under two keys: one row kept")
        continue
    seen.add(k); out.append(r)
write("terms.csv", out, tf)
# regimen: component ipcgor; unit as printed
g, gf = rows("regimen.csv")
for r in g:
    if r["quantity"] in ("regimen.ipcgor_combined_with_il_2.cycles",) or r["component"] in ("ipcgor combined with il-2", "intrathoracic perfusion chemotherapy"):
        manual("regimen.csv", r["quantity"], "component", r["component"], "", "ipcgor",
               "the regimen is named IPCGOR (combined with IL-2); one component key")
        r["component"] = "ipcgor"; r["quantity"] = f"regimen.ipcgor.{r['attribute']}"
    if r["attribute"] == "cycles" and "number of times" in r["printed"].lower() and r["unit"] != "times":
        manual("regimen.csv", r["quantity"], "unit", r["unit"], "times", "times", "the text prints 'number of times'")
        r["unit"] = "times"
    if r["attribute"] == "cycles" and r["printed"].startswith("was 3") and r["unit"] != "times":
        r["unit"] = "times"
write("regimen.csv", g, gf)
a, af = rows("affiliations.csv")
for r in a:
    if r["quantity"] == "affiliation.4":
        manual("affiliations.csv", "affiliation.4", "unit", r["unit"], "School of Clinical Medicine", "School of Clinical Medicine",
               "the unit is the school; the university is the institution")
        r["unit"] = "School of Clinical Medicine"
write("affiliations.csv", a, af)
with open(LOG, "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=["file", "quantity", "field", "A", "B", "settled", "rule"]); w.writeheader(); w.writerows(log)
print(len(log))

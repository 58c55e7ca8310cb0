"""Give rows of an abstract-only entry sentence-level locators ('Abstract / sentence N'), found by
locating each row's verbatim excerpt in the abstract, so that the two entries' rows can be paired."""
import csv, re, sys
from pathlib import Path
src, d, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
text = src.read_text(encoding="utf-8")
body = text[text.find("Abstract"):] if "Abstract" in text else text
body = re.sub(r"\s+", " ", body)
# sentences of the abstract body (after the word Abstract)
sents = re.split(r"(?<=[.!?])\s+(?=[A-Z])", body.split("Abstract", 1)[-1].strip())
def where(printed):
    p = re.sub(r"\s+", " ", printed or "").strip().lower()
    for i, s in enumerate(sents, 1):
        if p and p in s.lower():
            return i
    return None
out.mkdir(parents=True, exist_ok=True)
for f in d.glob("*"):
    if f.suffix != ".csv":
        (out / f.name).write_bytes(f.read_bytes()); continue
    with open(f, newline="", encoding="utf-8") as fh:
        r = csv.DictReader(fh); rows, fields = list(r), r.fieldnames
    for row in rows:
        if row.get("source") == "abstract":
            i = where(row.get("printed"))
            if i:
                row["locator"] = f"Abstract / sentence {i}"
    with open(out / f.name, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields); w.writeheader(); w.writerows(rows)

"""Build the reference ledger ``data/published/ncctg_lung/`` from the R fixtures.

    Rscript tests/reference/ncctg_lung.R                      # writes tests/fixtures/r_reference/
    .venv/bin/python tests/reference/make_ncctg_ledger.py     # writes the ledger CSVs + study.yaml

Nothing here is typed: every number is read from the R outputs and printed the way a journal
would print it -- hazard ratios and CI limits with 2 decimals, p with 3 decimals (``<0.001`` below
that), percentages with 1 decimal, means and SDs with 1 decimal, survival times in whole days.
The ledger is a "clean paper": every check run on it must find nothing but ``consistent`` or
``not testable`` (tests/ipd/test_clean_paper.py). ``covariates.yaml`` is written by hand (it is a
mapping of names, not results) and is held against the R script by tests/test_r_reference.py.

``--check`` compares what would be written with the files on disk and exits 1 on a difference.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "r_reference"
STUDY = REPO / "data" / "published" / "ncctg_lung"
SRC = "tests/fixtures/r_reference"
MULTI_ONLY = "variable not in the multivariable model"

sys.path.insert(0, str(REPO / "src"))
from helpers.core.printed import format_at  # noqa: E402
from helpers.core.text import slug  # noqa: E402


def fmt(value: float, decimals: int) -> str:
    return format_at(float(value), decimals)


def fmt_p(p: float) -> str:
    return "<0.001" if p < 0.001 else fmt(p, 3)


def fmt_stat(value: float) -> str:
    """A median or range limit: whole numbers without decimals, else one decimal."""
    return str(int(value)) if float(value).is_integer() else fmt(value, 1)


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name, keep_default_na=True)


def build() -> dict[str, list[dict] | str]:
    fp = read("ncctg_fingerprint.csv").iloc[0]
    session = json.loads((FIXTURES / "session.json").read_text(encoding="utf-8"))
    km = read("km_medians.csv")
    cox = read("cox_ncctg.csv")
    bc = read("baseline_counts.csv")
    bs = read("baseline_summaries.csv")
    covs = read("ncctg_covariates.csv").fillna("")
    n = int(fp["n"])

    # ---- counts.csv: Table 1 categorical rows, one repeated in the text ----------------------------
    counts = []
    for _, r in bc.iterrows():
        q = f"baseline.{slug(r['variable'])}.{slug(r['level'])}"
        pct = fmt(r["percent"], 1)
        counts.append({"row_id": f"t1_{slug(r['variable'])}_{slug(r['level'])}", "quantity": q,
                       "source": "table", "locator": f"R reference / Table 1 / {r['variable']}: {r['level']}",
                       "variable": r["variable"], "level": r["level"], "role": "level",
                       "definition": "", "count": str(int(r["count"])), "percent": pct,
                       "denominator": str(int(r["denominator"])), "population": "all",
                       "printed": f"{int(r['count'])} ({pct}%)",
                       "note": f"{SRC}/baseline_counts.csv"})
    for _, r in bc[bc["variable"] == "Sex"].iterrows():
        pct = fmt(r["percent"], 1)
        counts.append({**next(c for c in counts if c["variable"] == "Sex" and c["level"] == r["level"]),
                       "row_id": f"txt_sex_{slug(r['level'])}", "source": "results",
                       "locator": "R reference / Results ¶1",
                       "printed": f"{int(r['count'])} {'men' if r['level'] == 'Male' else 'women'} ({pct}%)"})

    # ---- summaries.csv -------------------------------------------------------------------------------
    granularity = {"age": "1", "ph.karno": "10", "pat.karno": "10", "meal.cal": "1", "wt.loss": "1"}
    units = {"age": "years", "ph.karno": "points", "pat.karno": "points", "meal.cal": "kcal",
             "wt.loss": "lb"}
    summaries = []
    for _, r in bs.iterrows():
        row = {"row_id": f"t1_{slug(r['column'])}", "quantity": f"baseline.{slug(r['variable'])}",
               "source": "table", "locator": f"R reference / Table 1 / {r['variable']}",
               "variable": r["variable"], "unit": units[r["column"]], "statistic": r["statistic"],
               "center": "", "sd": "", "low": "", "high": "", "n": str(int(r["n"])),
               "granularity": granularity[r["column"]], "population": "all",
               "note": f"{SRC}/baseline_summaries.csv"}
        if r["statistic"] == "mean_sd":
            row.update(center=fmt(r["mean"], 1), sd=fmt(r["sd"], 1),
                       printed=f"{fmt(r['mean'], 1)} ± {fmt(r['sd'], 1)}")
        else:
            sep = " to " if r["min"] < 0 else "-"
            row.update(center=fmt_stat(r["median"]), low=fmt_stat(r["min"]), high=fmt_stat(r["max"]),
                       printed=f"{fmt_stat(r['median'])} ({fmt_stat(r['min'])}{sep}{fmt_stat(r['max'])})")
        summaries.append(row)

    # ---- survival.csv: median OS, overall (log and log-log CI) and by sex ---------------------------
    survival = []

    def median_row(row_id, quantity, source, locator, k, population, note_extra=""):
        center, low, high = fmt_stat(k["median"]), fmt_stat(k["lower"]), fmt_stat(k["upper"])
        return {"row_id": row_id, "quantity": quantity, "source": source, "locator": locator,
                "endpoint": "OS", "statistic": "median", "center": center, "ci_low": low,
                "ci_high": high, "ci_level": "95", "unit": "days", "n": str(int(k["n"])),
                "population": population,
                "printed": f"{center} days (95% CI {low}-{high})",
                "note": f"conf.type={k['conf_type']}{note_extra}; {SRC}/km_medians.csv"}

    overall = km[(km["dataset"] == "ncctg") & (km["stratum"] == "all")].set_index("conf_type", drop=False)
    survival.append(median_row("res_os_median", "survival.os.median", "results",
                               "R reference / Results ¶2 / median OS", overall.loc["log"], "all",
                               " (R survfit default)"))
    abstract = median_row("abs_os_median", "survival.os.median", "abstract",
                          "R reference / Abstract", overall.loc["log"], "all")
    abstract.update(ci_low="", ci_high="", ci_level="", printed=f"{abstract['center']} days")
    survival.append(abstract)
    survival.append(median_row("sens_os_median_loglog", "survival.os.median_loglog", "results",
                               "R reference / Results ¶2 / median OS, log-log CI",
                               overall.loc["log-log"], "all", " (sensitivity: log-log interval)"))
    by_sex = km[(km["dataset"] == "ncctg_by_sex") & (km["conf_type"] == "log")]
    for _, k in by_sex.iterrows():
        survival.append(median_row(f"res_os_median_{slug(k['stratum'])}",
                                   f"survival.os.median.{slug(k['stratum'])}", "results",
                                   f"R reference / Results ¶2 / median OS, {k['stratum']}", k,
                                   f"baseline.sex.{slug(k['stratum'])}"))

    # ---- hazard_ratios.csv -------------------------------------------------------------------------------
    spec = {r["variable"]: r for _, r in covs.iterrows()}
    import yaml
    cov_yaml = yaml.safe_load((STUDY / "covariates.yaml").read_text(encoding="utf-8"))["covariates"]
    hrs = []
    multi_vars = cox[cox["model"] == "multivariable"]["variable"].unique().tolist()
    for model in ("univariable", "multivariable"):
        tag = "u" if model == "univariable" else "m"
        for var in spec:
            est = cox[(cox["model"] == model) & (cox["variable"] == var)]
            ref = str(spec[var]["reference"])
            kind = spec[var]["type"]
            base = {"source": "table", "model": model, "endpoint": "OS", "variable": var,
                    "ci_level": "", "p": "", "hr": "", "ci_low": "", "ci_high": "",
                    "n_level": "", "n_reference": "", "level_quantity": "",
                    "reference_quantity": "", "note": f"{SRC}/cox_ncctg.csv"}
            if est.empty:  # not in this model: printed "/" for each level
                levels = [ref, cov_yaml[var].get("above") or cov_yaml[var]["levels"][1]] if kind != "continuous" \
                    else [cov_yaml[var]["level"]]
                for lv in levels:
                    hrs.append({**base, "row_id": f"hr_{tag}_{slug(var)}_{slug(lv)}",
                                "quantity": f"cox.{model}.{slug(var)}.{slug(lv)}",
                                "locator": f"R reference / Table 2 / {var}: {lv} / {model}",
                                "level": lv, "reference": ref if kind != "continuous" else "continuous",
                                "role": "not_in_model", "printed": "/", "note": MULTI_ONLY})
                continue
            e = est.iloc[0]
            if kind != "continuous":
                hrs.append({**base, "row_id": f"hr_{tag}_{slug(var)}_{slug(ref)}",
                            "quantity": f"cox.{model}.{slug(var)}.{slug(ref)}",
                            "locator": f"R reference / Table 2 / {var}: {ref} / {model}",
                            "level": ref, "reference": ref, "role": "reference", "hr": "1",
                            "printed": "1"})
            level = e["level"] if kind != "continuous" else cov_yaml[var]["level"]
            hr, lo, hi = fmt(e["hr"], 2), fmt(e["ci_low"], 2), fmt(e["ci_high"], 2)
            row = {**base, "row_id": f"hr_{tag}_{slug(var)}_{slug(level)}",
                   "quantity": f"cox.{model}.{slug(var)}.{slug(level)}",
                   "locator": f"R reference / Table 2 / {var}: {level} / {model}",
                   "level": level, "reference": ref if kind != "continuous" else "continuous",
                   "role": "estimate", "hr": hr, "ci_low": lo, "ci_high": hi, "ci_level": "95",
                   "p": fmt_p(e["p"]), "printed": f"{hr} ({lo}-{hi})"}
            if kind != "continuous":
                row.update(n_level=str(int(e["n_level"])), n_reference=str(int(e["n_reference"])))
                if model == "univariable" and var == "Sex":
                    row.update(level_quantity=f"baseline.sex.{slug(level)}",
                               reference_quantity=f"baseline.sex.{slug(ref)}")
            hrs.append(row)

    # ---- statements.csv: directions read off the univariable R fits ---------------------------------------
    statements = []
    alpha = 0.05
    for var in ("Sex", "ECOG group"):
        e = cox[(cox["model"] == "univariable") & (cox["variable"] == var)].iloc[0]
        if e["p"] >= alpha:
            continue
        ref = str(spec[var]["reference"])
        poorer = e["level"] if e["hr"] > 1 else ref
        better = ref if e["hr"] > 1 else e["level"]
        for kind, level in (("poorer_prognosis", poorer), ("better_prognosis", better)):
            word = kind.split("_")[0]
            statements.append({"row_id": f"st_{slug(var)}_{word}",
                               "quantity": f"direction.{slug(var)}.{word}", "source": "results",
                               "locator": "R reference / Results ¶3", "kind": kind, "endpoint": "OS",
                               "variable": var, "level": level,
                               "printed": f"{var} {level}: {word} overall survival",
                               "note": f"sign of the univariable log-HR in {SRC}/cox_ncctg.csv"})

    # ---- design.csv ---------------------------------------------------------------------------------------
    design = [
        {"row_id": "m_n", "quantity": "cohort.n", "source": "methods", "locator": "R reference / Methods ¶1",
         "kind": "cohort", "parameter": "n", "value": str(n), "value_high": "", "comparator": "=",
         "unit": "patients", "printed": f"{n} patients", "note": f"{SRC}/ncctg_fingerprint.csv"},
        {"row_id": "m_alpha", "quantity": "design.alpha", "source": "methods",
         "locator": "R reference / Methods / Statistics", "kind": "analysis", "parameter": "alpha",
         "value": "0.05", "value_high": "", "comparator": "<", "unit": "",
         "printed": "two-sided P < 0.05", "note": "significance level of the reference analysis"},
    ]

    study = {
        "study": "ncctg_lung",
        "title": "NCCTG advanced lung cancer cohort: reference results computed with R (a clean paper)",
        "citation": ("Data: Loprinzi CL, Laurie JA, Wieand HS, et al. Prospective evaluation of "
                     "prognostic variables from patient-completed questionnaires. J Clin Oncol "
                     "1994;12(3):601-7. Numbers: tests/reference/ncctg_lung.R via "
                     "tests/reference/make_ncctg_ledger.py."),
        "doi": "none",
        "source_text": SRC,
        "n": n,
        "alpha": 0.05,
        "time_unit": "days",
        "software": f"R {session['r_version']}, survival {session['survival_version']}",
        "km_ci_method": "log",
    }
    return {"counts.csv": counts, "summaries.csv": summaries, "survival.csv": survival,
            "hazard_ratios.csv": hrs, "statements.csv": statements, "design.csv": design,
            "study.yaml": yaml.safe_dump(study, sort_keys=False, allow_unicode=True, width=100)}


COLUMNS = {
    "counts.csv": ["row_id", "quantity", "source", "locator", "variable", "level", "role",
                   "definition", "count", "percent", "denominator", "population", "printed", "note"],
    "summaries.csv": ["row_id", "quantity", "source", "locator", "variable", "unit", "statistic",
                      "center", "sd", "low", "high", "n", "granularity", "population", "printed", "note"],
    "survival.csv": ["row_id", "quantity", "source", "locator", "endpoint", "statistic", "center",
                     "ci_low", "ci_high", "ci_level", "unit", "n", "population", "printed", "note"],
    "hazard_ratios.csv": ["row_id", "quantity", "source", "locator", "model", "endpoint", "variable",
                          "level", "reference", "role", "hr", "ci_low", "ci_high", "ci_level", "p",
                          "n_level", "n_reference", "level_quantity", "reference_quantity",
                          "printed", "note"],
    "statements.csv": ["row_id", "quantity", "source", "locator", "kind", "endpoint", "variable",
                       "level", "printed", "note"],
    "design.csv": ["row_id", "quantity", "source", "locator", "kind", "parameter", "value",
                   "value_high", "comparator", "unit", "printed", "note"],
}


def render(name: str, content) -> str:
    if isinstance(content, str):
        return content
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS[name], lineterminator="\n")
    w.writeheader()
    w.writerows(content)
    return buf.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare with the files on disk")
    args = ap.parse_args(argv)
    files = {name: render(name, content) for name, content in build().items()}
    if args.check:
        stale = [n for n, text in files.items()
                 if not (STUDY / n).is_file() or (STUDY / n).read_text(encoding="utf-8") != text]
        if stale:
            print("out of date: " + ", ".join(stale))
            return 1
        print("ledger up to date")
        return 0
    STUDY.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (STUDY / name).write_text(text, encoding="utf-8")
        print(f"wrote {STUDY.relative_to(REPO) / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

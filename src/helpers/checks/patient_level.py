"""Registered checks that compare the numbers a paper prints with its patient-level data.

Each check recomputes the printed numbers of one area from the patient data
(:func:`helpers.cohort.tables.recompute`: cohort size, baseline, response, Kaplan-Meier medians,
Cox models, adverse events) and compares them at the printed precision under the study's rounding
policy (``ctx.policy.rule_for(locator)``): the printed text stands for the interval of values that
print as it (a bound such as ``<0.001`` for the values on its side). The unit comparison is
:func:`ipd_matches` (printed text, recomputed value, rule -> :class:`~helpers.core.findings.Result`),
mapped over a table by :func:`ipd_matches_map`.

Verdicts: ``consistent`` when every printed field agrees; ``inconsistent`` when one does not
(category ``rounding`` when every disagreement is within one unit of the last printed digit or
vanishes under another rounding rule, else ``patient_data``); ``not testable`` when the data lack
what is needed (no such column, endpoint, level or subgroup). Every tested verdict rests on the
assumption ``patient_data`` (the file is the data the paper analysed), and on
``rounding_rule_inferred`` when it would change under another rounding rule and the rule was
inferred. A synthetic cohort never reaches these checks (the registry refuses it).

Disclosure control (:mod:`helpers.cohort.disclosure`): findings never quote a count below
``min_cell`` (``settings.extra["min_cell"]``, default 10), a summary of fewer than ``min_cell``
patients, or a minimum or maximum; the comparison is still made.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..cohort.disclosure import MIN_CELL, show_count, suppression_note, too_few
from ..cohort.survival import covariate_kind, covariate_specs, cox_univariable, has_endpoint
from ..cohort.tables import (Recomputed, covariates_for, field_agreement, recompute_adverse_events,
                             recompute_baseline, recompute_cohort_size, recompute_cox,
                             recompute_response, recompute_survival)
from ..core.findings import Finding, Result, finding_from
from ..core.rounding import RULES, check_rule
from .mapping import make_map
from .registry import Example, register

FAMILY = "patient_level"
REFERENCE = ("Recomputation from individual patient data at the printed precision: Brown NJL, "
             "Heathers JAJ (2017) Soc Psychol Personal Sci 8:363 (printed values as intervals); "
             "Wilkinson J et al. (2025) INSPECT-SR, item 4 (results against the data)")


# ------------------------------------------------------------------------------------------------
# the unit check
# ------------------------------------------------------------------------------------------------

def ipd_matches(printed: str | None, recomputed: float | None, rule: str = "half_up") -> Result:
    """One printed number against the value recomputed from patient data.

    Parameters
    ----------
    printed : str
        The printed text (``"37.5"``, ``"<0.001"``); trailing zeros count.
    recomputed : float or None
        The value the patient data give (None or nan: nothing recomputed).
    rule : str
        Rounding rule the number was printed under (``half_up``, ``half_even``, ``truncate``).

    Returns
    -------
    Result
        ``consistent`` if ``recomputed`` prints as ``printed`` under ``rule``; ``inconsistent``
        (category ``rounding`` for a slip of one unit of the last digit or one that another rule
        explains, else ``patient_data``); ``not testable`` when nothing is printed or recomputed.

    Example
    -------
    >>> ipd_matches("37.5", 100 * 3 / 8).verdict
    'consistent'
    >>> ipd_matches("6.42", 6.426, "truncate").verdict, ipd_matches("6.42", 6.426).verdict
    ('consistent', 'inconsistent')

    Reference: Brown & Heathers (2017), the printed value as the interval of values that round to it.
    """
    check_rule(rule)
    if printed is None or str(printed).strip() == "":
        return Result("not testable", "patient_data", explanation="nothing printed")
    if recomputed is None or (isinstance(recomputed, float) and math.isnan(recomputed)):
        return Result("not testable", "patient_data", explanation="nothing recomputed")
    state = field_agreement(str(printed), recomputed, rule)
    if state == "match":
        return Result("consistent", "patient_data", expected=str(printed),
                      explanation=f"the data's value prints as {printed} under {rule}",
                      assumptions=("patient_data",))
    return Result("inconsistent", "rounding" if state == "slip" else "patient_data",
                  explanation=(f"the data's value does not print as {printed} under {rule}"
                               + (" (within one unit of the last digit)" if state == "slip" else "")),
                  assumptions=("patient_data",), values={"agreement": state})


ipd_matches_map = make_map(ipd_matches, columns={"printed": "printed", "recomputed": "recomputed"},
                           optional=("printed", "recomputed"), constants=("rule",))


# ------------------------------------------------------------------------------------------------
# judging a recomputed row
# ------------------------------------------------------------------------------------------------

def _min_cell(ctx) -> int:
    return int(ctx.settings.extra.get("min_cell", MIN_CELL))


def _joint(states: list[str]) -> tuple[str, str]:
    if all(s == "match" for s in states):
        return "consistent", "patient_data"
    return "inconsistent", ("rounding" if all(s in ("match", "slip") for s in states)
                            else "patient_data")


def _judge(ctx, rec: Recomputed) -> Finding:
    row = rec.row
    if rec.untestable or not rec.fields:
        why = rec.untestable or "nothing printed to compare"
        res = Result("not testable", "patient_data",
                     explanation=f"Not testable from the patient data: {why}.")
        return finding_from(ctx, item=rec.item, result=res, locators=row["locator"],
                            printed=row["printed"], quantity=row["quantity"], area=rec.area)
    rule = ctx.policy.rule_for(row["locator"])
    states = [f.agreement(rule) for f in rec.fields]
    verdict, category = _joint(states)
    depends = any(_joint([f.agreement(r) for f in rec.fields]) != (verdict, category)
                  for r in RULES if r != rule)
    assumptions = ("patient_data",) + (ctx.policy.assumptions if depends else ())
    expected = "; ".join(f"{f.name} {f.shown(rule)}" for f in rec.fields)
    bad = []
    for f, s in zip(rec.fields, states):
        if s == "match":
            continue
        if f.hidden:
            bad.append(f"{f.name} printed {f.printed}, the data's value differs ({f.hidden})")
        else:
            bad.append(f"{f.name} printed {f.printed}, data give {f.shown(rule)}")
    if verdict == "consistent":
        why = (f"{rec.what}: every printed number agrees with the patient data at the printed "
               f"precision ({rule.replace('_', ' ')}).")
    else:
        kind = ("within one unit of the last printed digit or another rounding rule (a rounding "
                "slip)" if category == "rounding" else "beyond rounding")
        why = f"{rec.what}: {'; '.join(bad)} -- {kind}."
    res = Result(verdict, category, expected=expected, explanation=why, assumptions=assumptions)
    return finding_from(ctx, item=rec.item, result=res, locators=row["locator"],
                        printed=row["printed"], quantity=row["quantity"], area=rec.area)


def _patients(ctx) -> pd.DataFrame:
    return ctx.patients.data


def _covariates(ctx) -> dict:
    return covariates_for(ctx.ledger, _patients(ctx))


# ------------------------------------------------------------------------------------------------
# made-up patients for the examples
# ------------------------------------------------------------------------------------------------

def _example_patients() -> pd.DataFrame:
    """24 made-up patients: two arms with clearly different survival, sex, age, response, nausea."""
    times = [float(x) for x in list(range(6, 30, 2)) + list(range(1, 13))]
    events = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1] + [1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1]
    return pd.DataFrame({
        "id": [f"x{i:02d}" for i in range(24)], "os_time": times, "os_event": events,
        "arm": ["A"] * 12 + ["B"] * 12, "sex": ["Male"] * 14 + ["Female"] * 10,
        "age": np.arange(40.0, 64.0),
        "best_response": ["CR"] * 3 + ["PR"] * 9 + ["SD"] * 6 + ["PD"] * 6,
        "ae_nausea": [0] * 10 + [1] * 4 + [3] * 10})


def _cohort(value: str) -> dict:
    return {"design": [{"kind": "cohort", "parameter": "n", "value": value, "quantity": "cohort.n"}]}


def _sex(count: str, percent: str) -> dict:
    return {"counts": [{"variable": "Sex", "level": "Male", "role": "level", "count": count,
                        "percent": percent, "denominator": "24", "population": "all",
                        "quantity": "baseline.sex.male"}],
            "summaries": [{"variable": "Age", "statistic": "mean_sd", "center": "51.5", "sd": "7.1",
                           "n": "24", "population": "all", "quantity": "baseline.age"}]}


def _orr(count: str, percent: str) -> dict:
    return {"counts": [{"variable": "Response", "level": "ORR", "role": "rate",
                        "definition": "CR+PR", "count": count, "percent": percent,
                        "denominator": "24", "population": "all", "quantity": "response.orr"}]}


def _median(center: str) -> dict:
    return {"survival": [{"endpoint": "OS", "statistic": "median", "center": center,
                          "ci_low": "8", "ci_high": "22", "ci_level": "95", "unit": "months",
                          "n": "24", "population": "all", "quantity": "survival.os.median"}]}


def _hr(hr: str) -> dict:
    return {"hazard_ratios": [{"model": "univariable", "endpoint": "OS", "variable": "Arm",
                               "level": "B", "reference": "A", "role": "estimate", "hr": hr,
                               "ci_low": "2.38", "ci_high": "38.38", "ci_level": "95",
                               "p": "0.001", "n_level": "12", "n_reference": "12",
                               "quantity": "cox.os.arm.b"}]}


def _statement(level: str) -> dict:
    return {"statements": [{"kind": "poorer_prognosis", "endpoint": "OS", "variable": "Arm",
                            "level": level, "quantity": f"direction.os.arm.{level.lower()}"}]}


def _nausea(count: str, percent: str) -> dict:
    return {"adverse_events": [{"event": "Nausea", "grade_band": ">=3", "role": "event",
                                "count": count, "percent": percent, "denominator": "24",
                                "quantity": "ae.nausea.ge3"}]}


_MONTHS = {"n": 24, "time_unit": "months"}


# ------------------------------------------------------------------------------------------------
# the registered checks
# ------------------------------------------------------------------------------------------------

@register("cohort_size_matches_ipd", family=FAMILY,
          title="The printed number of patients against the patient file",
          reads=["patients", "design"], assumptions=["patient_data"], items=["4.6", "R:statistics"],
          reference=REFERENCE, category="patient_data", needs_all=True,
          examples=[Example("pass", tables=_cohort("24"), meta=_MONTHS, patients=_example_patients),
                    Example("flag", tables=_cohort("25"), meta={**_MONTHS, "n": 25},
                            patients=_example_patients)])
def cohort_size_matches_ipd(ctx) -> list[Finding]:
    """The ``cohort`` rows of design.csv (parameter ``n``) against the number of patients.

    Parameters
    ----------
    ctx : Context
        With patient data (``ctx.patients.data``) and design rows.

    Returns
    -------
    list of Finding
        One per cohort-size row; the count is shown as ``<10`` below ``min_cell``.

    Example
    -------
    >>> cohort_size_matches_ipd(ctx)[0].verdict          # doctest: +SKIP
    'consistent'

    Reference: INSPECT-SR item 4.6 (participant numbers).
    """
    return [_judge(ctx, r) for r in recompute_cohort_size(ctx.ledger, _patients(ctx),
                                                          ctx.table("design"),
                                                          min_cell=_min_cell(ctx))]


@register("baseline_matches_ipd", family=FAMILY,
          title="Baseline counts, percentages and summaries against the patient data",
          reads=["patients", "counts", "summaries"],
          assumptions=["patient_data", "rounding_rule_inferred"], items=["4.3", "4.6", "R:statistics"],
          reference=REFERENCE, category="patient_data",
          examples=[Example("pass", tables=_sex("14", "58.33"), meta=_MONTHS, scope=("baseline.",),
                            patients=_example_patients),
                    Example("flag", tables=_sex("15", "62.5"), meta=_MONTHS, scope=("baseline.",),
                            patients=_example_patients)])
def baseline_matches_ipd(ctx) -> list[Finding]:
    """Baseline counts/percentages (``baseline.`` counts) and summaries (mean, SD, median,
    quartiles, range) against the patient data, per population (``all`` or a printed subgroup).

    Parameters
    ----------
    ctx : Context
        Variables map to patient columns through covariates.yaml (``baseline`` and
        ``covariates`` sections) or a column of the same slug.

    Returns
    -------
    list of Finding
        One per baseline row; rows the data cannot recompute are ``not testable``. A range is
        compared but the data's minimum and maximum are never quoted.

    Example
    -------
    >>> [f.verdict for f in baseline_matches_ipd(ctx)]          # doctest: +SKIP
    ['consistent', 'consistent']

    Reference: INSPECT-SR items 4.3 and 4.6; Brown & Heathers (2017).
    """
    return [_judge(ctx, r) for r in recompute_baseline(
        ctx.ledger, _patients(ctx), ctx.table("counts"), ctx.table("summaries"),
        covariates=_covariates(ctx), min_cell=_min_cell(ctx))]


@register("response_matches_ipd", family=FAMILY,
          title="Response counts and rates against best_response in the patient data",
          reads=["patients", "counts"], assumptions=["patient_data", "rounding_rule_inferred"],
          items=["4.4", "4.6", "R:statistics"], reference=REFERENCE, category="patient_data",
          needs_all=True,
          examples=[Example("pass", tables=_orr("12", "50.0"), meta=_MONTHS, scope=("response.",),
                            patients=_example_patients),
                    Example("flag", tables=_orr("13", "54.2"), meta=_MONTHS, scope=("response.",),
                            patients=_example_patients)])
def response_matches_ipd(ctx) -> list[Finding]:
    """Response counts and rates (``response.`` counts: a best-response level, or a rate defined as
    a sum such as ``CR+PR``) against ``best_response``.

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    list of Finding
        One per response row (``not testable`` without ``best_response``).

    Example
    -------
    >>> response_matches_ipd(ctx)[0].item          # doctest: +SKIP
    'ORR'

    Reference: INSPECT-SR items 4.4 and 4.6; RECIST 1.1 (Eisenhauer et al. 2009) for the
    categories.
    """
    return [_judge(ctx, r) for r in recompute_response(
        ctx.ledger, _patients(ctx), ctx.table("counts"), covariates=_covariates(ctx),
        min_cell=_min_cell(ctx))]


@register("survival_matches_ipd", family=FAMILY,
          title="Kaplan-Meier medians and their CIs against the patient data",
          reads=["patients", "survival"],
          assumptions=["patient_data", "rounding_rule_inferred"], items=["4.4", "4.9"],
          reference=("Kaplan & Meier (1958) JASA 53:457; Brookmeyer & Crowley (1982) Biometrics "
                     "38:29 (median CI, R's quantile.survfit); Greenwood (1926)"),
          category="patient_data", needs_all=True,
          examples=[Example("pass", tables=_median("12"), meta=_MONTHS, patients=_example_patients),
                    Example("flag", tables=_median("15"), meta=_MONTHS,
                            patients=_example_patients)])
def survival_matches_ipd(ctx) -> list[Finding]:
    """Kaplan-Meier medians and CIs (survival.csv) against the data, as R computes them
    (:func:`helpers.cohort.survival.km_fit`).

    The CI type of a row is ``conf.type=...`` in its note, else the study's ``km_ci_method``,
    else ``settings.ci_method`` (R's default "log"). Times are converted when the row's unit
    differs from the study's ``time_unit``.

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    list of Finding
        One per survival row; survival rates (no landmark time in the ledger) are not testable.
        Medians of fewer than ``min_cell`` patients are compared but not quoted.

    Example
    -------
    >>> survival_matches_ipd(ctx)[0].expected          # doctest: +SKIP
    'n 24; median 12; CI low 8; CI high 22'

    Reference: Brookmeyer & Crowley (1982); Therneau, R package survival.
    """
    return [_judge(ctx, r) for r in recompute_survival(
        ctx.ledger, _patients(ctx), ctx.table("survival"), covariates=_covariates(ctx),
        ci_method=ctx.settings.ci_method, min_cell=_min_cell(ctx))]


@register("cox_matches_ipd", family=FAMILY,
          title="Hazard ratios, CIs and p-values against Cox models refitted on the patient data",
          reads=["patients", "hazard_ratios"],
          assumptions=["patient_data", "rounding_rule_inferred"],
          items=["4.9", "R:statistics"],
          reference=("Cox (1972) JRSS B 34:187; Efron ties as R's coxph (Therneau & Grambsch "
                     "2000); complete-case analysis as R's na.omit"),
          category="patient_data", needs_all=True,
          examples=[Example("pass", tables=_hr("9.56"), meta=_MONTHS, patients=_example_patients),
                    Example("flag", tables=_hr("4.56"), meta=_MONTHS, patients=_example_patients)])
def cox_matches_ipd(ctx) -> list[Finding]:
    """Hazard ratios, CIs and p (hazard_ratios.csv, role ``estimate``) against Cox models refitted
    on the data: one model per variable for ``univariable`` rows, one model with every variable of
    the printed multivariable model for ``multivariable`` rows.

    Parameters
    ----------
    ctx : Context
        Variables map to columns through covariates.yaml, else a column of the same slug.

    Returns
    -------
    list of Finding
        One per estimate row; models that cannot be fitted are ``not testable``.

    Example
    -------
    >>> cox_matches_ipd(ctx)[0].verdict          # doctest: +SKIP
    'consistent'

    Reference: Cox (1972); Therneau & Grambsch (2000).
    """
    return [_judge(ctx, r) for r in recompute_cox(
        ctx.ledger, _patients(ctx), ctx.table("hazard_ratios"), covariates=_covariates(ctx),
        min_cell=_min_cell(ctx))]


@register("direction_matches_ipd", family=FAMILY,
          title="Statements of poorer or better prognosis against the sign of the hazard ratio",
          reads=["patients", "statements"], assumptions=["patient_data"],
          items=["4.10", "R:errors"],
          reference="Cox (1972) JRSS B 34:187 (sign of the log hazard ratio)",
          category="patient_data", needs_all=True,
          examples=[Example("pass", tables=_statement("B"), meta=_MONTHS,
                            patients=_example_patients),
                    Example("flag", tables=_statement("A"), meta=_MONTHS,
                            patients=_example_patients)])
def direction_matches_ipd(ctx) -> list[Finding]:
    """Statements of direction (statements.csv) against the sign of the univariable log-HR in the
    data: a level said to have the poorer prognosis must have HR > 1 against the reference (or, if
    it is the reference, every other level HR < 1); the reverse for a better prognosis.

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    list of Finding
        One per statement; hazard ratios of groups smaller than ``min_cell`` are not quoted.

    Example
    -------
    >>> direction_matches_ipd(ctx)[0].verdict          # doctest: +SKIP
    'consistent'

    Reference: Cox (1972).
    """
    ipd = _patients(ctx)
    covariates = _covariates(ctx)
    specs = covariate_specs(covariates)
    hr = ctx.ledger.hazard_ratios
    min_cell = _min_cell(ctx)
    out = []
    for _, row in ctx.table("statements").iterrows():
        var, level = row["variable"], row["level"]
        rec = Recomputed("cox", "direction_matches_ipd", f"{row['kind']}: {var} {level}", row)
        ep = row["endpoint"]
        if ep not in ("OS", "PFS"):
            eps = hr[hr["variable"] == var]["endpoint"].unique().tolist() if not hr.empty else []
            ep = eps[0] if eps else "OS"
        if not has_endpoint(ipd, ep, covariates):
            rec.untestable = f"the data have no {ep} columns"
        elif var not in specs or str(specs[var]["column"]) not in ipd.columns:
            rec.untestable = f"covariates.yaml maps no patient column for {var}"
        if rec.untestable:
            out.append(_judge(ctx, rec))
            continue
        refs = (hr[(hr["variable"] == var) & (hr["reference"] != "")]["reference"]
                if not hr.empty else [])
        ref = ({var: refs.iloc[0]} if len(refs) and covariate_kind(specs[var]) != "continuous"
               else None)
        try:
            fitted = cox_univariable(ipd, covariates, ep, references=ref, variables=[var])
        except Exception as exc:  # noqa: BLE001 -- a model the data cannot fit is not testable
            rec.untestable = f"the Cox model could not be fitted ({type(exc).__name__})"
            out.append(_judge(ctx, rec))
            continue

        def hr_text(r, lv, against):
            sizes = [r.n_level, r.n_reference] if pd.notna(r.n_level) else [r.n]
            if any(too_few(int(s), min_cell) for s in sizes):
                return f"HR for {lv} vs {against} {suppression_note(min_cell)}"
            return f"HR {r.hr:.2f} for {lv} vs {against}, p = {r.p:.3g}"

        if (fitted["level"] == level).any():
            h = next(fitted[fitted["level"] == level].itertuples())
            worse = h.hr > 1
            shown = hr_text(h, level, h.reference)
        elif len(fitted) and (fitted["reference"] == level).all():
            worse = bool((fitted["hr"] < 1).all())
            shown = "; ".join(hr_text(r, r.level, level) for r in fitted.itertuples())
        else:
            rec.untestable = f"'{level}' is not a level of {var} in the fitted model"
            out.append(_judge(ctx, rec))
            continue
        ok = worse == (row["kind"] == "poorer_prognosis")
        direction = "poorer" if worse else "better"
        res = Result("consistent" if ok else "inconsistent", "patient_data",
                     expected=f"{level} {direction} ({shown})",
                     explanation=(f"The univariable {ep} model on {show_count(fitted['n'].iloc[0], min_cell)} "
                                  f"patients gives {shown}: {level} has the {direction} prognosis, "
                                  + ("as stated." if ok else "the opposite of the statement.")),
                     assumptions=("patient_data",))
        out.append(finding_from(ctx, item=rec.item, result=res, locators=row["locator"],
                                printed=row["printed"], quantity=row["quantity"], area="cox"))
    return out


@register("adverse_events_match_ipd", family=FAMILY,
          title="Adverse-event counts and percentages against the worst grades in the patient data",
          reads=["patients", "adverse_events"],
          assumptions=["patient_data", "rounding_rule_inferred"], items=["4.4", "4.6"],
          reference=("Worst CTCAE grade per patient and event (NCI CTCAE v5.0); "
                     "Brown & Heathers (2017)"),
          category="patient_data", needs_all=True,
          examples=[Example("pass", tables=_nausea("10", "41.7"), meta=_MONTHS,
                            patients=_example_patients),
                    Example("flag", tables=_nausea("12", "50.0"), meta=_MONTHS,
                            patients=_example_patients)])
def adverse_events_match_ipd(ctx) -> list[Finding]:
    """Adverse-event counts and percentages (adverse_events.csv) against the ``ae_`` grade columns
    (worst grade per patient in the printed band; ``ANY`` rows over every event).

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    list of Finding
        One per adverse-event row (``not testable`` when the data have no such column).

    Example
    -------
    >>> adverse_events_match_ipd(ctx)[0].item          # doctest: +SKIP
    'Nausea (>=3)'

    Reference: NCI CTCAE v5.0; INSPECT-SR item 4.4.
    """
    return [_judge(ctx, r) for r in recompute_adverse_events(
        ctx.ledger, _patients(ctx), ctx.table("adverse_events"), min_cell=_min_cell(ctx))]


__all__ = ["ipd_matches", "ipd_matches_map", "cohort_size_matches_ipd", "baseline_matches_ipd",
           "response_matches_ipd", "survival_matches_ipd", "cox_matches_ipd",
           "direction_matches_ipd", "adverse_events_match_ipd"]

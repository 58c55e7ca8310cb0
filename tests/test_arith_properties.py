"""Property tests (hypothesis): numbers generated from integer data and printed under a rule are
never flagged under that rule, by the scalar checks or by the registered checks on a ledger."""

import math
from decimal import Decimal, localcontext
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.checks import arithmetic as ar
from helpers.checks import means as me
from helpers.checks import registry
from helpers.checks.appearances import same_value
from helpers.checks.registry import Context, Example, Settings
from helpers.core.rounding import RULES, format_exact, is_tie

FAST = settings(max_examples=150, deadline=None)
# Properties that build a whole ledger per example cost ~0.3 s each: fewer examples in make test
# (the fuzzer, tests/test_fuzz_ledgers.py with HYPOTHESIS_PROFILE=fuzz, runs 1,000 ledgers).
LEDGERS = settings(max_examples=50, deadline=None)
rules = st.sampled_from(RULES)
decimals = st.integers(min_value=0, max_value=3)


@st.composite
def count_and_n(draw, max_n=2000):
    n = draw(st.integers(min_value=1, max_value=max_n))
    k = draw(st.integers(min_value=0, max_value=n))
    return k, n


@FAST
@given(count_and_n(), decimals, rules)
def test_percentages_of_integer_counts_are_never_flagged(kn, d, rule):
    k, n = kn
    text = format_exact(Fraction(100 * k, n), d, rule)
    assert ar.percent_count(text, k, n, rule) == "consistent"
    assert ar.grim_percent(text, n, rule) in ("consistent", "not testable")
    # and a value is flagged under a rule only if that rule prints it otherwise
    other = [r for r in RULES if format_exact(Fraction(100 * k, n), d, r) != text]
    for r in other:
        assert ar.percent_count(text, k, n, r) == "inconsistent"


@LEDGERS
@given(st.lists(count_and_n(max_n=300), min_size=1, max_size=5), decimals, rules)
def test_a_ledger_printed_under_one_rule_is_never_flagged_under_it(cells, d, rule):
    rows = [{"variable": f"V{i}", "level": "x", "role": "level", "count": str(k),
             "percent": format_exact(Fraction(100 * k, n), d, rule), "denominator": str(n),
             "population": "all", "quantity": f"baseline.v{i}", "locator": f"Table 1 / V{i}"}
            for i, (k, n) in enumerate(cells)]
    ledger = Example("pass", tables={"counts": rows}).context().ledger
    for rounding in (rule, "auto"):
        ctx = Context(ledger, Settings(rounding=rounding))
        for name in ("percent_count", "mixed_rounding", "equal_fractions"):
            flagged = [f for f in registry.get(name).run(ctx) if f.flagged]
            assert not flagged, (name, rounding, [(f.item, f.explanation) for f in flagged])


@FAST
@given(count_and_n(), decimals)
def test_ties_are_where_half_up_and_half_even_differ(kn, d):
    k, n = kn
    x = Fraction(100 * k, n)
    differ = format_exact(x, d, "half_up") != format_exact(x, d, "half_even")
    # half-even rounds a tie down exactly when the digit below it is even
    assert differ == (is_tie(k, n, d) and math.floor(x * 10 ** d) % 2 == 0)


@FAST
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=2, max_size=6), decimals, rules)
def test_sums_of_generated_parts_are_never_flagged(parts, d, rule):
    n = sum(parts)
    if n == 0:
        return
    assert ar.level_sum(parts, n) == "consistent"
    percents = [format_exact(Fraction(100 * k, n), d, rule) for k in parts]
    assert ar.percent_sum(percents, rule) == "consistent"
    rate = format_exact(Fraction(100 * sum(parts[:2]), n), d, rule)
    assert ar.derived_rate(rate, parts[:2], n, rule) == "consistent"
    assert ar.derived_rate(None, parts[:2], n, rule, count=sum(parts[:2])) == "consistent"


@LEDGERS
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=2, max_size=5),
       st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=4))
def test_adverse_event_totals_from_generated_patients_are_never_flagged(low, high):
    # one event per column: ``low[i]`` patients at grade <3 only, ``high[i]`` at grade >=3; the
    # any-grade cell is their sum. Any patients with at least one event lie within the bounds
    # when each patient has one event: the total is the sum.
    events = [(f"E{i}", lo, hi) for i, (lo, hi) in enumerate(zip(low, high))]
    n = sum(lo + hi for _, lo, hi in events) or 1
    rows = []
    for ev, lo, hi in events:
        for band, k in (("<3", lo), (">=3", hi), ("any", lo + hi)):
            rows.append({"event": ev, "grade_band": band, "role": "event", "count": str(k),
                         "percent": "", "denominator": str(n), "quantity": f"ae.{ev}.{band}",
                         "locator": f"Table 4 / {ev}: {band}"})
    for band, k in ((">=3", sum(h for _, _, h in events)),
                    ("any", sum(lo + hi for _, lo, hi in events))):
        rows.append({"event": "ANY", "grade_band": band, "role": "total", "count": str(k),
                     "percent": "", "denominator": str(n), "quantity": f"ae.any.{band}",
                     "locator": "Results ¶4"})
    ctx = Example("pass", tables={"adverse_events": rows}).context()
    for name in ("total_bounds", "nested_bands"):
        found = registry.get(name).run(ctx)
        assert found and not [f for f in found if f.flagged], name


@FAST
@given(st.lists(count_and_n(max_n=400), min_size=2, max_size=4), decimals, rules)
def test_recombined_subgroups_are_never_flagged(groups, d, rule):
    n = sum(size for _, size in groups)
    parts = [(format_exact(Fraction(100 * k, size), d, rule), size) for k, size in groups]
    overall = format_exact(Fraction(100 * sum(k for k, _ in groups), n), d, rule)
    assert ar.recombine(parts, overall, n, rule) == "consistent"
    # the true size of a subgroup is always among the sizes that fit its rates
    k, size = groups[0]
    assert size in ar.fitting_denominators([parts[0][0]], rule, max_n=size, min_n=size)


def _sd(data: list[int]) -> Fraction:
    """The sample SD to 40 significant digits (decimal.Decimal square root of the exact variance)."""
    n = len(data)
    var = Fraction(sum(x * x for x in data) * n - sum(data) ** 2, n * (n - 1))
    with localcontext() as ctx:
        ctx.prec = 40
        return Fraction((Decimal(var.numerator) / Decimal(var.denominator)).sqrt())


@FAST
@given(st.lists(st.integers(min_value=0, max_value=10), min_size=2, max_size=40),
       st.integers(min_value=1, max_value=2), rules)
def test_means_and_sds_of_integer_data_are_never_flagged(data, d, rule):
    n = len(data)
    m_text = format_exact(Fraction(sum(data), n), d, rule)
    sd_text = format_exact(_sd(data), d, rule)
    assert me.grim_mean(m_text, n, rule) in ("consistent", "not testable")
    assert me.grimmer(m_text, sd_text, n, rule) in ("consistent", "not testable")
    assert me.sd_feasible(m_text, sd_text, n, min(data), max(data), rule) == "consistent"


@FAST
@given(count_and_n(), st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=3),
       rules)
def test_one_value_printed_at_two_precisions_agrees(kn, d1, d2, rule):
    k, n = kn
    x = Fraction(100 * k, n)
    assert same_value(format_exact(x, d1, rule), format_exact(x, d2, rule), rule)

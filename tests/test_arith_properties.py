"""Property tests (hypothesis): numbers generated from integer data and printed under a rule are
never flagged under that rule."""

from decimal import Decimal, localcontext
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.checks import arithmetic as ar
from helpers.checks import means as me
from helpers.checks.appearances import same_value
from helpers.core.rounding import RULES, format_exact

FAST = settings(max_examples=150, deadline=None)
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

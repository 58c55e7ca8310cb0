"""Rounding rules, intervals of true values and k/n at a printed precision (made-up numbers)."""

from fractions import Fraction

import pytest

from helpers.core.rounding import (RULES, counts_giving, format_exact, grim_testable, infer_rule,
                                   interval, is_tie, prints_as, round_exact, rule_tally,
                                   rules_for)


@pytest.mark.parametrize("value, rule, expected", [
    (Fraction(125, 1000), "half_up", "0.13"),
    (Fraction(125, 1000), "half_even", "0.12"),
    (Fraction(135, 1000), "half_even", "0.14"),
    (Fraction(129, 1000), "truncate", "0.12"),
    (Fraction(-125, 1000), "half_up", "-0.13"),
    (Fraction(1, 3), "half_up", "0.33"),
])
def test_round_exact_follows_each_rule(value, rule, expected):
    assert format_exact(value, 2, rule) == expected


def test_exact_arithmetic_decides_boundaries_float_would_get_wrong():
    # 1/8 = 12.5 % exactly: half-up gives 13, half-even 12, truncation 12
    assert prints_as(1, 8, "13", "half_up") and not prints_as(1, 8, "13", "half_even")
    assert prints_as(1, 8, "12", "half_even") and prints_as(1, 8, "12", "truncate")
    # 0.285 is 0.28499999... as a float; exactly it rounds half-up to 0.29
    assert round_exact(Fraction(285, 1000), 2, "half_up") == Fraction(29, 100)


def test_interval_ends_depend_on_the_rule():
    up = interval("12.4", "half_up")
    assert up.contains(Fraction(1235, 100)) and not up.contains(Fraction(1245, 100))
    trunc = interval("12.4", "truncate")
    assert trunc.contains(Fraction(124, 10)) and trunc.contains(Fraction(12499, 1000))
    assert not trunc.contains(Fraction(1239, 100))
    even = interval("12.4", "half_even")        # last digit even: both ends closed
    assert even.contains(Fraction(1235, 100)) and even.contains(Fraction(1245, 100))
    odd = interval("12.3", "half_even")         # odd: both ends open
    assert not odd.contains(Fraction(1225, 100)) and not odd.contains(Fraction(1235, 100))


def test_trailing_zeros_set_the_precision():
    assert interval("15.00", "half_up").high - interval("15.00", "half_up").low == Fraction(1, 100)
    assert interval("15", "half_up").high - interval("15", "half_up").low == 1


def test_bounds_give_open_sides():
    iv = interval("<0.001", "half_up")
    assert iv.contains(Fraction(5, 10000)) and not iv.contains(Fraction(1, 1000))
    assert interval(">=5", "truncate").contains(5)


def test_rules_for_and_counts_giving():
    assert rules_for(2, 3, "66.7") == ("half_up", "half_even")
    assert rules_for(2, 3, "66.6") == ("truncate",)
    assert rules_for(2, 3, "66.8") == ()
    assert counts_giving("66.7", 3, "half_up") == [2]
    assert counts_giving("50.0", 7, "half_up") == []           # no k/7 is 50.0 %
    assert counts_giving("0", 1000, "half_up") == [0, 1, 2, 3, 4]  # up to 0.4 % prints as 0
    assert counts_giving("10", 1000, "half_up") == list(range(95, 105))


def test_grim_testable_needs_a_coarse_grid():
    assert grim_testable("55.56", 40)            # steps of 2.5 points vs 0.01
    assert not grim_testable("80.4", 2000)       # steps of 0.05 points vs 0.1
    assert not grim_testable("<5", 10)


def test_infer_rule_takes_the_majority_and_breaks_ties_to_half_up():
    assert infer_rule([["truncate"], ["truncate"], ["half_up", "half_even"]]) == "truncate"
    assert infer_rule([["truncate"], ["half_up"]]) == "half_up"
    assert infer_rule([]) == "half_up"
    assert rule_tally([["truncate"], ["half_up", "truncate"]]) == {"half_up": 1, "half_even": 0,
                                                                   "truncate": 2}


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="rounding rule 'ceiling'"):
        prints_as(1, 3, "33.3", "ceiling")
    assert set(RULES) == {"half_up", "half_even", "truncate"}


def test_is_tie_finds_values_exactly_halfway():
    assert is_tie(1, 8, 0)                      # 12.5 %
    assert is_tie(1, 8, 1) is False             # 12.5 % is exact at one decimal
    assert is_tie(1, 16, 1)                     # 6.25 %
    assert not is_tie(1, 3, 1) and not is_tie(2, 3, 2)

"""core.stats: the one Clopper-Pearson interval."""

import pytest
from scipy.stats import binomtest

from helpers.core.stats import clopper_pearson


@pytest.mark.parametrize("k,n,level", [(20, 120, 0.95), (1, 7, 0.99), (33, 34, 0.9), (5, 5, 0.95)])
def test_matches_scipy_exact_interval(k, n, level):
    lo, hi = clopper_pearson(k, n, level)
    ci = binomtest(k, n).proportion_ci(level, method="exact")
    assert lo == pytest.approx(ci.low, abs=1e-9) and hi == pytest.approx(ci.high, abs=1e-9)


def test_edges_are_exact_zero_and_one():
    assert clopper_pearson(0, 12)[0] == 0.0
    assert clopper_pearson(12, 12)[1] == 1.0
    lo, hi = clopper_pearson(0, 12)
    assert hi == pytest.approx(1 - 0.025 ** (1 / 12), abs=1e-12)   # closed form for k = 0


def test_wider_at_higher_level_and_accepts_text_counts():
    lo95, hi95 = clopper_pearson(4, 25, 0.95)
    lo99, hi99 = clopper_pearson("4", "25", 0.99)
    assert lo99 < lo95 < 4 / 25 < hi95 < hi99


@pytest.mark.parametrize("args", [(5, 4), (-1, 4), (1, 0), (1.5, 4), (1, 4, 1.0), (1, 4, 0),
                                  ("x", 4)])
def test_rejects_what_is_not_a_proportion(args):
    with pytest.raises(ValueError):
        clopper_pearson(*args)


def test_rejects_truth_values():
    with pytest.raises(TypeError):
        clopper_pearson(True, 4)


def test_sampling_uses_the_one_interval():
    from helpers.checks import sampling

    assert sampling.clopper_pearson is clopper_pearson

"""Family 6: exact intervals of every rate; could another printed value be sampling noise?"""

import pytest
from scipy.stats import binomtest

from helpers.checks import sampling as sa
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT
from test_arithmetic import cao2024


def test_clopper_pearson_matches_scipy_exact_interval():
    lo, hi = sa.clopper_pearson(20, 120)
    ci = binomtest(20, 120).proportion_ci(0.95, method="exact")
    assert lo == pytest.approx(ci.low, abs=1e-9) and hi == pytest.approx(ci.high, abs=1e-9)
    with pytest.raises(ValueError):
        sa.clopper_pearson(5, 4)


def test_within_sampling_error_pass_flag_and_alpha():
    assert sa.within_sampling_error("14.0", 20, 120, alpha=0.05) == "consistent"
    assert sa.within_sampling_error("30.0", 60, 120, alpha=0.05) == "inconsistent"
    # the verdict moves with alpha: 40.0 % vs 60/120 (exact binomial p about 0.03)
    assert sa.within_sampling_error("40.0", 60, 120, alpha=0.01) == "consistent"
    assert sa.within_sampling_error("40.0", 60, 120, alpha=0.05) == "inconsistent"


def test_map_version():
    import pandas as pd

    df = pd.DataFrame({"alternative": ["14.0", "30.0"], "count": [20, 60], "n": [120, 120]})
    assert list(sa.within_sampling_error_map(df, 0.05)["verdict"]) == ["consistent", "inconsistent"]


def test_findings_on_toy_and_tables():
    toy = load_ledger("toy_arith", root=TINY_ROOT)
    alt = sa.alternative_table(toy, "half_up")
    assert set(alt["quantity"]) == {"response.orr", "ae.nausea.ge3"}
    found = {f.quantity: f.verdict for f in sa.alternative_findings(toy, "half_up", 0.05)}
    assert found == {"response.orr": "consistent", "ae.nausea.ge3": "consistent"}   # n = 120
    found = {f.quantity: f.verdict for f in sa.alternative_findings(toy, "half_up", 0.2)}
    assert found == {"response.orr": "inconsistent", "ae.nausea.ge3": "consistent"}
    cis = sa.rate_ci_table(toy, "half_up")
    assert cis["ci_low"].isna().sum() == 1          # 55.56 % of 40: no count, no interval
    cis = cis.dropna(subset=["ci_low"])
    assert (cis["ci_low"] <= cis["percent"]).all() and (cis["percent"] <= cis["ci_high"]).all()


def test_cao2024_orr_alternative_is_not_sampling_noise():
    ledger = cao2024()
    found = {f.quantity: f for f in sa.alternative_findings(ledger, "half_up", ledger.alpha)}
    assert found["response.orr"].verdict == "inconsistent"
    assert found["response.orr"].category == "statistical"

"""Small statistical building blocks shared by every check family.

* :func:`clopper_pearson` -- the one exact (Clopper-Pearson) confidence interval of a binomial
  proportion in the package, computed with ``statsmodels.stats.proportion.proportion_confint``
  (``method="beta"``). Clopper CJ, Pearson ES (1934) The use of confidence or fiducial limits
  illustrated in the case of the binomial. Biometrika 26:404-413.
"""

from __future__ import annotations

import math
from functools import lru_cache
from numbers import Integral

from statsmodels.stats.proportion import proportion_confint

__all__ = ["clopper_pearson"]


def _whole(value, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} is a whole number, not a truth value")
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"{what} {value!r} is not a whole number")


def clopper_pearson(k, n, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) confidence interval of ``k/n``, as proportions.

    Parameters
    ----------
    k : int
        Number of patients with the outcome (0 <= k <= n).
    n : int
        Number of patients (n >= 1).
    level : float
        Confidence level in (0, 1), e.g. 0.95.

    Returns
    -------
    (float, float)
        Lower and upper limit in [0, 1]; the lower limit is 0 when ``k == 0`` and the upper 1 when
        ``k == n``.

    Raises
    ------
    ValueError
        When ``k`` and ``n`` do not make a proportion or ``level`` is not in (0, 1).

    Example
    -------
    >>> lo, hi = clopper_pearson(3, 10)
    >>> round(lo, 4), round(hi, 4)
    (0.0667, 0.6525)

    References: Clopper & Pearson (1934); statsmodels ``proportion_confint(method="beta")``.
    """
    k, n = _whole(k, "count"), _whole(n, "n")
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"count {k} and n {n} do not make a proportion")
    if not (isinstance(level, (int, float)) and 0 < level < 1) or math.isnan(level):
        raise ValueError(f"confidence level {level} is not in (0, 1)")
    return _clopper_pearson(k, n, float(level))


@lru_cache(maxsize=1 << 16)
def _clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    lo, hi = proportion_confint(k, n, alpha=1 - level, method="beta")
    lo = 0.0 if k == 0 else float(lo)
    hi = 1.0 if k == n else float(hi)
    return lo, hi

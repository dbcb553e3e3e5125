"""McNemar against scipy's binomial/chi-square; paired bootstrap of a metric difference."""

from functools import partial

import jax
import numpy as np
import pytest
from scipy import stats

from jaxfound import errors
from jaxfound.stats import accuracy, f1_score, mcnemar, paired_bootstrap


def make(b, c, both=30, neither=5):
    """Labels and two predictions with b (A right, B wrong) and c (A wrong, B right)."""
    y = np.zeros(both + neither + b + c, np.int32)
    a = np.r_[np.zeros(both), np.ones(neither), np.zeros(b), np.ones(c)].astype(np.int32)
    bb = np.r_[np.zeros(both), np.ones(neither), np.ones(b), np.zeros(c)].astype(np.int32)
    return y, a, bb


@pytest.mark.parametrize("b,c", [(3, 11), (10, 10), (0, 6), (25, 40), (0, 0)])
def test_mcnemar_matches_scipy(b, c):
    y, pa, pb = make(b, c)
    with jax.enable_x64(True):
        ex = mcnemar(y, pa, pb)
        asym = mcnemar(y, pa, pb, exact=False)
        raw = mcnemar(y, pa, pb, exact=False, correction=False)
    assert (float(ex.b), float(ex.c)) == (b, c)
    if b + c == 0:
        assert float(ex.pvalue) == float(asym.pvalue) == 1.0
        return
    ref = stats.binomtest(min(b, c), b + c, 0.5).pvalue
    assert float(ex.pvalue) == pytest.approx(ref, rel=1e-10)
    chi = max(abs(b - c) - 1, 0) ** 2 / (b + c)
    assert float(asym.statistic) == pytest.approx(chi, rel=1e-12)
    assert float(asym.pvalue) == pytest.approx(stats.chi2.sf(chi, 1), rel=1e-10)
    assert float(raw.pvalue) == pytest.approx(stats.chi2.sf((b - c) ** 2 / (b + c), 1), rel=1e-10)


def test_mcnemar_accepts_scores():
    y, pa, pb = make(2, 9)
    scores = np.eye(2)[pb]
    assert float(mcnemar(y, pa, scores).pvalue) == pytest.approx(float(mcnemar(y, pa, pb).pvalue))
    with pytest.raises(errors.ShapeError):
        mcnemar(y, pa, pb[:-1])


@pytest.mark.slow  # several jit compiles: ~10 s on a loaded 2-core machine
def test_paired_bootstrap():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    good = np.where(rng.random(400) < 0.85, y, (y + 1) % 3)
    bad = np.where(rng.random(400) < 0.70, y, (y + 2) % 3)
    res = paired_bootstrap(jax.random.key(0), accuracy, y, good, bad, n_resamples=4000)
    assert float(res.difference) == pytest.approx(np.mean(good == y) - np.mean(bad == y))
    assert 0 < float(res.low) < float(res.difference) < float(res.high)
    assert float(res.pvalue) < 0.01
    # the paired SE equals the SE of the per-example difference of correctness
    d = (good == y).astype(float) - (bad == y)
    assert float(res.standard_error) == pytest.approx(d.std() / np.sqrt(400), rel=0.08)
    same = paired_bootstrap(jax.random.key(0), accuracy, y, good, good, n_resamples=500)
    assert float(same.pvalue) == 1.0 and abs(float(same.difference)) < 1e-6  # rounding only
    f1 = partial(f1_score, n_classes=3)
    res_f1 = paired_bootstrap(jax.random.key(1), f1, y, good, bad, n_resamples=500,
                              method="percentile")
    assert float(res_f1.low) > 0
    with pytest.raises(errors.ShapeError):
        paired_bootstrap(jax.random.key(0), accuracy, y, good[:-1], bad)

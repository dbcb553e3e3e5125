"""Standard errors, confidence intervals, t-tests and R² of a fitted linear model."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import betainc

from jaxfound import _validate
from jaxfound.models.linear._params import LinearParams
from jaxfound.typing import ArrayLike


class LinearInference(NamedTuple):
    r"""Classical inference for a linear fit (arrays shaped like the parameters).

    Attributes:
      stderr: `LinearParams` of standard errors of the coefficients and intercept.
      ci_low: `LinearParams` of lower confidence bounds.
      ci_high: `LinearParams` of upper confidence bounds.
      t: `LinearParams` of t statistics (estimate / stderr).
      p_value: `LinearParams` of two-sided p-values of "parameter = 0".
      r2: coefficient of determination (per output).
      adj_r2: R² adjusted for the number of parameters.
      sigma2: residual variance estimate $\hat\sigma^2$ (per output).
      dof: residual degrees of freedom $n - p$.
    """

    stderr: LinearParams
    ci_low: LinearParams
    ci_high: LinearParams
    t: LinearParams
    p_value: LinearParams
    r2: jax.Array
    adj_r2: jax.Array
    sigma2: jax.Array
    dof: jax.Array


def t_two_sided_p(t: ArrayLike, dof: ArrayLike) -> jax.Array:
    r"""Two-sided p-value $P(|T_\nu| > |t|) = I_{\nu/(\nu+t^2)}(\nu/2, 1/2)$."""
    return betainc(dof / 2.0, 0.5, dof / (dof + t**2))


def t_quantile(q: float, dof: ArrayLike, iters: int = 80) -> jax.Array:
    r"""Quantile $t_{q,\nu}$ (``q > 0.5``) of Student's t, by bisection on the CDF."""
    target = 2.0 * (1.0 - q)  # two-sided tail mass

    def body(_, lo_hi):
        lo, hi = lo_hi
        mid = 0.5 * (lo + hi)  # in x = nu / (nu + t^2), tail(x) increases with x
        low_tail = betainc(dof / 2.0, 0.5, mid) < target
        return jnp.where(low_tail, mid, lo), jnp.where(low_tail, hi, mid)

    z = jnp.zeros_like(jnp.asarray(dof, jnp.result_type(float)))
    lo, hi = jax.lax.fori_loop(0, iters, body, (z, z + 1.0))
    x = 0.5 * (lo + hi)
    return jnp.sqrt(dof * (1.0 - x) / x)


def inference(params: LinearParams, X: ArrayLike, y: ArrayLike, *, alpha: ArrayLike = 0.0,
              sample_weight: ArrayLike | None = None,
              level: float = 0.95, fit_intercept: bool = True) -> LinearInference:
    r"""Standard errors, confidence intervals and R² of a least-squares or ridge fit.

    With the augmented design $Z = [\mathbf 1, X]$, weights $S$, penalty matrix
    $P = \alpha\,\mathrm{diag}(0, 1, \dots, 1)$ and $A = Z^\top S Z + P$:

    $$
    \hat\sigma^2 = \frac{\sum_i s_i r_i^2}{n - p},\qquad
    \mathrm{Cov}(\hat\theta) = \hat\sigma^2 A^{-1} Z^\top S Z A^{-1},\qquad
    R^2 = 1 - \frac{\sum_i s_i r_i^2}{\sum_i s_i (y_i - \bar y_s)^2}
    $$

    (for $\alpha = 0$ the covariance is the familiar
    $\hat\sigma^2 (Z^\top S Z)^{-1}$; for ridge it is the sandwich form, conditional
    on $\alpha$). $n$ counts rows of positive weight, $p$ the fitted parameters. Confidence
    bounds are
    $\hat\theta \pm t_{(1+\text{level})/2,\,n-p}\,\mathrm{se}$.

    Args:
      params: the fit, from `ols` (weighted or not) or `ridge`.
      X: ``(n, d)`` features used for the fit.
      y: ``(n,)`` or ``(n, k)`` targets used for the fit.
      alpha: the ridge penalty of the fit (0 for least squares).
      sample_weight: the weights of the fit.
      level: confidence level of the intervals.
      fit_intercept: whether the fit had an intercept.

    Returns:
      `LinearInference`.

    >>> import jax.numpy as jnp
    >>> X = jnp.array([[0.0], [1.0], [2.0], [3.0]]); y = jnp.array([0.1, 0.9, 2.1, 2.9])
    >>> from jaxfound.models.linear import ols
    >>> round(float(inference(ols().fit(X, y), X, y).r2), 3)
    0.993
    """
    X = _validate.n_features_match(params.coef.shape[0], X)
    y = _validate.targets(y, X.shape[0])
    w = _validate.sample_weights(sample_weight, X.shape[0], X.dtype)
    return _inference(params, X, y, jnp.asarray(alpha, X.dtype), w, level, fit_intercept)


@jax.jit(static_argnames=("level", "fit_intercept"))
def _inference(params, X, y, alpha, w, level, fit_intercept):
    n_par = X.shape[1] + int(fit_intercept)
    Z = jnp.concatenate([jnp.ones((X.shape[0], 1), X.dtype), X], axis=1) if fit_intercept else X
    resid = y - (X @ params.coef + params.intercept)
    wcol = w.reshape((-1,) + (1,) * (y.ndim - 1))
    rss = jnp.sum(wcol * resid**2, axis=0)
    y_mean = jnp.sum(wcol * y, axis=0) / jnp.sum(w)
    tss = jnp.sum(wcol * (y - y_mean) ** 2, axis=0)
    n = jnp.sum(w > 0).astype(X.dtype)
    dof = n - n_par
    sigma2 = rss / dof
    gram = (Z * w[:, None]).T @ Z
    pen = jnp.ones(n_par, X.dtype).at[0].set(0.0 if fit_intercept else 1.0) * alpha
    a_inv = jnp.linalg.inv(gram + jnp.diag(pen))
    var = jnp.diag(a_inv @ gram @ a_inv)
    se = jnp.sqrt(var.reshape((-1,) + (1,) * (y.ndim - 1)) * sigma2)
    if fit_intercept:
        theta = jnp.concatenate([jnp.asarray(params.intercept)[None], params.coef], axis=0)
    else:
        theta = params.coef
    tq = t_quantile(0.5 + level / 2.0, dof)
    tstat = theta / se
    pval = t_two_sided_p(tstat, dof)

    def split(a):
        if fit_intercept:
            return LinearParams(a[1:], a[0])
        return LinearParams(a, jnp.zeros_like(params.intercept))

    r2 = 1.0 - rss / tss
    adj = 1.0 - (1.0 - r2) * (n - float(fit_intercept)) / dof
    return LinearInference(split(se), split(theta - tq * se), split(theta + tq * se),
                           split(tstat), split(pval), r2, adj, sigma2, dof)

"""The random-intercept logistic model for proportions (a binomial GLMM), as metafor fits it.

``metafor::rma.glmm(measure="PLO")`` fits, by maximum likelihood with lme4's ``glmer`` and
adaptive Gauss-Hermite quadrature on 7 nodes (``nAGQ = 7``),

    x_i ~ Binomial(n_i, p_i),   logit(p_i) = mu + tau * u_i,   u_i ~ N(0, 1).

Each study's integral over u_i is approximated around its conditional mode (found by Newton's
method) with the 7-node rule scaled by the curvature there, exactly as adaptive quadrature in
lme4 does. The likelihood is maximised over (tau >= 0, mu); the variance of mu comes from the
numerical Hessian of the deviance in (tau, mu), as lme4's ``vcov`` computes it. Exact
binomial likelihoods need no continuity correction, so studies with no or all events enter as
they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

#: Nodes of lme4's default for rma.glmm: adaptive Gauss-Hermite quadrature, 7 points.
N_AGQ = 7
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(N_AGQ)  # for the weight exp(-z^2/2)
_WEIGHTS = _WEIGHTS / math.sqrt(2 * math.pi)  # rule for the standard normal density
_LOG_NORMAL = -0.5 * _NODES**2 - 0.5 * math.log(2 * math.pi)
#: Step of the central differences for the Hessian (lme4's deriv12 uses 1e-4).
_HESSIAN_STEP = 1e-4


@dataclass(frozen=True)
class GlmmFit:
    """Maximum-likelihood estimates of the random-intercept logistic model."""

    mu: float
    se: float
    tau2: float
    deviance: float
    converged: bool


def _log_binomial(x: np.ndarray, n: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """log of the binomial kernel p^x (1-p)^(n-x) with p = expit(eta), stably."""
    return x * eta - n * np.logaddexp(0.0, eta)


def _conditional_modes(
    x: np.ndarray, n: np.ndarray, mu: float, tau: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each study's mode of h(u) = log binomial + log phi(u), and the scale 1/sqrt(-h'')."""
    u = np.zeros_like(x)
    for _ in range(60):
        p = special.expit(mu + tau * u)
        grad = tau * (x - n * p) - u
        curv = -(tau**2) * n * p * (1 - p) - 1.0
        step = grad / curv
        u = u - step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = special.expit(mu + tau * u)
    curv = tau**2 * n * p * (1 - p) + 1.0
    return u, 1.0 / np.sqrt(curv)


def deviance(params: np.ndarray, x: np.ndarray, n: np.ndarray) -> float:
    """-2 log likelihood (up to the binomial coefficients) at params = (tau, mu)."""
    tau, mu = float(params[0]), float(params[1])
    if tau <= 0:
        return -2.0 * float(_log_binomial(x, n, np.full_like(x, mu)).sum())
    mode, scale = _conditional_modes(x, n, mu, tau)
    z = mode[:, None] + scale[:, None] * _NODES[None, :]
    log_h = _log_binomial(x[:, None], n[:, None], mu + tau * z) - 0.5 * z**2
    log_h -= 0.5 * math.log(2 * math.pi)
    # adaptive rule: integral of e^h = scale * sum_j w_j e^{h(z_j)} / phi(node_j)
    log_terms = log_h + np.log(_WEIGHTS)[None, :] - _LOG_NORMAL[None, :]
    log_integral = np.log(scale) + special.logsumexp(log_terms, axis=1)
    return -2.0 * float(log_integral.sum())


def _hessian(x: np.ndarray, n: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of the deviance in (tau, mu)."""
    h = _HESSIAN_STEP
    out = np.empty((2, 2))
    f0 = deviance(at, x, n)
    for i in range(2):
        e_i = np.zeros(2)
        e_i[i] = h
        out[i, i] = (deviance(at + e_i, x, n) - 2 * f0 + deviance(at - e_i, x, n)) / h**2
        for j in range(i + 1, 2):
            e_j = np.zeros(2)
            e_j[j] = h
            out[i, j] = out[j, i] = (
                deviance(at + e_i + e_j, x, n)
                - deviance(at + e_i - e_j, x, n)
                - deviance(at - e_i + e_j, x, n)
                + deviance(at - e_i - e_j, x, n)
            ) / (4 * h**2)
    return out


def fit_glmm(
    events: np.ndarray, totals: np.ndarray, start: tuple[float, float] | None = None
) -> GlmmFit:
    """ML fit of the random-intercept logistic model for k >= 2 studies.

    ``start`` is (tau, mu), e.g. from the inverse-variance REML fit. The variance of mu is the
    (mu, mu) element of 2 H^-1, H the Hessian of the deviance in (tau, mu); at tau = 0 (the
    boundary) the curvature in mu alone is used.
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    if start is None:
        pooled = (x.sum() + 0.5) / (n.sum() + 1.0)
        start = (0.5, float(special.logit(pooled)))
    best = None
    for tau0 in (max(start[0], 0.05), 1.0, 0.2):
        result = optimize.minimize(
            deviance,
            x0=np.array([tau0, start[1]]),
            args=(x, n),
            method="L-BFGS-B",
            bounds=[(0.0, 20.0), (-30.0, 30.0)],
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500},
        )
        if best is None or result.fun < best.fun - 1e-12:
            best = result
    assert best is not None
    # polish: Nelder-Mead from the optimum (as lme4 finishes with a derivative-free step)
    polish = optimize.minimize(
        lambda p: deviance(np.array([abs(p[0]), p[1]]), x, n),
        x0=best.x,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000},
    )
    params = np.array([abs(polish.x[0]), polish.x[1]])
    if deviance(params, x, n) > best.fun:
        params = best.x
    tau, mu = float(params[0]), float(params[1])
    if tau > 1e-6:
        hessian = _hessian(x, n, np.array([tau, mu]))
        try:
            var_mu = float(2 * np.linalg.inv(hessian)[1, 1])
        except np.linalg.LinAlgError:
            var_mu = math.nan
    else:
        tau = 0.0
        p = special.expit(mu)
        var_mu = 1.0 / float((n * p * (1 - p)).sum())
    converged = bool(best.success or polish.success)
    return GlmmFit(
        mu=mu,
        se=math.sqrt(var_mu) if var_mu > 0 else math.nan,
        tau2=tau**2,
        deviance=float(deviance(params, x, n)),
        converged=converged,
    )

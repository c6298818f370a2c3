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


def _h(x: np.ndarray, n: np.ndarray, mu: float, tau: float, u: np.ndarray) -> np.ndarray:
    """log binomial kernel + log standard normal density (without its constant) at u."""
    return _log_binomial(x, n, mu + tau * u) - 0.5 * u**2


def _conditional_modes(
    x: np.ndarray, n: np.ndarray, mu: float, tau: float, start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each study's mode of h(u) = log binomial + log phi(u), and the scale 1/sqrt(-h'').

    h is strictly concave, so Newton's method with backtracking (halving a step until h
    increases) converges from any start; the start is the previous modes, or where the study's
    own logit would put it.
    """
    if start is None:
        own = special.logit((x + 0.5) / (n + 1.0))
        u = np.clip((own - mu) / tau, -8.0, 8.0)
    else:
        u = start.copy()
    for _ in range(100):
        p = special.expit(mu + tau * u)
        grad = tau * (x - n * p) - u
        curv = tau**2 * n * p * (1 - p) + 1.0
        step = grad / curv
        h_now = _h(x, n, mu, tau, u)
        t = np.ones_like(u)
        for _ in range(60):
            better = _h(x, n, mu, tau, u + t * step) >= h_now - 1e-12 * np.abs(h_now)
            if better.all():
                break
            t = np.where(better, t, 0.5 * t)
        u = u + t * step
        if np.max(np.abs(t * step)) <= 1e-11:
            break
    p = special.expit(mu + tau * u)
    curv = tau**2 * n * p * (1 - p) + 1.0
    return u, 1.0 / np.sqrt(curv)


class _Deviance:
    """The deviance as a function of (tau, mu) for fixed data, remembering the last modes so
    that each evaluation starts Newton's method next to the answer."""

    def __init__(self, x: np.ndarray, n: np.ndarray) -> None:
        self.x, self.n = x, n
        self.modes: np.ndarray | None = None
        self.calls = 0

    def __call__(self, params: np.ndarray) -> float:
        return self.value_and_gradient(params)[0]

    def value_and_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """The deviance and its gradient in (tau, mu). The gradient holds the quadrature nodes
        where they are (the integrand's derivative averaged over them), which differs from the
        exact derivative of the approximation only by the quadrature error."""
        self.calls += 1
        tau, mu = float(params[0]), float(params[1])
        x, n = self.x, self.n
        if tau <= 0:
            p = special.expit(mu)
            value = -2.0 * float(_log_binomial(x, n, np.full_like(x, mu)).sum())
            return value, np.array([0.0, -2.0 * float((x - n * p).sum())])
        mode, scale = _conditional_modes(x, n, mu, tau, self.modes)
        self.modes = mode
        z = mode[:, None] + scale[:, None] * _NODES[None, :]
        eta = mu + tau * z
        log_h = _log_binomial(x[:, None], n[:, None], eta) - 0.5 * z**2
        log_h -= 0.5 * math.log(2 * math.pi)
        # adaptive rule: integral of e^h = scale * sum_j w_j e^{h(z_j)} / phi(node_j)
        log_terms = log_h + np.log(_WEIGHTS)[None, :] - _LOG_NORMAL[None, :]
        norm = special.logsumexp(log_terms, axis=1)
        log_integral = np.log(scale) + norm
        share = np.exp(log_terms - norm[:, None])
        residual = x[:, None] - n[:, None] * special.expit(eta)
        d_mu = float((share * residual).sum())
        d_tau = float((share * residual * z).sum())
        return -2.0 * float(log_integral.sum()), np.array([-2.0 * d_tau, -2.0 * d_mu])


def deviance(params: np.ndarray, x: np.ndarray, n: np.ndarray) -> float:
    """-2 log likelihood (up to the binomial coefficients) at params = (tau, mu)."""
    return _Deviance(np.asarray(x, float), np.asarray(n, float))(np.asarray(params, float))


def _hessian(objective: _Deviance, at: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of the deviance in (tau, mu), as lme4's deriv12."""
    h = _HESSIAN_STEP
    out = np.empty((2, 2))
    f0 = objective(at)
    for i in range(2):
        e_i = np.zeros(2)
        e_i[i] = h
        out[i, i] = (objective(at + e_i) - 2 * f0 + objective(at - e_i)) / h**2
        for j in range(i + 1, 2):
            e_j = np.zeros(2)
            e_j[j] = h
            out[i, j] = out[j, i] = (
                objective(at + e_i + e_j)
                - objective(at + e_i - e_j)
                - objective(at - e_i + e_j)
                + objective(at - e_i - e_j)
            ) / (4 * h**2)
    return out


def _polish(objective: _Deviance, tau: float, mu: float) -> tuple[float, float]:
    """A few Newton steps on the deviance itself (central-difference gradient and Hessian):
    the optimiser's gradient is approximate, the optimum must not be."""
    h = _HESSIAN_STEP
    d_tau, d_mu = np.array([h, 0.0]), np.array([0.0, h])
    at = np.array([tau, mu])
    value = objective(at)
    for _ in range(4):
        if at[0] <= 10 * h:  # at the boundary tau = 0: polish mu alone
            g = (objective(at + d_mu) - objective(at - d_mu)) / (2 * h)
            c = (objective(at + d_mu) - 2 * value + objective(at - d_mu)) / h**2
            step = np.array([0.0, g / c]) if c > 0 else np.zeros(2)
        else:
            grad = np.array(
                [
                    (objective(at + d_tau) - objective(at - d_tau)) / (2 * h),
                    (objective(at + d_mu) - objective(at - d_mu)) / (2 * h),
                ]
            )
            try:
                step = np.linalg.solve(_hessian(objective, at), grad)
            except np.linalg.LinAlgError:
                break
        candidate = at - step
        candidate[0] = max(candidate[0], 0.0)
        new_value = objective(candidate)
        if not new_value < value:
            break
        at, value = candidate, new_value
        if np.max(np.abs(step)) < 1e-9:
            break
    return float(at[0]), float(at[1])


def fit_glmm(
    events: np.ndarray, totals: np.ndarray, start: tuple[float, float] | None = None
) -> GlmmFit:
    """ML fit of the random-intercept logistic model for k >= 2 studies.

    ``start`` is (tau, mu), e.g. from the inverse-variance fit. The variance of mu is the
    (mu, mu) element of 2 H^-1, H the Hessian of the deviance in (tau, mu); at tau = 0 (the
    boundary) the curvature in mu alone is used.
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    if start is None:
        pooled = (x.sum() + 0.5) / (n.sum() + 1.0)
        start = (0.5, float(special.logit(pooled)))
    objective = _Deviance(x, n)
    best = None
    for tau0 in (max(start[0], 0.05), 0.0):
        result = optimize.minimize(
            objective.value_and_gradient,
            x0=np.array([tau0, start[1]]),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 20.0), (-30.0, 30.0)],
            options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 500},
        )
        if best is None or result.fun < best.fun - 1e-9:
            best = result
    assert best is not None
    tau, mu = _polish(objective, float(best.x[0]), float(best.x[1]))
    if tau > 1e-6:
        hessian = _hessian(objective, np.array([tau, mu]))
        try:
            var_mu = float(2 * np.linalg.inv(hessian)[1, 1])
        except np.linalg.LinAlgError:
            var_mu = math.nan
    else:
        tau = 0.0
        p = special.expit(mu)
        var_mu = 1.0 / float((n * p * (1 - p)).sum())
    return GlmmFit(
        mu=mu,
        se=math.sqrt(var_mu) if var_mu > 0 else math.nan,
        tau2=tau**2,
        deviance=float(objective(np.array([tau, mu]))),
        converged=bool(best.success),
    )

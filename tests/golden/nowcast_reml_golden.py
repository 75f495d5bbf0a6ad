"""Golden values of `nowcast_rho_sigma_fit_matches_scipy` (tests/spread.rs): the nowcast's
Chow-Lin fit of (rho, sigma) by maximum restricted likelihood, on SYNTHETIC benchmarks drawn with
`lcg.Lcg` (the Rust test draws the same numbers with its own copy of the generator).

Synthetic data: 36 months of vessel calls c_t = 1300 + 100 z; TEU y_t = 2800 c_t + u_t with the
AR(1) deviation u_t = 0.6 u_{t-1} + 60000 z (u_0 = 60000 z); benchmarks (sums of runs of months,
as the official record has): the three annual totals, the months 5, 17 and 30, and the
year-to-date total of months 24..29, the annual totals with rounding noise variance 1e8 (TEU^2).

Reference: the restricted log likelihood written out directly (numpy; dense C, G, V):
    V = C G C' + diag(tau2),  G = sigma^2 rho^|i-j|,  A = (CX)' V^-1 CX,
    beta = A^-1 (CX)' V^-1 z,  r = z - CX beta,
    loglik = -1/2 (log|V| + log|A| + r' V^-1 r)
maximised over rho in [0, 0.99] and sigma > 0 by scipy (bounded L-BFGS-B from several starts,
polished by Nelder-Mead on the same parameterisation as portcast: logit(rho/0.99), ln sigma).

Rerun with `python tests/golden/nowcast_reml_golden.py` (see tests/golden/README.md).
"""
import numpy as np
from scipy.optimize import minimize

from lcg import Lcg

r = Lcg(5)
n = 36
calls = np.array([1300 + 100 * r.normal() for _ in range(n)])
u = np.zeros(n)
for t in range(n):
    e = 60000 * r.normal()
    u[t] = e if t == 0 else 0.6 * u[t - 1] + e
y = 2800 * calls + u
runs = [(0, 11), (12, 23), (24, 35), (5, 5), (17, 17), (30, 30), (24, 29)]
tau2 = np.array([1e8, 1e8, 1e8, 0.0, 0.0, 0.0, 0.0])
C = np.zeros((len(runs), n))
for a, (f, l) in enumerate(runs):
    C[a, f : l + 1] = 1.0
z = C @ y
X = calls.reshape(-1, 1)
print("z", [repr(v) for v in z])


def loglik(rho, sigma):
    G = sigma * sigma * rho ** np.abs(np.subtract.outer(range(n), range(n)))
    V = C @ G @ C.T + np.diag(tau2)
    CX = C @ X
    Vi = np.linalg.inv(V)
    A = CX.T @ Vi @ CX
    beta = np.linalg.solve(A, CX.T @ Vi @ z)
    res = z - CX @ beta
    ld = np.linalg.slogdet(V)[1] + np.linalg.slogdet(A)[1]
    return -0.5 * (ld + res @ Vi @ res), beta


def neg(p):
    rho, sigma = 0.99 / (1 + np.exp(-p[0])), np.exp(p[1])
    return -loglik(rho, sigma)[0]


best = None
for rho0 in [0.1, 0.3, 0.5, 0.7, 0.9]:
    for s0 in [2e4, 6e4, 2e5]:
        p0 = [np.log(rho0 / (0.99 - rho0)), np.log(s0)]
        res = minimize(neg, p0, method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
best = minimize(neg, best.x, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000})
rho, sigma = 0.99 / (1 + np.exp(-best.x[0])), np.exp(best.x[1])
ll, beta = loglik(rho, sigma)
print("rho", repr(float(rho)), "sigma", repr(float(sigma)))
print("beta", repr(float(beta[0])), "loglik", repr(float(ll)))

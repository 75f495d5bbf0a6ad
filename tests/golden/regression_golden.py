"""Golden values of `regression_fit_matches_statsmodels_ols` (tests/spread.rs): the regression
model's least-squares fit and its one-step spread, on a SYNTHETIC series drawn with `lcg.Lcg`
(the Rust test draws the same numbers with its own copy of the generator).

Synthetic data, 1960-01 .. 1979-12 (before the Chinese New Year table and the break indicators,
so the design is constant, last month's year-on-year growth and the driver):
    d_t = 50 + 2 z            (a PMI-like driver, level, entering at lag 1)
    x_t = 10 + 0.1 z          for the first 12 months (log levels)
    g_t = 0.02 + 0.4 g_{t-1} + 0.01 (d_{t-1} - 50) + 0.03 z,   x_t = x_{t-12} + g_t
with z the generator's Irwin-Hall normals, drawn in the order d (240), x (12), then one per g.

Reference: statsmodels OLS of g_t on [1, g_{t-1}, d_{t-1}] over the rows t = 13 .. 239, its
residuals, and the one-step spread the model should simulate: the residuals' population variance
plus the pool's kernel (Silverman's bandwidth halved), all scaled by sqrt(n / (n - k)).

Rerun with `python tests/golden/regression_golden.py` (see tests/golden/README.md).
"""
import numpy as np
import statsmodels.api as sm

from lcg import Lcg

r = Lcg(17)
n = 240
d = np.array([50 + 2 * r.normal() for _ in range(n)])
x = [10 + 0.1 * r.normal() for _ in range(12)]
g_prev = 0.0
for t in range(12, n):
    g = 0.02 + 0.4 * g_prev + 0.01 * (d[t - 1] - 50) + 0.03 * r.normal()
    x.append(x[t - 12] + g)
    g_prev = g
logs = np.log(np.exp(np.array(x)))  # what the model sees: logs of the levels
growth = np.full(n, np.nan)
growth[12:] = logs[12:] - logs[:-12]
rows = list(range(13, n))
y = growth[rows]
X = np.column_stack([np.ones(len(rows)), growth[[t - 1 for t in rows]], d[[t - 1 for t in rows]]])
fit = sm.OLS(y, X).fit()
resid = fit.resid
nobs, k = len(rows), X.shape[1]
print("nobs", nobs, "k", k)
print("params", [repr(v) for v in fit.params])
print("resid first", repr(resid[0]), repr(resid[1]), repr(resid[2]), "last", repr(resid[-1]))
print("ssr", repr(float(np.sum(resid ** 2))))
# The spread: sd of the smoothed bootstrap of the residuals, scaled for degrees of freedom.
sd = np.std(resid, ddof=1)
q25, q75 = np.quantile(resid, [0.25, 0.75])  # type 7
h = 0.45 * min(sd, (q75 - q25) / 1.34) * nobs ** -0.2
scale = np.sqrt(nobs / (nobs - k))
print("one-step sd", repr(float(scale * np.sqrt(np.var(resid) + h * h))))

"""Golden values of `prewhitened_ccf_matches_statsmodels` (src/analysis/ccf.rs).

Recovered verbatim from the script quoted in src/analysis/ccf.rs (line 563); rerun with
`python tests/golden/ccf_prewhitened_golden.py` from the repository root (see tests/golden/README.md).
"""
from lcg import Lcg; import numpy as np, pandas as pd
from scipy.stats import norm
from statsmodels.tsa.ar_model import AutoReg, ar_select_order
r = Lcg(7); n = 100; x = [0.0] * n
for t in range(n):
    e = r.normal(); x[t] = e if t == 0 else 0.7 * x[t-1] + e
y = []
for t in range(n):
    e = r.normal(); y.append(x[t-2] + 1.0 * e if t >= 2 else 1.0 * e)
x, y = np.array(x), np.array(y)
sel = ar_select_order(x, maxlag=20, ic="aic", trend="c")   # 20 = min(floor(10*log10(100)), 100//4)
p = len(sel.ar_lags or []); print("p =", p)
res = AutoReg(x, lags=p, trend="c").fit(); c, phi = res.params[0], res.params[1:]
def filt(s):  # e_t = s_t - c - sum_i phi_i s_{t-i}, t = p..n-1
    return pd.Series([s[t] - c - sum(phi[i] * s[t-1-i] for i in range(p)) for t in range(p, len(s))])
fx, fy = filt(x), filt(y)
z = norm.ppf(0.975); rows = []
for k in range(-6, 7):
    ys = fy.shift(-k); m = int((fx.notna() & ys.notna()).sum())
    rows.append((k, fx.corr(ys), m)); print(f"({k}, {fx.corr(ys)!r}, {m}),", repr(z / np.sqrt(m)))
k, rb, m = max(rows, key=lambda t: abs(t[1]))
zr, se = np.arctanh(rb), 1 / np.sqrt(m - 3)
pv = 2 * norm.sf(abs(zr) / se); padj = 1 - (1 - pv) ** len(rows)
print("best", k, repr(rb), m, repr(np.tanh(zr - z * se)), repr(np.tanh(zr + z * se)), repr(pv), repr(padj))

"""Golden values of `ar_matches_statsmodels` (src/analysis/ar.rs).

Recovered verbatim from the script quoted in src/analysis/ar.rs (line 213); rerun with
`python tests/golden/ar_golden.py` from the repository root (see tests/golden/README.md).
"""
import numpy as _np; _np.set_printoptions(precision=17)  # added: full digits for the verifier
from lcg import Lcg; import numpy as np
from statsmodels.tsa.ar_model import AutoReg, ar_select_order
r = Lcg(42); x = [10.0] * 150
for t in range(150):
    e = r.normal()
    if t >= 2: x[t] = 10.0 + 0.6 * x[t-1] - 0.3 * x[t-2] + e
x = np.array(x)
sel = ar_select_order(x, maxlag=8, ic="aic", trend="c")
print(sel.ar_lags)                                   # [1, 2, 3]
aics = {len(k) if k else 0: v for k, v in sel.aic.items()}
print([aics[p] - aics[0] for p in range(9)])         # AIC differs from ours by a constant
res = AutoReg(x, lags=2, trend="c").fit()
print(res.params, res.sigma2, res.nobs, res.resid[:3], res.resid[-1])
print(res.predict(start=150, end=150))               # one step ahead
res3 = AutoReg(x, lags=3, trend="c").fit()
print(res3.params, res3.sigma2, res3.nobs)

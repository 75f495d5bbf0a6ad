"""Golden values of `granger_matches_statsmodels` and `granger_with_gaps_matches_numpy` (src/analysis/granger.rs).

Recovered verbatim from the script quoted in src/analysis/granger.rs (line 148); rerun with
`python tests/golden/granger_golden.py` from the repository root (see tests/golden/README.md).
"""
from lcg import Lcg; import numpy as np
from scipy.stats import f as fdist
from statsmodels.tsa.stattools import grangercausalitytests
r = Lcg(2024); n = 80
x = [r.normal() for _ in range(n)]
y = [0.0] * n
for t in range(n):
    e = r.normal()
    y[t] = (0.3 * y[t-1] + 0.4 * x[t-2] + e) if t >= 2 else e
x, y = np.array(x), np.array(y)
# Complete data: statsmodels ssr F-test; does x Granger-cause y (column 2 -> column 1)?
res = grangercausalitytests(np.column_stack([y, x]), maxlag=4)
for p in range(1, 5):
    F, pv, df2, df1 = res[p][0]["ssr_ftest"]
    print(f"({p}, {F!r}, {int(df1)}, {int(df2)}, {pv!r}),")
# Gaps (y[30], x[50] missing): numpy lstsq on the rows where every needed value exists.
yg, xg = y.copy(), x.copy(); yg[30] = np.nan; xg[50] = np.nan
for p in range(1, 5):
    rows = [t for t in range(p, n) if not np.isnan(yg[t-p:t+1]).any() and not np.isnan(xg[t-p:t]).any()]
    Y = yg[rows]
    Xr = np.column_stack([np.ones(len(rows))] + [yg[[t - i for t in rows]] for i in range(1, p + 1)])
    Xu = np.column_stack([Xr] + [xg[[t - i for t in rows]] for i in range(1, p + 1)])
    rss = lambda X: np.sum((Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]) ** 2)
    df2 = len(rows) - 2 * p - 1
    F = (rss(Xr) - rss(Xu)) / p / (rss(Xu) / df2)
    print(f"({p}, {F!r}, {p}, {df2}, {fdist.sf(F, p, df2)!r}, {len(rows)}),")

"""Golden values GOLDEN_PMI_CALLS and GOLDEN_CALLS_SCFI of tests/lags.rs. Run from the repository root (reads data/*.csv).

Recovered verbatim from the script quoted in tests/lags.rs (line 23); rerun with
`python tests/golden/lags_golden.py` from the repository root (see tests/golden/README.md).
"""
import numpy as np, pandas as pd
from scipy.stats import norm
from statsmodels.tsa.ar_model import AutoReg, ar_select_order
D = "data/"
# Shanghai container calls: port1188 + port2027 per day (days with both), summed by month / ISO week
# over complete periods only (every day present).
pw = pd.read_csv(D + "portwatch_daily_port_calls.csv", parse_dates=["date"])
pw = pw[pw.portid.isin(["port1188", "port2027"])].pivot(index="date", columns="portid", values="portcalls_container").dropna()
calls = pw.sum(axis=1)
def by_month(s):
    g = s.groupby(s.index.to_period("M"))
    full = g.count() == g.apply(lambda v: v.index[0].days_in_month)
    return g.sum()[full]
def by_week(s):
    g = s.groupby(s.index.to_period("W-SUN"))  # Monday..Sunday: ISO weeks
    return g.sum()[g.count() == 7]
def yoy(s, k):
    full = pd.period_range(s.index.min(), s.index.max(), freq=s.index.freq)
    s = np.log(s.reindex(full))
    return s - s.shift(k)
pmi = pd.read_csv(D + "pmi_nbs_monthly.csv").set_index("month")["manufacturing_pmi"]
pmi.index = pd.PeriodIndex(pmi.index, freq="M")
def aligned(x, y):
    # union grid, trimmed to where either side has a value
    idx = pd.period_range(min(x.dropna().index.min(), y.dropna().index.min()), max(x.dropna().index.max(), y.dropna().index.max()), freq=x.index.freq)
    return x.reindex(idx), y.reindex(idx)
z = norm.ppf(0.975)
# (1) pmi:shanghai_calls, monthly yoy, pre-whitened (AR order by AIC, max 12 = min(10 log10 216, 216/4, 12))
x, y = aligned(yoy(pmi, 12), yoy(by_month(calls), 12))
xv = x.to_numpy()
assert not np.isnan(xv).any() and len(xv) == 216
sel = ar_select_order(xv, maxlag=12, ic="aic", trend="c")
p = len(sel.ar_lags or []); print("p =", p)
res = AutoReg(xv, lags=p, trend="c").fit(); c, phi = res.params[0], res.params[1:]
def filt(s):
    s = s.to_numpy()
    return pd.Series([s[t] - c - sum(phi[i] * s[t-1-i] for i in range(p)) for t in range(p, len(s))])
fx, fy = filt(x), filt(y)
for k in range(-12, 13):
    ys = fy.shift(-k); m = int((fx.notna() & ys.notna()).sum())
    print(f"({k}, {fx.corr(ys)!r}, {m}),")
# (2) shanghai_calls:scfi, weekly yoy (52 ISO weeks), raw CCF with Bartlett band
scfi = pd.read_csv(D + "scfi_weekly.csv", parse_dates=["date"]).set_index("date")["scfi_composite"]
scfi_w = scfi.groupby(scfi.index.to_period("W-SUN")).mean()
x, y = aligned(yoy(by_week(calls), 52), yoy(scfi_w, 52))
def acf(s, m):
    d = s - s.mean()
    return [(d * d.shift(-j)).sum() / (d * d).sum() for j in range(1, m + 1)]
nmin = min(x.notna().sum(), y.notna().sum())
m = min(int(np.floor(10 * np.log10(nmin))), nmin // 4)
F = max(1.0, 1 + 2 * np.dot(acf(x, m), acf(y, m)))
print("m =", m, "F =", repr(F))
for k in range(-12, 13):
    ys = y.shift(-k); n = int((x.notna() & ys.notna()).sum())
    print(f"({k}, {x.corr(ys)!r}, {n}, {z * np.sqrt(F / n)!r}),")

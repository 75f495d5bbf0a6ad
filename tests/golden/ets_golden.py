"""Golden values for src/forecast/ets.rs (the ETS family), from statsmodels 0.15 ETSModel and
statsforecast 2.1.1 (R's etscalc port), on a real bundled series.

Series: Shanghai monthly container vessel calls (PortWatch port1188 + port2027, daily
`portcalls_container` summed by month), 2019-01 .. 2022-12 (48 months, before the bench's 2023
targets). Printed as JSON: the series, the log-likelihoods at fixed parameters and initial states
for every model type portcast supports, the maximised log-likelihood of each fitted model, and
AutoETS's choice on the series (and on LA TEU's last gap-free stretch, reported only).

Conventions (statsmodels `ETSModel.loglike`): loglike = -n/2 (ln(2 pi SSE/n) + 1) - sum ln|yhat|
(last term for multiplicative errors), SSE of absolute (A) or relative (M) errors. statsmodels'
multiplicative *season* update is the classical Holt-Winters one (s <- g* y/l_t + (1-g*) s), not
Hyndman's (s <- s + g (y/q - s)) that R, statsforecast and portcast use; for those models the
fixed-parameter golden comes from statsforecast's `pegelsresid_C` (lik = n ln SSE + 2 sum ln|yhat|,
converted to the statsmodels convention), checked to agree with statsmodels on the additive-season
models.

Rerun: /work/shared/bench/.venv/bin/python tests/golden/ets_golden.py > /tmp/ets_golden.json
"""
import json
import math
import pathlib
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def shanghai_monthly():
    d = pd.read_csv(DATA / "portwatch_daily_port_calls.csv", parse_dates=["date"])
    w = d.pivot(index="date", columns="portid", values="portcalls_container").sort_index()
    total = w["port1188"] + w["port2027"]
    m = total.groupby(total.index.to_period("M")).sum().astype(float)
    return m[(m.index >= pd.Period("2019-01", "M")) & (m.index <= pd.Period("2022-12", "M"))]


def la_monthly():
    d = pd.read_csv(DATA / "la_teu_monthly.csv")
    d = d[d["total_teu"].notna()]
    s = pd.Series(d["total_teu"].astype(float).values, index=pd.PeriodIndex(d["month"], freq="M"))
    s = s[(s.index >= pd.Period("2016-01", "M")) & (s.index <= pd.Period("2021-12", "M"))]
    s = s.reindex(pd.period_range(s.index.min(), s.index.max(), freq="M"))
    # last gap-free stretch
    na = np.where(s.isna().values)[0]
    if len(na):
        s = s.iloc[na[-1] + 1:]
    return s


MODELS = []
for e in "AM":
    for t in ["N", "A", "Ad"]:
        for s in "NAM":
            if e == "A" and s == "M":
                continue
            MODELS.append((e, t, s))

# Fixed parameters and initial states (on the level scale of the series, m = 12).
ALPHA, BETA, GAMMA, PHI = 0.35, 0.05, 0.15, 0.9


def fixed_states(y, s_type, m=12):
    level = float(np.mean(y[:12]))
    trend = 10.0
    pattern = np.array([0.0, -0.25, 0.05, 0.02, 0.04, 0.01, 0.03, 0.02, -0.01, 0.0, 0.04, 0.05])
    pattern -= pattern.mean()
    if s_type == "A":
        seas = pattern * level
    elif s_type == "M":
        seas = 1.0 + pattern
    else:
        seas = None
    return level, trend, seas


def sm_loglike(y, e, t, s, m=12):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    level, trend, seas = fixed_states(y, s)
    kw = dict(error="add" if e == "A" else "mul",
              trend=None if t == "N" else "add", damped_trend=(t == "Ad"),
              seasonal=None if s == "N" else ("add" if s == "A" else "mul"),
              seasonal_periods=m if s != "N" else None,
              initialization_method="known", initial_level=level)
    if t != "N":
        kw["initial_trend"] = trend
    if s != "N":
        kw["initial_seasonal"] = seas
    mod = ETSModel(pd.Series(y), **kw)
    params = [ALPHA]
    if t != "N":
        params.append(BETA)
    if s != "N":
        params.append(GAMMA)
    if t == "Ad":
        params.append(PHI)
    return float(mod.loglike(np.array(params)))


def sf_loglike(y, e, t, s, m=12):
    from statsforecast.ets import pegelsresid_C
    level, trend, seas = fixed_states(y, s)
    state = [level]
    if t != "N":
        state.append(trend)
    if s != "N":
        state += list(seas[::-1])  # most recent first, as R's etscalc
    _, _, _, lik = pegelsresid_C(np.asarray(y, float), m if s != "N" else 1, np.array(state, float),
                                 e, "N" if t == "N" else "A", s, t == "Ad",
                                 ALPHA, BETA if t != "N" else np.nan, GAMMA if s != "N" else np.nan,
                                 PHI if t == "Ad" else np.nan, 3)
    n = len(y)
    return float(-0.5 * lik - n / 2 * (math.log(2 * math.pi / n) + 1))


def sm_fit(y, e, t, s, m=12):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    mod = ETSModel(pd.Series(y), error="add" if e == "A" else "mul",
                   trend=None if t == "N" else "add", damped_trend=(t == "Ad"),
                   seasonal=None if s == "N" else ("add" if s == "A" else "mul"),
                   seasonal_periods=m if s != "N" else None)
    res = mod.fit(disp=False, maxiter=5000)
    return float(res.llf)


def sf_fit(y, e, t, s, m=12):
    from statsforecast.ets import ets_f
    mod = "".join([e, t[0], s])
    try:
        f = ets_f(np.asarray(y, float), m, model=mod, damped=(t == "Ad"))
    except Exception as ex:  # noqa
        return None
    n = len(y)
    return float(f["loglik"] - n / 2 * (math.log(2 * math.pi / n) + 1))


def auto(y, m=12):
    from statsforecast.ets import ets_f
    f = ets_f(np.asarray(y, float), m, model="ZZZ")
    return f["method"]


def main():
    y = shanghai_monthly().values.astype(float)
    out = {"series": "shanghai_calls monthly 2019-01..2022-12", "y": y.tolist(),
           "params": dict(alpha=ALPHA, beta=BETA, gamma=GAMMA, phi=PHI), "fixed": {}, "fitted": {}}
    for e, t, s in MODELS:
        name = f"{e},{t},{s}"
        level, trend, seas = fixed_states(y, s)
        row = dict(level=level, trend=trend, season=None if seas is None else list(map(float, seas)))
        sf = sf_loglike(y, e, t, s)
        row["statsforecast"] = sf
        if s != "M":
            row["statsmodels"] = sm_loglike(y, e, t, s)
        out["fixed"][name] = row
        out["fitted"][name] = dict(statsmodels=sm_fit(y, e, t, s) if s != "M" else None,
                                   statsforecast=sf_fit(y, e, t, s))
    out["autoets_shanghai"] = auto(y)
    la = la_monthly()
    out["la_stretch"] = f"{la.index[0]}..{la.index[-1]}"
    out["autoets_la"] = auto(la.values.astype(float))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

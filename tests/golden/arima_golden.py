"""Golden values for src/forecast/arima.rs and src/forecast/kalman.rs: statsmodels SARIMAX (0.15).

Series: log total TEU of the Port of Los Angeles (data/la_teu_monthly.csv, the rows with a
`total_teu`) on a full monthly grid, missing months NaN, over three windows:
  A  2016-01 .. 2019-12  (48 months, none missing)
  B  2016-01 .. 2023-12  (96 months, 9 missing, none in the first 13)
  C  2012-01 .. 2023-12  (144 months, 51 missing, several inside the diffuse start-up)
Models: (0,1,1)(0,1,1)[12] ("airline") on A, B, C; (0,1,1)(1,1,0)[12] on C; (1,0,0)(1,1,0)[12] with a drift regressor
x_t = t (t = 1, 2, ...) on B.

Conventions (the ones the Rust filter implements): SARIMAX(..., use_exact_diffuse=True) —
exact diffuse initialisation of the differencing states (statsmodels' own state layout),
stationary initialisation of the ARMA states, simple_differencing=False, Harvey representation,
loglikelihood_burn = 0 (the log-likelihood includes -0.5 log(2 pi F_inf) for the diffuse
periods), sigma2 a parameter (concentrate_scale=False), enforce_stationarity/invertibility.
Printed: the log-likelihood at fixed parameters, and the MLE (tight L-BFGS, then a BFGS
polish) with its log-likelihood. Run from the repository root:

    /work/shared/bench/.venv/bin/python tests/golden/arima_golden.py
"""
import csv
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.statespace.sarimax import SARIMAX

warnings.simplefilter("ignore")


def la_log_teu(first, last):
    vals = {}
    with open("data/la_teu_monthly.csv") as f:
        for r in csv.DictReader(f):
            if r["total_teu"]:
                vals[r["month"]] = float(r["total_teu"])
    y0, m0 = map(int, first.split("-"))
    y1, m1 = map(int, last.split("-"))
    out = []
    for i in range(y0 * 12 + m0 - 1, y1 * 12 + m1):
        key = f"{i // 12}-{i % 12 + 1:02d}"
        out.append(np.log(vals[key]) if key in vals else np.nan)
    return np.array(out)


WINDOWS = {"A": ("2016-01", "2019-12"), "B": ("2016-01", "2023-12"), "C": ("2012-01", "2023-12")}
CASES = [
    # name, window, order, seasonal order, drift, fixed params (without sigma2 scale: last is sigma2)
    ("airline_A", "A", (0, 1, 1), (0, 1, 1, 12), False, [-0.4, -0.5, 0.004]),
    ("airline_B", "B", (0, 1, 1), (0, 1, 1, 12), False, [-0.4, -0.5, 0.004]),
    ("airline_C", "C", (0, 1, 1), (0, 1, 1, 12), False, [-0.4, -0.5, 0.004]),
    ("ma1_sar1_C", "C", (0, 1, 1), (1, 1, 0, 12), False, [-0.4, -0.3, 0.004]),
    ("ar1_sar1_drift_B", "B", (1, 0, 0), (1, 1, 0, 12), True, [0.002, 0.6, -0.3, 0.004]),
]


def main():
    print(f"# statsmodels {statsmodels.__version__}")
    for name, win, order, sorder, drift, fixed in CASES:
        y = la_log_teu(*WINDOWS[win])
        exog = np.arange(1, len(y) + 1, dtype=float)[:, None] if drift else None
        mod = SARIMAX(y, exog=exog, order=order, seasonal_order=sorder, use_exact_diffuse=True)
        llf_fixed = mod.loglike(np.array(fixed))
        res = mod.fit(method="lbfgs", maxiter=2000, disp=False, pgtol=1e-12, factr=10.0)
        res = mod.fit(start_params=res.params, method="bfgs", maxiter=2000, disp=False, gtol=1e-10)
        print(f"{name}: n={len(y)} missing={int(np.isnan(y).sum())} "
              f"loglike_at{fixed}={llf_fixed:.10f}")
        print(f"{name}: mle params={[float(round(v, 8)) for v in res.params]} llf={res.llf:.10f}")


if __name__ == "__main__":
    main()

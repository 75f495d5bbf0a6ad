"""Orders chosen by statsforecast 2.1.1 AutoARIMA (defaults, season_length=12) on bundled series,
for comparison with portcast's `arima` (reported, not asserted: the two differ in the seasonal
test, STL vs classical decomposition, and in portcast's smaller bounds).

Series: log LA total TEU 2016-01..2019-12 (complete window), and log Shanghai monthly container
calls (PortWatch port1188 + port2027 `portcalls_container` summed by month) 2019-01..2023-12.
Run from the repository root:

    /work/shared/bench/.venv/bin/python tests/golden/arima_orders.py
"""
import csv
from collections import defaultdict

import numpy as np
from statsforecast.arima import arima_string
from statsforecast.models import AutoARIMA


def la():
    vals = {}
    with open("data/la_teu_monthly.csv") as f:
        for r in csv.DictReader(f):
            if r["total_teu"]:
                vals[r["month"]] = float(r["total_teu"])
    return np.log([vals[f"{y}-{m:02d}"] for y in range(2016, 2020) for m in range(1, 13)])


def calls():
    by_month = defaultdict(float)
    with open("data/portwatch_daily_port_calls.csv") as f:
        for r in csv.DictReader(f):
            if r["portid"] in ("port1188", "port2027") and r["date"] < "2024-01-01":
                by_month[r["date"][:7]] += float(r["portcalls_container"])
    return np.log([by_month[k] for k in sorted(by_month)])


for name, y in [("la_teu 2016-2019", la()), ("shanghai_calls 2019-2023", calls())]:
    m = AutoARIMA(season_length=12).fit(y)
    print(f"{name}: n={len(y)} {arima_string(m.model_)}")

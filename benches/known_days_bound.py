"""How far below the plain rule a forecast of the period in progress can get (issue 13).

For every ISO week or month of a window and every as-of date of `portcast evaluate
--by-known-days` (PortWatch days public nine days after they end: the last published day is the
as-of date - 9), this scores, by number of days published, the plain rule (published sum +
remaining days x mean of the last 28 published days, Gaussian with the sd of its own past errors
at the same gap and number of remaining days) against two oracles that know the future:

- `oracle_in`:  the remaining days' true local level, the centred 29-day mean of the
  calendar-adjusted days around each of them (the days themselves included), times the weekday /
  Chinese New Year / Golden Week factor, with independent Gaussian day noise of the past year's
  relative variance;
- `oracle_out`: the same level from the 14 days on either side of the remaining days, the days
  themselves left out.

Neither can be built (both look ahead). Printed: the ratio of each oracle's mean CRPS to the
rule's, by days published. Where the remaining days are a small part of the 29-day mean (the last
one or two days of a week) `oracle_in` bounds what a model of the remaining days' level can reach:
on ISO weeks with 6 of 7 days published it is 0.914 (2021-2022) and 0.956 (2023) of the rule, so
"10% below the rule at every stage" cannot be met there by knowing the level better; only the
day's own noise is left. With many days remaining `oracle_in` sees those days themselves and
bounds nothing, and `oracle_out`'s independent-noise Gaussian runs too narrow for month sums (it
scores worse than the rule there): read neither for months.

usage: /work/shared/bench/.venv/bin/python benches/known_days_bound.py week|month FROM TO
  e.g. week 2021-01-04 2022-12-26, month 2021-01 2022-12 (run from the repository root)
"""

import collections
import sys

import numpy as np
import pandas as pd
from scipy.stats import norm

LAG = 9
CNY = {y: pd.Timestamp(d) for y, d in {2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12",
                                        2022: "2022-02-01", 2023: "2023-01-22",
                                        2024: "2024-02-10"}.items()}

df = pd.read_csv("data/portwatch_daily_port_calls.csv", parse_dates=["date"])
s = df.groupby("date").portcalls_container.sum().asfreq("D")
dates, y = s.index, s.values.astype(float)
N, t0 = len(y), s.index[0]
cs = np.concatenate([[0], np.cumsum(y)])


def cny_off(d):
    for yr in (d.year - 1, d.year, d.year + 1):
        if yr in CNY and -10 <= (d - CNY[yr]).days <= 20:
            return (d - CNY[yr]).days
    return -999


cnyo = np.array([cny_off(d) for d in dates])
wd = np.array([d.weekday() for d in dates])
gw = np.array([d.day - 1 if d.month == 10 and d.day <= 7 else -1 for d in dates])


def factors():
    """Weekday x holiday factors from the ratio of each day to its centred 29-day mean (all data:
    an oracle)."""
    w, c = 14, np.concatenate([[0], np.cumsum(y)])
    i = np.arange(w, N - w)
    ratio = np.full(N, np.nan)
    ratio[i] = y[i] / ((c[i + w + 1] - c[i - w]) / (2 * w + 1))
    plain = (cnyo == -999) & (gw < 0) & ~np.isnan(ratio)
    wk = np.array([ratio[plain & (wd == k)].mean() for k in range(7)])
    wk /= wk.mean()
    f = wk[wd].copy()
    r2 = ratio / wk[wd]
    for o in range(-10, 21):
        sel = (cnyo == o) & ~np.isnan(r2)
        f[cnyo == o] *= (r2[sel].sum() + 1) / (sel.sum() + 1)
    for g in range(7):
        sel = (gw == g) & ~np.isnan(r2)
        f[gw == g] *= (r2[sel].sum() + 1) / (sel.sum() + 1)
    return np.maximum(f, 1e-3)


def crps_gauss(mu, sd, obs):
    z = (obs - mu) / sd
    return sd * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))


def main():
    freq, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
    f = factors()
    z = y / f
    cz = np.concatenate([[0], np.cumsum(z)])
    w = 14
    cm = np.array([z[max(0, i - w):min(N, i + w + 1)].mean() for i in range(N)])
    rel = y / (cm * f) - 1
    periods = pd.period_range(start, end, freq="M" if freq == "month" else "W-SUN")
    res = collections.defaultdict(lambda: collections.defaultdict(list))
    for p in periods:
        a, b = (p.start_time.normalize() - t0).days, (p.end_time.normalize() - t0).days
        if b >= N:
            continue
        d = a
        while True:
            n = d - LAG + 1  # days published
            k = max(0, n - a)
            if k >= b - a + 1:
                break
            first = max(a, n)
            gap, rest = first - n, b + 1 - first
            known = y[a:n].sum() if n > a else 0.0
            actual = known + y[first:b + 1].sum()
            errs = [cs[o + gap + rest] - cs[o + gap] - rest * (cs[o] - cs[o - 28]) / 28
                    for o in range(28, n - gap - rest + 1)]
            mean28 = (cs[n] - cs[n - 28]) / 28
            res["rule"][k].append(crps_gauss(known + rest * mean28, np.std(errs, ddof=1), actual))
            v = np.var(rel[max(0, n - 365):n])
            mu = cm[first:b + 1] * f[first:b + 1]
            res["oracle_in"][k].append(crps_gauss(known + mu.sum(), np.sqrt((mu**2).sum() * v), actual))
            lo, hi = max(0, first - w), min(N, b + 1 + w)
            out = np.concatenate([z[lo:first], z[b + 1:hi]]).mean() * f[first:b + 1]
            res["oracle_out"][k].append(crps_gauss(known + out.sum(), np.sqrt((out**2).sum() * v), actual))
            d += 1
    print("known_days     n  rule_crps  oracle_in/rule  oracle_out/rule")
    for k in sorted(res["rule"]):
        r = np.mean(res["rule"][k])
        print(f"{k:10d} {len(res['rule'][k]):5d} {r:10.2f} {np.mean(res['oracle_in'][k]) / r:15.3f}"
              f" {np.mean(res['oracle_out'][k]) / r:16.3f}")


main()

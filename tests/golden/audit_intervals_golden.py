"""Golden values of `intervals_match_statsmodels_and_scipy` (src/analysis/audit.rs).

Recovered verbatim from the script quoted in src/analysis/audit.rs (line 1063); rerun with
`python tests/golden/audit_intervals_golden.py` from the repository root (see tests/golden/README.md).
"""
from statsmodels.stats.proportion import proportion_confint
print(proportion_confint(9, 11, alpha=0.05, method="wilson"))
print(proportion_confint(0, 4, alpha=0.05, method="wilson"))
import numpy as np; from scipy import stats
z = stats.norm.ppf(0.975); zr = np.arctanh(0.5); se = 1 / np.sqrt(40 - 3)
print(np.tanh(zr - z * se), np.tanh(zr + z * se))
x = [12.0, 15.5, 9.0, 20.0, 14.0]
print(stats.t.interval(0.95, 4, loc=np.mean(x), scale=stats.sem(x)))

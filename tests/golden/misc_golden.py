"""Single golden values quoted in comments of unit tests, each with the test that uses it:

- src/backtest/score.rs `wilson_interval_for_three_in_ten`: statsmodels' Wilson interval for 3 in 10;
- src/analysis/lags.rs (Diebold-Mariano p-value test): scipy's t survival function;
- tests/lags.rs `prewhitened_monthly_ccf_matches_statsmodels_on_the_bundled_data`: norm.ppf(0.975);
- src/forecast/nowcast.rs (the median of a standard normal's upper half): norm.ppf(0.75);
- src/analysis/distribution.rs `type7_quantiles_match_hand_example`: numpy's default quantile.

Rerun with `python tests/golden/misc_golden.py` (see tests/golden/README.md).
"""
import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

print("wilson(3, 10, alpha=0.1):", repr(proportion_confint(3, 10, alpha=0.1, method="wilson")))
print("t.sf(4.898979485566356, 3):", repr(stats.t.sf(4.898979485566356, 3)))
print("norm.ppf(0.975):", repr(stats.norm.ppf(0.975)))
print("norm.ppf(0.75):", repr(stats.norm.ppf(0.75)))
print("quantile([1,2,3,4], [0,.25,.5,.9,1]):", np.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]).tolist())

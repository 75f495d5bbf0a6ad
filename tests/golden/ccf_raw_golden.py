"""Golden values of `raw_ccf_matches_pandas` (src/analysis/ccf.rs).

Recovered verbatim from the script quoted in src/analysis/ccf.rs (line 486); rerun with
`python tests/golden/ccf_raw_golden.py` from the repository root (see tests/golden/README.md).
"""
import numpy as np, pandas as pd
from scipy.stats import norm
nan = np.nan
x = pd.Series([1.2, 0.4, -0.3, 2.1, nan, 1.7, 0.2, -1.1, 0.9, 1.5, -0.6, 0.0, 2.4, 1.1, nan, -0.8, 0.6, 1.9, -0.2, 0.7])
y = pd.Series([0.5, 1.0, 1.3, 0.1, -0.4, 2.2, nan, 1.6, 0.3, -1.0, 0.8, 1.4, -0.5, 0.2, 2.0, 1.2, -0.9, 0.4, 1.8, 0.1])
def acf(s, m):  # overall mean; numerator over pairs present, denominator over values present
    d = s - s.mean()
    return [(d * d.shift(-j)).sum() / (d * d).sum() for j in range(1, m + 1)]
F = max(1.0, 1 + 2 * np.dot(acf(x, 4), acf(y, 4)))
z = norm.ppf(0.975)
print(repr(F))
for k in range(-5, 6):
    ys = y.shift(-k)
    n = int((x.notna() & ys.notna()).sum())
    print(f"({k}, {x.corr(ys)!r}, {n}),", repr(z * np.sqrt(F / n)))

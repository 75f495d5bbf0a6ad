"""Golden values of `zou_interval_matches_the_paper` (src/analysis/audit.rs).

Recovered verbatim from the script quoted in src/analysis/audit.rs (line 1162); rerun with
`python tests/golden/audit_zou_golden.py` from the repository root (see tests/golden/README.md).
"""
import numpy as np; from scipy.stats import norm
def rz(r, n): z = norm.ppf(0.975); se = 1 / np.sqrt(n - 3); return np.tanh(np.arctanh(r) - z * se), np.tanh(np.arctanh(r) + z * se)
def rho(rxy, rxz, ryz): return ((ryz - rxy * rxz / 2) * (1 - rxy**2 - rxz**2 - ryz**2) + ryz**3) / ((1 - rxy**2) * (1 - rxz**2))
def dol(r12, r13, r23, n):
    L1, U1 = rz(r12, n); L2, U2 = rz(r13, n); c = rho(r12, r13, r23)
    return (r12 - r13 - ((r12 - L1)**2 + (U2 - r13)**2 - 2 * c * (r12 - L1) * (U2 - r13))**0.5,
            r12 - r13 + ((U1 - r12)**2 + (r13 - L2)**2 - 2 * c * (U1 - r12) * (r13 - L2))**0.5)
print(dol(0.396, 0.179, 0.088, 66), dol(0.71, 0.58, 0.8, 40))

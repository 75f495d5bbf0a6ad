"""Golden values of `chow_lin_matches_numpy` (src/forecast/nowcast.rs).

Recovered verbatim from the script quoted in src/forecast/nowcast.rs (line 830); rerun with
`python tests/golden/nowcast_chow_lin_golden.py` from the repository root (see tests/golden/README.md).
"""
import numpy as _np; _np.set_printoptions(precision=17)  # added: full digits for the verifier
import numpy as np
n, rho, s = 6, 0.7, 0.2
x = np.column_stack([np.ones(n), [10., 12., 11., 13., 15., 14.]])
C = np.array([[1,1,1,0,0,0],[0,0,0,1,1,1],[0,1,0,0,0,0],[0,0,0,0,1,0]], float)
z = np.array([33.5, 43.0, 12.3, 15.2]); tau2 = np.array([0.01, 0.0, 0.0, 0.0])
G = s*s*rho**np.abs(np.subtract.outer(range(n), range(n)))
V = C@G@C.T + np.diag(tau2); Vi = np.linalg.inv(V); CX = C@x
A = CX.T@Vi@CX; beta = np.linalg.solve(A, CX.T@Vi@z)
K = G@C.T@Vi; mean = x@beta + K@(z - CX@beta); M = x - K@CX
cov = G - K@C@G + M@np.linalg.solve(A, M.T)
print(beta, mean, np.diag(cov))

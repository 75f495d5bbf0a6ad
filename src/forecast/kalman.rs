//! Seasonal ARIMA in state-space form and its exact Gaussian likelihood by the Kalman filter,
//! for `super::arima`.
//!
//! The model of a series `u_t` (the target's log values minus its regression part) is
//! `φ(L) Φ(L^m) Δ^d Δ_m^D u_t = θ(L) Θ(L^m) ε_t`, `ε_t ~ N(0, σ²)`, `D ≤ 1`. The state vector follows
//! statsmodels' SARIMAX layout exactly (Durbin & Koopman 2012, §3.4): first the `d` states
//! `Δ^i u_{t−1}` (`i < d`), then, when `D = 1`, the `m` states `Δ^d u_{t−1}, …, Δ^d u_{t−m}`, then the
//! `r = max(p + mP, q + mQ + 1)` states of the ARMA part in Harvey's form. The differencing
//! states get an **exact diffuse** initialisation (Koopman 1997; `P_∞ = I` on them), the ARMA
//! states their stationary covariance (the discrete Lyapunov equation, reduced to one
//! `r × r` linear system: [`stationary_cov`]).
//! The log-likelihood is statsmodels' with `use_exact_diffuse=True`, `loglikelihood_burn = 0`:
//! a diffuse step contributes `−½ log(2π F_∞)`, every other observed step the usual Gaussian
//! term. A missing observation skips the update step and costs nothing else.
//!
//! Regression coefficients are profiled out (generalised least squares through the filter): the
//! gains do not depend on the data, so one covariance pass filters the target and every
//! regressor column at once, and `β̂` and `σ̂²` follow in closed form from the innovations. The
//! optimiser then only sees the ARMA coefficients.
//!
//! Speed: the transition matrix is sparse (a shift, a companion column, a few ones), so the
//! covariance prediction costs `O(n · nnz)` rather than `O(n³)`; once the predicted covariance
//! stops changing (and no observation is missing) the filter switches to its steady-state gain
//! and each step is `O(nnz)`.

/// Orders of a seasonal ARIMA model `(p, d, q)(P, D, Q)_m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Orders {
    pub p: usize,
    pub d: usize,
    pub q: usize,
    pub sp: usize,
    pub sd: usize,
    pub sq: usize,
    /// Season length (1 = non-seasonal; then `sp = sd = sq = 0`).
    pub m: usize,
}

impl Orders {
    /// Number of ARMA coefficients.
    pub fn n_arma(&self) -> usize {
        self.p + self.q + self.sp + self.sq
    }

    /// Number of differencing states (`d + mD`).
    pub fn n_diff(&self) -> usize {
        self.d + self.m * self.sd
    }
}

/// ARMA coefficients in the natural (statsmodels') parametrisation: `φ(L) = 1 − Σ φ_i L^i`,
/// `θ(L) = 1 + Σ θ_i L^i`, seasonal likewise in `L^m`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Coefs {
    pub ar: Vec<f64>,
    pub ma: Vec<f64>,
    pub sar: Vec<f64>,
    pub sma: Vec<f64>,
}

impl Coefs {
    /// Split a flat vector `[ar…, ma…, sar…, sma…]`.
    pub fn from_flat(o: &Orders, x: &[f64]) -> Coefs {
        let (ar, rest) = x.split_at(o.p);
        let (ma, rest) = rest.split_at(o.q);
        let (sar, sma) = rest.split_at(o.sp);
        Coefs {
            ar: ar.to_vec(),
            ma: ma.to_vec(),
            sar: sar.to_vec(),
            sma: sma[..o.sq].to_vec(),
        }
    }

    pub fn flat(&self) -> Vec<f64> {
        [&self.ar[..], &self.ma, &self.sar, &self.sma].concat()
    }

    /// The reduced-form AR coefficients `φ*_i` of `φ(L)Φ(L^m) = 1 − Σ φ*_i L^i` and MA
    /// coefficients `θ*_i` of `θ(L)Θ(L^m) = 1 + Σ θ*_i L^i`.
    pub fn expand(&self, m: usize) -> (Vec<f64>, Vec<f64>) {
        // Polynomials with their constant term, signs folded in.
        let poly = |c: &[f64], step: usize, sign: f64| {
            let mut v = vec![0.0; c.len() * step + 1];
            v[0] = 1.0;
            for (i, x) in c.iter().enumerate() {
                v[(i + 1) * step] = sign * x;
            }
            v
        };
        let mul = |a: &[f64], b: &[f64]| {
            let mut v = vec![0.0; a.len() + b.len() - 1];
            for (i, x) in a.iter().enumerate() {
                for (j, y) in b.iter().enumerate() {
                    v[i + j] += x * y;
                }
            }
            v
        };
        let ar = mul(&poly(&self.ar, 1, -1.0), &poly(&self.sar, m, -1.0));
        let ma = mul(&poly(&self.ma, 1, 1.0), &poly(&self.sma, m, 1.0));
        (ar[1..].iter().map(|x| -x).collect(), ma[1..].to_vec())
    }
}

/// Map unconstrained reals to the coefficients of a stationary AR polynomial `1 − Σ φ_i L^i`
/// (partial autocorrelations `x/√(1+x²)`, then the Durbin–Levinson recursion; Monahan 1984, as
/// statsmodels' `constrain_stationary_univariate`).
pub fn constrain_stationary(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut phi = vec![0.0; n];
    let mut prev = vec![0.0; n];
    for k in 0..n {
        let r = x[k] / (1.0 + x[k] * x[k]).sqrt();
        prev[..k].copy_from_slice(&phi[..k]);
        for i in 0..k {
            phi[i] = prev[i] - r * prev[k - 1 - i];
        }
        phi[k] = r;
    }
    phi
}

/// The inverse of [`constrain_stationary`] (coefficients outside the stationary region are
/// pulled just inside).
pub fn unconstrain_stationary(phi: &[f64]) -> Vec<f64> {
    let n = phi.len();
    let mut cur = phi.to_vec();
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        let r = cur[k].clamp(-0.995, 0.995);
        x[k] = r / (1.0 - r * r).sqrt();
        let prev: Vec<f64> = (0..k)
            .map(|i| (cur[i] + r * cur[k - 1 - i]) / (1.0 - r * r))
            .collect();
        cur[..k].copy_from_slice(&prev);
    }
    x
}

/// A row of a sparse matrix: `(column, value)`.
type SparseRow = Vec<(usize, f64)>;

/// The state-space form of one model at given coefficients.
#[derive(Clone, Debug)]
pub struct StateSpace {
    /// State dimension.
    pub n: usize,
    /// Differencing states (diffuse).
    pub nd: usize,
    /// ARMA states.
    pub r: usize,
    /// Design: `u_t = Σ z_i α_t[i]`.
    pub z: SparseRow,
    /// Transition rows.
    pub t: Vec<SparseRow>,
    /// Selection (the one shock's loading per state).
    pub rsel: Vec<f64>,
    /// Initial covariance of the ARMA states (unit σ²), `r × r` row-major.
    pub p0: Vec<f64>,
}

impl StateSpace {
    pub fn new(o: &Orders, c: &Coefs) -> StateSpace {
        assert!(o.sd <= 1, "at most one seasonal difference");
        let (phi, theta) = c.expand(o.m);
        let nd = o.n_diff();
        let r = phi.len().max(theta.len() + 1).max(1);
        let n = nd + r;
        let a0 = nd; // first ARMA state
        let s0 = o.d; // first seasonal-differencing state
        let last_seasonal = (o.sd == 1).then(|| s0 + o.m - 1);
        let mut z: SparseRow = (0..o.d).map(|i| (i, 1.0)).collect();
        if let Some(s) = last_seasonal {
            z.push((s, 1.0));
        }
        z.push((a0, 1.0));
        let mut t: Vec<SparseRow> = vec![Vec::new(); n];
        for (i, row) in t.iter_mut().enumerate().take(o.d) {
            for j in i..o.d {
                row.push((j, 1.0));
            }
            if let Some(s) = last_seasonal {
                row.push((s, 1.0));
            }
            row.push((a0, 1.0));
        }
        if let Some(s) = last_seasonal {
            t[s0] = vec![(s, 1.0), (a0, 1.0)];
            for i in 1..o.m {
                t[s0 + i] = vec![(s0 + i - 1, 1.0)];
            }
        }
        for i in 0..r {
            let row = &mut t[a0 + i];
            if let Some(&f) = phi.get(i)
                && f != 0.0
            {
                row.push((a0, f));
            }
            if i + 1 < r {
                row.push((a0 + i + 1, 1.0));
            }
        }
        let mut rsel = vec![0.0; n];
        rsel[a0] = 1.0;
        for (i, th) in theta.iter().enumerate() {
            rsel[a0 + i + 1] = *th;
        }
        let p0 = stationary_cov(&phi, &rsel[a0..], r);
        StateSpace {
            n,
            nd,
            r,
            z,
            t,
            rsel,
            p0,
        }
    }

    /// `out = T P Tᵀ` where `p` is zero outside the rows and columns `active`: only the rows
    /// of the result that can be non-zero are computed (after an update, the differencing
    /// states are known exactly and the covariance lives on the ARMA block and the few states
    /// the next observation feeds). `mask`/`rows` are scratch.
    fn predict_cov_active(
        &self,
        p: &[f64],
        active: &[usize],
        mask: &mut [bool],
        rows: &mut Vec<usize>,
        tmp: &mut [f64],
        out: &mut [f64],
    ) {
        let n = self.n;
        mask.fill(false);
        for &j in active {
            mask[j] = true;
        }
        rows.clear();
        rows.extend((0..n).filter(|&i| self.t[i].iter().any(|&(j, _)| mask[j])));
        out.fill(0.0);
        for &i in rows.iter() {
            // Every row in `rows` has an active entry: the first one sets the row (`0 + x = x`),
            // the others add to it.
            let dst = &mut tmp[i * n..(i + 1) * n];
            let mut first = true;
            for &(j, v) in &self.t[i] {
                if mask[j] {
                    let src = &p[j * n..(j + 1) * n];
                    if first {
                        for &c in active {
                            dst[c] = v * src[c];
                        }
                        first = false;
                    } else {
                        for &c in active {
                            dst[c] += v * src[c];
                        }
                    }
                }
            }
        }
        for (a, &i) in rows.iter().enumerate() {
            let src = &tmp[i * n..(i + 1) * n];
            for &k in &rows[a..] {
                let mut s = 0.0;
                for &(j, v) in &self.t[k] {
                    if mask[j] {
                        s += v * src[j];
                    }
                }
                out[i * n + k] = s;
                out[k * n + i] = s;
            }
        }
    }

    fn add_rrt(&self, p: &mut [f64]) {
        let (n, a0) = (self.n, self.nd);
        for i in a0..n {
            let ri = self.rsel[i];
            if ri == 0.0 {
                continue;
            }
            for k in a0..n {
                p[i * n + k] += ri * self.rsel[k];
            }
        }
    }

    fn zdot(&self, a: &[f64]) -> f64 {
        self.z.iter().map(|&(j, v)| v * a[j]).sum()
    }

    /// `out = T a`.
    pub fn transition(&self, a: &[f64], out: &mut [f64]) {
        for (o, row) in out.iter_mut().zip(&self.t) {
            *o = row.iter().map(|&(j, v)| v * a[j]).sum();
        }
    }

    /// The initial predicted covariance `P_*` (unit σ², stationary ARMA block) as `n × n`.
    pub fn initial_pstar(&self) -> Vec<f64> {
        let (n, nd, r) = (self.n, self.nd, self.r);
        let mut p = vec![0.0; n * n];
        for i in 0..r {
            for k in 0..r {
                p[(nd + i) * n + nd + k] = self.p0[i * r + k];
            }
        }
        p
    }
}

/// The stationary covariance of a pure moving average: `T` is the shift, `(Tᵏ R)_i = R_{i+k}`,
/// and the sum is finite.
fn moving_average_cov(rsel: &[f64], r: usize) -> Vec<f64> {
    let mut p = vec![0.0; r * r];
    for i in 0..r {
        for j in i..r {
            let v: f64 = (0..r - j).map(|k| rsel[i + k] * rsel[j + k]).sum();
            p[i * r + j] = v;
            p[j * r + i] = v;
        }
    }
    p
}

/// The stationary covariance of the Harvey-form ARMA states (unit shock variance): the solution
/// of `P = T P Tᵀ + R Rᵀ`.
///
/// With `T` the companion matrix (`T[i][0] = φ_i`, `T[i][i+1] = 1`) the equation reads entrywise
/// `P[i][l] = c(i, l) + P[i+1][l+1]`, `c(i, l) = φ_i φ_l x_0 + φ_i x_{l+1} + φ_l x_{i+1} + R_i R_l`,
/// where `x = P[0][·]` is the first row (indices `≥ r` are zero). Unrolled along the diagonal,
/// the first row solves an `r × r` linear system, and the rest of `P` follows by the recursion:
/// `O(r³)` once instead of the doubling algorithm's `O(r³)` per doubling (about ten for a
/// seasonal AR term).
fn stationary_cov(phi: &[f64], rsel: &[f64], r: usize) -> Vec<f64> {
    if phi.iter().all(|f| *f == 0.0) {
        return moving_average_cov(rsel, r);
    }
    let f = |i: usize| phi.get(i).copied().unwrap_or(0.0);
    // x_l − Σ_s [φ_s φ_{l+s} x_0 + φ_s x_{l+s+1} + φ_{l+s} x_{s+1}] = Σ_s R_s R_{l+s}.
    let mut a = vec![0.0; r * r];
    let mut x = vec![0.0; r];
    for l in 0..r {
        a[l * r + l] += 1.0;
        for s in 0..r - l {
            let (fs, fls) = (f(s), f(l + s));
            a[l * r] -= fs * fls;
            if l + s + 1 < r {
                a[l * r + l + s + 1] -= fs;
            }
            if s + 1 < r {
                a[l * r + s + 1] -= fls;
            }
            x[l] += rsel[s] * rsel[l + s];
        }
    }
    // LU with partial pivoting (nalgebra); `None` when the system is singular.
    let Some(x) = nalgebra::DMatrix::from_row_slice(r, r, &a)
        .lu()
        .solve(&nalgebra::DVector::from_vec(x))
    else {
        return vec![f64::NAN; r * r];
    };
    let x = x.as_slice();
    let c = |i: usize, l: usize| {
        let xi = |k: usize| x.get(k).copied().unwrap_or(0.0);
        f(i) * f(l) * x[0] + f(i) * xi(l + 1) + f(l) * xi(i + 1) + rsel[i] * rsel[l]
    };
    let mut p = vec![0.0; r * r];
    for i in (0..r).rev() {
        for l in (i..r).rev() {
            let next = if l + 1 < r {
                p[(i + 1) * r + l + 1]
            } else {
                0.0
            };
            let v = c(i, l) + next;
            p[i * r + l] = v;
            p[l * r + i] = v;
        }
    }
    if p.iter().any(|v| !v.is_finite()) {
        p.fill(f64::NAN);
    }
    p
}

/// What one pass of the filter over data columns (target and regressors) yields.
#[derive(Clone, Debug)]
pub struct FilterOutput {
    /// Observed steps outside the diffuse phase (the likelihood's effective sample).
    pub n_eff: usize,
    /// Diffuse steps (`F_∞ > 0`).
    pub n_diffuse: usize,
    /// `Σ log F̃_t` over the effective steps (unit σ²).
    pub sum_log_f: f64,
    /// `Σ log F_∞` over the diffuse steps.
    pub sum_log_finf: f64,
    /// `Σ v vᵀ / F̃` over the effective steps, `k × k` for `k` columns (row-major).
    pub cross: Vec<f64>,
    /// Per period: the innovations of column 0 and `F̃` (None when missing or diffuse).
    pub innovations: Vec<Option<(f64, f64)>>,
    /// Predicted state after the last period, per column (`k × n`).
    pub state: Vec<f64>,
    /// Its covariance (unit σ²; `n × n`).
    pub cov: Vec<f64>,
}

/// Filter passes run (tests only: the build-independent cost measure of `super::arima`'s timing
/// harness).
#[cfg(test)]
pub static FILTER_PASSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A state whose variance is below this share of the largest is treated as known exactly.
const ACTIVE_TOL: f64 = 1e-13;

/// Tolerance below which `F_∞` counts as zero.
const DIFFUSE_TOL: f64 = 1e-9;

/// Run the filter over `cols` data columns: `y[t]` is `None` when the target is missing at `t`,
/// else `Some` and `x[c][t]` (`c ≥ 1`) are the regressors (column 0 is the target itself, read
/// from `y`). `steady_tol`: the largest change of the predicted covariance at which the filter
/// switches to its steady-state gain (0 = never).
pub fn filter(
    ss: &StateSpace,
    y: &[Option<f64>],
    x: &[Vec<f64>],
    steady_tol: f64,
    keep_innovations: bool,
) -> FilterOutput {
    #[cfg(test)]
    FILTER_PASSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let n = ss.n;
    let k = 1 + x.len();
    let mut a = vec![0.0; k * n]; // column c at a[c*n..]
    let mut a_next = vec![0.0; n];
    let mut pstar = ss.initial_pstar();
    let mut pinf = vec![0.0; n * n];
    for i in 0..ss.nd {
        pinf[i * n + i] = 1.0;
    }
    let mut diffuse = ss.nd > 0;
    let mut active: Vec<usize> = (0..n).collect();
    let mut mask = vec![false; n];
    let mut rows = Vec::with_capacity(n);
    let mut tmp = vec![0.0; n * n];
    let mut scratch = vec![0.0; n * n];
    let mut m_star = vec![0.0; n];
    let mut m_inf = vec![0.0; n];
    let mut v = vec![0.0; k];
    let mut out = FilterOutput {
        n_eff: 0,
        n_diffuse: 0,
        sum_log_f: 0.0,
        sum_log_finf: 0.0,
        cross: vec![0.0; k * k],
        innovations: Vec::new(),
        state: Vec::new(),
        cov: Vec::new(),
    };
    // Steady state: the gain `T M / F` and `F`, once the covariance has converged.
    let mut steady: Option<(Vec<f64>, f64)> = None;
    let mut steady_p: Vec<f64> = Vec::new();
    for t in 0..y.len() {
        let obs = y[t];
        if let Some(yt) = obs {
            for c in 0..k {
                let val = if c == 0 { yt } else { x[c - 1][t] };
                v[c] = val - ss.zdot(&a[c * n..(c + 1) * n]);
            }
        }
        if let (Some((gain, f)), Some(_)) = (&steady, obs) {
            // Steady state: a ← T a + K v.
            out.n_eff += 1;
            out.sum_log_f += f.ln();
            for i in 0..k {
                for j in 0..k {
                    out.cross[i * k + j] += v[i] * v[j] / f;
                }
            }
            if keep_innovations {
                out.innovations.push(Some((v[0], *f)));
            }
            for c in 0..k {
                let ac = &mut a[c * n..(c + 1) * n];
                ss.transition(ac, &mut a_next);
                for (i, an) in a_next.iter().enumerate() {
                    ac[i] = an + gain[i] * v[c];
                }
            }
            continue;
        }
        if steady.is_some() {
            // A missing value: leave the steady state, from its covariance.
            pstar.copy_from_slice(&steady_p);
            steady = None;
        }
        let mut innovation = None;
        if obs.is_some() {
            for i in 0..n {
                m_star[i] = ss.z.iter().map(|&(j, zv)| zv * pstar[i * n + j]).sum();
            }
            let f_star: f64 = ss.z.iter().map(|&(j, zv)| zv * m_star[j]).sum();
            let mut f_inf = 0.0;
            if diffuse {
                for i in 0..n {
                    m_inf[i] = ss.z.iter().map(|&(j, zv)| zv * pinf[i * n + j]).sum();
                }
                f_inf = ss.z.iter().map(|&(j, zv)| zv * m_inf[j]).sum();
            }
            if diffuse && f_inf > DIFFUSE_TOL {
                out.n_diffuse += 1;
                out.sum_log_finf += f_inf.ln();
                for c in 0..k {
                    let ac = &mut a[c * n..(c + 1) * n];
                    for i in 0..n {
                        ac[i] += m_inf[i] * v[c] / f_inf;
                    }
                }
                // Both covariances are exactly symmetric and so are the updates: one triangle is
                // computed and mirrored, on the rows where `M_∞` or `M_*` is non-zero (elsewhere
                // the update adds zero).
                let (fi, fs) = (f_inf, f_star);
                rows.clear();
                rows.extend((0..n).filter(|&i| m_inf[i] != 0.0 || m_star[i] != 0.0));
                for (e, &i) in rows.iter().enumerate() {
                    for &j in &rows[e..] {
                        if m_inf[i] == 0.0 && m_inf[j] == 0.0 {
                            continue;
                        }
                        let ps = pstar[i * n + j] + m_inf[i] * m_inf[j] * fs / (fi * fi)
                            - (m_star[i] * m_inf[j] + m_inf[i] * m_star[j]) / fi;
                        pstar[i * n + j] = ps;
                        pstar[j * n + i] = ps;
                        if m_inf[i] != 0.0 && m_inf[j] != 0.0 {
                            let pi = pinf[i * n + j] - m_inf[i] * m_inf[j] / fi;
                            pinf[i * n + j] = pi;
                            pinf[j * n + i] = pi;
                        }
                    }
                }
            } else if f_star > 0.0 {
                out.n_eff += 1;
                out.sum_log_f += f_star.ln();
                for i in 0..k {
                    for j in 0..k {
                        out.cross[i * k + j] += v[i] * v[j] / f_star;
                    }
                }
                innovation = Some((v[0], f_star));
                for c in 0..k {
                    let ac = &mut a[c * n..(c + 1) * n];
                    for i in 0..n {
                        ac[i] += m_star[i] * v[c] / f_star;
                    }
                }
                rows.clear();
                rows.extend((0..n).filter(|&i| m_star[i] != 0.0));
                for (e, &i) in rows.iter().enumerate() {
                    for &j in &rows[e..] {
                        let ps = pstar[i * n + j] - m_star[i] * m_star[j] / f_star;
                        pstar[i * n + j] = ps;
                        pstar[j * n + i] = ps;
                    }
                }
            }
        }
        if keep_innovations {
            out.innovations.push(innovation);
        }
        // Predict.
        for c in 0..k {
            let ac = &mut a[c * n..(c + 1) * n];
            ss.transition(ac, &mut a_next);
            ac.copy_from_slice(&a_next);
        }
        if diffuse {
            nonzero_rows(&pinf, n, &mut active);
            ss.predict_cov_active(&pinf, &active, &mut mask, &mut rows, &mut tmp, &mut scratch);
            std::mem::swap(&mut pinf, &mut scratch);
            diffuse = pinf.iter().any(|v| v.abs() > DIFFUSE_TOL);
        }
        if diffuse {
            nonzero_rows(&pstar, n, &mut active);
        } else {
            // States whose variance vanished (known exactly) leave the active set; their rows
            // and columns are cleared so that round-off does not accumulate.
            let max_diag = (0..n).map(|i| pstar[i * n + i]).fold(0.0f64, f64::max);
            let cut = ACTIVE_TOL * max_diag;
            active.clear();
            active.extend((0..n).filter(|&i| pstar[i * n + i] > cut));
        }
        ss.predict_cov_active(
            &pstar,
            &active,
            &mut mask,
            &mut rows,
            &mut tmp,
            &mut scratch,
        );
        std::mem::swap(&mut pstar, &mut scratch);
        ss.add_rrt(&mut pstar);
        // Converged: the predicted covariance repeats after a full update + prediction step.
        if steady_tol > 0.0 && !diffuse && obs.is_some() {
            let converged = if steady_p.len() == pstar.len() {
                let mut same = true;
                for (a, b) in steady_p.iter_mut().zip(&pstar) {
                    same &= (*a - b).abs() <= steady_tol;
                    *a = *b;
                }
                same
            } else {
                steady_p.clear();
                steady_p.extend_from_slice(&pstar);
                false
            };
            if converged {
                for i in 0..n {
                    m_star[i] = ss.z.iter().map(|&(j, zv)| zv * pstar[i * n + j]).sum();
                }
                let f: f64 = ss.z.iter().map(|&(j, zv)| zv * m_star[j]).sum();
                let mut gain = vec![0.0; n];
                ss.transition(&m_star, &mut gain);
                gain.iter_mut().for_each(|g| *g /= f);
                steady = Some((gain, f));
            }
        } else {
            steady_p.clear();
        }
    }
    if steady.is_some() {
        pstar.copy_from_slice(&steady_p);
    }
    out.state = a;
    out.cov = pstar;
    out
}

/// The rows of a symmetric `n × n` matrix with a non-zero entry.
fn nonzero_rows(p: &[f64], n: usize, rows: &mut Vec<usize>) {
    rows.clear();
    rows.extend((0..n).filter(|&i| p[i * n..(i + 1) * n].iter().any(|v| *v != 0.0)));
}

/// Gaussian log-likelihood with σ² and the regression coefficients profiled out: `(llf, β̂,
/// σ̂²)` from a filter pass ([`filter`] over the target and the regressors).
pub fn profile(out: &FilterOutput) -> Option<(f64, Vec<f64>, f64)> {
    let k = (out.cross.len() as f64).sqrt().round() as usize;
    let kx = k - 1;
    let s = &out.cross;
    let beta = if kx == 0 {
        Vec::new()
    } else {
        let sxx = nalgebra::DMatrix::from_fn(kx, kx, |i, j| s[(i + 1) * k + j + 1]);
        let sxy = nalgebra::DVector::from_fn(kx, |i, _| s[(i + 1) * k]);
        let sol = sxx.cholesky()?.solve(&sxy);
        sol.iter().copied().collect()
    };
    let mut ssr = s[0];
    for (i, b) in beta.iter().enumerate() {
        ssr -= b * s[i + 1];
    }
    let n = out.n_eff as f64;
    if out.n_eff == 0 || ssr.is_nan() || ssr <= 0.0 {
        return None;
    }
    let sigma2 = ssr / n;
    let llf = -0.5 * (n * ((2.0 * std::f64::consts::PI).ln() + sigma2.ln() + 1.0) + out.sum_log_f)
        - 0.5 * (out.n_diffuse as f64 * (2.0 * std::f64::consts::PI).ln() + out.sum_log_finf);
    llf.is_finite().then_some((llf, beta, sigma2))
}

/// Gaussian log-likelihood at a given σ² (a filter pass over `y − Xβ` alone).
pub fn loglike_at(out: &FilterOutput, sigma2: f64) -> f64 {
    let n = out.n_eff as f64;
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    -0.5 * (n * (ln2pi + sigma2.ln()) + out.sum_log_f + out.cross[0] / sigma2)
        - 0.5 * (out.n_diffuse as f64 * ln2pi + out.sum_log_finf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_round_trip_and_stay_stationary() {
        let x = [0.3, -1.2, 2.0];
        let phi = constrain_stationary(&x);
        let back = unconstrain_stationary(&phi);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() < 1e-9, "{x:?} {back:?}");
        }
        // AR(1): φ = x/√(1+x²).
        assert!((constrain_stationary(&[1.0])[0] - 0.5f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn expands_the_airline_polynomials() {
        let o = Orders {
            p: 0,
            d: 1,
            q: 1,
            sp: 0,
            sd: 1,
            sq: 1,
            m: 4,
        };
        let c = Coefs::from_flat(&o, &[-0.4, -0.5]);
        let (phi, theta) = c.expand(4);
        assert!(phi.is_empty());
        assert_eq!(theta, vec![-0.4, 0.0, 0.0, -0.5, 0.2]);
    }

    /// The doubling algorithm (the implementation before the linear solve): a reference.
    fn stationary_cov_doubling(phi: &[f64], rsel: &[f64], r: usize) -> Vec<f64> {
        if phi.iter().all(|f| *f == 0.0) {
            return moving_average_cov(rsel, r);
        }
        let mut a = vec![0.0; r * r];
        for i in 0..r {
            if let Some(&f) = phi.get(i) {
                a[i * r] = f;
            }
            if i + 1 < r {
                a[i * r + i + 1] = 1.0;
            }
        }
        let mut p = vec![0.0; r * r];
        for i in 0..r {
            for k in 0..r {
                p[i * r + k] = rsel[i] * rsel[k];
            }
        }
        let mut tmp = vec![0.0; r * r];
        let mut tmp2 = vec![0.0; r * r];
        let matmul = |x: &[f64], y: &[f64], out: &mut [f64], transpose_y: bool| {
            for i in 0..r {
                for k in 0..r {
                    let mut s = 0.0;
                    for j in 0..r {
                        let yv = if transpose_y {
                            y[k * r + j]
                        } else {
                            y[j * r + k]
                        };
                        s += x[i * r + j] * yv;
                    }
                    out[i * r + k] = s;
                }
            }
        };
        for _ in 0..60 {
            // p += A p Aᵀ; A = A².
            matmul(&a, &p, &mut tmp, false);
            matmul(&tmp, &a, &mut tmp2, true);
            let mut change = 0.0f64;
            for (x, d) in p.iter_mut().zip(&tmp2) {
                *x += d;
                change = change.max(d.abs());
            }
            matmul(&a, &a, &mut tmp, false);
            a.copy_from_slice(&tmp);
            let rest = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if change < 1e-15 || rest < 1e-9 {
                break;
            }
            if !change.is_finite() {
                p.fill(f64::NAN);
                break;
            }
        }
        p
    }

    /// The linear-system solution equals the doubling algorithm's on seasonal ARMA models.
    #[test]
    fn stationary_cov_matches_doubling() {
        let seasonal = Coefs {
            ar: vec![0.75],
            ma: vec![-0.3],
            sar: vec![-0.51],
            sma: vec![-0.9],
        }
        .expand(12);
        let cases = [
            (vec![0.8], vec![]),
            (vec![0.7229, 0.0, 0.0], vec![-0.5, 0.2]),
            seasonal,
            (vec![1.2, -0.5, 0.1], vec![0.4, 0.3, -0.2]),
            (vec![0.0; 11].into_iter().chain([0.97]).collect(), vec![]),
        ];
        for (phi, theta) in cases {
            let r = phi.len().max(theta.len() + 1);
            let mut rsel = vec![0.0; r];
            rsel[0] = 1.0;
            rsel[1..=theta.len()].copy_from_slice(&theta);
            let got = stationary_cov(&phi, &rsel, r);
            let want = stationary_cov_doubling(&phi, &rsel, r);
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-12 * scale,
                    "{phi:?} {theta:?}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn ar1_stationary_variance() {
        let o = Orders {
            p: 1,
            d: 0,
            q: 0,
            sp: 0,
            sd: 0,
            sq: 0,
            m: 1,
        };
        let ss = StateSpace::new(&o, &Coefs::from_flat(&o, &[0.8]));
        assert!((ss.p0[0] - 1.0 / (1.0 - 0.64)).abs() < 1e-12);
    }
}

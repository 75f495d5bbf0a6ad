"""Rerun every golden-value script and check that each golden number in the Rust tests is
reproduced: every decimal literal with at least 9 significant digits in the listed line ranges of
the Rust sources must equal some number the script prints, to 1e-9 relative (the tests' own
tolerance; the scripts print full repr digits).

Run from the repository root with the pinned environment (tests/golden/README.md):

    python tests/golden/verify.py

Exit status 0 when every golden value is reproduced; otherwise the missing ones are listed.
The line ranges below name where each script's values live; when a test moves, update them.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# script -> [(Rust file, first line, last line) or (Rust file, "fn name")] holding its values.
# Locate a range with `grep -n` on the golden constants when a file changes.
TABLE = {
    "ar_golden.py": [("src/analysis/ar.rs", 205, 300)],
    "audit_intervals_golden.py": [("src/analysis/audit.rs", 1060, 1095)],
    "audit_zou_golden.py": [("src/analysis/audit.rs", 1155, 1190)],
    "ccf_raw_golden.py": [("src/analysis/ccf.rs", 450, 483)],
    "ccf_prewhitened_golden.py": [("src/analysis/ccf.rs", 540, 610)],
    "granger_golden.py": [("src/analysis/granger.rs", 176, 215)],
    "nowcast_chow_lin_golden.py": [("src/forecast/nowcast.rs", 850, 875)],
    "lags_golden.py": [("tests/lags.rs", 80, 135)],
    "misc_golden.py": [
        ("src/backtest/score.rs", 554, 556),
        ("src/analysis/lags.rs", 958, 972),
        ("tests/lags.rs", 166, 166),
        ("src/forecast/nowcast.rs", 912, 915),
    ],
    # (file, function): the lines of that function, up to its closing brace.
    "regression_golden.py": [("tests/spread.rs", "fn regression_fit_matches_statsmodels_ols")],
    "nowcast_reml_golden.py": [("tests/spread.rs", "fn nowcast_rho_sigma_fit_matches_scipy")],
}

NUM = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+e[-+]?\d+", re.IGNORECASE)


def significant(lit):
    mant = lit.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mant)


def rust_values(path, lo, hi=None):
    out = []
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    if hi is None:  # lo names a function: from its line to the first line that is "}"
        first = next(i for i, l in enumerate(lines, start=1) if lo in l)
        hi = next(i for i, l in enumerate(lines, start=1) if i > first and l == "}")
        lo = first
    for i, line in enumerate(lines, start=1):
        if lo <= i <= hi:
            for lit in NUM.findall(line.replace("_", "")):
                if significant(lit) >= 9:
                    out.append((i, lit, float(lit)))
    return out


def main():
    python = sys.executable
    failed = 0
    for script, ranges in TABLE.items():
        res = subprocess.run(
            [python, "-W", "ignore", os.path.join(HERE, script)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            print(f"{script}: failed\n{res.stderr}")
            failed += 1
            continue
        printed = [float(x) for x in NUM.findall(res.stdout)]
        wanted = [v for r in ranges for v in rust_values(*r)]
        missing = [
            (line, lit)
            for line, lit, v in wanted
            if not any(abs(p - v) <= 1e-9 * max(1.0, abs(v)) for p in printed)
        ]
        status = "ok" if not missing else "MISSING"
        print(f"{script}: {len(wanted)} golden values, {len(wanted) - len(missing)} reproduced: {status}")
        for line, lit in missing:
            print(f"    line {line}: {lit}")
        failed += bool(missing)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Rolling-origin CRPS of `portcast evaluate` on development windows of the bundled data that end
# before the bench's targets (../shared/bench: P1 2023, P2 2020, P3 2022-23), for tuning the
# forecasting core on the training data's own origins:
#   D1 shanghai_calls monthly, origins 2021-01 .. 2022-09, h 1-3
#   D2 scfi weekly, origins 2018-01 .. 2019-12, h 1-4
#   D3 la_teu monthly, origins 2017-01 .. 2021-09, h 1-3
#   D4 scfi weekly, origins 2015-01 .. 2015-12, h 1-4: a falling market (the index lost half its
#      value in 2015, with rate-increase spikes on the way down), where D2's calm years are not
#      enough: a change that only pays in calm markets shows its cost here (the bench's SCFI year,
#      2020, trends the other way)
# Usage: benches/dev-eval.sh [PORTCAST_BIN] [--paths N]; prints per window and horizon the CRPS of
# the combined forecast (auto), of the best single model, and their ratio.
set -euo pipefail
BIN="${1:-target/release/portcast}"
PATHS="${PATHS:-1000}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() { # name series freq from to h
  "$BIN" --store-dir "$tmp/store" --quiet --format csv --as-of 2024-06-30 evaluate --series "$2" --freq "$3" \
    --from "$4" --to "$5" --horizon "$6" --paths "$PATHS" > "$tmp/$1.csv"
  python3 - "$1" "$tmp/$1.csv" <<'PY'
import csv, sys
name, path = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path)))
hs = sorted({int(r["horizon"]) for r in rows})
for h in hs:
    at = [r for r in rows if int(r["horizon"]) == h]
    auto = next(r for r in at if r["model"] == "auto")
    singles = sorted((float(r["crps"]), r["model"]) for r in at if r["model"] != "auto")
    best = singles[0]
    print(f"{name} h{h} n={auto['n']:>3} auto {float(auto['crps']):12.3f}  best single {best[1]:12s} {best[0]:12.3f}  ratio {float(auto['crps'])/best[0]:.3f}  cov50 {float(auto['cover50']):.2f} cov80 {float(auto['cover80']):.2f} cov95 {float(auto['cover95']):.2f}")
PY
}
run D1 shanghai_calls month 2021-01 2022-09 3 &
run D2 scfi week ${D2FROM:-2018-01-01} 2019-12-31 4 &
wait
run D3 la_teu month 2017-01 2021-09 3 &
run D4 scfi week 2015-01-01 2015-12-31 4 &
wait

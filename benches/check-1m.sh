#!/usr/bin/env bash
# Scale of the CSV loaders (issue 14): `portcast data check` on a SYNTHETIC 1,000,000-row
# PortWatch file (100 made-up ports `port900000`..`port900099`, 10,000 days from 1995-01-01, call
# counts from a fixed pseudo-random sequence — not data, only its shape) beside the other bundled
# files, N times, with the median wall time and the largest peak RSS. Run by hand (timed
# assertions do not belong in tests on shared machines); its figures go in the README.
#
# usage: benches/check-1m.sh [N]    (N defaults to 3; builds the release binary first unless
#                                    PORTCAST_BIN names a binary to measure)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3}"
if [[ -z "${PORTCAST_BIN:-}" ]]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcast-target}"
    cargo build --release --locked --bin portcast >&2
    PORTCAST_BIN="$CARGO_TARGET_DIR/release/portcast"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/data"
cp data/*.csv "$work/data/"
# SYNTHETIC: date-major (each port's days in order), one row per (day, port).
awk 'BEGIN {
    print "date,portid,portname,portcalls_container,portcalls"
    x = 12345
    split("31 28 31 30 31 30 31 31 30 31 30 31", ml, " ")
    y = 1995; m = 1; d = 1
    for (day = 0; day < 10000; day++) {
        date = sprintf("%04d-%02d-%02d", y, m, d)
        for (p = 0; p < 100; p++) {
            x = (x * 1103515245 + 12345) % 2147483648
            c = x % 60
            printf "%s,port%d,Synthetic %d,%d,%d\n", date, 900000 + p, p, c, c + (x % 17)
        }
        leap = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        last = ml[m] + (m == 2 && leap)
        if (++d > last) { d = 1; if (++m > 12) { m = 1; y++ } }
    }
}' > "$work/data/portwatch_daily_port_calls.csv"
rows=$(($(wc -l < "$work/data/portwatch_daily_port_calls.csv") - 1))
bytes=$(stat -c %s "$work/data/portwatch_daily_port_calls.csv")
for _ in $(seq "$n"); do
    /usr/bin/time -f "%e %U %M" -o "$work/t" \
        "$PORTCAST_BIN" data check --data-dir "$work/data" --store-dir "$work/store" -q
    cat "$work/t"
done | sort -n | awk -v rows="$rows" -v bytes="$bytes" '
    { wall[NR] = $1; user[NR] = $2; if ($3 > rss) rss = $3 }
    END {
        m = int((NR + 1) / 2)
        printf "portcast data check, SYNTHETIC %d-row PortWatch file (%.1f MB), %d runs: median %.2f s wall (min %.2f, max %.2f); %.2f s CPU in the median run; peak RSS %.0f MB (%.1fx the file)\n",
            rows, bytes / 1e6, NR, wall[m], wall[1], wall[NR], user[m], rss / 1024, rss * 1024 / bytes
    }'

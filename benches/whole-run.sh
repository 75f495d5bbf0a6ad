#!/usr/bin/env bash
# The whole-process measurement of the README's main job (target: under 1 s of wall time on the
# 2-core machine, once built): `portcast run --offline` on the bundled data, N times into a
# scratch directory, with the median and range of the wall time, the CPU time of the median run
# and the largest peak RSS. Timed assertions do not belong in tests on shared machines; this is
# run by hand and its figures go in the README.
#
# usage: benches/whole-run.sh [N]        (N defaults to 15; builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-15}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcast-target}"
cargo build --release --locked --bin portcast >&2
bin="$CARGO_TARGET_DIR/release/portcast"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$n"); do
    # Exit 6 is a finished run that reports stale data (the bundled snapshot, as of today).
    code=0
    /usr/bin/time -f "%e %U %M" -o "$work/t" \
        "$bin" run --offline --quiet --out "$work/reports" --store-dir "$work/store" || code=$?
    if [ "$code" -ne 0 ] && [ "$code" -ne 6 ]; then
        echo "portcast run exited $code" >&2
        exit "$code"
    fi
    tail -1 "$work/t"
done | sort -n | awk '
    { wall[NR] = $1; user[NR] = $2; if ($3 > rss) rss = $3 }
    END {
        m = int((NR + 1) / 2)
        printf "portcast run --offline, %d runs: median %.2f s wall (min %.2f, max %.2f); %.2f s CPU in the median run; peak RSS %.0f MB\n",
            NR, wall[m], wall[1], wall[NR], user[m], rss / 1024
    }'

#!/usr/bin/env bash
# Performance history: one line per commit in benches/history.jsonl (its format: benches/src/history.rs),
# drawn into benches/history.svg (benches/RESULTS.md, "Performance history").
#
#   benches/history.sh record [--seconds S]   measure HEAD: `corsmatch bench --format json` (S seconds
#                                             per engine, default 3) and the instruction counts of the
#                                             gated benches (benches/icount.sh update), recorded as
#                                             HEAD's entry (replacing that commit's entry if there is
#                                             one); redraws the chart. Then commit both files.
#   benches/history.sh render                 redraw benches/history.svg from benches/history.jsonl
#
# The last entry is the instruction-count gate's baseline (benches/icount.sh check). An entry taken
# with uncommitted changes to tracked files is marked dirty (`+` after its commit on the chart): it
# measures HEAD plus those changes, as when a change and its new baseline are committed together.
# The wall-time figures are this machine's and move by ±20% between runs on a shared machine; the
# instruction counts are the same in every run of the same build.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"

usage() {
  echo "usage: benches/history.sh record [--seconds S] | render" >&2
  exit 2
}
[ $# -ge 1 ] || usage
mode=$1
shift

case "$mode" in
  record)
    seconds=3
    while [ $# -gt 0 ]; do
      case "$1" in
        --seconds)
          [ $# -ge 2 ] || usage
          seconds=$2
          shift 2
          ;;
        *) usage ;;
      esac
    done
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "== corsmatch bench --format json --seconds $seconds (wall time, before the valgrind runs)"
    cargo run --release -q -p corsmatch-cli -- bench --seconds "$seconds" --format json > "$tmp/bench.json"
    bash benches/icount.sh update --bench "$tmp/bench.json"
    ;;
  render)
    [ $# -eq 0 ] || usage
    cargo run -q -p corsmatch-benches --bin history_chart
    ;;
  *) usage ;;
esac

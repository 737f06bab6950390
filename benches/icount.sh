#!/usr/bin/env bash
# Instruction-count regression gate: runs the gungraun bench `benches/benches/icount.rs` under
# valgrind (callgrind) and compares each benchmark's instruction count (Ir) with the baseline: the
# last entry of the performance history committed in `benches/history.jsonl`.
#
#   benches/icount.sh check    exit 1 if any count rose by more than 5% (or a bench is missing or
#                              not baselined); improvements of more than 5% are reported
#   benches/icount.sh update   record this run as the history's entry for HEAD (replacing that
#                              commit's entry, else appending one; "dirty" when tracked files have
#                              uncommitted changes), redraw benches/history.svg; then commit both
#
# `benches/history.sh record` runs `update` with the `corsmatch bench` figures of the same commit.
# Exit status 2: the gate could not run (no summaries, unreadable baseline, bad arguments); any
# other failure status comes from the build or the bench.
# Instruction counts do not flake like wall time on a noisy CI machine, but they depend on the
# compiler, on glibc (memcmp and friends pick an implementation per CPU) and so on the CPU family:
# update the baseline in the commit that changes the toolchain or the CI machine type.
#
# Needs valgrind, and the `gungraun-runner` binary at exactly the version of the `gungraun` library
# in benches/Cargo.toml; the runner is installed with `cargo install --locked` if it is missing or
# at another version. Extra arguments after the subcommand go to the gate (`icount_gate --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"

usage() {
  echo "usage: benches/icount.sh check|update [icount_gate options]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
mode=$1
shift
case "$mode" in
  check | update) ;;
  *) usage ;;
esac

if ! command -v valgrind >/dev/null 2>&1; then
  echo "error: valgrind is not installed; the instruction counts are measured with callgrind" >&2
  exit 1
fi

# The runner must match the library exactly; the library's version is pinned (`=X.Y.Z`) in
# benches/Cargo.toml.
version=$(sed -n 's/^gungraun = "=\([0-9][0-9.]*\)".*/\1/p' benches/Cargo.toml)
if [ -z "$version" ]; then
  echo 'error: no exact `gungraun = "=X.Y.Z"` requirement in benches/Cargo.toml' >&2
  exit 1
fi
installed=$(gungraun-runner --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$installed" != "$version" ]; then
  echo "== installing gungraun-runner $version (found: ${installed:-none})"
  cargo install --locked gungraun-runner --version "$version"
fi

# The counts must not depend on the run. The matcher seeds its hash tables from the process's random
# source, and with random seeds the probe lengths, and so the counts, differ from run to run (by up
# to 12% per call, measured). `--cfg corsmatch_fixed_seeds` makes the library draw its seeds from a
# counter instead (never build a deployed binary so), and makes the bench binary's `getrandom` a
# fixed sequence (std's SipHash keys order the configuration-time hash maps, and so where the heap
# puts the policy, and glibc's memcmp costs 9 instructions more when an operand sits in the last 32
# bytes of a page: see `fixed_random` in benches/benches/icount.rs); the floor benches' `ahash` set
# gets constant seeds from `--cfg fuzzing` (ahash's switch for this) and a counting source (see
# `fix_hash_keys` there). The bench builds in its own target directory, `icount/` under the cargo
# target directory (CARGO_TARGET_DIR if set, so one per work tree when each sets its own; else
# target/ of this checkout), so that the flags do not invalidate the ordinary build, and two work
# trees with different target directories do not share (or delete) each other's summaries.
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in
  /*) ;;
  *) target_dir=$PWD/$target_dir ;; # gungraun's runner works in benches/: absolute paths only
esac
bench_target=$target_dir/icount
export GUNGRAUN_HOME=$bench_target/gungraun
summaries=$GUNGRAUN_HOME/corsmatch-benches/icount
# Summaries of an earlier run (or of a bench since renamed) must not be read as this run's.
rm -rf "$summaries"

echo "== cargo bench -p corsmatch-benches --bench icount (gungraun $version, fixed hash keys)"
CARGO_TARGET_DIR=$bench_target RUSTFLAGS="${RUSTFLAGS:-} --cfg fuzzing --cfg corsmatch_fixed_seeds" GUNGRAUN_SAVE_SUMMARY=json \
  cargo bench -p corsmatch-benches --bench icount

echo "== icount gate: $mode"
cargo run -q -p corsmatch-benches --bin icount_gate -- "$mode" --summaries "$summaries" "$@"

if [ "$mode" = update ]; then
  echo "== the chart of the history (benches/history.svg)"
  cargo run -q -p corsmatch-benches --bin history_chart
fi

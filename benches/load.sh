#!/usr/bin/env bash
# The proxy under load: `corsmatch serve` against the same proxy without CORS and with tower-http's
# CORS layer, driven by wrk with the default trace's requests, then a soak of `corsmatch serve` that
# checks every answer against the engine while its policy file is rewritten ten times a second.
#
#   bash benches/load.sh [--smoke] [--seconds S] [--rounds N] [--soak-seconds S]
#                        [--connections N] [--proxy-threads N]
#
# Processes, all on 127.0.0.1 with ephemeral ports:
#   upstream                       the benchmark's upstream (fixed 200 answer, 1 worker thread);
#   (serve)       corsmatch serve --policy corpus/policies/saas.toml ... --deny-log off
#   (off)         proxy-variant --cors off          the same proxy without a CORS layer;
#   (tower-http)  proxy-variant --cors tower-http   the same proxy with tower-http 0.7's CorsLayer;
#   wrk           --latency, 1 thread, N connections, a Lua script from `soak --emit-wrk-lua`.
#
# Two request mixes: `trace`, every request of the default trace (most of them preflights, which
# serve and tower-http answer themselves while `off` passes them on), and `forwarded`, the trace
# without its preflights, where every variant passes every request on and the variants differ only by
# their CORS layer: the CORS cost is read on this mix. The variants run interleaved (their order
# rotates each round), each with a fresh proxy, and the table gives the medians over the rounds.
#
# Instructions: wall-clock throughput on a shared 2-core machine moves by ±20% between runs, far more
# than the CORS cost to measure. So each variant also runs once under callgrind (when valgrind is
# installed): after a warm-up the counters are zeroed (`callgrind_control -z`), wrk runs for a few
# seconds, the counters are dumped (`-d`), and the proxy's instructions are divided by the requests
# wrk completed. These counts repeat within a fraction of a percent; the CORS cost in instructions is
# read on the `forwarded` mix too.
#
# The soak: `corsmatch serve` on a copy of the policy (polled every 50 ms), and
# `soak --reload-every 100 --reload-file COPY --pid PID`, which fails on any failed or wrong answer or
# a resident set that grows by more than 10% after its warm-up.
#
# Prints a Markdown report on stdout (progress on stderr). Exits non-zero when a process cannot be
# started, a run cannot be read, or the soak fails; never on throughput, which it only reports.
#
#   --smoke             for CI: 2 s per variant, 1 round, a 5 s soak
#   --seconds S         wrk duration per variant and round (default 10)
#   --rounds N          rounds (default 3)
#   --soak-seconds S    soak duration (default 60)
#   --connections N     wrk connections (default 32)
#   --icount-seconds S  wrk duration of each run under callgrind (default 5; 0: no such runs;
#                       --smoke: none)
#   --proxy-threads N   worker threads of each proxy (default 1: on a 2-core machine the proxy,
#                       the upstream and wrk share the cores, and one proxy thread keeps the proxy
#                       the bottleneck)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECONDS_PER_RUN=10
ROUNDS=3
SOAK_SECONDS=60
CONNECTIONS=32
PROXY_THREADS=1
WRK_THREADS=1
WARMUP_SECONDS=1
ICOUNT_SECONDS=5
SMOKE=0

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

positive() {
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "load.sh: $1 $2: expected a positive integer" >&2; exit 2; }
    echo "$2"
}

while (($#)); do
    case "$1" in
    --smoke) SMOKE=1; SECONDS_PER_RUN=2; ROUNDS=1; SOAK_SECONDS=5; WARMUP_SECONDS=0; ICOUNT_SECONDS=0 ;;
    --seconds) SECONDS_PER_RUN=$(positive "$1" "${2-}"); shift ;;
    --rounds) ROUNDS=$(positive "$1" "${2-}"); shift ;;
    --soak-seconds) SOAK_SECONDS=$(positive "$1" "${2-}"); shift ;;
    --icount-seconds)
        [[ "${2-}" == 0 ]] && ICOUNT_SECONDS=0 || ICOUNT_SECONDS=$(positive "$1" "${2-}")
        shift
        ;;
    --connections) CONNECTIONS=$(positive "$1" "${2-}"); shift ;;
    --proxy-threads) PROXY_THREADS=$(positive "$1" "${2-}"); shift ;;
    -h | --help) usage ;;
    *) echo "load.sh: unknown argument $1" >&2; usage ;;
    esac
    shift
done

log() { echo "load.sh: $*" >&2; }
die() { log "$*"; exit 1; }

WORK="$(mktemp -d)"
PIDS=()

# Stops process $1 (one this script started): TERM, then KILL after 10 s.
stop() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local kept=()
    for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || kept+=("$p"); done
    PIDS=("${kept[@]+"${kept[@]}"}")
}

cleanup() {
    local status=$?
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop "$pid"; done
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools and binaries -------------------------------------------------------------------------

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update && apt-get install -y wrk
    else
        sudo apt-get update && sudo apt-get install -y wrk
    fi
fi

log "building (release)"
cargo build --release -p corsmatch-cli -p corsmatch-benches --bins >&2
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
for b in corsmatch proxy-variant upstream soak; do
    [[ -x "$BIN/$b" ]] || die "$BIN/$b: not built"
done

POLICY="$ROOT/corpus/policies/saas.toml"

# --- processes ----------------------------------------------------------------------------------

# Starts "$@" in the background, output to log file $1 (shifted off); sets STARTED to its pid.
start() {
    local out=$1
    shift
    "$@" >"$out" 2>&1 &
    STARTED=$!
    PIDS+=("$STARTED")
}

# How long to wait for a process to listen, in steps of 50 ms.
WAIT_STEPS=200

# Waits until process $1 writes `listening on ADDR` to its log $2; prints ADDR.
listening_address() {
    local pid=$1 out=$2 i addr
    for ((i = 0; i < WAIT_STEPS; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "process $pid exited; its output:"
            tail -20 "$out" >&2
            return 1
        fi
        addr=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -o 'listening on [0-9.:]*' | head -1 | cut -d' ' -f3 || true)
        if [[ -n "$addr" ]]; then
            echo "$addr"
            return 0
        fi
        sleep 0.05
    done
    log "process $pid: no 'listening on' line after $((WAIT_STEPS / 20)) s; its output:"
    tail -20 "$out" >&2
    return 1
}

# The `admin endpoint on http://ADDR/metrics` address in the log $1.
admin_address() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -o 'admin endpoint on http://[0-9.:]*' | head -1 | sed 's|.*http://||'
}

# VmRSS of process $1, in KiB.
rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

start "$WORK/upstream.log" "$BIN/upstream" --listen 127.0.0.1:0 --threads 1
UPSTREAM_PID=$STARTED
UPSTREAM=$(listening_address "$UPSTREAM_PID" "$WORK/upstream.log") || die "the upstream did not start"
log "upstream on $UPSTREAM"

# The command that runs each proxy (callgrind for the instruction counts); none by default.
PROXY_WRAP=()

# Starts variant $1 with the policy file $2 (and extra options); sets PROXY_PID and PROXY_ADDR.
start_proxy() {
    local variant=$1 policy=$2
    shift 2
    local out="$WORK/proxy-$variant.log"
    case "$variant" in
    serve)
        start "$out" "${PROXY_WRAP[@]+"${PROXY_WRAP[@]}"}" "$BIN/corsmatch" serve --policy "$policy" --upstream "http://$UPSTREAM" \
            --listen 127.0.0.1:0 --admin 127.0.0.1:0 --threads "$PROXY_THREADS" --deny-log off "$@"
        ;;
    off | tower-http)
        start "$out" "${PROXY_WRAP[@]+"${PROXY_WRAP[@]}"}" "$BIN/proxy-variant" --cors "$variant" --policy "$policy" \
            --upstream "http://$UPSTREAM" --listen 127.0.0.1:0 --threads "$PROXY_THREADS" "$@"
        ;;
    *) die "unknown variant $variant" ;;
    esac
    PROXY_PID=$STARTED
    PROXY_ADDR=$(listening_address "$PROXY_PID" "$out") || die "$variant did not start"
    PROXY_LOG=$out
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$PROXY_ADDR/") || true
    [[ "$code" == 200 ]] || die "$variant at $PROXY_ADDR: GET / answered '$code', not 200"
}

# --- wrk ----------------------------------------------------------------------------------------

MIXES=(trace forwarded)
VARIANTS=(serve off tower-http)

"$BIN/soak" --emit-wrk-lua "$WORK/trace.lua" 2>"$WORK/trace.lua.log"
"$BIN/soak" --emit-wrk-lua "$WORK/forwarded.lua" --forwarded-only 2>"$WORK/forwarded.lua.log"
MIX_NOTE_trace=$(sed 's/^soak: wrote [^:]*: //' "$WORK/trace.lua.log")
MIX_NOTE_forwarded=$(sed 's/^soak: wrote [^:]*: //' "$WORK/forwarded.lua.log")

# A wrk latency (`615.00us`, `2.28ms`, `1.02s`) in microseconds.
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
        else if (v ~ /m$/) print n * 60e6; else if (v ~ /s$/) print n * 1e6; else print n }'
}

declare -A RPS P50 P99 RSS NON2XX ERRORS TOTAL

# One wrk run of mix $1 against variant $2.
measure() {
    local mix=$1 variant=$2 out="$WORK/wrk.out"
    start_proxy "$variant" "$POLICY"
    if ((WARMUP_SECONDS > 0)); then
        wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP_SECONDS}s" -s "$WORK/$mix.lua" \
            "http://$PROXY_ADDR/" >/dev/null
    fi
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/$mix.lua" \
        "http://$PROXY_ADDR/" >"$out" || die "wrk failed against $variant: $(cat "$out")"
    local rss rps p50 p99 total non2xx errors
    rss=$(rss_kib "$PROXY_PID")
    stop "$PROXY_PID"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    p50=$(awk '$1 == "50%" { print $2 }' "$out")
    p99=$(awk '$1 == "99%" { print $2 }' "$out")
    total=$(awk '/ requests in / { print $1 }' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    errors=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
    [[ -n "$rps" && -n "$p50" && -n "$p99" && -n "$total" ]] || die "cannot read wrk's output: $(cat "$out")"
    local key="$mix/$variant"
    RPS[$key]+="$rps "
    P50[$key]+="$(to_us "$p50") "
    P99[$key]+="$(to_us "$p99") "
    RSS[$key]+="$rss "
    NON2XX[$key]=$((${NON2XX[$key]:-0} + ${non2xx:-0}))
    TOTAL[$key]=$((${TOTAL[$key]:-0} + total))
    ERRORS[$key]=$((${ERRORS[$key]:-0} + ${errors:-0}))
    log "$mix $variant: $rps requests/s, p50 $p50, p99 $p99, RSS $rss KiB, non-2xx ${non2xx:-0}, socket errors ${errors:-0}"
}

median() {
    printf '%s\n' $1 | sort -g | awk '{ a[NR] = $1 } END {
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

for ((round = 0; round < ROUNDS; round++)); do
    for mix in "${MIXES[@]}"; do
        for ((k = 0; k < ${#VARIANTS[@]}; k++)); do
            variant=${VARIANTS[$(((k + round) % ${#VARIANTS[@]}))]}
            log "round $((round + 1))/$ROUNDS: $mix, $variant"
            measure "$mix" "$variant"
        done
    done
done

# --- instructions -------------------------------------------------------------------------------

declare -A IR
if ((ICOUNT_SECONDS > 0)); then
    if command -v valgrind >/dev/null 2>&1 && command -v callgrind_control >/dev/null 2>&1; then
        WAIT_STEPS=1200
        for mix in "${MIXES[@]}"; do
            for variant in "${VARIANTS[@]}"; do
                cg="$WORK/callgrind-$mix-$variant.out"
                PROXY_WRAP=(valgrind --tool=callgrind "--callgrind-out-file=$cg")
                log "instructions: $mix, $variant (under callgrind)"
                start_proxy "$variant" "$POLICY"
                wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s -s "$WORK/$mix.lua" "http://$PROXY_ADDR/" >/dev/null
                callgrind_control -z "$PROXY_PID" >/dev/null 2>&1 || die "callgrind_control -z $PROXY_PID failed"
                wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${ICOUNT_SECONDS}s" -s "$WORK/$mix.lua" \
                    "http://$PROXY_ADDR/" >"$WORK/wrk.out" || die "wrk failed against $variant under callgrind"
                callgrind_control -d "$PROXY_PID" >/dev/null 2>&1 || die "callgrind_control -d $PROXY_PID failed"
                stop "$PROXY_PID"
                # The dump of `-d` is the first numbered part.
                ir=$(awk '/^summary:/ { print $2; exit }' "$cg.1" 2>/dev/null || true)
                n=$(awk '/ requests in / { print $1 }' "$WORK/wrk.out")
                [[ -n "$ir" && -n "$n" && "$n" -gt 0 ]] || die "cannot read the instruction count of $variant ($cg.1)"
                IR[$mix/$variant]=$(awk -v ir="$ir" -v n="$n" 'BEGIN { printf "%.0f", ir / n }')
                log "$mix $variant: ${IR[$mix/$variant]} instructions per request ($n requests)"
                rm -f "$cg" "$cg".*
            done
        done
        PROXY_WRAP=()
        WAIT_STEPS=200
    else
        log "valgrind or callgrind_control not found: no instruction counts"
        ICOUNT_SECONDS=0
    fi
fi

# --- soak ---------------------------------------------------------------------------------------

SOAK_POLICY="$WORK/soak-policy.toml"
cp "$POLICY" "$SOAK_POLICY"
start_proxy serve "$SOAK_POLICY" --watch-interval 50ms
SOAK_PROXY_PID=$PROXY_PID
SOAK_ADMIN=$(admin_address "$PROXY_LOG")
log "soak: ${SOAK_SECONDS}s against corsmatch serve at $PROXY_ADDR, policy rewritten every 100 ms"
SOAK_CMD=(soak --target "http://$PROXY_ADDR" --policy corpus/policies/saas.toml --seconds "$SOAK_SECONDS"
    --reload-every 100 --reload-file "$SOAK_POLICY" --pid "$SOAK_PROXY_PID")
set +e
"$BIN/${SOAK_CMD[0]}" "${SOAK_CMD[@]:1}" >"$WORK/soak.out" 2>"$WORK/soak.err"
SOAK_STATUS=$?
set -e
SOAK_SUMMARY=$(grep '^soak:' "$WORK/soak.out" || true)
[[ -n "$SOAK_SUMMARY" ]] || SOAK_SUMMARY="soak: no summary (exit status $SOAK_STATUS)"
if ((SOAK_STATUS != 0)); then
    log "the soak failed (exit status $SOAK_STATUS):"
    cat "$WORK/soak.err" >&2
fi
RELOADS_OK=$(curl -s "http://$SOAK_ADMIN/metrics" | awk '/^corsmatch_policy_reloads_total\{result="ok"\}/ { print $2 }' || true)
RELOADS_FAILED=$(curl -s "http://$SOAK_ADMIN/metrics" | awk '/^corsmatch_policy_reloads_total\{result="failed"\}/ { print $2 }' || true)
kill -0 "$SOAK_PROXY_PID" 2>/dev/null || { log "corsmatch serve died during the soak"; SOAK_STATUS=1; }
stop "$SOAK_PROXY_PID"
stop "$UPSTREAM_PID"

# --- report -------------------------------------------------------------------------------------

# The range of the numbers $1, ` (min–max)`; nothing for one number.
spread() {
    printf '%s\n' $1 | sort -g | awk 'NR == 1 { min = $1 } { max = $1 }
        END { if (NR > 1) printf " (%.0f–%.0f)", min, max }'
}

# The change of the throughputs $1 against $2 (the same rounds, in order), in percent: the median
# of the rounds' ratios, and their range when there are several rounds. With $3 = loss, the loss
# (1 - $1 / $2) instead of the change.
paired() {
    local ratios sign=1
    [[ "${3-}" == loss ]] && sign=-1
    ratios=$(paste -d' ' <(printf '%s\n' $1) <(printf '%s\n' $2) |
        awk -v sign="$sign" '{ printf "%.4f\n", sign * ($1 / $2 - 1) * 100 }')
    printf '%s\n' "$ratios" | sort -g | awk -v med="$(median "$ratios")" '
        NR == 1 { min = $1 } { max = $1 }
        END { if (NR > 1) printf "%+.1f%% (%+.1f … %+.1f)", med, min, max; else printf "%+.1f%%", med }'
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "### Proxy under load"
echo
echo "\`bash benches/load.sh$( ((SMOKE)) && echo ' --smoke') --seconds $SECONDS_PER_RUN --rounds $ROUNDS --soak-seconds $SOAK_SECONDS --connections $CONNECTIONS --proxy-threads $PROXY_THREADS\`"
echo "on ${CPU:-an unknown CPU}, $(nproc) cores; $(rustc --version | cut -d' ' -f1-2); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2 || true);"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown). wrk: $WRK_THREADS thread, $CONNECTIONS keep-alive connections,"
echo "${SECONDS_PER_RUN} s per run$( ((WARMUP_SECONDS)) && echo " after a ${WARMUP_SECONDS} s warm-up"); each proxy $PROXY_THREADS worker thread(s), the upstream 1; medians of $ROUNDS round(s),"
echo "variants interleaved. RSS: the proxy's VmRSS after the run."
echo
echo "- \`trace\`: $MIX_NOTE_trace"
echo "- \`forwarded\`: $MIX_NOTE_forwarded"
echo
echo "| mix | proxy | requests/s (range) | vs off | p50 | p99 | RSS | non-2xx | socket errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for mix in "${MIXES[@]}"; do
    for variant in "${VARIANTS[@]}"; do
        key="$mix/$variant"
        name=$variant
        [[ $variant == serve ]] && name="corsmatch serve"
        [[ $variant == off ]] && name="no CORS (off)"
        [[ $variant == tower-http ]] && name="tower-http 0.7"
        vs_off="="
        [[ $variant == off ]] || vs_off=$(paired "${RPS[$key]}" "${RPS[$mix/off]}")
        share=$(awk -v n="${NON2XX[$key]}" -v t="${TOTAL[$key]}" 'BEGIN { printf "%.1f%%", t ? n * 100 / t : 0 }')
        printf '| %s | %s | %.0f%s | %s | %s | %s | %s MiB | %s | %s |\n' "$mix" "$name" \
            "$(median "${RPS[$key]}")" "$(spread "${RPS[$key]}")" "$vs_off" \
            "$(ms "$(median "${P50[$key]}")")" "$(ms "$(median "${P99[$key]}")")" \
            "$(awk -v k="$(median "${RSS[$key]}")" 'BEGIN { printf "%.1f", k / 1024 }')" \
            "$share" "${ERRORS[$key]}"
    done
done
echo
cost=$(paired "${RPS[forwarded/serve]}" "${RPS[forwarded/off]}" loss)
echo "CORS cost of \`corsmatch serve\` (\`forwarded\` mix, throughput lost against the proxy without CORS):"
echo "**${cost}** (target: at most 3%)."
echo
echo "\`corsmatch serve\` against tower-http 0.7: $(paired "${RPS[forwarded/serve]}" "${RPS[forwarded/tower-http]}") requests/s on \`forwarded\`,"
echo "$(paired "${RPS[trace/serve]}" "${RPS[trace/tower-http]}") on \`trace\`."
if ((ROUNDS > 1)); then
    echo
    echo "Changes and costs are the median over the rounds of each round's own ratio (the variants of a"
    echo "round run back to back), with their range in parentheses; requests/s with their range too."
fi
echo
if ((ICOUNT_SECONDS > 0)); then
    echo "Instructions per request of the proxy process (callgrind, counters zeroed after a 2 s warm-up,"
    echo "then wrk for ${ICOUNT_SECONDS} s, same connections; one run, repeatable within a fraction of a percent):"
    echo
    echo "| mix | corsmatch serve | no CORS (off) | tower-http 0.7 |"
    echo "|---|---:|---:|---:|"
    for mix in "${MIXES[@]}"; do
        rel() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }
        printf '| %s | %s (%s) | %s | %s (%s) |\n' "$mix" \
            "${IR[$mix/serve]}" "$(rel "${IR[$mix/serve]}" "${IR[$mix/off]}")" "${IR[$mix/off]}" \
            "${IR[$mix/tower-http]}" "$(rel "${IR[$mix/tower-http]}" "${IR[$mix/off]}")"
    done
    echo
    echo "CORS cost of \`corsmatch serve\` in instructions (\`forwarded\`): **$(awk -v a="${IR[forwarded/serve]}" -v b="${IR[forwarded/off]}" 'BEGIN { printf "%.1f%%", (a / b - 1) * 100 }')**"
    echo "($((IR[forwarded/serve] - IR[forwarded/off])) instructions per request; tower-http 0.7: $((IR[forwarded/tower-http] - IR[forwarded/off])))."
    echo
fi
SOAK_SHOWN=$(echo "${SOAK_CMD[*]}" | sed -e "s|$SOAK_POLICY|COPY|" -e "s|http://$PROXY_ADDR|http://PROXY|" -e "s|--pid $SOAK_PROXY_PID|--pid PROXY_PID|")
echo "Soak: \`$SOAK_SHOWN\` against \`corsmatch serve --policy COPY --watch-interval 50ms\`"
echo "(the proxy's reloads: ${RELOADS_OK:-?} ok, ${RELOADS_FAILED:-?} failed):"
echo
echo "    $SOAK_SUMMARY"
echo
exit "$SOAK_STATUS"

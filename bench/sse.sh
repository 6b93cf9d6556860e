#!/usr/bin/env bash
# bench/sse.sh: invocations streamed as server-sent events (Accept:
# text/event-stream: a header event, a log event per console line, the
# message) as a ratio against plain invocations of the same function on
# the same gateway, measured in the same run (interleaved rounds).
#
# What it does
#   Builds scriptforge and bench/loadgen, starts one `scriptforge serve`
#   (ISOLATION, default process) on a free 127.0.0.1 port, deploys the
#   trivial App with one console.log per call (LOG_LINES of them), checks
#   that a streamed call ends with its message, and runs loadgen against
#   it with and without Accept: text/event-stream, alternating which goes
#   first, ROUNDS times. The ratio is streamed rps ÷ plain rps per round;
#   the target is ≥ 0.90 (a stream costs no more than 10 %). Throughput
#   on a shared machine moves with its other load, so the CPU time the
#   gateway and its sandboxes spent per call is measured too (as in
#   tracing.sh): plain CPU per call ÷ streamed CPU per call.
#
#   COALESCE sets the gateway's --sse-coalesce (default: serve's own).
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 ISOLATION=process LOG_LINES=1 COALESCE= PIN=0
set -euo pipefail
LOG_LINES=${LOG_LINES:-1}
BENCH_NAME=sse.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

[[ $LOG_LINES =~ ^[0-9]+$ ]] || die "LOG_LINES takes a number"
APP_SOURCE="export function main(data) { for (let i = 0; i < $LOG_LINES; i++) console.log(\"call\", data.n, i); return {ok: true, n: data.n} }"
export APP_SOURCE
build ./cmd/scriptforge ./bench/loadgen
start_gateway gw --isolation "$ISOLATION" ${COALESCE:+--sse-coalesce "$COALESCE"}
uuid=$(deploy_app "$gw_url" bench_sse)
url="$gw_url/v1/fn/$uuid"
check=$(curl -fsS -X POST -H 'Content-Type: application/json' -H 'Accept: text/event-stream' -d "$body" "$url") || die "streaming a call failed"
[[ $check == *'event: header'* && $check == *'event: message'* ]] || die "unexpected stream: $check"
((LOG_LINES == 0)) || [[ $check == *'event: log'* ]] || die "no log event in the stream: $check"

declare -A rps_of p99_of rps_all cpu_of
failed=0
ratios=() cpu_ratios=()
echo "streamed (text/event-stream) vs plain invocations, $LOG_LINES console line(s) a call, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s %11s\n' round target rps p50_ms p99_ms errors non2xx cpu_us/call
for ((r = 1; r <= ROUNDS; r++)); do
	order=(plain sse)
	((r % 2 == 0)) && order=(sse plain)
	for t in "${order[@]}"; do
		headers=()
		[[ $t == sse ]] && headers=(--header "Accept:text/event-stream")
		measured_round "$r" "$t" "$gw_pid" --url "$url" --body "$body" ${headers[@]+"${headers[@]}"} \
			--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	done
	ratios+=("$(ratio "${rps_of[sse]}" "${rps_of[plain]}")")
	cpu_ratios+=("$(ratio "${cpu_of[plain]}" "${cpu_of[sse]}")")
done
echo "plain CPU per call ÷ streamed CPU per call: median $(median "${cpu_ratios[@]}") (rounds: ${cpu_ratios[*]})"
# shellcheck disable=SC2086 # the lists are meant to split
echo "streamed rps ÷ plain rps: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 streamed $(median ${p99_of[sse]}) ms, plain $(median ${p99_of[plain]}) ms"
# For bench/run, which may run this script and read this line.
echo "result: ratio=$(median "${ratios[@]}") cpu_ratio=$(median "${cpu_ratios[@]}") sse_rps=$(median ${rps_all[sse]}) plain_rps=$(median ${rps_all[plain]}) sse_p99_ms=$(median ${p99_of[sse]}) plain_p99_ms=$(median ${p99_of[plain]}) failed=$failed"

#!/usr/bin/env bash
# bench/cancel.sh: what watching for disconnects costs plain invocations.
# A run's client connection is watched while it runs, so that a client
# that goes away cancels its run (gateway/disconnect.go); this measures
# the trivial App on a gateway that watches (the default) as a ratio
# against the same on a gateway started with --watch-disconnects=false,
# in the same run (interleaved rounds; only one gateway is under load at
# a time).
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 ISOLATION=inprocess PIN=0
# (in process by default: the cheapest invocation, where a fixed cost per
# call shows most).
set -euo pipefail
ISOLATION=${ISOLATION:-inprocess}
BENCH_NAME=cancel.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

build ./cmd/scriptforge ./bench/loadgen
start_gateway on --isolation "$ISOLATION"
on_url=$gw_url
start_gateway off --isolation "$ISOLATION" --watch-disconnects=false
off_url=$gw_url
declare -A url_of=([on]=$on_url/v1/fn/$(deploy_app "$on_url" bench_on) [off]=$off_url/v1/fn/$(deploy_app "$off_url" bench_off))

declare -A rps_of p99_of rps_all
failed=0
ratios=()
echo "disconnect watch on vs off, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s\n' round watch rps p50_ms p99_ms errors non2xx
for ((r = 1; r <= ROUNDS; r++)); do
	order=(off on)
	((r % 2 == 0)) && order=(on off)
	for t in "${order[@]}"; do
		start_loadgen "$work/out.json" --url "${url_of[$t]}" --body "$body" \
			--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
		wait_loadgen "$lg_pid"
		take_round "$r" "$t"
	done
	ratios+=("$(ratio "${rps_of[on]}" "${rps_of[off]}")")
done
# shellcheck disable=SC2086 # the lists are meant to split
echo "watch on rps ÷ off rps: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 on $(median ${p99_of[on]}) ms, off $(median ${p99_of[off]}) ms"
echo "result: ratio=$(median "${ratios[@]}") on_rps=$(median ${rps_all[on]}) off_rps=$(median ${rps_all[off]}) on_p99_ms=$(median ${p99_of[on]}) off_p99_ms=$(median ${p99_of[off]}) failed=$failed"

#!/usr/bin/env bash
# bench/redislimit.sh: what deciding the fair-usage limits in Redis costs,
# as the throughput of a gateway started with --redis-url against the same
# gateway with its limits in memory, measured in the same run (interleaved
# rounds).
#
# What it does
#   Builds scriptforge and bench/loadgen, starts two `scriptforge serve`
#   (ISOLATION, default process) on free 127.0.0.1 ports:
#     - local: limits in the gateway's memory (the default);
#     - redis: --redis-url REDIS_URL, under a key prefix of this run's own;
#   both with the tenant's rate, CPU budget and concurrency cap on but far
#   above the load (so every call asks Redis: the tenant's bucket, the CPU
#   budget and a concurrency slot before the run, in one script call; the
#   CPU charge and the slot's release after it, in the background),
#   deploys the trivial App (bench/lib.sh's) on each, checks
#   that the redis gateway shares its limits (scriptforge_ratelimit_shared
#   is 1, before and after), and runs loadgen on both, alternating, ROUNDS
#   times. The ratio is redis rps ÷ local rps per round.
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 ISOLATION=process PIN=0
#        REDIS_URL=redis://127.0.0.1:6379/0
set -euo pipefail
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
BENCH_NAME=redislimit.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

# Limits on, far above what two cores can serve: they are asked, never refuse.
limits=(--tenant-rate 1000000 --tenant-burst 1000000 --tenant-cpu-ms 1000000 --tenant-concurrency 10000)
build ./cmd/scriptforge ./bench/loadgen
start_gateway local --isolation "$ISOLATION" "${limits[@]}"
local_url=$gw_url local_pid=$gw_pid
start_gateway redis --isolation "$ISOLATION" "${limits[@]}" --redis-url "$REDIS_URL" --redis-prefix "sfbench:$$:"
redis_url=$gw_url redis_pid=$gw_pid
[[ $(metric "$redis_url" scriptforge_ratelimit_shared) == 1 ]] || die "the redis gateway does not share its limits: is Redis up at $REDIS_URL?"
local_app=$(deploy_app "$local_url" bench_local)
redis_app=$(deploy_app "$redis_url" bench_redis)

declare -A rps_of p99_of rps_all cpu_of
failed=0
ratios=() cpu_ratios=()
echo "redis limits vs local limits, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s %11s\n' round target rps p50_ms p99_ms errors non2xx cpu_us/call
for ((r = 1; r <= ROUNDS; r++)); do
	order=(local redis)
	((r % 2 == 0)) && order=(redis local)
	for t in "${order[@]}"; do
		if [[ $t == local ]]; then
			url=$local_url/v1/fn/$local_app pid=$local_pid
		else
			url=$redis_url/v1/fn/$redis_app pid=$redis_pid
		fi
		# The gateway's CPU only: Redis's own is not counted.
		measured_round "$r" "$t" "$pid" --url "$url" --body "$body" \
			--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	done
	ratios+=("$(ratio "${rps_of[redis]}" "${rps_of[local]}")")
	cpu_ratios+=("$(ratio "${cpu_of[local]}" "${cpu_of[redis]}")")
done
[[ $(metric "$redis_url" scriptforge_ratelimit_shared) == 1 && $(metric "$redis_url" scriptforge_ratelimit_fallback_total) == 0 ]] ||
	die "the redis gateway fell back to local limits during the run: the figures are not Redis's"
echo "local CPU per call ÷ redis CPU per call: median $(median "${cpu_ratios[@]}") (rounds: ${cpu_ratios[*]})"
# shellcheck disable=SC2086 # the lists are meant to split
echo "redis rps ÷ local rps: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 redis $(median ${p99_of[redis]}) ms, local $(median ${p99_of[local]}) ms"
# For bench/run, which may run this script and read this line.
echo "result: ratio=$(median "${ratios[@]}") cpu_ratio=$(median "${cpu_ratios[@]}") redis_rps=$(median ${rps_all[redis]}) local_rps=$(median ${rps_all[local]}) redis_p99_ms=$(median ${p99_of[redis]}) local_p99_ms=$(median ${p99_of[local]}) failed=$failed"

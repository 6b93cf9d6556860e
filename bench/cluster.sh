#!/usr/bin/env bash
# bench/cluster.sh: what a second gateway adds, as the throughput of two
# gateways sharing one PostgreSQL and one Redis against one such gateway
# alone, measured in the same run (interleaved rounds), on this machine.
#
# What it does
#   Builds scriptforge and bench/loadgen, makes a PostgreSQL schema of its
#   own (dropped at the end), starts two `scriptforge serve` (ISOLATION,
#   default process) with --database-url (that schema) and --redis-url
#   (a key prefix of its own), with the tenant's limits on but far above
#   the load, deploys the trivial App through the first and checks the
#   second serves it. Then, ROUNDS times, alternating:
#     - one: loadgen at CONCURRENCY against gateway A alone;
#     - two: two loadgens at CONCURRENCY/2 each, one per gateway, at once.
#   The ratio is two's summed rps ÷ one's rps. On one machine both
#   gateways share its cores, so this shows what clustering costs and
#   whether the shared store and limiter hold two gateways back, not what
#   two machines would give.
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 ISOLATION=process PIN=0
#        PG_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable
#        REDIS_URL=redis://127.0.0.1:6379/0
set -euo pipefail
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
BENCH_NAME=cluster.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

pg_schema cluster

limits=(--tenant-rate 1000000 --tenant-burst 1000000 --tenant-cpu-ms 1000000 --tenant-concurrency 10000)
shared=(--database-url "$db_url" --redis-url "$REDIS_URL" --redis-prefix "sfbench:$$:")
build ./cmd/scriptforge ./bench/loadgen
start_gateway a --isolation "$ISOLATION" "${limits[@]}" "${shared[@]}"
a_url=$gw_url a_pid=$gw_pid
start_gateway b --isolation "$ISOLATION" "${limits[@]}" "${shared[@]}"
b_url=$gw_url b_pid=$gw_pid
uuid=$(deploy_app "$a_url" bench_cluster)
check=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$b_url/v1/fn/$uuid") || die "gateway B does not serve what A deployed"
[[ $check == *'"ok":true'* ]] || die "unexpected answer from B: $check"

declare -A rps_of p99_of rps_all cpu_of
failed=0
ratios=()
half=$((CONCURRENCY / 2))
echo "two gateways vs one, PostgreSQL + Redis, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s\n' round target rps p50_ms p99_ms errors non2xx
for ((r = 1; r <= ROUNDS; r++)); do
	order=(one two)
	((r % 2 == 0)) && order=(two one)
	for t in "${order[@]}"; do
		flags=(--body "$body" --duration "$DURATION" --warmup "$WARMUP")
		if [[ $t == one ]]; then
			start_loadgen "$work/out.json" --url "$a_url/v1/fn/$uuid" --concurrency "$CONCURRENCY" "${flags[@]}"
			wait_loadgen "$lg_pid"
			take_round "$r" one
			continue
		fi
		start_loadgen "$work/a.json" --url "$a_url/v1/fn/$uuid" --concurrency "$half" "${flags[@]}"
		lg_a=$lg_pid
		start_loadgen "$work/b.json" --url "$b_url/v1/fn/$uuid" --concurrency "$half" "${flags[@]}"
		wait_loadgen "$lg_a"
		wait_loadgen "$lg_pid"
		for g in a b; do
			cp "$work/$g.json" "$work/out.json"
			take_round "$r" "two:$g"
		done
		rps_of[two]=$(awk -v a="${rps_of[two:a]}" -v b="${rps_of[two:b]}" 'BEGIN { printf "%.1f", a + b }')
		rps_all[two]+=" ${rps_of[two]}"
	done
	ratios+=("$(ratio "${rps_of[two]}" "${rps_of[one]}")")
done
for u in "$a_url" "$b_url"; do
	[[ $(metric "$u" scriptforge_ratelimit_shared) == 1 && $(metric "$u" scriptforge_ratelimit_fallback_total) == 0 ]] ||
		die "$u fell back to local limits during the run: the figures are not the cluster's"
done
# shellcheck disable=SC2086 # the lists are meant to split
echo "two gateways' rps ÷ one gateway's rps: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 one $(median ${p99_of[one]}) ms, two $(median ${p99_of[two:a]} ${p99_of[two:b]}) ms"
# For bench/run, which may run this script and read this line.
# shellcheck disable=SC2086
echo "result: ratio=$(median "${ratios[@]}") two_rps=$(median ${rps_all[two]}) one_rps=$(median ${rps_all[one]}) failed=$failed"

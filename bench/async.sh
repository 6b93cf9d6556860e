#!/usr/bin/env bash
# bench/async.sh: async accept throughput (202s per second, Prefer:
# respond-async) as a ratio against synchronous invocations of the same
# function, on the same gateway, measured in the same run (interleaved
# rounds).
#
# What it does
#   Builds scriptforge and bench/loadgen, starts one `scriptforge serve`
#   (ISOLATION, default process) with --async-workers -1, so it only
#   accepts: each 202 is the lookup, admission, the input checks and one
#   durable (fsynced) insert into the queue; the runs are not made, so the
#   rate is the accept path's alone. The depth bounds are raised out of
#   the way. Deploys the trivial App (bench/lib.sh's), checks one 202, and
#   runs loadgen on it, sync and async alternating, ROUNDS times. The ratio
#   is async rps ÷ sync rps per round. The queue grows across rounds, and
#   each accept counts the queued runs for the depth bound: later rounds
#   accept against a deeper queue.
#
# Then the time from accept to callback: a second gateway with its queue
# workers (and loopback allowed to callbacks, as to fetch), and
# bench/callbacklat sending CALLS async calls at RATE per second with a
# callback URL it serves; p50 and p99 from each 202 to its callback.
#
# STORE=postgres puts each gateway on a new schema of its own on PG_URL
# (the PostgreSQL store) instead of SQLite in its data dir.
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 ISOLATION=process PIN=0
#        CALLS=500 RATE=200 STORE=sqlite
#        PG_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable
set -euo pipefail
BENCH_NAME=async.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-500}
RATE=${RATE:-200}
STORE=${STORE:-sqlite}
# use_store NAME sets $store to the flags that put gateway NAME on STORE.
use_store() {
	case $STORE in
	sqlite) store=() ;;
	postgres) pg_schema "$1" && store=(--database-url "$db_url") ;;
	*) die "STORE is sqlite or postgres, not $STORE" ;;
	esac
}
build ./cmd/scriptforge ./bench/loadgen ./bench/callbacklat
use_store gw
start_gateway gw ${store[@]+"${store[@]}"} --isolation "$ISOLATION" --async-workers -1 --async-max-tenant-depth 100000000 --async-max-depth 100000000
uuid=$(deploy_app "$gw_url" bench_async)
check=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -H 'Prefer: respond-async' -d "$body" "$gw_url/v1/fn/$uuid")
[[ $check == 202 ]] || die "an async call was answered $check, not 202"

declare -A rps_of p99_of rps_all
failed=0
ratios=()
echo "async accept vs sync, $STORE store, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s\n' round target rps p50_ms p99_ms errors non2xx
for ((r = 1; r <= ROUNDS; r++)); do
	order=(sync async)
	((r % 2 == 0)) && order=(async sync)
	for t in "${order[@]}"; do
		extra=()
		[[ $t == async ]] && extra=(--header "Prefer:respond-async")
		start_loadgen "$work/out.json" --url "$gw_url/v1/fn/$uuid" --body "$body" "${extra[@]}" \
			--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
		wait_loadgen "$lg_pid"
		take_round "$r" "$t"
	done
	ratios+=("$(awk -v a="${rps_of[async]}" -v s="${rps_of[sync]}" 'BEGIN { printf "%.3f", s ? a / s : 0 }')")
done
# shellcheck disable=SC2086 # the lists are meant to split
echo "async accepts/s ÷ sync calls/s: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 async $(median ${p99_of[async]}) ms, sync $(median ${p99_of[sync]}) ms"
echo "result: ratio=$(median "${ratios[@]}") async_rps=$(median ${rps_all[async]}) sync_rps=$(median ${rps_all[sync]}) async_p99_ms=$(median ${p99_of[async]}) sync_p99_ms=$(median ${p99_of[sync]}) failed=$failed"

stop_server "$gw_pid"
use_store cb
start_gateway cb ${store[@]+"${store[@]}"} --isolation "$ISOLATION" --fetch-allow 127.0.0.1/32
cb_uuid=$(deploy_app "$gw_url" bench_callback)
curl -fsS -X POST -H "Authorization: Bearer $KEY" "$gw_url/v1/callback-secret" >/dev/null || die "no callback secret"
lat=$("$work/callbacklat" --url "$gw_url/v1/fn/$cb_uuid" --n "$CALLS" --rate "$RATE") || die "callbacklat failed"
echo "accept → callback, $CALLS calls at $RATE/s: $lat"
echo "result: callback_p50_ms=$(field "$lat" p50_ms) callback_p99_ms=$(field "$lat" p99_ms) refused=$(field "$lat" refused)"

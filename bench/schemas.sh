#!/usr/bin/env bash
# bench/schemas.sh: invocations of a function with an input and an output
# JSON Schema, as a ratio against the same function without them, on the
# same gateway, measured in the same run (interleaved rounds).
#
# What it does
#   Builds scriptforge and bench/loadgen, starts one `scriptforge serve`
#   (ISOLATION, default process) on a free 127.0.0.1 port, deploys the
#   trivial App (bench/lib.sh's) twice:
#     - plain: no schemas;
#     - typed: an input_schema the body matches (an object with an integer
#       n, nothing else) and an output_schema the result matches (ok, n),
#       so every call is validated twice and passes;
#   checks that the typed one refuses a body that breaks its schema (400
#   invalid_input), and runs loadgen on both, alternating, ROUNDS times.
#   The ratio is typed rps ÷ plain rps per round; the target is ≥ 0.90.
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 ISOLATION=process PIN=0
set -euo pipefail
BENCH_NAME=schemas.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

build ./cmd/scriptforge ./bench/loadgen
start_gateway gw --isolation "$ISOLATION"
plain=$(deploy_app "$gw_url" bench_plain)
input='{"type":"object","required":["n"],"properties":{"n":{"type":"integer","minimum":0}},"additionalProperties":false}'
output='{"type":"object","required":["ok","n"],"properties":{"ok":{"type":"boolean"},"n":{"type":"integer"}}}'
req=$(printf '%s' "${APP_SOURCE:-$default_app}" | python3 -c '
import json, sys
print(json.dumps({"name": "bench_typed", "type": "app", "source": sys.stdin.read(),
                  "input_schema": json.loads(sys.argv[1]), "output_schema": json.loads(sys.argv[2])}))' "$input" "$output")
typed=$(create_function "$gw_url" "$req")
check=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$gw_url/v1/fn/$typed") || die "invoking the typed App failed"
[[ $check == *'"ok":true'* ]] || die "unexpected typed answer: $check"
refused=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"n":"x"}' "$gw_url/v1/fn/$typed")
[[ $refused == 400 ]] || die "the typed App took a body that breaks its input_schema: HTTP $refused"

declare -A rps_of p99_of rps_all cpu_of
failed=0
ratios=() cpu_ratios=()
echo "schemas on vs off, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s %11s\n' round target rps p50_ms p99_ms errors non2xx cpu_us/call
for ((r = 1; r <= ROUNDS; r++)); do
	order=(plain typed)
	((r % 2 == 0)) && order=(typed plain)
	for t in "${order[@]}"; do
		uuid=$plain
		[[ $t == typed ]] && uuid=$typed
		measured_round "$r" "$t" "$gw_pid" --url "$gw_url/v1/fn/$uuid" --body "$body" \
			--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	done
	ratios+=("$(ratio "${rps_of[typed]}" "${rps_of[plain]}")")
	cpu_ratios+=("$(ratio "${cpu_of[plain]}" "${cpu_of[typed]}")")
done
echo "plain CPU per call ÷ typed CPU per call: median $(median "${cpu_ratios[@]}") (rounds: ${cpu_ratios[*]})"
# shellcheck disable=SC2086 # the lists are meant to split
echo "typed rps ÷ plain rps: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 typed $(median ${p99_of[typed]}) ms, plain $(median ${p99_of[plain]}) ms"
# For bench/run, which may run this script and read this line.
echo "result: ratio=$(median "${ratios[@]}") cpu_ratio=$(median "${cpu_ratios[@]}") typed_rps=$(median ${rps_all[typed]}) plain_rps=$(median ${rps_all[plain]}) typed_p99_ms=$(median ${p99_of[typed]}) plain_p99_ms=$(median ${p99_of[plain]}) failed=$failed"

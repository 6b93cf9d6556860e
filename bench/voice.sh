#!/usr/bin/env bash
# bench/voice.sh: voice webhooks per second, as a ratio against one plain
# invocation of the trivial App on the same gateway, measured in the same
# run (interleaved rounds).
#
# What it does
#   Builds scriptforge and bench/loadgen, starts one `scriptforge serve`
#   (ISOLATION, default process) on a free 127.0.0.1 port, deploys
#     - the trivial App (bench/lib.sh's), called at POST /v1/fn/<uuid>;
#     - an IVR-like voice App that reads and writes ctx.call.state and
#       answers a say and a gather, called at POST /v1/voice/<uuid> with a
#       Twilio-style form event and an X-Twilio-Signature-free setup (no
#       signing secret: the HMAC costs microseconds, the state write is
#       what matters);
#   and runs loadgen on both, alternating, ROUNDS times. The voice calls
#   are spread round robin over CALLS call ids (the call id is in each
#   URL's query): one call's events run one at a time by design, so a
#   single call id would measure that, not the gateway. Every voice event
#   is a state read, a run and a durable state write.
#
# Knobs: ROUNDS=2 DURATION=5s WARMUP=1s CONCURRENCY=32 CALLS=1000 ISOLATION=process PIN=0
set -euo pipefail
ROUNDS=${ROUNDS:-2}
CALLS=${CALLS:-1000}
BENCH_NAME=voice.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

build ./cmd/scriptforge ./bench/loadgen
start_gateway gw --isolation "$ISOLATION"
plain=$(deploy_app "$gw_url" bench_app)
voice_src='import { VoiceResponse } from "voice";
export async function main(data, ctx) {
  const s = ctx.call.state
  s.events = (s.events || 0) + 1
  s.last = data.call.digits
  const r = new VoiceResponse()
  r.say("You pressed " + data.call.digits, {voice: "alice"})
  r.gather({numDigits: 1, action: "/menu"}).say("Press 1 for sales")
  return r
}'
req=$(printf '%s' "$voice_src" | python3 -c 'import json,sys; print(json.dumps({"name":"bench_voice","type":"app","source":sys.stdin.read()}))')
vuuid=$(create_function "$gw_url" "$req")
check=$(curl -fsS -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
	-d 'CallStatus=in-progress&Digits=1&From=%2B15551234567&To=%2B15557654321' "$gw_url/v1/voice/$vuuid?CallSid=CAcheck") ||
	die "the voice webhook failed"
[[ $check == *'<Gather'* ]] || die "unexpected voice answer: $check"
for ((i = 0; i < CALLS; i++)); do echo "$gw_url/v1/voice/$vuuid?CallSid=CA$i"; done >"$work/voice.urls"
form='CallStatus=in-progress&Digits=1&From=%2B15551234567&To=%2B15557654321&Direction=inbound'

declare -A rps_of p99_of rps_all
failed=0
ratios=()
echo "voice webhooks vs plain invocations, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, $CALLS call ids, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s\n' round target rps p50_ms p99_ms errors non2xx
for ((r = 1; r <= ROUNDS; r++)); do
	order=(plain voice)
	((r % 2 == 0)) && order=(voice plain)
	for t in "${order[@]}"; do
		if [[ $t == plain ]]; then
			start_loadgen "$work/out.json" --url "$gw_url/v1/fn/$plain" --body "$body" \
				--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
		else
			start_loadgen "$work/out.json" --urls-file "$work/voice.urls" --body "$form" \
				--header "Content-Type:application/x-www-form-urlencoded" \
				--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
		fi
		wait_loadgen "$lg_pid"
		take_round "$r" "$t"
	done
	ratios+=("$(ratio "${rps_of[voice]}" "${rps_of[plain]}")")
done
# shellcheck disable=SC2086 # the lists are meant to split
echo "voice rps ÷ plain invocation rps: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 voice $(median ${p99_of[voice]}) ms, plain $(median ${p99_of[plain]}) ms"
# For bench/run, which runs this script and reads this line.
echo "result: ratio=$(median "${ratios[@]}") voice_rps=$(median ${rps_all[voice]}) plain_rps=$(median ${rps_all[plain]}) voice_p99_ms=$(median ${p99_of[voice]}) failed=$failed"

#!/usr/bin/env bash
# bench/tracing.sh: invocations per second with tracing exported, as a
# ratio against the same invocations on a gateway without an OTLP
# endpoint, measured in the same run (interleaved rounds).
#
# What it does
#   Builds scriptforge, bench/loadgen and bench/otlpsink, starts the sink
#   (an OTLP/HTTP receiver that discards) and two `scriptforge serve`
#   (ISOLATION, default process) on free 127.0.0.1 ports:
#     - traced: --otlp-endpoint at the sink, so every invocation exports a
#       server span and its lookup, admission and run spans (batched);
#     - plain: no endpoint (it still takes and answers traceparent: what
#       every gateway pays);
#   deploys the trivial App (bench/lib.sh's) on each and runs loadgen on
#   both, alternating which goes first, ROUNDS times. TRACEPARENT=1 sends
#   each call with a sampled traceparent, as a traced partner would;
#   without it every call starts a trace (sampled too).
#   The two gateways idle in turn: only the one under load uses the CPUs.
#   SAMPLER and SAMPLER_ARG set the traced gateway's OTEL_TRACES_SAMPLER
#   and OTEL_TRACES_SAMPLER_ARG, e.g. parentbased_traceidratio and 0.1
#   (default: every trace sampled).
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 ISOLATION=process TRACEPARENT=0 SAMPLER= SAMPLER_ARG= PIN=0
set -euo pipefail
TRACEPARENT=${TRACEPARENT:-0}
BENCH_NAME=tracing.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

build ./cmd/scriptforge ./bench/loadgen ./bench/otlpsink
free_port
start_server "$work/sink.log" "$work/otlpsink" --addr "127.0.0.1:$port"
sink_pid=$server_pid
sink_url=http://127.0.0.1:$port
wait_healthy "$sink_url" "$sink_pid" "$work/sink.log"

if [[ -n ${SAMPLER:-} ]]; then
	export OTEL_TRACES_SAMPLER=$SAMPLER OTEL_TRACES_SAMPLER_ARG=${SAMPLER_ARG:-}
fi
start_gateway traced --isolation "$ISOLATION" --otlp-endpoint "$sink_url"
unset OTEL_TRACES_SAMPLER OTEL_TRACES_SAMPLER_ARG
traced_url=$gw_url
declare -A url_of pid_of
pid_of[traced]=$gw_pid
start_gateway plain --isolation "$ISOLATION"
plain_url=$gw_url
pid_of[plain]=$gw_pid
url_of[traced]="$traced_url/v1/fn/$(deploy_app "$traced_url" bench_app)"
url_of[plain]="$plain_url/v1/fn/$(deploy_app "$plain_url" bench_app)"
tp=$(curl -fsS -D - -o /dev/null -X POST -d "$body" "${url_of[traced]}" | tr -d '\r' | sed -n 's/^traceparent: //Ip')
[[ $tp =~ ^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$ ]] || die "no traceparent in the traced gateway's answer: '$tp'"
headers=()
[[ $TRACEPARENT == 1 ]] && headers=(--header "traceparent:00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

# Throughput on a shared machine moves with its other load; the CPU time
# the gateway (and its sandboxes) spent per call moves much less, so it is
# measured too: ticks over the loadgen run ÷ the calls of the run (the
# warm-up counted at the measured rate).
declare -A rps_of p99_of rps_all cpu_of
failed=0
ratios=() cpu_ratios=()
echo "traced (OTLP export) vs plain invocations, $ISOLATION isolation, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, traceparent sent: $TRACEPARENT, sampler ${SAMPLER:-default} ${SAMPLER_ARG:-}, $(nproc) CPUs"
printf '%-8s %-8s %10s %8s %8s %7s %7s %11s\n' round target rps p50_ms p99_ms errors non2xx cpu_us/call
for ((r = 1; r <= ROUNDS; r++)); do
	order=(plain traced)
	((r % 2 == 0)) && order=(traced plain)
	for t in "${order[@]}"; do
		measured_round "$r" "$t" "${pid_of[$t]}" --url "${url_of[$t]}" --body "$body" ${headers[@]+"${headers[@]}"} \
			--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	done
	ratios+=("$(ratio "${rps_of[traced]}" "${rps_of[plain]}")")
	cpu_ratios+=("$(ratio "${cpu_of[plain]}" "${cpu_of[traced]}")")
done
stats=$(curl -fsS "$sink_url/stats")
exports=$(field "$stats" exports)
((exports > 0)) || { echo "  ! the sink received no export"; failed=1; }
# shellcheck disable=SC2086 # the lists are meant to split
echo "plain CPU per call ÷ traced CPU per call: median $(median "${cpu_ratios[@]}") (rounds: ${cpu_ratios[*]})"
echo "traced rps ÷ plain rps: median $(median "${ratios[@]}") (rounds: ${ratios[*]}); p99 traced $(median ${p99_of[traced]}) ms, plain $(median ${p99_of[plain]}) ms; sink: $exports exports, $(field "$stats" bytes) bytes"
# For bench/run, which may run this script and read this line.
echo "result: ratio=$(median "${ratios[@]}") cpu_ratio=$(median "${cpu_ratios[@]}") traced_rps=$(median ${rps_all[traced]}) plain_rps=$(median ${rps_all[plain]}) traced_p99_ms=$(median ${p99_of[traced]}) exports=$exports failed=$failed"

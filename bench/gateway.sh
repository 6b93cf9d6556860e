#!/usr/bin/env bash
# bench/gateway.sh: load benchmark of function invocation, as a ratio
# against a bare fiber server measured in the same run.
#
# What it does
#   Builds scriptforge, bench/barefiber and bench/loadgen into a temp dir,
#   starts the bare server and one `scriptforge serve` per isolation mode
#   in ISOLATION (each with its own port, temp data dir and the same fixed
#   admin key) on free 127.0.0.1 ports, deploys a trivial App
#       export function main(data) { return {ok: true, n: data.n} }
#   to each gateway, and runs the closed-loop loadgen against
#   POST /v1/fn/<uuid> on every target, interleaved over ROUNDS rounds (the
#   order rotates each round) so all targets see the same machine
#   conditions. It prints a table per round and a summary: median rps of
#   each target, for each gateway the median of its per-round ratios
#   gateway/bare, median p99s, and server CPU per request.
#
# Knobs (environment)
#   ROUNDS=3  DURATION=5s  WARMUP=1s  CONCURRENCY=32
#     DURATION and WARMUP take seconds: 5, 5s, 0.5s or 500ms.
#   APP_SOURCE='exports.main = (data) => ({ok: true, n: data.n})' changes the App.
#   ISOLATION=process  where the gateway runs functions: process, inprocess,
#             or both ("process inprocess"; bench/isolation.sh sets this):
#             one gateway per mode, all measured in the same rounds.
#   PIN=0     1 pins the servers to CPU 0 and the loadgen to CPU 1 (taskset):
#             a cleaner split on a 2-core machine, see the note on CPU below.
#
# CPU note: the load generator runs on the same machine and shares its cores
# (2 on the reference machine) with the server under test. All targets pay
# the same client cost per request, but a faster server makes the client
# spend more CPU, so the bare server is held back more than the gateway:
# the ratio is then, if anything, flattering to the gateway. The tables
# show the loadgen's own CPU (% of one core) and each server's CPU per
# request (from /proc, Linux only; for a process-isolation gateway it
# includes its sandbox child processes), which does not depend on that
# sharing; compare the two when the rps ratio looks surprising. PIN=1
# gives each side one core, GOMAXPROCS follows the affinity.
#
# Exit status: 0 on success, 3 when any run saw transport errors or non-2xx
# answers (the figures are printed but should not be trusted), other
# non-zero when the setup failed. All servers are stopped on exit.
set -euo pipefail

ISOLATION=${ISOLATION:-process}
[[ $ISOLATION == both ]] && ISOLATION="process inprocess"
ISOLATION=${ISOLATION//,/ }

BENCH_NAME=${BENCH_NAME:-gateway.sh}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

read -ra modes <<<"$ISOLATION"
((${#modes[@]} > 0)) || die "ISOLATION is empty"
for m in "${modes[@]}"; do
	[[ $m == process || $m == inprocess ]] || die "ISOLATION takes process, inprocess or both, not $m"
done

build ./cmd/scriptforge ./bench/barefiber ./bench/loadgen

# Targets: bare first, then one gateway per isolation mode, named gw-<mode>.
declare -A url pid
start_bare
targets=(bare) gateways=()
url[bare]=$bare_url pid[bare]=$bare_pid
for m in "${modes[@]}"; do
	t=gw-$m
	[[ -v "url[$t]" ]] && die "ISOLATION names $m twice"
	start_gateway "$t" --isolation "$m"
	uuid=$(deploy_app "$gw_url" bench_app)
	url[$t]=$gw_url/v1/fn/$uuid pid[$t]=$gw_pid
	targets+=("$t") gateways+=("$t")
done
# The bare server answers any UUID the same way.
url[bare]=$bare_url/v1/fn/$uuid

row() { printf '%-12s %10s %8s %8s %8s %7s %7s %8s %10s %8s\n' "$@"; }

# run_one TARGET: one loadgen run; prints a row of the table and sets the
# globals rps p99 us_req.
run_one() {
	local t=$1 out c0 c1 srv_cpu errs
	start_loadgen "$work/out.json" --url "${url[$t]}" --body "$body" \
		--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	sleep "$warm_s" # sample the server's CPU over the measured window only
	c0=$(cpu_ticks "${pid[$t]}")
	wait_loadgen "$lg_pid"
	c1=$(cpu_ticks "${pid[$t]}")
	out=$(<"$work/out.json")
	rps=$(field "$out" rps)
	p99=$(field "$out" p99_ms)
	errs=$(($(field "$out" errors) + $(field "$out" non2xx)))
	srv_cpu=$(awk -v t=$((c1 - c0)) -v h="$tck" -v d="$dur_s" 'BEGIN { printf "%.0f", 100 * t / h / d }')
	us_req=$(awk -v t=$((c1 - c0)) -v h="$tck" -v n="$(field "$out" requests)" 'BEGIN { printf "%.1f", n ? 1e6 * t / h / n : 0 }')
	row "$t" "$rps" "$(field "$out" p50_ms)" "$p99" "$(field "$out" max_ms)" "$(field "$out" errors)" \
		"$(field "$out" non2xx)" "$srv_cpu" "$us_req" "$(field "$out" loadgen_cpu_pct)"
	if ((errs > 0)); then
		echo "  ! $t: first error: $(field "$out" first_error)  non-2xx: $(codes "$out"); first: $(field "$out" first_non2xx)"
		failed=1
	fi
}

echo "ScriptForge gateway vs bare fiber: POST /v1/fn/<uuid> $body, concurrency $CONCURRENCY," \
	"$ROUNDS rounds of $DURATION (+$WARMUP warm-up), $(nproc) CPUs, PIN=$PIN, ISOLATION=$ISOLATION, $(go env GOVERSION)"
# Per target, space-separated lists of the per-round figures.
declare -A all_rps all_p99 all_us ratios
failed=0
n=${#targets[@]}
for ((r = 1; r <= ROUNDS; r++)); do
	echo
	echo "round $r/$ROUNDS"
	row target rps p50_ms p99_ms max_ms errors non2xx srv_cpu% srv_us/req lg_cpu%
	# Rotate the order so no target always runs first (with two targets
	# this alternates).
	declare -A this_rps=()
	for ((i = 0; i < n; i++)); do
		t=${targets[(r - 1 + i) % n]}
		run_one "$t"
		all_rps[$t]+=" $rps" all_p99[$t]+=" $p99" all_us[$t]+=" $us_req" this_rps[$t]=$rps
	done
	line="ratio"
	for g in "${gateways[@]}"; do
		ratio=$(awk -v g="${this_rps[$g]}" -v b="${this_rps[bare]}" 'BEGIN { printf "%.3f", b ? g / b : 0 }')
		ratios[$g]+=" $ratio"
		line+="  $g/bare: $ratio"
	done
	echo "$line"
done

# shellcheck disable=SC2086 # the lists are meant to split
{
	echo
	echo "summary (medians over $ROUNDS rounds, concurrency $CONCURRENCY)"
	for t in "${targets[@]}"; do
		printf '  %-12s  rps %10s   p99 %7s ms   server CPU %7s us/req\n' "$t" \
			"$(median ${all_rps[$t]})" "$(median ${all_p99[$t]})" "$(median ${all_us[$t]})"
	done
	bare_us=$(median ${all_us[bare]})
	for g in "${gateways[@]}"; do
		printf '  throughput ratio %s/bare: %s (median of per-round ratios:%s)\n' "$g" "$(median ${ratios[$g]})" "${ratios[$g]}"
		printf '  CPU cost ratio   %s/bare: %s\n' "$g" \
			"$(awk -v g="$(median ${all_us[$g]})" -v b="$bare_us" 'BEGIN { printf "%.1f", b ? g / b : 0 }')"
	done
	for g in "${gateways[@]}"; do
		base=${url[$g]%%/v1/fn/*}
		echo "  $g run records dropped (writer behind): $(metric "$base" scriptforge_run_records_dropped_total)," \
			"sandbox restarts: $(metric "$base" scriptforge_sandbox_restarts_total)"
		if [[ -s $work/$g.log ]]; then
			echo "  $g warnings/errors logged: $(wc -l <"$work/$g.log") lines; first:"
			head -n 3 "$work/$g.log" | sed 's/^/    /'
		fi
	done
}
if ((failed)); then
	echo "$BENCH_NAME: some runs had errors or non-2xx answers; see the '!' lines above" >&2
	exit 3
fi

#!/usr/bin/env bash
# bench/gateway.sh: load benchmark of function invocation, as a ratio
# against a bare fiber server measured in the same run.
#
# What it does
#   Builds scriptforge, bench/barefiber and bench/loadgen into a temp dir,
#   starts the bare server and `scriptforge serve` (temp data dir, fixed
#   admin key) on free 127.0.0.1 ports, deploys a trivial App
#       export function main(data) { return {ok: true, n: data.n} }
#   and runs the closed-loop loadgen against POST /v1/fn/<uuid> on both,
#   interleaved over ROUNDS rounds (the order alternates each round) so
#   both targets see the same machine conditions. It prints a table per
#   round and a summary: median rps of each, the median of the per-round
#   ratios gateway/bare, median p99s, and server CPU per request.
#
# Knobs (environment)
#   ROUNDS=3  DURATION=5s  WARMUP=1s  CONCURRENCY=32
#     DURATION and WARMUP take seconds: 5, 5s, 0.5s or 500ms.
#   APP_SOURCE='exports.main = (data) => ({ok: true, n: data.n})' changes the App.
#   ISOLATION=process  or inprocess: where the gateway runs functions.
#   PIN=0     1 pins the servers to CPU 0 and the loadgen to CPU 1 (taskset):
#             a cleaner split on a 2-core machine, see the note on CPU below.
#
# CPU note: the load generator runs on the same machine and shares its cores
# (2 on the reference machine) with the server under test. Both targets pay
# the same client cost per request, but a faster server makes the client
# spend more CPU, so the bare server is held back more than the gateway:
# the ratio is then, if anything, flattering to the gateway. The tables
# show the loadgen's own CPU (% of one core) and each server's CPU per
# request (from /proc, Linux only), which does not depend on that sharing;
# compare the two when the rps ratio looks surprising. PIN=1 gives each
# side one core, GOMAXPROCS follows the affinity.
#
# Exit status: 0 on success, 3 when any run saw transport errors or non-2xx
# answers (the figures are printed but should not be trusted), other
# non-zero when the setup failed. Both servers are stopped on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONCURRENCY=${CONCURRENCY:-32}
PIN=${PIN:-0}
ISOLATION=${ISOLATION:-process}
KEY=bench-admin-key-0123456789abcdef

cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/sfbench.XXXXXX")
pids=()

lg_pid=
cleanup() {
	local p
	[[ -n $lg_pid ]] && kill -TERM "$lg_pid" 2>/dev/null
	for p in ${pids[@]+"${pids[@]}"}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${pids[@]+"${pids[@]}"}; do
		# Give each server a few seconds to stop, then insist.
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "gateway.sh: $*" >&2; exit 1; }

# seconds turns 5, 5s, 0.5s or 500ms into seconds for sleep and awk.
seconds() {
	case $1 in
	*ms) awk -v v="${1%ms}" 'BEGIN { print v / 1000 }' ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}
dur_s=$(seconds "$DURATION")
warm_s=$(seconds "$WARMUP")
[[ $dur_s =~ ^[0-9]*\.?[0-9]+$ && $warm_s =~ ^[0-9]*\.?[0-9]+$ ]] || die "DURATION and WARMUP take seconds: 5s, 0.5s or 500ms"

# free_port prints a port nothing listens on (racy, but fine on 127.0.0.1).
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	die "no free port found"
}

wait_healthy() { # URL PID LOG
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "$1/healthz" 2>/dev/null && return
		kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "server died at start: $1"; }
		sleep 0.1
	done
	cat "$3" >&2
	die "$1 not healthy after 10s"
}

# field JSON NAME reads one top-level field of loadgen's flat JSON line.
field() { sed -nE 's/.*"'"$2"'":("([^"\\]|\\.)*"|[^,}]*).*/\1/p' <<<"$1"; }

# cpu_ticks PID prints the user+system CPU time, in clock ticks, of the
# process and its children (the gateway's sandbox processes).
cpu_ticks() {
	local p total=0 t
	for p in "$1" $(pgrep -P "$1" 2>/dev/null); do
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
		total=$((total + t))
	done
	echo "$total"
}
tck=$(getconf CLK_TCK)

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

srv_pin=() lg_pin=()
if [[ $PIN == 1 ]]; then
	(($(nproc) >= 2)) || die "PIN=1 needs 2 CPUs"
	srv_pin=(taskset -c 0) lg_pin=(taskset -c 1)
fi

echo "building into $work …" >&2
go build -o "$work/scriptforge" ./cmd/scriptforge
go build -o "$work/barefiber" ./bench/barefiber
go build -o "$work/loadgen" ./bench/loadgen

bare_port=$(free_port)
gw_port=$(free_port)
while [[ $gw_port == "$bare_port" ]]; do gw_port=$(free_port); done
bare=http://127.0.0.1:$bare_port
gw=http://127.0.0.1:$gw_port

${srv_pin[@]+"${srv_pin[@]}"} "$work/barefiber" --addr "127.0.0.1:$bare_port" 2>"$work/bare.log" &
bare_pid=$!
pids+=("$bare_pid")
mkdir "$work/data"
SCRIPTFORGE_ADMIN_KEY=$KEY ${srv_pin[@]+"${srv_pin[@]}"} "$work/scriptforge" serve \
	--addr "127.0.0.1:$gw_port" --data-dir "$work/data" --log-level warn --shutdown-grace 2s \
	--isolation "$ISOLATION" 2>"$work/gateway.log" &
gw_pid=$!
pids+=("$gw_pid")
wait_healthy "$bare" "$bare_pid" "$work/bare.log"
wait_healthy "$gw" "$gw_pid" "$work/gateway.log"

# The trivial App both sides imitate.
# APP_SOURCE swaps the function, e.g. the CommonJS form to see what the
# ES module wrapper (esbuild's export helpers, run on every call) costs.
default_app='export function main(data) { return {ok: true, n: data.n} }'
printf '%s\n' "${APP_SOURCE:-$default_app}" >"$work/bench_app.js"
deployed=$("$work/scriptforge" deploy "$work/bench_app.js" --type app --server "$gw" --key "$KEY" --json 2>"$work/deploy.log") ||
	{ cat "$work/deploy.log" >&2; die "deploy failed"; }
uuid=$(sed -n 's/.*"uuid": *"\([^"]*\)".*/\1/p' <<<"$deployed" | head -n1)
[[ -n $uuid ]] || die "no uuid in the deploy answer: $deployed"
body='{"n":42}'
check=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$gw/v1/fn/$uuid") || die "invoking the App failed"
[[ $check == *'"ok":true'* && $check == *'"n":42'* ]] || die "unexpected App answer: $check"

# run_one NAME URL PID: one loadgen run; appends a row to the table and
# sets the globals rps p99 us_req errs.
run_one() {
	local name=$1 url=$2 pid=$3 out c0 c1 srv_cpu
	${lg_pin[@]+"${lg_pin[@]}"} "$work/loadgen" --url "$url" --body "$body" \
		--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" >"$work/out.json" &
	lg_pid=$!
	sleep "$warm_s" # sample the server's CPU over the measured window only
	c0=$(cpu_ticks "$pid")
	wait "$lg_pid" || die "loadgen failed against $name"
	lg_pid=
	c1=$(cpu_ticks "$pid")
	out=$(<"$work/out.json")
	rps=$(field "$out" rps)
	p99=$(field "$out" p99_ms)
	errs=$(($(field "$out" errors) + $(field "$out" non2xx)))
	srv_cpu=$(awk -v t=$((c1 - c0)) -v h="$tck" -v d="$dur_s" 'BEGIN { printf "%.0f", 100 * t / h / d }')
	us_req=$(awk -v t=$((c1 - c0)) -v h="$tck" -v n="$(field "$out" requests)" 'BEGIN { printf "%.1f", n ? 1e6 * t / h / n : 0 }')
	printf '%-8s %10s %8s %8s %8s %7s %7s %8s %10s %8s\n' "$name" "$rps" "$(field "$out" p50_ms)" "$p99" \
		"$(field "$out" max_ms)" "$(field "$out" errors)" "$(field "$out" non2xx)" "$srv_cpu" "$us_req" "$(field "$out" loadgen_cpu_pct)"
	if ((errs > 0)); then
		echo "  ! $name: first error: $(field "$out" first_error)  first non-2xx: $(field "$out" first_non2xx)"
		failed=1
	fi
}

echo "ScriptForge gateway vs bare fiber: POST /v1/fn/<uuid> $body, concurrency $CONCURRENCY," \
	"$ROUNDS rounds of $DURATION (+$WARMUP warm-up), $(nproc) CPUs, PIN=$PIN, ISOLATION=$ISOLATION, $(go env GOVERSION)"
bare_rps=() gw_rps=() bare_p99=() gw_p99=() ratios=() bare_us=() gw_us=()
failed=0
for ((r = 1; r <= ROUNDS; r++)); do
	echo
	echo "round $r/$ROUNDS"
	printf '%-8s %10s %8s %8s %8s %7s %7s %8s %10s %8s\n' target rps p50_ms p99_ms max_ms errors non2xx srv_cpu% srv_us/req lg_cpu%
	# Alternate the order so neither target always runs first.
	if ((r % 2)); then order=(bare gateway); else order=(gateway bare); fi
	for t in "${order[@]}"; do
		if [[ $t == bare ]]; then
			run_one bare "$bare/v1/fn/$uuid" "$bare_pid"
			bare_rps+=("$rps") bare_p99+=("$p99") bare_us+=("$us_req")
		else
			run_one gateway "$gw/v1/fn/$uuid" "$gw_pid"
			gw_rps+=("$rps") gw_p99+=("$p99") gw_us+=("$us_req")
		fi
	done
	ratios+=("$(awk -v g="${gw_rps[-1]}" -v b="${bare_rps[-1]}" 'BEGIN { printf "%.3f", b ? g / b : 0 }')")
	echo "ratio gateway/bare: ${ratios[-1]}"
done

mb=$(median "${bare_rps[@]}") mg=$(median "${gw_rps[@]}")
mbu=$(median "${bare_us[@]}") mgu=$(median "${gw_us[@]}")
echo
echo "summary (medians over $ROUNDS rounds, concurrency $CONCURRENCY)"
printf '  bare fiber  rps %10s   p99 %7s ms   server CPU %7s us/req\n' "$mb" "$(median "${bare_p99[@]}")" "$mbu"
printf '  gateway     rps %10s   p99 %7s ms   server CPU %7s us/req\n' "$mg" "$(median "${gw_p99[@]}")" "$mgu"
printf '  throughput ratio gateway/bare: %s (median of per-round ratios: %s)\n' "$(median "${ratios[@]}")" "${ratios[*]}"
printf '  CPU cost ratio gateway/bare:   %s\n' "$(awk -v g="$mgu" -v b="$mbu" 'BEGIN { printf "%.1f", b ? g / b : 0 }')"
dropped=$(curl -fsS "$gw/metrics" 2>/dev/null | awk '$1 == "scriptforge_run_records_dropped_total" { print $2 }')
echo "  gateway run records dropped (writer behind): ${dropped:-n/a}"
if [[ -s $work/gateway.log ]]; then
	echo "  gateway warnings/errors logged: $(wc -l <"$work/gateway.log") lines; first:"
	head -n 3 "$work/gateway.log" | sed 's/^/    /'
fi
if ((failed)); then
	echo "gateway.sh: some runs had errors or non-2xx answers; see the '!' lines above" >&2
	exit 3
fi

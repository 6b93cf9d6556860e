# bench/lib.sh: pieces shared by the benchmark scripts (run, gateway.sh,
# isolation.sh, neighbour.sh, limits.sh). Source it, do not run it:
#
#   BENCH_NAME=foo.sh; source "$(dirname "$0")/lib.sh"
#
# Sourcing it moves to the module root, makes a temp dir $work (removed on
# exit; KEEP=1 keeps it, and pg_schema's schemas, to read the servers'
# logs and data) and installs a trap that stops, on any exit or Ctrl-C,
# every server started with start_server and every loadgen started with
# start_loadgen.
# It gives the common knobs their defaults, unless the caller or the
# script (before sourcing it) set them: ROUNDS=3 DURATION=5s WARMUP=1s
# CONCURRENCY=32 ISOLATION=process PIN=0.
# shellcheck shell=bash

KEY=bench-admin-key-0123456789abcdef
BENCH_NAME=${BENCH_NAME:-bench}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONCURRENCY=${CONCURRENCY:-32}
ISOLATION=${ISOLATION:-process}
PIN=${PIN:-0}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/sfbench.XXXXXX")
# Others may pass through (not list) $work: a gateway running as root then
# runs its sandboxes as nobody, as in the container image, which needs the
# binary reachable. The data dirs stay private (mkdir -m 700).
chmod 711 "$work"
pids=()    # servers, stopped gently on exit
lg_pids=() # loadgens still running, killed on exit
schemas=() # PostgreSQL schemas made by pg_schema, dropped on exit
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
used_ports=" "

cleanup() {
	local p
	for p in ${lg_pids[@]+"${lg_pids[@]}"}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${pids[@]+"${pids[@]}"}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${pids[@]+"${pids[@]}"}; do
		# Give each server a few seconds to stop, then insist.
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "KEEP=1: the servers' logs and data are in $work${schemas[*]+, and in the schemas ${schemas[*]} on $PG_URL}" >&2
	else
		rm -rf "$work"
		for p in ${schemas[@]+"${schemas[@]}"}; do
			psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $p CASCADE" >/dev/null 2>&1 || true
		done
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# pg_schema NAME makes a new schema for this run on $PG_URL (dropped on
# exit) and sets $db_url to a database URL that uses it.
pg_schema() {
	command -v psql >/dev/null || die "psql is needed to make the run's schema"
	local schema=sfbench_$$_$1
	psql -q "$PG_URL" -c "CREATE SCHEMA $schema" || die "cannot reach PostgreSQL at $PG_URL"
	schemas+=("$schema")
	db_url="$PG_URL&search_path=$schema"
}

# seconds turns 5, 5s, 0.5s or 500ms into seconds for sleep and awk.
seconds() {
	case $1 in
	*ms) awk -v v="${1%ms}" 'BEGIN { print v / 1000 }' ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}
dur_s=$(seconds "${DURATION:-5s}")
warm_s=$(seconds "${WARMUP:-1s}")
[[ $dur_s =~ ^[0-9]*\.?[0-9]+$ && $warm_s =~ ^[0-9]*\.?[0-9]+$ ]] || die "DURATION and WARMUP take seconds: 5s, 0.5s or 500ms"

# free_port prints a port nothing listens on and no earlier call returned
# (racy against other programs, but fine on 127.0.0.1). Call it as
# `free_port; port=$port`: it sets $port so the used list survives (a $(…)
# subshell would lose it).
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		[[ $used_ports == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			used_ports+="$p "
			port=$p
			return
		fi
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

# field JSON NAME reads one top-level scalar field of loadgen's JSON line.
field() { sed -nE 's/.*"'"$2"'":("([^"\\]|\\.)*"|[^,{}]*).*/\1/p' <<<"$1"; }

# codes JSON prints loadgen's non2xx_codes tally as `503 memory_limit ×3, …`
# (empty when every answer was 2xx).
codes() {
	sed -nE 's/.*"non2xx_codes":\{([^}]*)\}.*/\1/p' <<<"$1" |
		sed -E 's/"([^"]*)":([0-9]+)/\1 ×\2/g; s/,/, /g'
}

# cpu_ticks PID prints the user+system CPU time, in clock ticks, of the
# process, of its live children (the gateway's sandbox processes) and of
# its children that already exited and were waited for (sandboxes that
# died: /proc/PID/stat fields 16 and 17).
cpu_ticks() {
	local p total t
	total=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0)
	for p in $(pgrep -P "$1" 2>/dev/null); do
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
		total=$((total + t))
	done
	echo "$total"
}
tck=$(getconf CLK_TCK)

# take_round ROUND TARGET [CPU_US] reads the loadgen run just waited for
# ($work/out.json) into $out, prints its row (with the CPU per call when
# given), flags failed calls (failed=1), and adds its rps and p99 to the
# caller's rps_of, p99_of and rps_all, by TARGET.
take_round() {
	local r=$1 t=$2 cpu=${3:-}
	out=$(<"$work/out.json")
	printf '%-8s %-8s %10s %8s %8s %7s %7s' "$r" "$t" "$(field "$out" rps)" "$(field "$out" p50_ms)" \
		"$(field "$out" p99_ms)" "$(field "$out" errors)" "$(field "$out" non2xx)"
	[[ -n $cpu ]] && printf ' %11s' "$cpu"
	printf '\n'
	if (($(field "$out" errors) + $(field "$out" non2xx) > 0)); then
		echo "  ! $t: failed calls: $(field "$out" first_error) $(codes "$out") $(field "$out" first_non2xx)"
		failed=1
	fi
	rps_of[$t]=$(field "$out" rps) p99_of[$t]+=" $(field "$out" p99_ms)" rps_all[$t]+=" $(field "$out" rps)"
}

# cpu_per_call TICKS prints the CPU µs per call of the loadgen run in
# $work/out.json that took TICKS of cpu_ticks (its warm-up counted at the
# measured rate).
cpu_per_call() {
	awk -v t="$1" -v hz="$tck" -v rps="$(field "$(<"$work/out.json")" rps)" -v s="$(awk -v a="$dur_s" -v b="$warm_s" 'BEGIN { print a + b }')" \
		'BEGIN { printf "%.1f", rps ? t / hz * 1e6 / (rps * s) : 0 }'
}

# measured_round ROUND TARGET PID LOADGEN_FLAG... runs loadgen (as
# start_loadgen, into $work/out.json), waits for it and takes its row
# (take_round) with the CPU per call that the server PID and its
# sandboxes spent meanwhile, also kept in the caller's cpu_of[TARGET].
measured_round() {
	local r=$1 t=$2 pid=$3 ticks0 ticks1
	shift 3
	ticks0=$(cpu_ticks "$pid")
	start_loadgen "$work/out.json" "$@"
	wait_loadgen "$lg_pid"
	ticks1=$(cpu_ticks "$pid")
	cpu_of[$t]=$(cpu_per_call $((ticks1 - ticks0)))
	take_round "$r" "$t" "${cpu_of[$t]}"
}

# ratio A B prints A ÷ B to three places (0 when B is 0 or empty).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# metric URL NAME prints a sample of the server's /metrics (n/a if absent).
metric() {
	local v
	v=$(curl -fsS "$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }')
	echo "${v:-n/a}"
}

srv_pin=() lg_pin=()
if [[ ${PIN:-0} == 1 ]]; then
	(($(nproc) >= 2)) || die "PIN=1 needs 2 CPUs"
	srv_pin=(taskset -c 0) lg_pin=(taskset -c 1)
fi

# build PKG... builds ./cmd/scriptforge or ./bench/NAME into $work/NAME.
# One go build for all of them: the links run in parallel.
build() {
	echo "building into $work …" >&2
	go build -o "$work/" "$@"
}

# start_server LOG CMD... starts a server in the background (pinned with
# PIN=1) and sets $server_pid; it is stopped on exit.
start_server() {
	local log=$1
	shift
	${srv_pin[@]+"${srv_pin[@]}"} "$@" 2>"$log" &
	server_pid=$!
	pids+=("$server_pid")
}

# start_gateway NAME [SERVE_FLAG...] starts `scriptforge serve` on a free
# port with its own data dir $work/NAME.data (made here unless it exists,
# e.g. seeded by bench/seed) and log $work/NAME.log, waits until it is
# healthy, and sets $gw_url and $gw_pid.
start_gateway() {
	local name=$1
	shift
	free_port
	[[ -d $work/$name.data ]] || mkdir -m 700 "$work/$name.data"
	SCRIPTFORGE_ADMIN_KEY=$KEY start_server "$work/$name.log" "$work/scriptforge" serve \
		--addr "127.0.0.1:$port" --data-dir "$work/$name.data" --log-level warn --shutdown-grace 2s --tenant-rate 0 --tenant-concurrency 0 --tenant-cpu-ms 0 "$@"
	gw_pid=$server_pid
	gw_url=http://127.0.0.1:$port
	wait_healthy "$gw_url" "$gw_pid" "$work/$name.log"
}

# stop_server PID stops a server started with start_server (TERM, then
# KILL after 5 s) and waits for it, so a section's servers do not idle
# through the next one.
stop_server() {
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# rss_kb PID prints the resident memory in kB of the process and all its
# live descendants (a gateway, its sandboxes and Workers), from /proc.
rss_kb() {
	local p total=0 kb todo=("$1")
	while ((${#todo[@]})); do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		kb=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		total=$((total + ${kb:-0}))
		# shellcheck disable=SC2207 # pids split on whitespace
		todo+=($(pgrep -P "$p" 2>/dev/null || true))
	done
	echo "$total"
}

# start_bare starts bench/barefiber on a free port; sets $bare_url, $bare_pid.
start_bare() {
	free_port
	start_server "$work/bare.log" "$work/barefiber" --addr "127.0.0.1:$port"
	bare_pid=$server_pid
	bare_url=http://127.0.0.1:$port
	wait_healthy "$bare_url" "$bare_pid" "$work/bare.log"
}

# The trivial App every benchmark invokes, and the body it is sent.
# APP_SOURCE swaps the function, e.g. the CommonJS form to see what the
# ES module wrapper (esbuild's export helpers, run on every call) costs.
default_app='export function main(data) { return {ok: true, n: data.n} }'
body='{"n":42}'

# deploy_app GATEWAY_URL NAME deploys the trivial App with `scriptforge
# deploy`, checks one invocation's answer, and prints its UUID.
deploy_app() {
	local gw=$1 name=$2 deployed uuid check
	printf '%s\n' "${APP_SOURCE:-$default_app}" >"$work/$name.js"
	deployed=$("$work/scriptforge" deploy "$work/$name.js" --type app --server "$gw" --key "$KEY" --json 2>"$work/deploy.log") ||
		{ cat "$work/deploy.log" >&2; die "deploy to $gw failed"; }
	uuid=$(sed -n 's/.*"uuid": *"\([^"]*\)".*/\1/p' <<<"$deployed" | head -n1)
	[[ -n $uuid ]] || die "no uuid in the deploy answer: $deployed"
	check=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$gw/v1/fn/$uuid") || die "invoking the App on $gw failed"
	[[ $check == *'"ok":true'* && $check == *'"n":42'* ]] || die "unexpected App answer from $gw: $check"
	echo "$uuid"
}

# create_function GATEWAY_URL JSON creates a function through the admin API
# (POST /v1/functions/) and prints its UUID.
create_function() {
	local created uuid
	created=$(curl -sS -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
		-d "$2" "$1/v1/functions/") || die "creating a function on $1 failed"
	uuid=$(sed -n 's/.*"uuid": *"\([^"]*\)".*/\1/p' <<<"$created" | head -n1)
	[[ -n $uuid ]] || die "no uuid in the create answer: $created"
	echo "$uuid"
}

# start_loadgen OUT LOADGEN_FLAG... runs bench/loadgen in the background
# (pinned with PIN=1), its JSON line going to OUT; sets $lg_pid. Collect it
# with wait_loadgen.
start_loadgen() {
	local out=$1
	shift
	${lg_pin[@]+"${lg_pin[@]}"} "$work/loadgen" "$@" >"$out" &
	lg_pid=$!
	lg_pids+=("$lg_pid")
}

# wait_loadgen PID waits for a loadgen started by start_loadgen.
wait_loadgen() {
	local rc=0 p keep=()
	wait "$1" || rc=$?
	for p in ${lg_pids[@]+"${lg_pids[@]}"}; do [[ $p == "$1" ]] || keep+=("$p"); done
	lg_pids=(${keep[@]+"${keep[@]}"})
	((rc == 0)) || die "loadgen failed (exit $rc)"
}

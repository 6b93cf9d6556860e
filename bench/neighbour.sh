#!/usr/bin/env bash
# bench/neighbour.sh: what a well-behaved function's callers see while
# another function keeps killing its sandbox.
#
# What it does
#   Builds scriptforge and bench/loadgen into a temp dir, starts
#   `scriptforge serve --isolation process --sandboxes 2 --sandbox-memory 128`
#   on a free 127.0.0.1 port, and creates two functions:
#     neighbour: the trivial App of gateway.sh
#         export function main(data) { return {ok: true, n: data.n} }
#     bomb:      {"name":"bomb","type":"script","memory_mb":1024,
#                 "source":"function main() { return 'x'.repeat(450e6).length }"}
#                its own budget (1 GB) lets the string through the engine's
#                guard, but the 450 MB string is past the sandbox's 128 MB
#                cap, so every call kills the sandbox that runs it. The
#                script checks that one call answers 503 memory_limit.
#   Then, for ROUNDS rounds, it loads the neighbour with the closed-loop
#   loadgen (CONCURRENCY connections) in two phases, in alternating order:
#     quiet:  nothing else runs;
#     attack: a second loadgen at BOMB_CONCURRENCY (1) calls the bomb
#             back to back for the whole phase.
#   After an attack (and after the first check) it waits until the
#   neighbour answers again, then COOLDOWN more: the pool backs off
#   restarting a sandbox that keeps dying (10 ms doubling up to 5 s, reset
#   once a sandbox has lived 10 s), so every attack phase starts from the
#   same fresh state and no quiet phase runs in a backoff.
#   It prints, per phase, the neighbour's rps, latencies, transport errors,
#   non-2xx answers by status and error code, the bomb's calls and answers,
#   and the sandbox restarts; and a summary: median p99 of each phase, their
#   ratio, and the neighbour's failures in each phase, summed over rounds.
#
# Tenants: a sandbox is chosen by the function's tenant (all of one
# tenant's runs share a sandbox), and the admin API only has the default
# tenant today, so the bomb and the neighbour share a sandbox and the
# neighbour's in-flight runs die with it: the attack phase is expected to
# show neighbour failures. They document that limitation until tenants can
# be created; the hostile-code suite (gateway/hostile_test.go) covers a
# neighbour of another tenant. No in-process variant: in process there is
# no sandbox to kill, see bench/README.md.
#
# Knobs (environment)
#   ROUNDS=3  DURATION=5s (each phase)  WARMUP=1s  CONCURRENCY=8 (neighbour)
#   BOMB_CONCURRENCY=1  SANDBOXES=2  SANDBOX_MEMORY=128 (MB, --sandbox-memory)
#   COOLDOWN=11s after each attack (more than the pool's 10 s reset)
#   APP_SOURCE=… changes the neighbour, as in gateway.sh.  PIN=0 as in gateway.sh.
#
# Exit status: 0 when the figures were taken (neighbour failures during the
# attack are the result, not a failure), 3 when the neighbour failed in a
# quiet phase, other non-zero when the setup failed. The gateway is stopped
# on exit.
set -euo pipefail

CONCURRENCY=${CONCURRENCY:-8}
BOMB_CONCURRENCY=${BOMB_CONCURRENCY:-1}
SANDBOXES=${SANDBOXES:-2}
SANDBOX_MEMORY=${SANDBOX_MEMORY:-128}
COOLDOWN=${COOLDOWN:-11s}

BENCH_NAME=neighbour.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

build ./cmd/scriptforge ./bench/loadgen
start_gateway gw --isolation process --sandboxes "$SANDBOXES" --sandbox-memory "$SANDBOX_MEMORY"
gw=$gw_url
neighbour=$gw/v1/fn/$(deploy_app "$gw" neighbour)
bomb_json='{"name":"bomb","type":"script","memory_mb":1024,"source":"function main() { return '"'x'"'.repeat(450e6).length }"}'
bomb=$gw/v1/fn/$(create_function "$gw" "$bomb_json")

# The hand check: one bomb call must cost its sandbox (503 memory_limit).
check=$(curl -sS -w ' %{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "$bomb") || die "calling the bomb failed"
[[ $check == *'"code":"memory_limit"'*' 503' ]] || die "the bomb did not answer 503 memory_limit: $check"
echo "bomb check: $check" >&2
# Let the killed sandbox come back before measuring.
settle() {
	local t0=$SECONDS
	until curl -fsS --max-time 10 -o /dev/null -X POST -H 'Content-Type: application/json' -d "$body" "$neighbour" 2>/dev/null; do
		((SECONDS - t0 < 30)) || die "the neighbour did not answer again within 30 s"
		sleep 0.05
	done
}
settle
cool_s=$(seconds "$COOLDOWN")
echo "cooling down $COOLDOWN …" >&2
sleep "$cool_s"

row() { printf '%-7s %9s %8s %8s %9s %7s %7s %5s %9s %8s %8s  %s\n' "$@"; }

# tally JSON ARRAY_NAME adds loadgen's non2xx_codes into an associative array.
tally() {
	local -n into=$2
	local k n
	while IFS=$'\t' read -r k n; do
		if [[ -n $k ]]; then into[$k]=$((${into[$k]:-0} + n)); fi
	done < <(sed -nE 's/.*"non2xx_codes":\{([^}]*)\}.*/\1/p' <<<"$1" | sed -E 's/"([^"]*)":([0-9]+),?/\1\t\2\n/g')
}
show() { # ARRAY_NAME: `503 memory_limit ×3, …` or none
	local -n from=$1
	local k out=
	for k in "${!from[@]}"; do out+="${out:+, }$k ×${from[$k]}"; done
	echo "${out:-none}"
}

# phase NAME: one loadgen run against the neighbour, with the bomb loop
# alongside when NAME is attack; prints a row and sets p99.
declare -A p99s rpss reqs fails late late_max codes_quiet codes_attack
phase() {
	local name=$1 out bout r0 r1 c0 c1 srv_cpu bomb_pid= errs
	r0=$(metric "$gw" scriptforge_sandbox_restarts_total)
	if [[ $name == attack ]]; then
		# The bomb loop runs a little longer than the neighbour's run, so
		# the attack covers all of it.
		start_loadgen "$work/bomb.json" --url "$bomb" --body '{}' --concurrency "$BOMB_CONCURRENCY" \
			--warmup 0 --duration "$(awk -v w="$warm_s" -v d="$dur_s" 'BEGIN { print w + d + 0.4 }')s"
		bomb_pid=$lg_pid
		sleep 0.2
	fi
	start_loadgen "$work/out.json" --url "$neighbour" --body "$body" \
		--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	sleep "$warm_s"
	c0=$(cpu_ticks "$gw_pid")
	wait_loadgen "$lg_pid"
	c1=$(cpu_ticks "$gw_pid")
	[[ -n $bomb_pid ]] && wait_loadgen "$bomb_pid"
	r1=$(metric "$gw" scriptforge_sandbox_restarts_total)
	out=$(<"$work/out.json")
	p99=$(field "$out" p99_ms)
	errs=$(($(field "$out" errors) + $(field "$out" non2xx)))
	p99s[$name]+=" $p99"
	rpss[$name]+=" $(field "$out" rps)"
	reqs[$name]=$((${reqs[$name]:-0} + $(field "$out" requests) + $(field "$out" errors)))
	fails[$name]=$((${fails[$name]:-0} + errs))
	late[$name]=$((${late[$name]:-0} + $(field "$out" late)))
	late_max[$name]=$(awk -v a="${late_max[$name]:-0}" -v b="$(field "$out" late_max_ms)" 'BEGIN { print (b > a) ? b : a }')
	tally "$out" "codes_$name"
	srv_cpu=$(awk -v t=$((c1 - c0)) -v h="$tck" -v d="$dur_s" 'BEGIN { printf "%.0f", 100 * t / h / d }')
	row "$name" "$(field "$out" rps)" "$(field "$out" p50_ms)" "$p99" "$(field "$out" max_ms)" \
		"$(field "$out" errors)" "$(field "$out" non2xx)" "$(field "$out" late)" "$(field "$out" late_max_ms)" \
		"$srv_cpu" "$((r1 - r0))" "$(codes "$out")"
	if [[ -n $(field "$out" first_error) ]]; then echo "  ! first transport error: $(field "$out" first_error)"; fi
	if [[ -n $(field "$out" first_non2xx) ]]; then echo "  ! first non-2xx: $(field "$out" first_non2xx)"; fi
	if [[ -n $bomb_pid ]]; then
		bout=$(<"$work/bomb.json")
		echo "  bomb: $(field "$bout" requests) calls ($(field "$bout" rps)/s), transport errors $(field "$bout" errors)," \
			"answers: $(codes "$bout"), p50 $(field "$bout" p50_ms) ms"
		local t0=$SECONDS
		settle
		echo "  neighbour answering again $((SECONDS - t0)) s after the attack; cooling down $COOLDOWN"
		sleep "$cool_s"
	elif ((errs > 0)); then
		quiet_failed=1
	fi
}

echo "ScriptForge neighbour under a sandbox-killing bomb: neighbour POST /v1/fn/<uuid> $body at concurrency" \
	"$CONCURRENCY, bomb at concurrency $BOMB_CONCURRENCY, --sandboxes $SANDBOXES --sandbox-memory $SANDBOX_MEMORY," \
	"$ROUNDS rounds of 2 phases × $DURATION (+$WARMUP warm-up), $(nproc) CPUs, PIN=$PIN, $(go env GOVERSION)"
quiet_failed=0
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
	echo
	echo "round $r/$ROUNDS"
	row phase rps p50_ms p99_ms max_ms errors non2xx late late_ms srv_cpu% restarts "non-2xx by code"
	if ((r % 2)); then order=(quiet attack); else order=(attack quiet); fi
	for ph in "${order[@]}"; do
		phase "$ph"
		[[ $ph == quiet ]] && q=$p99 || a=$p99
	done
	ratios+=("$(awk -v a="$a" -v q="$q" 'BEGIN { printf "%.1f", q && a ? a / q : 0 }')")
	echo "p99 attack/quiet: ${ratios[-1]}"
done

# shellcheck disable=SC2086 # the lists are meant to split
{
	echo
	echo "summary (neighbour at concurrency $CONCURRENCY, medians over $ROUNDS rounds, failures summed)"
	for ph in quiet attack; do
		printf '  %-6s  rps %8s   p99 %8s ms   failed %6s of %7s calls (%s %%): %s\n' "$ph" "$(median ${rpss[$ph]})" "$(median ${p99s[$ph]})" \
			"${fails[$ph]}" "${reqs[$ph]}" "$(awk -v f="${fails[$ph]}" -v n="${reqs[$ph]}" 'BEGIN { printf "%.2f", n ? 100 * f / n : 0 }')" \
			"$(show "codes_$ph")"
		printf '  %-6s  answered after their window (not counted above): %s, the slowest in %s ms\n' "" "${late[$ph]}" "${late_max[$ph]}"
	done
	echo "  p99 ratio attack/quiet: $(median "${ratios[@]}") (per round: ${ratios[*]})"
	echo "  sandbox restarts in all: $(metric "$gw" scriptforge_sandbox_restarts_total)"
}
if ((quiet_failed)); then
	echo "neighbour.sh: the neighbour failed in a quiet phase; see the '!' lines above" >&2
	exit 3
fi

#!/usr/bin/env bash
# bench/routing.sh: a Class 4 routing request through a three-script chain
# (run-first, assigned, run-last), as a ratio against one plain invocation
# of one such script, measured in one run on one gateway.
#
# What it does
#   Starts a gateway (ISOLATION, default process) with a tenant, a key with
#   routing:invoke, and three copies of one small Script that adds a header
#   and counts itself: one run-first, one assigned to customer carrier-7
#   (timeout 1000 ms), one run-last. A fourth copy, public, is the
#   baseline: POST /v1/fn/<uuid> with the same routing data.
#   Rounds alternate the order; the summary gives the median per-round
#   ratio chain/one of rps, and the chain's p99.
#   Targets (issue 13): chain throughput >= 0.5x one invocation, chain
#   p99 <= 10 ms at 32 connections.
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 PIN=0 ISOLATION=process
# Exit status: 0 on success, 3 when any run saw errors or non-2xx answers.
set -euo pipefail

BENCH_NAME=routing.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

build ./cmd/scriptforge ./bench/loadgen
start_gateway gw --isolation "$ISOLATION"
api() { # api METHOD PATH JSON [KEY]
	curl -fsS -X "$1" -H "Authorization: Bearer ${4:-$KEY}" -H 'Content-Type: application/json' -d "$3" "$gw_url$2"
}
api POST /v1/tenants '{"id":"bench"}' >/dev/null || die "creating the tenant failed"
admin=$(api POST /v1/tenants/bench/keys '{"name":"admin","scopes":["admin"]}' | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
switch=$(api POST /v1/tenants/bench/keys '{"name":"sbc","scopes":["routing:invoke"]}' | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
[[ -n $admin && -n $switch ]] || die "no tenant keys"
step='function main(d) { d.routing.steps = (d.routing.steps || 0) + 1; (d.headers = d.headers || []).push({key: \"X-Step-\" + d.routing.steps, value: d.routing.steps}); return d }'
deploy() { # deploy NAME EXTRA_JSON → uuid
	local out
	out=$(api POST /v1/functions "{\"name\":\"$1\",\"source\":\"$step\"$2}" "$admin") || die "deploying $1 failed"
	sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p' <<<"$out"
}
deploy first ',"routing_priority":"run-first"' >/dev/null
deploy assigned '' >/dev/null
deploy last ',"routing_priority":"run-last"' >/dev/null
one=$(deploy one '')
api PUT /v1/routing/customers/carrier-7 '{"function":"assigned","timeout_ms":1000}' "$admin" >/dev/null || die "assigning failed"

body='{"routing":{"call_id":"a84b4c76e66710","from":"+442079460000","to":"+15550100"},"egress_routing":[{"uri":"sip:+15550100@gw1.example.net"},{"uri":"sip:+15550100@gw2.example.net"}]}'
declare -A url hdr
url[one]=$gw_url/v1/fn/$one
url[chain]=$gw_url/v1/routing/customers/carrier-7 hdr[chain]="Authorization:Bearer $switch"
check=$(curl -fsS -H "Authorization: Bearer $switch" -d "$body" "${url[chain]}") || die "the chain failed"
[[ $check == *'"steps":3'* && $check == *'X-Step-3'* ]] || die "unexpected chain answer: $check"
check=$(curl -fsS -d "$body" "${url[one]}") || die "the plain invocation failed"
[[ $check == *'"steps":1'* ]] || die "unexpected answer: $check"

row() { printf '%-6s %10s %8s %8s %7s %7s\n' "$@"; }
run_one() {
	local t=$1 out errs
	local -a extra=()
	[[ -n ${hdr[$t]:-} ]] && extra=(--header "${hdr[$t]}")
	start_loadgen "$work/out.json" --url "${url[$t]}" --body "$body" ${extra[@]+"${extra[@]}"} \
		--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	wait_loadgen "$lg_pid"
	out=$(<"$work/out.json")
	rps=$(field "$out" rps) p99=$(field "$out" p99_ms)
	errs=$(($(field "$out" errors) + $(field "$out" non2xx)))
	row "$t" "$rps" "$(field "$out" p50_ms)" "$p99" "$(field "$out" errors)" "$(field "$out" non2xx)"
	if ((errs > 0)); then
		echo "  ! $t: first error: $(field "$out" first_error)  non-2xx: $(codes "$out"); first: $(field "$out" first_non2xx)"
		failed=1
	fi
}

echo "routing chain (3 scripts) vs one invocation: concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, ISOLATION=$ISOLATION, $(nproc) CPUs"
failed=0
ratios="" chain_p99="" chain_rps="" one_rps=""
targets=(one chain)
for ((r = 1; r <= ROUNDS; r++)); do
	echo
	echo "round $r/$ROUNDS"
	row target rps p50_ms p99_ms errors non2xx
	declare -A this=()
	for ((i = 0; i < 2; i++)); do
		t=${targets[(r - 1 + i) % 2]}
		run_one "$t"
		this[$t]=$rps
		[[ $t == chain ]] && chain_rps+=" $rps" || one_rps+=" $rps"
		[[ $t == chain ]] && chain_p99+=" $p99"
	done
	ratio=$(awk -v a="${this[chain]}" -v b="${this[one]}" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
	ratios+=" $ratio"
	echo "ratio chain/one: $ratio"
done
# shellcheck disable=SC2086
{
	echo
	echo "summary (medians over $ROUNDS rounds)"
	r=$(median $ratios) p=$(median $chain_p99)
	echo "  throughput ratio chain/one: $r (per round:$ratios)  target >= 0.5: $(awk -v r="$r" 'BEGIN { print (r >= 0.5) ? "PASS" : "FAIL" }')"
	echo "  chain p99: $p ms (per round:$chain_p99)  target <= 10 ms: $(awk -v p="$p" 'BEGIN { print (p <= 10) ? "PASS" : "FAIL" }')"
	# For bench/run, which runs this script and reads this line.
	echo "result: ratio=$r chain_p99_ms=$p chain_rps=$(median $chain_rps) one_rps=$(median $one_rps) failed=$failed"
}
if ((failed)); then
	echo "routing.sh: some runs had errors or non-2xx answers" >&2
	exit 3
fi

#!/usr/bin/env bash
# bench/limits.sh: what JWT verification and the fair-usage limits cost an
# invocation, as a ratio against the same gateway setup with both off,
# measured in one run.
#
# What it does
#   Starts two gateways (ISOLATION, default process) with the trivial App:
#     gw-off  public function, no limits at all (--tenant-rate 0
#             --tenant-concurrency 0 --tenant-cpu-ms 0, no per-IP limit);
#     gw-on   a tenant with an HS256 JWT key, the function deployed with
#             auth=jwt and limits of its own, and every limit on: per
#             client IP, per function and per tenant token buckets,
#             tenant and function concurrency caps, and the tenant's CPU
#             budget. The limits are set far
#             above the load so that nothing is refused: each call pays
#             for the checks, none is turned away.
#   The loadgen calls gw-on with a valid `Authorization: Bearer <JWT>`.
#   Rounds alternate the order; the summary gives the median per-round
#   ratio on/off of rps, and each side's server CPU per request.
#
# Knobs: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 PIN=0 ISOLATION=process
# Exit status: 0 on success, 3 when any run saw errors or non-2xx answers.
set -euo pipefail

BENCH_NAME=limits.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

build ./cmd/scriptforge ./bench/loadgen ./bench/jwtgen
secret=bench-jwt-secret-0123456789abcdef0123456789
huge=1000000

declare -A url pid hdr
start_gateway gw-off --isolation "$ISOLATION"
url[gw-off]=$gw_url/v1/fn/$(deploy_app "$gw_url" bench_app) pid[gw-off]=$gw_pid

start_gateway gw-on --isolation "$ISOLATION" --tenant-rate "$huge" --tenant-burst "$huge" \
	--tenant-concurrency 100000 --ip-rate "$huge" --ip-burst "$huge" --tenant-cpu-ms "$huge"
api() { # api METHOD PATH JSON [KEY]
	curl -fsS -X "$1" -H "Authorization: Bearer ${4:-$KEY}" -H 'Content-Type: application/json' -d "$3" "$gw_url$2"
}
api POST /v1/tenants '{"id":"bench"}' >/dev/null || die "creating the tenant failed"
api PATCH /v1/tenants/bench "{\"jwt\":{\"keys\":[{\"alg\":\"HS256\",\"secret\":\"$secret\"}]}}" >/dev/null ||
	die "setting the tenant's JWT key failed"
tenant_key=$(api POST /v1/tenants/bench/keys '{"name":"bench","scopes":["functions:write"]}' | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
[[ -n $tenant_key ]] || die "no tenant key"
app=$(printf '%s' "$default_app" | sed 's/"/\\"/g')
created=$(api POST /v1/functions "{\"name\":\"bench_app\",\"type\":\"app\",\"source\":\"$app\",\"auth\":\"jwt\",\"limits\":{\"rate\":$huge,\"burst\":$huge,\"concurrency\":10000}}" "$tenant_key") ||
	die "deploying the guarded App failed"
uuid=$(sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p' <<<"$created")
token=$("$work/jwtgen" -secret "$secret" -ttl 2h)
url[gw-on]=$gw_url/v1/fn/$uuid pid[gw-on]=$gw_pid hdr[gw-on]="Authorization:Bearer $token"
check=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d "$body" "${url[gw-on]}")
[[ $check == 401 ]] || die "the guarded App answered $check without a token"
check=$(curl -fsS -X POST -H "Authorization: Bearer $token" -d "$body" "${url[gw-on]}") || die "the guarded App refused the token"
[[ $check == *'"ok":true'* ]] || die "unexpected answer: $check"

row() { printf '%-8s %10s %8s %8s %7s %7s %10s %8s\n' "$@"; }
run_one() {
	local t=$1 out c0 c1 errs
	local -a extra=()
	[[ -n ${hdr[$t]:-} ]] && extra=(--header "${hdr[$t]}")
	start_loadgen "$work/out.json" --url "${url[$t]}" --body "$body" ${extra[@]+"${extra[@]}"} \
		--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
	sleep "$warm_s"
	c0=$(cpu_ticks "${pid[$t]}")
	wait_loadgen "$lg_pid"
	c1=$(cpu_ticks "${pid[$t]}")
	out=$(<"$work/out.json")
	rps=$(field "$out" rps)
	us_req=$(awk -v t=$((c1 - c0)) -v h="$tck" -v n="$(field "$out" requests)" 'BEGIN { printf "%.1f", n ? 1e6 * t / h / n : 0 }')
	errs=$(($(field "$out" errors) + $(field "$out" non2xx)))
	row "$t" "$rps" "$(field "$out" p50_ms)" "$(field "$out" p99_ms)" "$(field "$out" errors)" "$(field "$out" non2xx)" "$us_req" "$(field "$out" loadgen_cpu_pct)"
	if ((errs > 0)); then
		echo "  ! $t: first error: $(field "$out" first_error)  non-2xx: $(codes "$out"); first: $(field "$out" first_non2xx)"
		failed=1
	fi
}

echo "JWT + limits on vs off: POST /v1/fn/<uuid> $body, concurrency $CONCURRENCY, $ROUNDS rounds of $DURATION, ISOLATION=$ISOLATION, $(nproc) CPUs"
failed=0
declare -A all_rps all_us
ratios=""
targets=(gw-off gw-on)
for ((r = 1; r <= ROUNDS; r++)); do
	echo
	echo "round $r/$ROUNDS"
	row target rps p50_ms p99_ms errors non2xx srv_us/req lg_cpu%
	declare -A this=()
	for ((i = 0; i < 2; i++)); do
		t=${targets[(r - 1 + i) % 2]}
		run_one "$t"
		all_rps[$t]+=" $rps" all_us[$t]+=" $us_req" this[$t]=$rps
	done
	ratio=$(awk -v a="${this[gw-on]}" -v b="${this[gw-off]}" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
	ratios+=" $ratio"
	echo "ratio on/off: $ratio"
done
# shellcheck disable=SC2086
{
	echo
	echo "summary (medians over $ROUNDS rounds)"
	for t in "${targets[@]}"; do
		printf '  %-7s rps %10s   server CPU %7s us/req\n' "$t" "$(median ${all_rps[$t]})" "$(median ${all_us[$t]})"
	done
	echo "  throughput ratio on/off: $(median $ratios) (per round:$ratios)"
	refused=$(metric "${url[gw-on]%%/v1/fn/*}" scriptforge_invocations_refused_total)
	[[ $refused == n/a ]] && refused=0 # no series: nothing was refused
	echo "  refused by a limit on gw-on: $refused (none expected: the limits are far above the load)"
}
if ((failed)); then
	echo "limits.sh: some runs had errors or non-2xx answers" >&2
	exit 3
fi

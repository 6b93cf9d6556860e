#!/usr/bin/env bash
# bench/isolation.sh: the gateway benchmark with both isolation modes in one
# run: bare fiber, `scriptforge serve --isolation=process` and
# `--isolation=inprocess` (two gateways, own ports and data dirs), each
# serving the trivial App, interleaved over the same rounds. It prints the
# throughput of each, each gateway's ratio against bare, p99s and server CPU
# per request (the process gateway's includes its sandbox processes).
#
# It is bench/gateway.sh with ISOLATION=both; every other knob of
# gateway.sh applies: ROUNDS=3 DURATION=5s WARMUP=1s CONCURRENCY=32 PIN=0
# APP_SOURCE=…
set -euo pipefail
ISOLATION=both BENCH_NAME=isolation.sh exec bash "$(dirname "$0")/gateway.sh"

#!/usr/bin/env bash
# Three gateways on one PostgreSQL and one Redis, on this machine, to try
# the cluster mode (README, "Running a cluster"). Docker is not needed.
#
#   deploy/cluster.sh start     build, then start gateways on :8081 :8082 :8083
#   deploy/cluster.sh status    which gateways answer /readyz
#   deploy/cluster.sh stop      stop them (SIGTERM: each drains its calls)
#
# Settings (environment):
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/scriptforge_cluster?sslmode=disable
#                 (the database is created when missing, if psql is here)
#   REDIS_URL     default redis://127.0.0.1:6379/0
#   SCRIPTFORGE_ADMIN_KEY  the admin key all three accept; made up and
#                 printed when unset
#   CLUSTER_DIR   where the binary, logs and pid files go (default ./cluster)
#   PORTS         default "8081 8082 8083"
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${CLUSTER_DIR:-cluster}
ports=${PORTS:-8081 8082 8083}
db=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/scriptforge_cluster?sslmode=disable}
redis=${REDIS_URL:-redis://127.0.0.1:6379/0}

start() {
	mkdir -p "$dir"
	echo "building $dir/scriptforge …"
	go build -o "$dir/scriptforge" ./cmd/scriptforge
	if command -v psql >/dev/null; then
		# The URL without its database, to ask the server whether it exists.
		name=${db##*/}; name=${name%%\?*}
		server=${db%/*}/postgres
		if ! psql -Atq "$server" -c "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
			echo "creating database $name …"
			psql -q "$server" -c "CREATE DATABASE \"$name\""
		fi
	fi
	key=${SCRIPTFORGE_ADMIN_KEY:-sfk_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
	for port in $ports; do
		if [ -f "$dir/$port.pid" ] && kill -0 "$(cat "$dir/$port.pid")" 2>/dev/null; then
			echo "gateway :$port already runs (pid $(cat "$dir/$port.pid"))"
			continue
		fi
		SCRIPTFORGE_ADMIN_KEY=$key DATABASE_URL=$db REDIS_URL=$redis \
			"$dir/scriptforge" serve --addr "127.0.0.1:$port" --data-dir "$dir/data-$port" \
			>"$dir/$port.log" 2>&1 &
		echo $! >"$dir/$port.pid"
		echo "gateway :$port started (pid $!, log $dir/$port.log)"
	done
	for port in $ports; do
		for _ in $(seq 100); do
			curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	status
	echo
	echo "export SCRIPTFORGE_ADMIN_KEY=$key"
	echo "scriptforge deploy hello.js --server http://127.0.0.1:${ports%% *}   # then call it on any port"
}

status() {
	for port in $ports; do
		if out=$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null); then
			echo ":$port ready $out"
		else
			echo ":$port down"
		fi
	done
}

stop() {
	for port in $ports; do
		[ -f "$dir/$port.pid" ] || continue
		pid=$(cat "$dir/$port.pid")
		if kill "$pid" 2>/dev/null; then
			echo "stopping :$port (pid $pid) …"
			while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
		fi
		rm -f "$dir/$port.pid"
	done
}

case ${1:-} in
start) start ;;
status) status ;;
stop) stop ;;
*) sed -n 2,16p "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

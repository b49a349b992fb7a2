#!/usr/bin/env bash
# A flatfit sweep on a Redis job queue, all on this machine: a Redis (with a password and
# append-only persistence), N workers, and the sweep, which enqueues the grid, follows it and prints
# the ranked table. Across machines, run the `flatfit worker` line on each machine instead, with the
# Redis host in place of 127.0.0.1 (and the port open to those machines only).
#
#   bash run.sh                 # 2 workers, Redis on port 6390, results in runs/sweep-cluster
#   WORKERS=4 PORT=6400 OUT=/tmp/sc bash run.sh
#
# Needs redis-server (Debian: apt-get install redis-server) and the built CLI (npm run build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
workers="${WORKERS:-2}"
port="${PORT:-6390}"
out="${OUT:-$here/../../runs/sweep-cluster}"
flatfit="${FLATFIT:-npx flatfit}"
mkdir -p "$out"
data="$(mktemp -d)"
# A random password, passed in the environment (FLATFIT_QUEUE, REDISCLI_AUTH), not on command lines.
password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export FLATFIT_QUEUE="redis://:$password@127.0.0.1:$port" REDISCLI_AUTH="$password"

# 1. Redis: append-only file in a temporary folder, so a restart keeps the queue.
redis-server - >"$out/redis.log" 2>&1 <<CONF &
bind 127.0.0.1
port $port
requirepass $password
dir $data
appendonly yes
save ""
CONF
redis=$!
pids=()
cleanup() {
  # SIGTERM: a worker puts its running trial back on the queue and exits
  if [ ${#pids[@]} -gt 0 ]; then kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; fi
  kill -TERM "$redis" 2>/dev/null || true
  wait "$redis" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 100); do
  if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then break; fi
  sleep 0.1
done

# 2. Workers: each takes one trial at a time (--concurrency N for more); logs in $out/worker-<i>.log.
for i in $(seq "$workers"); do
  $flatfit worker >"$out/worker-$i.log" 2>&1 &
  pids+=($!)
done

# 3. The sweep: enqueue, follow (queued / running / done per trial), rank; results in $out.
$flatfit sweep --config "$here/grid.yaml" --out "$out" --quiet

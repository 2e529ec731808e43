#!/usr/bin/env bash
# Cross-check of `cellgate bench http` with an external load generator:
# the real `cellgate serve` (JSON logs to /dev/null) and `cellgate bench
# bare`, each in its own process on a fresh SQLite file, driven by wrk.
#
#   internal/bench/wrk/run.sh            # DURATION=10s WARMUP=2s CONNS=32 THREADS=2
#
# Needs wrk (apt-get install wrk), jq and curl.
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
USERS=${USERS:-1000}
API_ADDR=${API_ADDR:-127.0.0.1:18080}
BARE_ADDR=${BARE_ADDR:-127.0.0.1:18081}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/cellgate" ./cmd/cellgate)
cg="$work/cellgate"

# The API: a project and key through the CLI, then the real server.
"$cg" project create bench --type live --database "sqlite:$work/api.db" >"$work/project.json"
key=$(jq -r .apiKey "$work/project.json")
"$cg" serve --addr "$API_ADDR" --database "sqlite:$work/api.db" >/dev/null 2>&1 &
pids+=($!)

# The bare handler in a process of its own.
"$cg" bench bare --addr "$BARE_ADDR" --database "sqlite:$work/bare.db" >"$work/bare.json" &
pids+=($!)

for _ in $(seq 100); do
  if curl -fs "http://$API_ADDR/healthz" >/dev/null && [ -s "$work/bare.json" ]; then break; fi
  sleep 0.1
done
bare_project=$(jq -r .project "$work/bare.json")

"$cg" bench seed --url "http://$API_ADDR" --project bench --key "$key" --users "$USERS" >"$work/api.ids"
"$cg" bench seed --url "http://$BARE_ADDR" --project "$bare_project" --users "$USERS" >"$work/bare.ids"

tag=$(date +%s%N)
run() { # name url mode project ids-or-tag
  local warm=$5
  if [ "$3" = post ]; then warm="$5-warm"; fi # warm-up emails must not collide
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$here/users.lua" "$2" -- "$3" "$4" "$key" "$warm" >/dev/null
  local line
  line=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$here/users.lua" "$2" -- "$3" "$4" "$key" "$5" | grep '^RESULT')
  printf '%-10s %s\n' "$1" "${line#RESULT }"
}

echo "wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2), threads $THREADS, connections $CONNS, warm-up $WARMUP, duration $DURATION, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "GET api" "http://$API_ADDR" get bench "$work/api.ids"
run "GET bare" "http://$BARE_ADDR" get "$bare_project" "$work/bare.ids"
run "POST api" "http://$API_ADDR" post bench "w$tag"
run "POST bare" "http://$BARE_ADDR" post "$bare_project" "w$tag"

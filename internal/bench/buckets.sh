#!/usr/bin/env bash
# Splits a `cellgate bench http --cpuprofile` profile into where the time
# goes, as a share of all CPU samples of the process (load generator
# included). Buckets overlap where a stack matches several (for example
# JSON inside the event insert); "handler" and "client" are the totals.
#
#   internal/bench/buckets.sh BINARY PROFILE
set -euo pipefail
bin=$1 prof=$2

share() { # focus [ignore]
  local args=(-top -nodecount=1000000 -focus "$1")
  if [ -n "${2:-}" ]; then args+=(-ignore "$2"); fi
  go tool pprof "${args[@]}" "$bin" "$prof" 2>/dev/null |
    sed -n 's/^Showing nodes accounting for [^,]*, \([0-9.]*%\) of .*/\1/p'
}

total=$(go tool pprof -top -nodecount=1 "$bin" "$prof" 2>/dev/null | sed -n 's/.*Total samples = \([^ ]*\) (\([^)]*\)).*/\1 over the run (\2 of one core)/p')
echo "profile $prof: $total"
printf '%-66s %s\n' \
  "load generator (client side, same process)" "$(share 'bench.Drive|net/http.\(\*persistConn\)|net/http.\(\*Transport\)')" \
  "server: net/http outside the handler (read/parse/write)" "$(share 'net/http.\(\*conn\).serve' 'observe|ServeMux')" \
  "server: handler (api: middleware+mux+handler; bare: mux+handler)" "$(share 'observe|ServeMux\).ServeHTTP')" \
  "  database/sql + SQLite driver" "$(share 'database/sql|modernc.org/sqlite')" \
  "    of which WAL checkpoint in the commit path" "$(share 'sqlite3WalDefaultHook|doWalCallbacks')" \
  "  encoding/json (decode, encode, event data)" "$(share 'encoding/json')" \
  "  events.Record (insert + JSON)" "$(share 'events\.')" \
  "  logging (slog JSON to io.Discard)" "$(share 'log/slog')" \
  "  metrics (prometheus)" "$(share 'prometheus')" \
  "  request id (ids.New)" "$(share 'ids.New')" \
  "  auth (authenticate, key cache, body read)" "$(share 'api.\(\*Server\).authenticate')" \
  "  project clock (projects.Now)" "$(share 'projects.Now')" \
  "  validation (validate.*, net/mail)" "$(share 'validate\.|net/mail')" \
  "runtime: GC (background mark + assists)" "$(share 'gcBgMarkWorker|gcAssist|bgsweep|bgscavenge')" \
  "runtime: scheduler idle/spinning (findRunnable, netpoll)" "$(share 'runtime.findRunnable|runtime.schedule$|runtime.netpoll')"

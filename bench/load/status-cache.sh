#!/usr/bin/env bash
# What the status cache costs and saves, on SQLite: for each setting, a server on a copy of one
# seeded database, its JIT warmed on 5,000 numbers, then
#   first lookups: 5 s over the other numbers, each asked once (every answer a read of the database,
#                  and with the cache on, a new entry);
#   hits:          8 s over the 5,000 warmed numbers (with the cache on, every answer from memory).
# Reported per pass: requests/s, the server's CPU per request (user + system, from /proc), latency
# percentiles, RSS. Settings alternate ROUNDS times (default 2), since this machine's speed drifts.
#   bench/load/status-cache.sh                       # cache on against cache off
#   BIN=/path/to/other/imidcare bench/load/status-cache.sh   # adds that build, cache on
# Environment: N (authorizations seeded, default 100000), ROUNDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-100000}; ROUNDS=${ROUNDS:-2}; export THREADS=2
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
dotnet build -c Release src/ImidCare.Server -v q -nologo >/dev/null
bin=$PWD/src/ImidCare.Server/bin/Release/net10.0/imidcare
dir=$(mktemp -d /tmp/imidcare-cache.XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
"$bin" seed --connection "Data Source=$dir/template.db;Pooling=true" >/dev/null
"$bin" bench-seed --connection "Data Source=$dir/template.db;Pooling=true" --authorizations "$N" --out "$dir/auths.txt" >/dev/null
head -n 5000 "$dir/auths.txt" > "$dir/warm.txt"; tail -n +5001 "$dir/auths.txt" > "$dir/fresh.txt"
port=5093
source bench/load/server.sh

run() { # label binary cache-enabled
  rm -f "$dir"/run.db*; cp "$dir/template.db" "$dir/run.db"
  ImidCare__StatusCache__Enabled=$3 start_server "$2" $port "$dir/server.log" --connection "Data Source=$dir/run.db;Pooling=true"
  wrk -t2 -c8 -d3s "http://127.0.0.1:$port/api/v1/ping" >/dev/null
  for _ in 1 2 3; do AUTHS="$dir/warm.txt" wrk -t2 -c32 -d4s -s bench/load/status.lua "http://127.0.0.1:$port" >/dev/null; done
  SPLIT=2 pass "$1 first lookups" 5 "$dir/fresh.txt" bench/load/status.lua
  pass "$1 hits" 8 "$dir/warm.txt" bench/load/status.lua
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

pass() { # label seconds numbers script
  local t0 t1 out rps
  t0=$(awk '{print $14 + $15}' /proc/$server/stat)
  out=$(AUTHS="$3" wrk -t2 -c32 -d"$2"s --latency -s "$4" "http://127.0.0.1:$port")
  t1=$(awk '{print $14 + $15}' /proc/$server/stat)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  printf "%-32s %9.0f req/s  %4.0f us CPU/req  %s  RSS %s MiB\n" "$1" "$rps" \
    "$(echo "($t1 - $t0) * 1000000 / $(getconf CLK_TCK) / ($rps * $2)" | bc -l)" \
    "$(echo "$out" | sed -n 's/percentiles (ms): //p')" "$(awk '/VmRSS/ {print int($2/1024)}' /proc/$server/status)"
}

echo "== machine: $(nproc) cores; $N authorizations; $(date -u +%FT%TZ)"
for _ in $(seq 1 "$ROUNDS"); do
  run "cache on" "$bin" true
  run "cache off" "$bin" false
  if [ -n "${BIN:-}" ]; then run "other build, cache on" "$BIN" true; fi
done

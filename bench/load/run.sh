#!/usr/bin/env bash
# Load test against the running server, in one run: the no-op endpoint (the HTTP limit of this
# machine), the authorization status check (read path) and confirm+dispense (durable write path).
#   bench/load/run.sh                          # SQLite in a temp folder
#   bench/load/run.sh --postgres "Host=...;Username=...;Database=..."
# Environment: N (authorizations to seed, default 30000), DUR (per run, default 15s), CONN (connections, default 32).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-30000}; DUR=${DUR:-15s}; CONN=${CONN:-32}; export THREADS=2
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

provider=sqlite
dir=$(mktemp -d /tmp/imidcare-load.XXXXXX)
conn="Data Source=$dir/load.db;Pooling=true"
if [ "${1:-}" = "--postgres" ]; then provider=postgres; conn="$2"; fi

dotnet build -c Release src/ImidCare.Server -v q -nologo >/dev/null
bin=src/ImidCare.Server/bin/Release/net10.0/imidcare
"$bin" seed --provider $provider --connection "$conn" >/dev/null
export AUTHS="$dir/auths.txt"
"$bin" bench-seed --provider $provider --connection "$conn" --authorizations "$N" --out "$AUTHS"

port=5091
ImidCare__RateLimit__PerCallerPerSecond=10000000 "$bin" serve --provider $provider --connection "$conn" --urls "http://127.0.0.1:$port" --no-demo >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
rss() { awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$server/status; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); storage: $provider; wrk -t$THREADS -c$CONN -d$DUR; server RSS before: $(rss)"
# Warm-up, so JIT and pools are not measured.
wrk -t2 -c8 -d3s "http://127.0.0.1:$port/api/v1/ping" >/dev/null
echo "== no-op: GET /api/v1/ping"
wrk -t$THREADS -c$CONN -d$DUR --latency "http://127.0.0.1:$port/api/v1/ping"
echo "== read path: GET /api/v1/authorizations/{number} (pharmacy key)"
wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/status.lua "http://127.0.0.1:$port"
echo "== write path: POST confirmations, then POST dispense"
wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/dispense.lua "http://127.0.0.1:$port"
echo "== server RSS after: $(rss)"
if [ $provider = sqlite ]; then
  "$bin" audit verify --connection "$conn"
fi

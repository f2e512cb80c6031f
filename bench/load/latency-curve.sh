#!/usr/bin/env bash
# The write path's latency against the rate offered (SQLite in a temp folder): confirm and dispense
# in one step, offered on a schedule (RATE in dispense.lua) at each rate in RATES, each on numbers of
# its own, with enough connections that the schedule never waits for a free one.
#   bench/load/latency-curve.sh
#   RATES="3000 4000 5000" SHUFFLE=1 REFILLS=1 bench/load/latency-curve.sh
#   RATES=0 CONN=128 bench/load/latency-curve.sh    # rate 0: as fast as the connections go (the closed-loop rate)
# Why this beside run.sh: wrk measures a request's latency from when it is sent, not from when the
# schedule wanted it sent. With few connections, a slow server holds the sends back and the wait is
# not counted (coordinated omission), so run.sh's "p99 at 80 %" reads lower at 32 connections than
# the same rate does at 128 (docs/benchmarks.md, "Session 23"). Here every rate is offered through
# CONN connections (default 256), and a rate the server cannot sustain shows as a p99 that grows
# with the pass instead of as a lower rate.
# Environment: RATES (dispenses/s, default "4000 5000 6000 7000 8000"; 0 = unpaced), DUR (per rate, default
# 15s), CONN (default 256), WARM (default 30s, unpaced, on 150,000 numbers of its own), SHUFFLE and
# REFILLS as in run.sh, KEEP=1 to keep the seeded database.
set -euo pipefail
cd "$(dirname "$0")/../.."
RATES=${RATES:-"4000 5000 6000 7000 8000"}; DUR=${DUR:-15s}; CONN=${CONN:-256}; WARM=${WARM:-30s}; export THREADS=2
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

dir=$(mktemp -d /tmp/imidcare-curve.XXXXXX)
conn="Data Source=$dir/load.db;Pooling=true"
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$dir"; else echo "== kept: $dir"; fi
}
trap cleanup EXIT

dotnet build -c Release src/ImidCare.Server -v q -nologo >/dev/null
bin=src/ImidCare.Server/bin/Release/net10.0/imidcare
warm_n=150000
# Each rate's numbers: its share of the pass and a tenth more, so a pass never runs out; an
# unpaced pass (0) gets 20,000 a second.
numbers_for() { if [ "$1" -gt 0 ]; then echo $(($1 * ${DUR%s} * 11 / 10)); else echo $((20000 * ${DUR%s})); fi; }
total=$warm_n; for r in $RATES; do total=$((total + $(numbers_for "$r"))); done
"$bin" seed --provider sqlite --connection "$conn" >/dev/null
refills=""; if [ "${REFILLS:-0}" = 1 ]; then refills=--refills; fi
"$bin" bench-seed --provider sqlite --connection "$conn" --authorizations "$total" $refills --out "$dir/seeded.txt" >/dev/null
if [ "${SHUFFLE:-0}" = 1 ]; then shuf --random-source=<(yes) -o "$dir/seeded.txt" "$dir/seeded.txt"; fi
head -n $warm_n "$dir/seeded.txt" > "$dir/warm.txt"
from=$warm_n
for r in $RATES; do
  n=$(numbers_for "$r")
  sed -n "$((from + 1)),$((from + n))p" "$dir/seeded.txt" > "$dir/rate-$r.txt"
  from=$((from + n))
done

port=5092
source bench/load/server.sh
start_server "$bin" $port "$dir/server.log" --provider sqlite --connection "$conn"

echo "== machine: $(nproc) cores; SQLite; one step; wrk -t$THREADS -c$CONN -d$DUR per rate; order: $([ "${SHUFFLE:-0}" = 1 ] && echo random || echo seeded); $([ -n "$refills" ] && echo refills || echo 'first fills')"
AUTHS="$dir/warm.txt" ONE_STEP=1 wrk -t$THREADS -c$CONN -d$WARM -s bench/load/dispense.lua "http://127.0.0.1:$port" | grep -E "dispenses" | sed 's/^ */   warm-up (unpaced): /'
printf "%10s %10s %8s %8s %8s %8s\n" offered/s durable/s p50_ms p99_ms p99.9_ms max_ms
for r in $RATES; do
  out=$(AUTHS="$dir/rate-$r.txt" RATE=$r ONE_STEP=1 wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/dispense.lua "http://127.0.0.1:$port")
  done_rate=$(echo "$out" | sed -n 's/.*(\([0-9]*\) durable dispenses\/s).*/\1/p')
  echo "$out" | awk -v r="$([ "$r" -gt 0 ] && echo "$r" || echo unpaced)" -v d="${done_rate:-0}" '/^percentiles/ {printf "%10s %10s %8s %8s %8s %8s\n", r, d, $4, $8, $10, $12}'
  if echo "$out" | grep -q "refused: [1-9]\|other: [1-9]"; then echo "$out" | grep -E "dispenses" | sed 's/^/   (not all dispensed) /'; fi
done
echo "== $(curl -s "http://127.0.0.1:$port/health")"

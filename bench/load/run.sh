#!/usr/bin/env bash
# Load test against the running server, in one run: the database's raw commit rate, then the
# no-op endpoint (the HTTP limit of this machine), the authorization status check (read path) and
# confirm+dispense (durable write path).
#   bench/load/run.sh                          # SQLite in a temp folder
#   bench/load/run.sh --postgres auto          # a throw-away PostgreSQL (Debian package), fsync on
#   bench/load/run.sh --postgres "Host=...;Username=...;Database=..."
#   bench/load/run.sh --sqlite-file /path/to/existing.db   # e.g. the million-patient database
# Environment: N (authorizations for the status passes, default 100000; the first WARM_SHARE
# percent, default 60, are used by the write warm-up), DISPENSE_N (more authorizations, used only by
# the measured confirm+dispense pass; default 8,000 per second of DUR, so the pass cannot run out of
# numbers below 8,000 dispenses/s), DUR (per run, default 15s), WARM (write warm-up, default
# 45s: the runtime's tiered JIT takes that long under load to settle the write path, and before
# it does the figure is a third of the steady one), CONN (connections of the read passes, default
# 32), WRITE_CONN (connections of the write passes and their warm-ups, default CONN: the writer
# commits what is waiting when it turns, so a write pass's rate grows with how many requests can
# wait; WRITE_CONN=128 is the highest rate measured; docs/benchmarks.md "Session 23"), PACED_CONN
# (connections of the paced passes, default 256: enough that the schedule never waits for a free
# one, so the p99 counts the time a slow server holds requests back; through 32, wrk left that
# wait uncounted: the one-step p99 at 80 % read 7 ms there, 21 and 31 ms through 64 and 128), PACED_SHARE
# (default 80: after the measured write pass, the same load offered at that percentage of the rate
# it reached, on PACED_N more numbers, default 7,000 per second of DUR), ONE_N and ONE_PACED_N (the
# same two passes again in one step, POST /authorizations/{number}/dispense, one request per
# dispense, on numbers of their own: default 13,000 and 11,000 per second of DUR, after a 10-s warm-up
# of that path on 60,000 more), SOAK (seconds; when set, a
# mixed read+write soak of that length with the server's RSS sampled every minute: status checks as
# fast as 16 connections go, and confirm+dispense offered at SOAK_RATE dispenses/s, default 1,000,
# on SOAK x SOAK_RATE numbers seeded for it, so the writes run for the whole soak; the 10-minute
# soak is SOAK=600, not part of CI), SHUFFLE (1: every pass takes its numbers in a random order, the
# same each run, instead of the order the patients were seeded in; see below), REFILLS (1: every
# seeded patient has had an earlier fill, so each dispense is a refill, as most at a real counter
# are, instead of a first fill; `bench-seed --refills`).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-100000}; DUR=${DUR:-15s}; DISPENSE_N=${DISPENSE_N:-$(( ${DUR%s} * 8000 ))}; PACED_N=${PACED_N:-$(( ${DUR%s} * 7000 ))}
ONE_N=${ONE_N:-$(( ${DUR%s} * 13000 ))}; ONE_PACED_N=${ONE_PACED_N:-$(( ${DUR%s} * 11000 ))}; WARM=${WARM:-45s}; WARM_SHARE=${WARM_SHARE:-60}; CONN=${CONN:-32}; WRITE_CONN=${WRITE_CONN:-$CONN}; PACED_CONN=${PACED_CONN:-256}; export THREADS=2
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

provider=sqlite
dir=$(mktemp -d /tmp/imidcare-load.XXXXXX)
conn="Data Source=$dir/load.db;Pooling=true"
pg_dir=""
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  if [ -n "$pg_dir" ]; then
    su postgres -c "$(ls -d /usr/lib/postgresql/*/bin | tail -1)/pg_ctl -D $pg_dir -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  # The seeded database is gigabytes (2.4-2.7 GB at the default N with refills); KEEP=1 leaves it to inspect.
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$dir"; else echo "== kept: $dir"; fi
}
trap cleanup EXIT
fresh=yes
case "${1:-}" in
  --postgres)
    provider=postgres
    if [ "$2" = auto ]; then
      command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
      pgbin=$(ls -d /usr/lib/postgresql/*/bin | tail -1); port_pg=${PGPORT_LOAD:-55499}
      pg_dir=$(mktemp -d /tmp/imidcare-loadpg.XXXXXX); chown postgres:postgres "$pg_dir"; chmod 700 "$pg_dir"
      su postgres -c "$pgbin/initdb -D $pg_dir -U postgres --auth=trust -E UTF8 >/dev/null"
      su postgres -c "$pgbin/pg_ctl -D $pg_dir -o '-p $port_pg -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200' -l $pg_dir/log.txt -w start" >/dev/null
      su postgres -c "$pgbin/createdb -h 127.0.0.1 -p $port_pg imidcare_load"
      conn="Host=127.0.0.1;Port=$port_pg;Username=postgres;Password=unused;Database=imidcare_load;Pooling=true;Maximum Pool Size=64"
    else
      conn="$2"
    fi ;;
  --sqlite-file) conn="Data Source=$2;Pooling=true"; fresh=no ;;
esac

dotnet build -c Release src/ImidCare.Server -v q -nologo >/dev/null
bin=src/ImidCare.Server/bin/Release/net10.0/imidcare
export AUTHS="$dir/auths.txt"
if [ $fresh = yes ]; then "$bin" seed --provider $provider --connection "$conn" >/dev/null; fi
refills=""; if [ "${REFILLS:-0}" = 1 ]; then refills=--refills; fi
"$bin" bench-seed --provider $provider --connection "$conn" --authorizations "$((N + DISPENSE_N + PACED_N + ONE_N + ONE_PACED_N + 60000))" $refills --out "$dir/seeded.txt"
# In seeded order, consecutive dispenses write neighbouring authorization and enrollment rows and
# index leaves, which a batch then shares; a real counter serves patients in no order. SHUFFLE=1
# measures that (a fixed random source, so two runs dispense in the same order).
if [ "${SHUFFLE:-0}" = 1 ]; then shuf --random-source=<(yes) -o "$dir/seeded.txt" "$dir/seeded.txt"; fi
# The status passes' numbers, and apart from them the measured write pass's: until session 14 that
# pass took the 40 % the warm-up left, and at about 2,600/s used them all before its 15 s ended.
head -n "$N" "$dir/seeded.txt" > "$AUTHS"; sed -n "$((N + 1)),$((N + DISPENSE_N))p" "$dir/seeded.txt" > "$dir/dispense.txt"
sed -n "$((N + DISPENSE_N + 1)),$((N + DISPENSE_N + PACED_N))p" "$dir/seeded.txt" > "$dir/paced.txt"
from=$((N + DISPENSE_N + PACED_N))
sed -n "$((from + 1)),$((from + ONE_N))p" "$dir/seeded.txt" > "$dir/one.txt"
sed -n "$((from + ONE_N + 1)),$((from + ONE_N + ONE_PACED_N))p" "$dir/seeded.txt" > "$dir/one-paced.txt"
tail -n +"$((from + ONE_N + ONE_PACED_N + 1))" "$dir/seeded.txt" > "$dir/one-warm.txt"

echo "== storage: raw durable commits on this machine ($provider)"
"$bin" storage-probe --provider $provider --connection "$conn" --seconds 5

port=5091
source bench/load/server.sh
start_server "$bin" $port "$dir/server.log" --provider $provider --connection "$conn"
# SQLite's pages are read through a memory map (session 22): they count in RSS as file pages, the
# kernel's page cache, which it can drop; the anonymous part is the server's own memory.
rss() { awk '/VmRSS/ {t=$2} /RssAnon/ {a=$2} END {printf "%.0f MiB (anonymous %.0f MiB)\n", t/1024, a/1024}' /proc/$server/status; }
writes() { curl -s "http://127.0.0.1:$port/health"; }
# The server's own CPU (user + system, from /proc) and its storage writes over one wrk run, per
# request: steadier than throughput on a machine whose speed drifts, so an A/B of two builds can be
# read from these (docs/benchmarks.md, "Session 9"). Writes are what reached the block layer: the
# log, the checkpoints and the fsyncs' metadata.
# The writer thread's time on a CPU and runnable but waiting for one, in nanoseconds from the
# scheduler (schedstat): its utime and stime are counted in ticks and under-stated it by about 40 %
# (docs/benchmarks.md, "Session 20").
writer_sched() { local t; t=$(grep -lx "ImidCare writer" /proc/$server/task/*/comm 2>/dev/null | head -1); [ -n "$t" ] && cat "${t%/comm}/schedstat" || echo "0 0 0"; }
measured() {
  local hz t0 b0 out t1 b1 n d w0 w1
  hz=$(getconf CLK_TCK)
  t0=$(awk '{print $14 + $15}' /proc/$server/stat); b0=$(awk '/^write_bytes/ {print $2}' /proc/$server/io); w0=$(writer_sched)
  out=$("$@"); echo "$out"
  t1=$(awk '{print $14 + $15}' /proc/$server/stat); b1=$(awk '/^write_bytes/ {print $2}' /proc/$server/io); w1=$(writer_sched)
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  d=$(echo "$out" | sed -n 's/.*dispenses: \([0-9]*\).*/\1/p')
  awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$n" -v d="${d:-0}" -v b=$((b1 - b0)) -v w0="$w0" -v w1="$w1" 'BEGIN {
    printf "   server CPU: %.0f us per request", t * 1e6 / hz / n
    if (d > 0) {
      split(w0, a, " "); split(w1, z, " ")
      printf ", %.0f us and %.1f KB written per dispense (confirm + dispense)", t * 1e6 / hz / d, b / 1024 / d
      printf "; the writer thread %.0f us on a CPU and %.0f us waiting for one per dispense", (z[1] - a[1]) / 1000 / d, (z[2] - a[2]) / 1000 / d
    }
    printf "\n" }'
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); storage: $provider; wrk -t$THREADS -c$CONN -d$DUR (writes -c$WRITE_CONN, paced -c$PACED_CONN); server RSS before: $(rss)"
# Warm-up, so JIT and pools are not measured.
wrk -t2 -c8 -d3s "http://127.0.0.1:$port/api/v1/ping" >/dev/null
warm_n=$(( $(wc -l < "$AUTHS") * WARM_SHARE / 100 ))
head -n "$warm_n" "$AUTHS" > "$dir/warm.txt"
# Only numbers the write warm-up then writes to: their cached status goes stale with those writes
# (the cache is kept per patient), so the first read pass below finds nothing cached.
AUTHS="$dir/warm.txt" wrk -t2 -c8 -d10s -s bench/load/status.lua "http://127.0.0.1:$port" >/dev/null
AUTHS="$dir/warm.txt" wrk -t$THREADS -c$WRITE_CONN -d$WARM -s bench/load/dispense.lua "http://127.0.0.1:$port" | grep -E "dispenses|lower bound" | sed 's/^ */   write warm-up: /'
echo "== no-op: GET /api/v1/ping"
measured wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/noop.lua "http://127.0.0.1:$port"
echo "== read path: GET /api/v1/authorizations/{number} (pharmacy key), each number's first lookup since the writes above (status cache before: $(writes | sed 's/.*"statusCache"://; s/}}$/}/'))"
measured wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/status.lua "http://127.0.0.1:$port"
# The same numbers again, nothing written in between: the status cache answers (docs/reliability.md).
echo "== read path, repeated lookups (status cache: $(writes | sed 's/.*"statusCache"://; s/}}$/}/'))"
measured wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/status.lua "http://127.0.0.1:$port"
echo "   status cache after: $(writes | sed 's/.*"statusCache"://; s/}}$/}/')"
# The same reads while a patient records doses, about 20 a second on one connection
# (bench/load/diary.lua): no diary row is a fact the status check is decided on, so the cache keeps
# answering (docs/reliability.md). The server CPU per request counts the diary's writes too.
token=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"username":"john","password":"demo-john-2026"}' \
  "http://127.0.0.1:$port/api/v1/session" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
if [ -n "$token" ]; then
  echo "== read path while a patient records doses (status cache: $(writes | sed 's/.*"statusCache"://; s/}}$/}/'))"
  TOKEN=$token PATIENT=pat_demo_john DAY=$(TZ=America/New_York date +%F) wrk -t1 -c1 -d$DUR -s bench/load/diary.lua "http://127.0.0.1:$port" >"$dir/diary.txt" &
  diary=$!
  measured wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/status.lua "http://127.0.0.1:$port"
  wait $diary
  grep "diary entries" "$dir/diary.txt" | sed 's/^/   /'
  echo "   status cache after: $(writes | sed 's/.*"statusCache"://; s/}}$/}/')"
else
  echo "== (no demo patient could log in: the read path beside diary writes is not measured)"
fi
if [ -n "$pg_dir" ]; then
  # Another application's database on the same PostgreSQL server, committing about 40 times a
  # second: its writes are none of ImidCare's facts, so the cache keeps answering (since session
  # 12 the watcher reads a count only writes to the cached tables move; before, every writing
  # transaction on the server emptied it: docs/decisions/0006).
  su postgres -c "$pgbin/psql -q -h 127.0.0.1 -p $port_pg -d postgres -c 'CREATE DATABASE neighbour'" >/dev/null
  su postgres -c "$pgbin/psql -q -h 127.0.0.1 -p $port_pg -d neighbour -c 'CREATE TABLE t (i int)'" >/dev/null
  echo "== read path while another database on this PostgreSQL server commits (status cache: $(writes | sed 's/.*"statusCache"://; s/}}$/}/'))"
  ( for i in $(seq 1 $(( ${DUR%s} * 40 ))); do echo "INSERT INTO t VALUES ($i); SELECT pg_sleep(0.025);"; done |
    su postgres -c "$pgbin/psql -q -h 127.0.0.1 -p $port_pg -d neighbour" >/dev/null ) &
  neighbour=$!
  measured wrk -t$THREADS -c$CONN -d$DUR --latency -s bench/load/status.lua "http://127.0.0.1:$port"
  wait $neighbour
  echo "   status cache after: $(writes | sed 's/.*"statusCache"://; s/}}$/}/')"
fi
# A measured write pass on the numbers in $3, then (issue 6 asks for the p99 at 80 % of the durable
# rate) the same load offered at PACED_SHARE % of the rate it reached, on a schedule (RATE in
# dispense.lua), on the numbers in $4. $1 names the path in the headings, $2 says what it sends.
write_passes() {
  local name=$1 what=$2 numbers=$3 paced=$4 out="$dir/$(basename "$3" .txt)-out.txt" rate paced_rate
  echo "== write path$name: $what   (gate before: $(writes))"
  AUTHS="$numbers" measured wrk -t$THREADS -c$WRITE_CONN -d$DUR --latency -s bench/load/dispense.lua "http://127.0.0.1:$port" | tee "$out"
  rate=$(sed -n 's/.*(\([0-9]*\) durable dispenses\/s).*/\1/p' "$out")
  if [ -n "$rate" ] && [ "$rate" -gt 0 ]; then
    paced_rate=$(( rate * ${PACED_SHARE:-80} / 100 ))
    echo "== write path$name at ${PACED_SHARE:-80} % of that rate: $paced_rate dispenses/s offered"
    AUTHS="$paced" RATE=$paced_rate measured wrk -t$THREADS -c$PACED_CONN -d$DUR --latency -s bench/load/dispense.lua "http://127.0.0.1:$port"
  fi
}
write_passes "" "POST confirmations, then POST dispense" "$dir/dispense.txt" "$dir/paced.txt"
# The same two passes with both steps in one request (POST /authorizations/{number}/dispense): one
# HTTP request and one turn of the writer per dispense instead of two (docs/benchmarks.md, "Session 20").
AUTHS="$dir/one-warm.txt" ONE_STEP=1 wrk -t$THREADS -c$WRITE_CONN -d10s -s bench/load/dispense.lua "http://127.0.0.1:$port" | grep -E "dispenses" | sed 's/^ */   one-step warm-up: /'
ONE_STEP=1 write_passes " in one step" "POST /authorizations/{number}/dispense" "$dir/one.txt" "$dir/one-paced.txt"
echo "== gate after: $(writes)"
echo "== server RSS after: $(rss)"

if [ -n "${SOAK:-}" ]; then
  # Bounded in time (SOAK seconds) and in count (the seeded authorizations); loopback only.
  soak_rate=${SOAK_RATE:-1000}
  "$bin" bench-seed --provider $provider --connection "$conn" --authorizations "$N" --out "$AUTHS" >/dev/null 2>&1 || true
  # Until session 15 the writes took these N numbers too, used them up in the first minute and sent
  # pings for the rest: the soak was a write soak for a tenth of its length.
  "$bin" bench-seed --provider $provider --connection "$conn" --authorizations "$(( SOAK * soak_rate ))" --out "$dir/soak-writes.txt" >/dev/null
  echo "== soak: ${SOAK}s of status checks and confirm+dispense (offered at $soak_rate/s) together; RSS at start: $(rss)"
  wrk -t1 -c16 -d${SOAK}s -s bench/load/status.lua "http://127.0.0.1:$port" >"$dir/soak-read.txt" &
  r=$!
  AUTHS="$dir/soak-writes.txt" RATE=$soak_rate THREADS=1 wrk -t1 -c16 -d${SOAK}s --latency -s bench/load/dispense.lua "http://127.0.0.1:$port" >"$dir/soak-write.txt" &
  w=$!
  for m in $(seq 60 60 "$SOAK"); do sleep 60; echo "   after ${m}s: RSS $(rss), gate $(writes | sed 's/.*"writes":{\([^}]*\)}.*/\1/')"; done
  wait $r $w
  grep -h "Requests/sec\|percentiles\|dispenses" "$dir/soak-read.txt" "$dir/soak-write.txt"
  echo "== RSS after soak: $(rss)"
fi

if [ $provider = sqlite ]; then
  "$bin" audit verify --connection "$conn"
else
  "$bin" audit verify --provider postgres --connection "$conn"
fi

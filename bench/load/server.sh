# Sourced by the load scripts: the one way they start the server under test.
# start_server BIN PORT LOG [serve options...]: `BIN serve` in the background, its pid in $server,
# then waits (up to 2 minutes) until /health answers. The reminder job is off: its first run at
# start-up plans every seeded patient's reminders and would overlap the measurement
# (docs/benchmarks.md, "What the figures leave out"). The per-caller rate limit is out of reach:
# one pharmacy key sends every request. Settings of a caller's own go before the call
# (`ImidCare__StatusCache__Enabled=false start_server ...`).
start_server() {
  local bin=$1 port=$2 log=$3
  shift 3
  ImidCare__Reminders__Enabled=false ImidCare__RateLimit__PerCallerPerSecond=10000000 \
    "$bin" serve --urls "http://127.0.0.1:$port" --no-demo "$@" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
}

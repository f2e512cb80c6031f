#!/usr/bin/env bash
# Runs the whole ImidCare test suite on a fresh machine of this kind:
#   - installs what is missing (PostgreSQL, python3-icalendar, python3-aiosmtpd, chromium) from Debian packages,
#   - starts a throw-away PostgreSQL on 127.0.0.1:55432 unless IMIDCARE_TEST_PG names one,
#   - restores NuGet packages and runs every test project (SQLite and PostgreSQL storage tests included),
#   - ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

log() { printf '[test.sh] %s\n' "$*" >&2; }

# --- what the tests need from Debian -------------------------------------------------------
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
python3 -c 'import icalendar' >/dev/null 2>&1 || missing+=(python3-icalendar)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)   # the SMTP sink the reminder-email tests send to
[ -x /usr/bin/chromium ] || missing+=(chromium)          # the browser tests drive Debian's Chromium (never a download)
command -v npm >/dev/null 2>&1 || missing+=(npm)          # fetches axe-core for the accessibility checks
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# axe-core (npm registry) for the browser tests' accessibility checks, unpacked outside git.
axe="$root/artifacts/axe-core/axe.min.js"
if [ ! -f "$axe" ]; then
  log "fetching axe-core from the npm registry"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent axe-core@4.11.0 >/dev/null && tar xzf axe-core-4.11.0.tgz package/axe.min.js)
  mkdir -p "$(dirname "$axe")" && cp "$tmp/package/axe.min.js" "$axe" && rm -rf "$tmp"
fi
export IMIDCARE_AXE="$axe"

# --- a throw-away PostgreSQL ------------------------------------------------------------------
pg_dir=""
stop_pg() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    su postgres -c "$(ls -d /usr/lib/postgresql/*/bin | tail -1)/pg_ctl -D $pg_dir -m immediate -w stop" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap stop_pg EXIT
if [ -z "${IMIDCARE_TEST_PG:-}" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
  port=${IMIDCARE_TEST_PG_PORT:-55432}
  pg_dir=$(mktemp -d /tmp/imidcare-pg.XXXXXX)
  chown postgres:postgres "$pg_dir"; chmod 700 "$pg_dir"
  log "starting PostgreSQL ($bin) on 127.0.0.1:$port"
  su postgres -c "$bin/initdb -D $pg_dir -U postgres --auth=trust -E UTF8 >/dev/null"
  # fsync stays on: the durability tests mean what they say.
  su postgres -c "$bin/pg_ctl -D $pg_dir -o '-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200' -l $pg_dir/log.txt -w start" >/dev/null
  export IMIDCARE_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Password=unused;Pooling=true"
fi

# --- node + ajv for the interop schema tests (FHIR R4 JSON schema, CDS Hooks 2.0 schema) ---------
[ -d tests/fhir-validation/node_modules ] || npm ci --prefix tests/fhir-validation --no-audit --no-fund >/dev/null

# --- build and test -----------------------------------------------------------------------------
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet restore ImidCare.slnx >/dev/null
if ! dotnet build ImidCare.slnx --no-restore -c Debug >"$results/build.log" 2>&1; then
  grep -E " error " "$results/build.log" | sort -u >&2 || tail -30 "$results/build.log" >&2
  log "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
status=0
dotnet test ImidCare.slnx --no-build --logger "trx" --results-directory "$results" "$@" || status=$?

# --- one summary line, counted from the result files ---------------------------------------------
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    if c is None:
        continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status

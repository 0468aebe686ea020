#!/usr/bin/env bash
# HTTP load on loopback: the standalone server's authenticated dashboard JSON against a bare
# hyper "hello" server, on SQLite and (when PORTICO_TEST_POSTGRES_URL is set) PostgreSQL, and
# the server's resident memory with 10,000 live sessions.
#
#   benches/load/http.sh            (DURATION=10s THREADS=2 CONNECTIONS=32 by default;
#                                    SKIP_BUILD=1 to use the binaries already built)
#
# Builds both binaries in release, starts each in turn, signs a demo client in through the
# JSON API (POST /api/v1/demo/sign-in), then runs
#   wrk -t2 -c32 -d10s --latency  -H "Cookie: <session>"  /api/v1/demo/properties/{id}
# and the same against the hello server, and prints requests/s and p99 of each. Then it adds
# 10,000 sessions (copies of the signed-in one with fresh tokens, in one transaction), runs
# wrk for 5 s cycling through all of their cookies (each one authenticated), and reads VmRSS
# from /proc/PID/status before and after. The server runs with rate_limits=false (the
# per-address limits would answer 429 to a load generator on one address).
set -euo pipefail

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
SESSIONS=${SESSIONS:-10000}
HELLO_ADDR=127.0.0.1:18088
SERVER_ADDR=127.0.0.1:18080

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "== building (release)"
  cargo build --release -q -p portico-server --bin portico
  cargo build --release -q -p portico-benches --bin hello
fi
target=${CARGO_TARGET_DIR:-$root/target}/release

work=$(mktemp -d)
pids=()
pgdb=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$pgdb" ]; then psql -q "$PORTICO_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  echo "nothing answers at $1" >&2
  return 1
}

# Prints "req/s p99 non2xx" from a wrk --latency report.
summarize() {
  local rps p99 bad
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
  p99=$(awk '$1 == "99%" {print $2}' "$1")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$1")
  echo "${rps:-?} ${p99:-?} ${bad:-0}"
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), wrk -t$THREADS -c$CONNECTIONS -d$DURATION"

"$target/hello" "$HELLO_ADDR" >"$work/hello.log" 2>&1 &
pids+=($!)
wait_for "http://$HELLO_ADDR/"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://$HELLO_ADDR/" >"$work/wrk-hello.txt"
read -r hello_rps hello_p99 hello_bad < <(summarize "$work/wrk-hello.txt")
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
printf '%-28s %12s req/s   p99 %-9s non-2xx %s\n' "bare hyper hello" "$hello_rps" "$hello_p99" "$hello_bad"

run_server() { # label database_url sessions_kind sessions_target
  local label=$1 db=$2 skind=$3 starget=$4
  PORTICO_RATE_LIMITS=false PORTICO_LOG_FORMAT=json RUST_LOG=warn \
    "$target/portico" serve --demo --listen "$SERVER_ADDR" --database-url "$db" >"$work/$label.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_for "http://$SERVER_ADDR/healthz"
  for _ in $(seq 1 100); do grep -q "Demo clients" "$work/$label.log" && break; sleep 0.1; done
  # The first demo client with a password: "email password role note".
  local login password
  # Columns: 4 spaces, email (28), password (36), role, note.
  login=$(awk '/Demo clients:/ {on=1; next} on && $1 ~ /@/ && substr($0, 34, 1) != "(" {print $1; exit}' "$work/$label.log")
  password=$(awk '/Demo clients:/ {on=1; next} on && $1 ~ /@/ && substr($0, 34, 1) != "(" {print substr($0, 34, 36); exit}' "$work/$label.log" | sed 's/ *$//')
  [ -n "$login" ] || { echo "no demo client with a password in the server's output" >&2; cat "$work/$label.log" >&2; return 1; }
  local base="http://$SERVER_ADDR"
  curl -s -D "$work/signin.h" -o "$work/signin.json" \
    -H 'Content-Type: application/json' -H "Origin: $base" -H 'Sec-Fetch-Site: same-origin' \
    --data "{\"login\":\"$login\",\"password\":\"$password\"}" "$base/api/v1/demo/sign-in"
  local cookie
  cookie=$(grep -i '^set-cookie: portico_session_demo=' "$work/signin.h" | head -1 | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')
  [ -n "$cookie" ] || { echo "sign-in failed:" >&2; cat "$work/signin.h" "$work/signin.json" >&2; return 1; }
  curl -s -H "Cookie: $cookie" "$base/api/v1/demo/properties" >"$work/portfolio.json"
  local property
  property=$(python3 -c 'import json,sys
def find(v):
    if isinstance(v, dict):
        if "property" in v and isinstance(v["property"], str): return v["property"]
        for x in v.values():
            r = find(x)
            if r: return r
    if isinstance(v, list):
        for x in v:
            r = find(x)
            if r: return r
print(find(json.load(open(sys.argv[1]))) or "")' "$work/portfolio.json")
  [ -n "$property" ] || { echo "no property in the portfolio:" >&2; cat "$work/portfolio.json" >&2; return 1; }
  local url="$base/api/v1/demo/properties/$property"
  local status
  status=$(curl -s -o "$work/dashboard.json" -w '%{http_code}' -H "Cookie: $cookie" "$url")
  [ "$status" = 200 ] || { echo "dashboard answered $status" >&2; cat "$work/dashboard.json" >&2; return 1; }
  echo "   $label: signed in as $login; dashboard of $property: $(wc -c <"$work/dashboard.json") bytes, $(grep -o '"state":"ready"' "$work/dashboard.json" | wc -l) widgets ready"

  local rss0
  rss0=$(rss_kib "$pid")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $cookie" "$url" >"$work/wrk-$label.txt"
  local rps p99 bad
  read -r rps p99 bad < <(summarize "$work/wrk-$label.txt")
  local ratio
  ratio=$(python3 -c "print(f'{$rps / $hello_rps:.3f}')")
  printf '%-28s %12s req/s   p99 %-9s non-2xx %s   (%s of hello)\n' "portico dashboard, $label" "$rps" "$p99" "$bad" "$ratio"
  local rss1
  rss1=$(rss_kib "$pid")

  local token=${cookie#*=}
  python3 "$root/benches/load/sessions.py" "$skind" "$starget" "$token" "$SESSIONS" "$work/cookies.txt" demo >/dev/null
  COOKIES_FILE="$work/cookies.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d5s --latency -s "$root/benches/load/cookies.lua" "$url" >"$work/wrk-$label-sessions.txt"
  local srps sp99 sbad
  read -r srps sp99 sbad < <(summarize "$work/wrk-$label-sessions.txt")
  local rss2
  rss2=$(rss_kib "$pid")
  printf '%-28s %12s req/s   p99 %-9s non-2xx %s   (cycling %s sessions)\n' "portico dashboard, $label" "$srps" "$sp99" "$sbad" "$SESSIONS"
  echo "   $label RSS: ${rss0} KiB after start and sign-in, ${rss1} KiB after the load, ${rss2} KiB with $((SESSIONS + 1)) live sessions"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

db="$work/load.db"
run_server sqlite "sqlite://$db?mode=rwc" sqlite "$db"

if [ -n "${PORTICO_TEST_POSTGRES_URL:-}" ]; then
  pgdb="portico_load_$$"
  psql -q "$PORTICO_TEST_POSTGRES_URL" -c "CREATE DATABASE $pgdb" >/dev/null
  pgurl="${PORTICO_TEST_POSTGRES_URL%/*}/$pgdb"
  run_server postgres "$pgurl" postgres "$pgurl"
else
  echo "SKIPPED: PORTICO_TEST_POSTGRES_URL not set (no PostgreSQL run)" >&2
fi

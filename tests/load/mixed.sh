#!/usr/bin/env bash
# Bounded mixed load on the standalone server (issue 9, item 6).
#
#   bash tests/load/mixed.sh [SECONDS]        # default 60
#
# Builds the release `portico` binary, starts `portico serve --demo` on a loopback port with a
# fresh SQLite file (or on PostgreSQL when LOAD_DATABASE_URL=postgres://… is set; give it a
# database or schema of its own), signs clients in, and runs wrk with tests/load/mixed.lua:
# sign-ins, dashboard JSON, property lists and document downloads. Samples the server's VmRSS
# every LOAD_SAMPLE seconds (default 5).
#
# Fails when an answer is neither 2xx/3xx nor 429 (rate limits), when wrk saw transport
# errors, or when the mean RSS of the last third of the samples is more than 20% over the
# mean of the first third (sampled after a LOAD_WARMUP-second warm-up, default 30).
#
# Clients: the demo seed's active clients (password LOAD_DEMO_PASSWORD, default the demo's)
# when it prints any; otherwise clients created here through the admin API with the printed
# staff key, activated with the link read from the outbox (mail stays there: no smtp_url).
#
# Settings (environment): LOAD_CONNECTIONS (16), LOAD_THREADS (2), LOAD_WEIGHTS (see
# mixed.lua), LOAD_RATE_LIMITS (false: the per-address limits would answer most of one
# address's load with 429; set true to measure them), LOAD_ARGON2_MEMORY_KIB (the default,
# 19456), LOAD_DATABASE_URL, LOAD_SKIP_BUILD=1 (use the existing release binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

DURATION="${1:-60}"
CONNECTIONS="${LOAD_CONNECTIONS:-16}"
THREADS="${LOAD_THREADS:-2}"
SAMPLE="${LOAD_SAMPLE:-5}"
DEMO_PASSWORD="${LOAD_DEMO_PASSWORD:-harbour demo passphrase 2026}"
CLIENT_PASSWORD="violet tractor umbrella ocean 1987"
SLUG=demo

log() { printf '[mixed] %s\n' "$*" >&2; }
die() { printf '[mixed] FAIL: %s\n' "$*" >&2; exit 1; }

for tool in wrk curl jq; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install -y $tool)"
done

if [[ "${LOAD_SKIP_BUILD:-0}" != "1" ]]; then
  log "building the release binary (cargo build --release -p portico-server)"
  cargo build --release -p portico-server >&2
fi
BIN="$ROOT/target/release/portico"
[[ -x "$BIN" ]] || die "no release binary at $BIN"

WORK=$(mktemp -d /tmp/portico-mixed.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "${PG_SCHEMA:-}" && "${LOAD_KEEP:-0}" != "1" ]]; then
    psql "$PG_ADMIN_URL" -qc "DROP SCHEMA $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
  fi
  if [[ "${LOAD_KEEP:-0}" != "1" ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

DB_URL="${LOAD_DATABASE_URL:-sqlite://$WORK/portico.db?mode=rwc}"
PG_SCHEMA=""
if [[ "$DB_URL" == postgres* ]]; then
  # A schema of this run's own on the shared server, dropped at the end.
  command -v psql >/dev/null 2>&1 || die "psql is missing"
  PG_ADMIN_URL="$DB_URL"
  PG_SCHEMA="portico_load_$(date +%s)_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE SCHEMA $PG_SCHEMA" >/dev/null
  sep='?'; [[ "$DB_URL" == *\?* ]] && sep='&'
  DB_URL="${DB_URL}${sep}options=-c%20search_path%3D${PG_SCHEMA}"
fi
log "starting portico serve --demo on ${DB_URL%%\?*}"
env PORTICO_LISTEN=127.0.0.1:0 \
  PORTICO_DATABASE_URL="$DB_URL" \
  PORTICO_RATE_LIMITS="${LOAD_RATE_LIMITS:-false}" \
  PORTICO_LOG_FORMAT=json \
  ${LOAD_ARGON2_MEMORY_KIB:+PORTICO_ARGON2_MEMORY_KIB=$LOAD_ARGON2_MEMORY_KIB} \
  RUST_LOG="${RUST_LOG:-warn}" \
  "$BIN" serve --demo >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!

ADDR=""
for _ in $(seq 1 600); do
  ADDR=$(sed -n 's/^Portico is listening on http:\/\///p' "$WORK/stdout" | head -n1)
  [[ -n "$ADDR" ]] && grep -q "^Stop with" "$WORK/stdout" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/stderr" >&2; die "the server exited"; }
  sleep 0.1
done
[[ -n "$ADDR" ]] || die "the server did not print its address within 60 s"
BASE="http://$ADDR"
KEY=$(sed -n 's/.*Staff API key[^:]*: *\(pkey_[A-Za-z0-9_-]*\).*/\1/p' "$WORK/stdout" | head -n1)
[[ -n "$KEY" ]] || die "no staff API key in the server's output"
log "server pid $SERVER_PID at $BASE"

api() { # METHOD PATH [JSON] — admin API; prints the body, fails on a non-2xx answer
  local out code
  out=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X "$1" "$BASE$2" \
    -H "authorization: Bearer $KEY" -H 'x-portico-staff: Load Test' \
    ${3:+-H 'content-type: application/json' --data "$3"})
  code=$out
  [[ "$code" == 2* ]] || die "admin $1 $2 answered $code: $(cat "$WORK/body")"
  cat "$WORK/body"
}

sign_in() { # EMAIL PASSWORD — prints the Cookie header value, empty on failure
  curl -sS -o /dev/null -D - -X POST "$BASE/api/v1/$SLUG/sign-in" \
    -H 'content-type: application/json' \
    --data "$(jq -cn --arg l "$1" --arg p "$2" '{login: $l, password: $p}')" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | paste -sd';' - | sed 's/;/; /g'
}

# The clients: the demo's active ones, or our own.
mapfile -t DEMO_EMAILS < <(sed -n '/Demo clients:/,/^$/p' "$WORK/stdout" |
  grep -v 'not activated' | grep -oE '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+' || true)
EMAILS=()
PASSWORD=""
if [[ ${#DEMO_EMAILS[@]} -gt 0 ]]; then
  log "using the demo's ${#DEMO_EMAILS[@]} active clients"
  EMAILS=("${DEMO_EMAILS[@]}")
  PASSWORD="$DEMO_PASSWORD"
else
  log "the demo seed lists no active clients: creating 8 through the admin API"
  PASSWORD="$CLIENT_PASSWORD"
  PROP=$(api POST /admin/v1/properties \
    '{"host_ref":"LOAD-P1","kind":"lettings","display_name":"1 Load Street"}' | jq -r .property.id)
  api POST "/admin/v1/properties/$PROP/documents" \
    '{"host_ref":"cert-gas","category":"certificate","title":"Gas safety"}' >/dev/null
  for n in $(seq 1 8); do
    email="load$n@load.test"
    id=$(api POST /admin/v1/accounts \
      "{\"email\":\"$email\",\"display_name\":\"Load Client $n\"}" | jq -r .account.id)
    api POST /admin/v1/grants "$(jq -cn --arg a "$id" --arg p "$PROP" \
      '{subject: {type: "account", id: $a}, property: $p, role: "landlord",
        scopes: ["widget:property_statement", "widget:property_balance",
          "widget:tenant_balance", "widget:documents", "widget:certificate_documents",
          "widget:team_member", "documents:certificate"]}')" \
      >/dev/null
    case "$DB_URL" in
      sqlite*) db_file=${DB_URL#sqlite://}; content=$(sqlite3 "${db_file%%\?*}" \
        "SELECT content FROM portico_outbox WHERE recipient = '$email'" 2>/dev/null || true) ;;
      *) content=$(psql "$DB_URL" -Atc \
        "SELECT content FROM portico_outbox WHERE recipient = '$email'" 2>/dev/null || true) ;;
    esac
    token=$(grep -oE 'token=[A-Za-z0-9_-]+' <<<"$content" | head -n1 | cut -d= -f2 || true)
    [[ -n "$token" ]] || die "no invitation link for $email in the outbox"
    code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X POST "$BASE/api/v1/$SLUG/activate" \
      -H 'content-type: application/json' \
      --data "$(jq -cn --arg t "$token" --arg p "$PASSWORD" '{token: $t, password: $p}')")
    [[ "$code" == 200 ]] || die "activation of $email answered $code: $(cat "$WORK/body")"
    EMAILS+=("$email")
  done
fi

# The targets: per client a sign-in, and with its session its dashboards, its property list
# and the documents it may download.
TARGETS="$WORK/targets.tsv"
: >"$TARGETS"
for email in "${EMAILS[@]}"; do
  cookie=$(sign_in "$email" "$PASSWORD")
  [[ -n "$cookie" ]] || die "$email cannot sign in"
  body=$(jq -cn --arg l "$email" --arg p "$PASSWORD" '{login: $l, password: $p}')
  printf 'signin\tPOST\t/api/v1/%s/sign-in\t-\t%s\n' "$SLUG" "$body" >>"$TARGETS"
  printf 'properties\tGET\t/api/v1/%s/properties\t%s\t-\n' "$SLUG" "$cookie" >>"$TARGETS"
  props=$(curl -sS "$BASE/api/v1/$SLUG/properties" -H "cookie: $cookie" |
    jq -r '.properties[]? | (.property // .id) // empty')
  for p in $props; do
    printf 'dashboard\tGET\t/api/v1/%s/properties/%s\t%s\t-\n' "$SLUG" "$p" "$cookie" >>"$TARGETS"
    docs=$(curl -sS "$BASE/api/v1/$SLUG/properties/$p/documents" -H "cookie: $cookie" |
      jq -r '.documents[]?.id // empty')
    for d in $docs; do
      code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/api/v1/$SLUG/documents/$d" \
        -H "cookie: $cookie")
      if [[ "$code" == 200 ]]; then
        printf 'download\tGET\t/api/v1/%s/documents/%s\t%s\t-\n' "$SLUG" "$d" "$cookie" \
          >>"$TARGETS"
      fi
    done
  done
done
for kind in signin properties dashboard download; do
  n=$(grep -c "^$kind	" "$TARGETS" || true)
  log "targets: $kind $n"
  if [[ "$n" == 0 && "$kind" != download ]]; then die "no $kind targets"; fi
  if [[ "$n" == 0 ]]; then log "WARNING: no downloadable document: the mix has no downloads"; fi
done

# A warm-up first, not sampled: the allocator's arenas, SQLite's page cache and the argon2
# blocks grow once during the first 15–30 s of load and then stay flat (a 3-minute run shows
# it); sampling from a cold start would read that one-off growth as a leak.
WARMUP="${LOAD_WARMUP:-30}"
if (( WARMUP > 0 )); then
  log "warm-up: wrk -d${WARMUP}s (not measured)"
  LOAD_RESULT="$WORK/warm-result" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s \
    -s "$ROOT/tests/load/mixed.lua" "$BASE" -- "$TARGETS" >"$WORK/warm.out" 2>&1 \
    || { cat "$WORK/warm.out" >&2; die "wrk warm-up failed"; }
fi

# The load, with RSS samples.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
RSS_FILE="$WORK/rss"
: >"$RSS_FILE"
log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency (RSS every ${SAMPLE}s)"
LOAD_RESULT="$WORK/result" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
  --latency -s "$ROOT/tests/load/mixed.lua" "$BASE" -- "$TARGETS" >"$WORK/wrk.out" 2>&1 &
WRK_PID=$!
sleep 1
while kill -0 "$WRK_PID" 2>/dev/null; do
  rss >>"$RSS_FILE"
  sleep "$SAMPLE"
done
wait "$WRK_PID" || { cat "$WORK/wrk.out" >&2; die "wrk failed"; }
kill -0 "$SERVER_PID" 2>/dev/null || die "the server died under load"
cat "$WORK/wrk.out"

# The verdict.
get() { sed -n "s/^$1=//p" "$WORK/result"; }
[[ -s "$WORK/result" ]] || die "wrk wrote no result"
SERIES=$(paste -sd' ' "$RSS_FILE")
echo "RSS KiB every ${SAMPLE}s: $SERIES"
read -r FIRST LAST < <(awk '{v[NR]=$1} END {
  n=NR; t=int(n/3); if (t<1) t=1;
  for (i=1;i<=t;i++) a+=v[i]; for (i=n-t+1;i<=n;i++) b+=v[i];
  printf "%d %d\n", a/t, b/t }' "$RSS_FILE")
echo "summary: $(get rps) req/s, p50 $(get p50_ms) ms, p99 $(get p99_ms) ms;" \
  "answers $(get statuses); RSS first third ${FIRST} KiB, last third ${LAST} KiB"
status=0
if [[ "$(get other)" != 0 ]]; then
  log "FAIL: $(get other) answers were neither success nor 429"; status=1
fi
if [[ "$(get transport)" != 0 ]]; then
  log "FAIL: $(get transport) transport errors"; status=1
fi
if (( LAST * 100 > FIRST * 120 )); then
  log "FAIL: RSS grew more than 20% (first third ${FIRST} KiB, last third ${LAST} KiB)"; status=1
fi
[[ "$(get ok)" -gt 0 ]] || { log "FAIL: no successful answer"; status=1; }
grep -q '"level":"ERROR"' "$WORK/stderr" && { log "FAIL: errors in the server log"; \
  grep '"level":"ERROR"' "$WORK/stderr" | head -n5 >&2; status=1; }
[[ $status == 0 ]] && log "PASS" || true
exit $status

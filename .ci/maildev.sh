#!/usr/bin/env bash
# Installs (if missing) and starts maildev, a local SMTP server with an HTTP API, in the
# background for the SMTP adapter's integration tests, and waits until its API answers.
#
#   bash .ci/maildev.sh            # start (idempotent: does nothing if it already answers)
#   bash .ci/maildev.sh stop       # stop the instance this script started
#
# Then run the tests with:
#   PORTICO_TEST_SMTP_URL=smtp://127.0.0.1:2525 PORTICO_TEST_MAILDEV_API=http://127.0.0.1:2580
#
# Ports: MAILDEV_SMTP_PORT (2525), MAILDEV_WEB_PORT (2580). Log and pid in MAILDEV_DIR
# (/tmp/portico-maildev).
set -euo pipefail

MAILDEV_VERSION="3.0.0"
SMTP_PORT="${MAILDEV_SMTP_PORT:-2525}"
WEB_PORT="${MAILDEV_WEB_PORT:-2580}"
DIR="${MAILDEV_DIR:-/tmp/portico-maildev}"
API="http://127.0.0.1:${WEB_PORT}/api/email"
mkdir -p "$DIR"

answers() { curl -fsS -o /dev/null --max-time 2 "$API" 2>/dev/null; }

if [[ "${1:-start}" == "stop" ]]; then
  if [[ -f "$DIR/pid" ]]; then
    kill "$(cat "$DIR/pid")" 2>/dev/null || true
    rm -f "$DIR/pid"
    echo "maildev stopped"
  fi
  exit 0
fi

if answers; then
  echo "maildev already answers on $API"
  exit 0
fi

if ! command -v maildev >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "maildev.sh: npm is missing; installing Node.js from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "installing maildev@${MAILDEV_VERSION} from npm"
  npm install -g --no-audit --no-fund "maildev@${MAILDEV_VERSION}" >"$DIR/install.log" 2>&1 || {
    cat "$DIR/install.log" >&2
    exit 1
  }
fi

nohup maildev --ip 127.0.0.1 --web-ip 127.0.0.1 -s "$SMTP_PORT" -w "$WEB_PORT" \
  >"$DIR/maildev.log" 2>&1 </dev/null &
echo $! >"$DIR/pid"

for _ in $(seq 1 60); do
  if answers; then
    echo "maildev up: smtp://127.0.0.1:${SMTP_PORT}, API http://127.0.0.1:${WEB_PORT}"
    exit 0
  fi
  if ! kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
    echo "maildev.sh: maildev exited" >&2
    cat "$DIR/maildev.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "maildev.sh: maildev did not answer on $API within 30 s" >&2
cat "$DIR/maildev.log" >&2
exit 1

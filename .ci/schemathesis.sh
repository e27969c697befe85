#!/usr/bin/env bash
# Fuzz Candor's own OpenAPI schema (/api/schema/) with schemathesis against a live
# runserver on a throwaway SQLite database, once as an enrolled employee and once
# as a comms author. Fails on any 5xx and on any response that does not match the
# schema. Only 127.0.0.1 is contacted: the seeded Bluesky account points at a
# closed loopback port, so shares sent "now" fail fast and harmlessly.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
ST=.venv/bin/schemathesis
SEED="${SCHEMATHESIS_SEED:-20261121}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-20}"

WORKDIR="$(mktemp -d -t candor-schemathesis.XXXXXX)"
export CANDOR_VAR_DIR="$WORKDIR/var"
export DJANGO_SETTINGS_MODULE=advocacy.settings.test
unset DATABASE_URL CELERY_BROKER_URL  # always the throwaway SQLite + filesystem broker
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy

SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

echo "=== schemathesis: migrating and seeding a throwaway database in $WORKDIR ==="
"$PY" manage.py migrate --noinput -v 0
TOKENS="$("$PY" .ci/seed_fuzz.py)"
EMPLOYEE_TOKEN="$(sed -n 's/^EMPLOYEE_TOKEN=//p' <<<"$TOKENS")"
AUTHOR_TOKEN="$(sed -n 's/^AUTHOR_TOKEN=//p' <<<"$TOKENS")"
if [ -z "$EMPLOYEE_TOKEN" ] || [ -z "$AUTHOR_TOKEN" ]; then
  echo "schemathesis: seeding did not print both tokens" >&2
  exit 1
fi

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORKDIR/server.log" 2>&1 &
SERVER_PID=$!

# /healthz may answer 503 (no worker here); any HTTP answer means the server is up.
for _ in $(seq 1 60); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)"
  if [ "$code" != "000" ]; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "schemathesis: runserver exited early" >&2
    cat "$WORKDIR/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
if [ "$code" = "000" ]; then
  echo "schemathesis: runserver did not answer on $BASE/healthz" >&2
  cat "$WORKDIR/server.log" >&2
  exit 1
fi

failed=()
run_as() {
  local who="$1" token="$2"
  shift 2
  echo "=== schemathesis: $BASE/api/schema/ as $who $* (seed $SEED, max $MAX_EXAMPLES examples per operation) ==="
  if ! "$ST" run "$BASE/api/schema/" "$@" \
      --header "Authorization: Token $token" \
      --checks not_a_server_error,response_schema_conformance \
      --max-examples "$MAX_EXAMPLES" \
      --seed "$SEED" \
      --generation-database none \
      --workers 2 \
      --request-timeout 20 \
      --max-redirects 0 \
      --no-color; then
    failed+=("$who $*")
  fi
}

# DELETE /api/auth/token/ revokes the caller's own token, after which every request
# answers 403 and the rest of the run tests nothing: fuzz it last, on its own.
run_as employee "$EMPLOYEE_TOKEN" --exclude-operation-id auth_token_destroy
run_as author "$AUTHOR_TOKEN" --exclude-operation-id auth_token_destroy
run_as employee "$EMPLOYEE_TOKEN" --include-operation-id auth_token_destroy
run_as author "$AUTHOR_TOKEN" --include-operation-id auth_token_destroy

if grep -q '" 5[0-9][0-9] ' "$WORKDIR/server.log"; then
  echo "--- server log: 5xx responses ---"
  grep '" 5[0-9][0-9] ' "$WORKDIR/server.log" | grep -v '/healthz' | tail -20 || true
fi

if [ "${#failed[@]}" -ne 0 ]; then
  echo "SCHEMATHESIS: FAILED as ${failed[*]} (no 5xx and schema-conformant responses required)" >&2
  exit 1
fi
echo "SCHEMATHESIS: OK - no 5xx, all responses schema-conformant, as employee and author"

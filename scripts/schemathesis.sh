#!/usr/bin/env bash
# Checks the HTTP API against its own OpenAPI document with schemathesis: every answer's status
# is declared for its operation, every answer matches its declared schema and media type, no
# 5xx, and requests the schemas refuse are refused. Starts a throwaway dev node on free
# loopback ports and stops it at the end. Then the same for the labour desk's API, on the small
# labour demo kept running (`dojang demo labour --stay`) with its app's token. Python tools go
# into .venv/ under the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
cargo build --quiet -p dojang-node --bin dojang
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
p2p_port=$(free_port)
home=$(mktemp -d)
node_pid=""
demo_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  if [ -n "$demo_pid" ]; then kill -INT "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  rm -rf "$home"
}
trap cleanup EXIT
DOJANG_API__LISTEN_ADDR="127.0.0.1:$api_port" DOJANG_CONSENSUS__LISTEN_ADDR="\"/ip4/127.0.0.1/tcp/$p2p_port\"" \
  "$target_dir/debug/dojang" dev --home "$home/node" >"$home/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$api_port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$api_port/health" >/dev/null || { cat "$home/node.log"; echo "the dev node did not start"; exit 1; }
# positive_data_acceptance is left out: a schema cannot say what a valid signed transaction is,
# nor that exactly one of key and key_hex is given.
.venv/bin/st run "http://127.0.0.1:$api_port/openapi.json" \
  --checks status_code_conformance,response_schema_conformance,content_type_conformance,not_a_server_error,negative_data_rejection \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" --no-color

# The labour desk: a small demo kept running; its last line names the desk and the app token.
"$target_dir/debug/dojang" demo labour --businesses 1 --workers 2 --weeks 1 --stay --dir "$home/labour" \
  >"$home/labour.out" 2>"$home/labour.log" &
demo_pid=$!
for _ in $(seq 1 300); do
  grep -q "^labour desk on " "$home/labour.out" 2>/dev/null && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.2
done
desk_line=$(grep "^labour desk on " "$home/labour.out" || true)
[ -n "$desk_line" ] || { cat "$home/labour.out" "$home/labour.log"; echo "the labour demo's desk did not start"; exit 1; }
desk_url=$(echo "$desk_line" | sed -E 's/^labour desk on ([^ ]+).*/\1/')
desk_token=$(echo "$desk_line" | sed -E 's/.*app token: ([^)]+)\).*/\1/')
.venv/bin/st run "$desk_url/openapi.json" -H "Authorization: Bearer $desk_token" \
  --checks status_code_conformance,response_schema_conformance,content_type_conformance,not_a_server_error,negative_data_rejection \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" --no-color

#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds gfetch and the
# bundled loopback test server (dev preset), starts the server on a free port,
# runs `gfetch --pool 100` over 1,000 of its URLs (the report on stdout, the
# summary on stderr) and stops the server. Usage: bash cmd/demo.sh [gfetch options]
set -euo pipefail
cd "$(dirname "$0")/.."

bash third_party/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target gfetch gfetch-testserver
build=build/dev

server_out=$(mktemp)
"$build/tests/support/gfetch-testserver" >"$server_out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$server_out"' EXIT
for _ in $(seq 200); do
  grep -q '^port=' "$server_out" && break
  sleep 0.05
done
port=$(sed -n 's/^port=//p' "$server_out")
[ -n "$port" ] || { echo "demo: the test server did not start" >&2; exit 1; }

# 1,000 URLs: bodies of many sizes, some slow answers, redirects, a few 404s.
urls() {
  for i in $(seq 1 1000); do
    case $((i % 20)) in
      0) echo "http://127.0.0.1:$port/status/404?n=$i" ;;
      1) echo "http://127.0.0.1:$port/delay/200?n=$i" ;;
      2) echo "http://127.0.0.1:$port/redirect/2?n=$i" ;;
      *) echo "http://127.0.0.1:$port/bytes/$(((i * 7919) % 65536))?n=$i" ;;
    esac
  done
}
echo "demo: gfetch --pool 100 over 1,000 URLs of the test server on port $port" >&2
urls | "$build/cmd/gfetch" --pool 100 "$@"

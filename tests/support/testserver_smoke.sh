#!/usr/bin/env bash
# Smoke test of the gfetch-testserver executable (run by CTest): it prints
# "port=N", serves HTTP and faults, stops with status 0 on SIGTERM and SIGINT,
# and rejects bad options with status 2. Uses bash's /dev/tcp, no curl.
set -euo pipefail
server="$1"
out=$(mktemp -d)
pid=""
# On any failure, the server started last must not outlive the test.
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT

# start <args...>: runs the server in the background; sets pid and port.
# Each run gets fresh files, so an earlier run's "port=" line is never read.
runs=0
start() {
  runs=$((runs + 1))
  local stdout="$out/stdout.$runs" stderr="$out/stderr.$runs"
  : >"$stdout"
  "$server" "$@" >"$stdout" 2>"$stderr" &
  pid=$!
  for _ in $(seq 100); do
    if grep -q '^port=[0-9]*$' "$stdout"; then break; fi
    sleep 0.05
  done
  port=$(sed -n 's/^port=\([0-9]*\)$/\1/p' "$stdout")
  [ -n "$port" ] || { echo "no port= line"; cat "$stderr"; exit 1; }
}

# fetch <host> <path>: one HTTP/1.1 request, prints the raw response.
fetch() {
  exec 3<>"/dev/tcp/$1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$2" >&3
  timeout 5 cat <&3
  exec 3<&-
}

# stop <signal>: the server must exit 0 promptly.
stop() {
  kill -"$1" "$pid"
  local status=0
  timeout 5 tail --pid="$pid" -f /dev/null || { echo "did not stop on $1"; exit 1; }
  wait "$pid" || status=$?
  pid=""
  [ "$status" -eq 0 ] || { echo "exit status $status after $1"; exit 1; }
}

start
fetch 127.0.0.1 /bytes/5 | tail -c 5 | grep -qx abcde || { echo "bad /bytes/5"; exit 1; }
stop TERM

start --port 0 --bind 127.0.0.1
fetch 127.0.0.1 /status/404 | head -1 | grep -q '^HTTP/1.1 404 ' || { echo "bad /status/404"; exit 1; }
stop INT

start --faults
fetch 127.0.0.1 /bad-status-line | head -1 | grep -q '^HTTP/1.1 2x0 Broken' ||
  { echo "bad fault"; exit 1; }
stop TERM

status=0
"$server" --port nope >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || { echo "bad option: status $status, want 2"; exit 1; }
"$server" --help | grep -q '^usage: gfetch-testserver' || { echo "no usage"; exit 1; }
echo "ok"

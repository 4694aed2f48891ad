# lib.sh: the setup bench/net.sh and bench/run.sh share, sourced by both (not run on
# its own): the fd limit, CPU pinning, the release build, a private nginx on
# 127.0.0.1 (work dir, config, a free port, stopped by pid on exit) and the checks of
# each run against nginx's access log.
#
# The caller sets root, server_cpu and client_cpu first. The functions set and read
# these globals: hard_nofile, pin_server / pin_client (arrays), work, nginx,
# nginx_pid, nginx_worker, port; log and die prefix messages with the script's name.
# shellcheck shell=bash disable=SC2154 # root, nginx, ...: set by the caller

log() { echo "${0##*/}: $*" >&2; }
die() { log "$*"; exit 1; }

require_tools() { # hint tool...: dies naming the first tool not found
  local hint=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is missing: run $hint"
  done
}

# Raises the open-file limit to the hard one (nginx's worker_rlimit_nofile too) and
# sets pin_server / pin_client: taskset on SERVER_CPU / CLIENT_CPU, or nothing on 1 CPU.
setup_limits_and_pinning() {
  hard_nofile=$(ulimit -Hn)
  if [ "$hard_nofile" = unlimited ]; then hard_nofile=1048576; fi
  ulimit -n "$hard_nofile" || log "could not raise the fd limit to $hard_nofile"
  if [ "$(nproc)" -lt 2 ]; then
    log "fewer than 2 CPUs: nginx and the client share them (no pinning)"
    pin_server=() pin_client=()
  else
    pin_server=(taskset -c "$server_cpu") pin_client=(taskset -c "$client_cpu")
  fi
}

# cores_busy cpu...: "cpuN X% busy" for each CPU over the next second (/proc/stat).
# Another process running there (a build, a leftover loop) skews every figure, the
# single-threaded tools' (gfetch, curl) most: wget2's 100 threads take a larger
# share of a contended core.
cores_busy() {
  local before after cpu
  before=$(cat /proc/stat)
  sleep 1
  after=$(cat /proc/stat)
  for cpu in "$@"; do
    awk -v c="cpu$cpu" 'FNR == 1 { f++ } $1 == c { busy[f] = $2 + $3 + $4 + $7 + $8 + $9; idle[f] = $5 + $6 }
      END { b = busy[2] - busy[1]; t = b + idle[2] - idle[1]
            printf "%s %d%% busy\n", c, (t > 0 ? 100 * b / t : 0) }' \
      <(printf '%s\n' "$before") <(printf '%s\n' "$after")
  done
}

# build_release build-dir target...: configures the release preset there when it has
# no build yet (build/release-debuginfo: the same flags plus -g), then builds the
# targets (a no-op when up to date).
build_release() {
  local build_dir=$1
  shift
  if [ ! -f "$build_dir/build.ninja" ]; then
    if [ "$build_dir" = "$root/build/release-debuginfo" ]; then
      (cd "$root" && cmake --preset release -B "$build_dir" -DCMAKE_CXX_FLAGS_RELEASE="-O2 -g -DNDEBUG" >&2)
    else
      (cd "$root" && cmake --preset release -B "$build_dir" >&2)
    fi
  fi
  cmake --build "$build_dir" --target "$@" >&2
}

# make_workdir name: sets work to a fresh gfetch-NAME.XXXXXX with html/, tmp/ and
# runs/ in it, and nginx_pid to "" (no nginx yet). In /dev/shm when that is a
# tmpfs with 2 GiB free, else /tmp: the kernel may drop a disk file's cached
# pages within seconds of their last use (this machine does), and then nginx
# waits on the disk for the docroot, and each tool for its URL list, whenever
# the run before was long; a tmpfs file has no disk copy, so none is dropped.
make_workdir() {
  local parent=/tmp
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] &&
    (($(df -P -k /dev/shm | awk 'NR == 2 { print $4 }') >= 2 * 1024 * 1024)); then
    parent=/dev/shm
  fi
  work=$(mktemp -d "$parent/gfetch-$1.XXXXXX")
  chmod 755 "$work" # nginx's workers run as nobody when started by root
  mkdir -p "$work/html" "$work/tmp" "$work/runs"
  nginx_pid=""
}

# For the EXIT trap: stops nginx (QUIT, then KILL after 5 s) and removes the work dir
# unless KEEP_WORKDIR=1.
stop_nginx_and_clean_up() {
  if [ -n "${nginx_pid:-}" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  if [ -n "${work:-}" ]; then
    if [ "${KEEP_WORKDIR:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
  fi
}

# write_nginx_conf port log-format backlog events-extra server-extra: $work/nginx.conf
# for one worker serving $work/html on 127.0.0.1:port, logging log-format (an nginx
# log_format string) to $work/access.log; the extras go at the end of the events and
# server blocks ("" for none).
write_nginx_conf() {
  cat >"$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
worker_rlimit_nofile $hard_nofile;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 16384; use epoll; ${4:+$4 }}
http {
  log_format bench '$2';
  access_log $work/access.log bench;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  open_file_cache max=20000 inactive=600s;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server {
    listen 127.0.0.1:$1 backlog=$3;
    root $work/html;
EOF
  if [ -n "$5" ]; then printf '    %s\n' "$5" >>"$work/nginx.conf"; fi
  printf '  }\n}\n' >>"$work/nginx.conf"
}

# start_nginx log-format backlog events-extra server-extra: starts nginx (pinned to
# the server CPU) on a random free port: nginx fails to start on a taken one, then
# another is tried; ready once it serves /1k/f000000 (the docroot must have it). Sets
# port, nginx_pid and nginx_worker; dies after 20 tries.
start_nginx() {
  local candidate
  port=""
  for _ in $(seq 20); do
    candidate=$((20000 + RANDOM % 40000))
    write_nginx_conf "$candidate" "$@"
    : >"$work/error.log"
    "${pin_server[@]}" "$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/error.log" &
    nginx_pid=$!
    for _ in $(seq 50); do
      if ! kill -0 "$nginx_pid" 2>/dev/null; then break; fi
      if [ "$(curl -q -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$candidate/1k/f000000")" = 200 ]; then
        port=$candidate
        break
      fi
      sleep 0.1
    done
    if [ -n "$port" ]; then break; fi
    kill -KILL "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
  done
  [ -n "$port" ] || die "nginx did not start: $(tail -3 "$work/error.log")"
  nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
  log "nginx $nginx_pid (worker $nginx_worker) on 127.0.0.1:$port, cpu ${pin_server[*]:-any}; client cpu ${pin_client[*]:-any}"
}

field() { # key file: the value of key=value in a one-line file
  sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2"
}

worker_cpu_ticks() { # utime + stime of nginx's worker
  sed 's/.*) //' "/proc/$nginx_worker/stat" | awk '{ print $12 + $13 }'
}

# collect_access_log start count out-log: copies what nginx logged past byte start of
# $work/access.log to out-log, waiting up to 5 s for count lines (nginx logs a request
# just after sending it: the last lines may lag the client's exit).
collect_access_log() {
  for _ in $(seq 50); do
    tail -c +$(($1 + 1)) "$work/access.log" >"$3"
    [ "$(wc -l <"$3")" -ge "$2" ] && break
    sleep 0.1
  done
}

# check_access_log what log count size uri-field paths: dies (messages start with
# what) unless log has count lines, all status 200 with size body bytes, and its
# request URIs (field uri-field) are the sorted paths file's, each exactly once.
check_access_log() {
  local what=$1 log_file=$2 count=$3 size=$4 uri_field=$5 paths=$6 lines bad
  lines=$(wc -l <"$log_file")
  [ "$lines" = "$count" ] || die "$what: nginx logged $lines requests, expected $count"
  bad=$(awk -v size="$size" '$2 != 200 || $3 != size' "$log_file" | wc -l)
  [ "$bad" = 0 ] || die "$what: $bad requests not 200 with $size bytes (see $log_file)"
  awk -v f="$uri_field" '{ print $f }' "$log_file" | LC_ALL=C sort | cmp -s - "$paths" ||
    die "$what: the logged URLs are not each list URL exactly once"
}

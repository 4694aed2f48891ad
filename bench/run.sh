#!/usr/bin/env bash
# run.sh: issue 5's one-command benchmark. gfetch (the CLI, as users run it) next to
# curl --parallel, wget2 and the seeds' gevent + requests, on the same URL lists from
# a private nginx on 127.0.0.1, tools interleaved run by run, every run checked
# against nginx's access log; writes the table of medians and gfetch's ratios to
# RESULTS.md (between run.sh's markers). See bench/README.md and bench/RESULTS.md.
#
# Usage: bench/run.sh [--quick] [--runs N] [--only a,b,c,d] [--skip c,d]
#                     [--tools gfetch,curl,wget2,gevent] [--out FILE] [--no-install]
#        bench/run.sh --profile N [--only a|b|c]   (instead: gfetch under callgrind on
#                                   N and 2N URLs of workload (a), or the one named;
#                                   prints where its instructions go per request)
#   Workloads: a = 10,000 x 1 KiB, pool 100; b = 2,000 x 64 KiB, pool 100;
#   c = 5,000 slow responses (~2 s each, nginx limit_rate), pool 5,000;
#   d = 1,000,000 URLs (the 1 KiB files, distinct query strings) on stdin, pool 100,
#   gfetch and wget2 only (curl -K and the gevent script would take minutes).
#   --quick: 2,000 / 500 / 1,000 / 100,000 URLs. Runs per tool: 7 for (a) and (b),
#   whose runs last ~0.2 s each (so their ratios need more samples), 3 for (c) and
#   (d); --runs N makes it N for all.
#   --out: default bench/RESULTS.md for a full run of every workload and tool,
#   otherwise $BUILD_DIR/RESULTS.partial.md (a partial run never replaces the record);
#   the per-run rows go beside it (RESULTS.tsv, RESULTS.partial.tsv).
# Environment: BUILD_DIR (default build/release), SERVER_CPU / CLIENT_CPU (0 / 1),
#   KEEP_WORKDIR=1 keeps the temp dir (URL lists, logs, per-run outputs),
#   PROFILE_LIBRARY_PATH: LD_LIBRARY_PATH for the callgrind runs only (a libcurl built
#   with -g, for function names: bench/README.md says how).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
runs_short=7 # (a), (b)
runs_long=3  # (c), (d)
quick=0
only=a,b,c,d
skip=""
tools_arg=gfetch,curl,wget2,gevent
out=""
install=1
profile=0
argv_text="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --runs) runs_short=$2 runs_long=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --skip) skip=$2; shift 2 ;;
    --tools) tools_arg=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    --profile) profile=$2; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if ((quick)); then
  count_a=2000 count_b=500 count_c=1000 count_d=100000
else
  count_a=10000 count_b=2000 count_c=5000 count_d=1000000
fi
pool_ab=100 pool_c=$count_c pool_d=100
slow_rate=512 # bytes/s per connection: a 1 KiB body plus ~240 header bytes takes ~2 s
IFS=, read -r -a tools <<<"$tools_arg"
selected=()
for w in a b c d; do
  if [[ ",$only," == *",$w,"* && ",$skip," != *",$w,"* ]]; then selected+=("$w"); fi
done
if ((profile > 0)); then
  if [ "$only" = a,b,c,d ]; then selected=(a); else selected=("${selected[0]}"); fi
  [[ "${selected[0]}" != d ]] || die "--profile: workload d is a, streamed; profile a"
fi
((${#selected[@]} > 0)) || { echo "run.sh: no workload selected" >&2; exit 2; }

if ((profile > 0)); then
  build_dir=${BUILD_DIR:-$root/build/release-debuginfo}
else
  build_dir=${BUILD_DIR:-$root/build/release}
fi
if [ -z "$out" ]; then
  if ((quick == 0 && profile == 0)) && [ "${selected[*]}" = "a b c d" ] && [ "$tools_arg" = gfetch,curl,wget2,gevent ]; then
    out=$root/bench/RESULTS.md
  else
    out=$build_dir/RESULTS.partial.md
  fi
fi
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
python=/usr/bin/python3 # Debian's: python3-gevent and python3-requests install into it

# ---- tools: installed when missing (Debian), then checked ----
if ((install)); then
  bash "$root/third_party/install-deps.sh" --bench >&2
fi
nginx=/usr/sbin/nginx
require_tools "third_party/install-deps.sh --bench" "$nginx" curl wget2 "$python" taskset cmake awk sort valgrind
"$python" -c 'import gevent, requests' 2>/dev/null ||
  die "python3-gevent / python3-requests missing: run third_party/install-deps.sh --bench"

setup_limits_and_pinning

# ---- build (a no-op when up to date) ----
build_release "$build_dir" gfetch bench_rusage
gfetch=$build_dir/cmd/gfetch
rusage=$build_dir/bench/bench_rusage

# ---- private nginx: prefix, docroot, config; stopped by pid on exit ----
make_workdir runbench
sampler_pid=""
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
  stop_nginx_and_clean_up
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_files() { # folder count size
  mkdir -p "$work/html/$1"
  local body file i
  printf -v body '%*s' "$3" ''
  for ((i = 0; i < $2; i++)); do
    printf -v file '%s/html/%s/f%06d' "$work" "$1" "$i"
    printf '%s' "$body" >"$file"
  done
}
make_files 1k 10000 1024 # (a), (c) through the /slow/ alias, (d)
make_files 64k "$count_b" 65536
chmod -R a+rX "$work/html"

# shellcheck disable=SC2016 # nginx's variables, not the shell's
start_nginx '$connection $status $body_bytes_sent $msec $request_time $request_uri' 8192 \
  'multi_accept on;' "location /slow/ { alias $work/html/1k/; limit_rate $slow_rate; }
    location /unlogged/ { alias $work/html/1k/; access_log off; }"
base=http://127.0.0.1:$port

# The server's pacing of one slow response, alone: (c)'s wall is judged against it.
pacing_s=$(curl -q -s -o /dev/null -w '%{time_total}' "$base/slow/f000000")
log "one /slow/ response alone takes $pacing_s s"

# ---- URL lists: name.paths (request URIs, sorted: what nginx must log), name.urls,
# name.curlrc; workload: name count size pool ----
declare -A w_count w_size w_pool w_desc
w_count=([a]=$count_a [b]=$count_b [c]=$count_c [d]=$count_d)
w_size=([a]=1024 [b]=65536 [c]=1024 [d]=1024)
w_pool=([a]=$pool_ab [b]=$pool_ab [c]=$pool_c [d]=$pool_d [p]=1)
w_desc=([a]="(a) $count_a × 1 KiB" [b]="(b) $count_b × 64 KiB"
  [c]="(c) $count_c slow (~${pacing_s%???} s) all in flight" [d]="(d) $count_d × 1 KiB via stdin")
for w in "${selected[@]}"; do
  case "$w" in
    a) awk -v n="$count_a" 'BEGIN { for (i = 0; i < n; i++) printf "/1k/f%06d\n", i }' ;;
    b) awk -v n="$count_b" 'BEGIN { for (i = 0; i < n; i++) printf "/64k/f%06d\n", i }' ;;
    c) awk -v n="$count_c" 'BEGIN { for (i = 0; i < n; i++) printf "/slow/f%06d\n", i }' ;;
    d) awk -v n="$count_d" 'BEGIN { for (i = 0; i < n; i++) printf "/1k/f%06d?n=%d\n", i % 10000, i }' ;;
  esac >"$work/$w.list"
  sed "s|^|$base|" "$work/$w.list" >"$work/$w.urls"
  LC_ALL=C sort "$work/$w.list" >"$work/$w.paths"
  if [ "$w" != d ]; then
    sed "s|.*|url = \"&\"\noutput = \"/dev/null\"|" "$work/$w.urls" >"$work/$w.curlrc"
  fi
done

# p: the one URL each tool fetches, unmeasured, right before each of its runs: a
# 1 KiB file that nginx does not log, so no line of it can land in a run's log.
echo "${base}/unlogged/f000000" >"$work/p.urls"
sed "s|.*|url = \"&\"\noutput = \"/dev/null\"|" "$work/p.urls" >"$work/p.curlrc"

# The tools of a workload: (d) only gfetch and wget2.
workload_tools() {
  local t
  for t in "${tools[@]}"; do
    if [ "$1" = d ] && [ "$t" != gfetch ] && [ "$t" != wget2 ]; then continue; fi
    echo "$t"
  done
}

# The command of one tool on one workload, one word per line; (d) reads stdin (wget2
# 1.99.1 hangs on `-i -` before its first request, so it gets `-i /dev/stdin`).
tool_command() { # tool workload
  local list=$work/$2.urls pool=${w_pool[$2]}
  if [ "$2" = d ]; then list=-; fi
  case "$1" in
    gfetch) printf '%s\n' "$gfetch" --pool "$pool" -i "$list" ;;
    curl) printf '%s\n' curl -q --parallel --parallel-max "$pool" --no-progress-meter --fail \
      -K "$work/$2.curlrc" ;;
    wget2) printf '%s\n' wget2 --no-config --quiet --max-threads="$pool" --no-robots \
      --no-hsts --no-hpkp --no-netrc --tries=1 -O /dev/null -i "${list/#-/\/dev\/stdin}" ;;
    gevent) printf '%s\n' "$python" "$root/bench/peers/gevent_fetch.py" -c "$pool" "$list" ;;
    *) die "unknown tool $1" ;;
  esac
}

# Samples the tool's RSS (VmRSS of bench_rusage's child) once a second: (d)'s flatness.
sample_rss() { # rusage-pid out
  local child="" key value _ t=0
  for _ in $(seq 50); do
    child=$(pgrep -P "$1" | head -1 || true)
    [ -n "$child" ] && break
    sleep 0.02
  done
  [ -n "$child" ] || return 0
  while [ -r "/proc/$child/status" ]; do
    while read -r key value _; do
      if [ "$key" = VmRSS: ]; then echo "$t $value"; fi
    done <"/proc/$child/status" 2>/dev/null || true
    sleep 1
    t=$((t + 1))
  done >"$2"
}

# prime tool: the tool fetches p's one URL on the client core, output discarded.
prime() {
  local -a command
  mapfile -t command < <(tool_command "$1" p)
  "${pin_client[@]}" "${command[@]}" >/dev/null 2>&1 </dev/null || die "$1: the one-URL run before a run failed"
}

# measure tool workload label: runs it, checks nginx's log, appends a row to
# results.tsv (label "warmup" rows are checked but not reported).
measure() {
  local tool=$1 w=$2 label=$3
  local count=${w_count[$2]} size=${w_size[$2]}
  local out="$work/runs/$w.$tool.$label"
  local ticks_start ticks_end status=0 rusage_pid timeout=300
  local -a command
  if [ "$w" = d ]; then timeout=1200; fi
  mapfile -t command < <(tool_command "$tool" "$w")
  # This machine drops file pages unused for a second or two (16 major faults
  # at gfetch's start after 2 s idle), so a tool started after a long run of
  # another one read its libraries from disk: 10-90 ms idle, whoever followed
  # gevent. One URL fetched just before puts the tool's files back in the cache.
  prime "$tool"
  : >"$work/access.log" # nginx appends (O_APPEND): truncating starts the log afresh
  ticks_start=$(worker_cpu_ticks)
  if [ "$w" = d ]; then
    cat "$work/d.urls" | "${pin_client[@]}" "$rusage" -t "$timeout" "$out.rusage" -- "${command[@]}" \
      >"$out.stdout" 2>"$out.stderr" &
  else
    "${pin_client[@]}" "$rusage" -t "$timeout" "$out.rusage" -- "${command[@]}" \
      >"$out.stdout" 2>"$out.stderr" </dev/null &
  fi
  rusage_pid=$!
  sample_rss "$rusage_pid" "$out.rss" &
  sampler_pid=$!
  wait "$rusage_pid" || status=$?
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  ticks_end=$(worker_cpu_ticks)
  [ "$status" = 0 ] || die "$tool $w $label exited $status: $(head -c 600 "$out.stderr")"
  collect_access_log 0 "$count" "$out.log"
  check_access_log "$tool $w $label" "$out.log" "$count" "$size" 6 "$work/$w.paths"
  if [ "$tool" = gfetch ]; then # as users run it: one TSV line per URL, all 200
    local ok
    ok=$(awk -F'\t' '$2 == 200' "$out.stdout" | wc -l)
    [ "$ok" = "$count" ] || die "gfetch $w $label: $ok of $count result lines say 200"
  fi
  # Connections: distinct ones, and the most open at once (each connection spans its
  # first request's start to its last response's end, from $msec - $request_time).
  local conns max_open
  conns=$(awk '{ print $1 }' "$out.log" | LC_ALL=C sort -u | wc -l)
  max_open=$(awk '{ s = $4 - $5; if (!($1 in lo) || s < lo[$1]) lo[$1] = s; if ($4 > hi[$1]) hi[$1] = $4 }
    END { for (c in lo) { printf "%.3f 1\n", lo[c]; printf "%.3f -1\n", (hi[c] > lo[c] ? hi[c] : lo[c] + 0.001) } }' "$out.log" |
    sort -n -k1,1 -k2,2n | awk '{ n += $2; if (n > m) m = n } END { print m + 0 }')
  local rss_q
  rss_q=$(awk '{ v[NR] = $2 } END { if (NR == 0) { print "- - -"; exit }
    printf "%d %d %d\n", v[int((NR + 3) / 4)], v[int((NR + 1) / 2)], v[NR] }' "$out.rss")
  printf '%s\t' "$w" "$tool" "$label" "$count" "$size" \
    "$(field wall_s "$out.rusage")" "$(field user_s "$out.rusage")" \
    "$(field sys_s "$out.rusage")" "$(field maxrss_kib "$out.rusage")" "$conns" "$max_open" \
    $((ticks_end - ticks_start)) >>"$work/results.tsv"
  printf '%s\n' "${rss_q// /,}" >>"$work/results.tsv"
  log "  $tool $w $label: wall $(field wall_s "$out.rusage") s, cpu $(field user_s "$out.rusage")+$(field sys_s "$out.rusage") s, rss $(field maxrss_kib "$out.rusage") KiB, $conns conns ($max_open at once)"
}

# ---- --profile: gfetch under callgrind on workload (a) ----
if ((profile > 0)); then
  cmake --build "$build_dir" --target gfetch >&2
  w=${selected[0]}
  measure gfetch "$w" warmup
  # CPU per request as run (no callgrind): the median of 7 runs' user and system time
  # (the kernel's share swings between a third and a half from run to run here).
  for r in 1 2 3 4 5 6 7; do measure gfetch "$w" "cpu$r"; done
  median_us() { # key: the median of the 7 runs' key (user_s, sys_s), in µs per request
    for r in 1 2 3 4 5 6 7; do field "$1" "$work/runs/$w.gfetch.cpu$r.rusage"; done |
      sort -g | sed -n 4p | awk -v n="${w_count[$w]}" '{ printf "%.2f", $1 * 1e6 / n }'
  }
  user_us=$(median_us user_s) sys_us=$(median_us sys_s)
  for n in "$profile" $((2 * profile)); do
    head -n "$n" "$work/$w.urls" >"$work/profile.$n.urls"
    pool=$pool_ab
    if [ "$w" = c ]; then pool=$n; fi
    log "callgrind: gfetch --pool $pool on $n URLs of ($w)"
    "${pin_client[@]}" env ${PROFILE_LIBRARY_PATH:+LD_LIBRARY_PATH="$PROFILE_LIBRARY_PATH"} \
      valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.gfetch.$n" \
      "$gfetch" --pool "$pool" -i "$work/profile.$n.urls" >"$work/profile.$n.tsv" 2>"$work/callgrind.$n.log" ||
      die "callgrind run failed: $(tail -5 "$work/callgrind.$n.log")"
    [ "$(awk -F'\t' '$2 == 200' "$work/profile.$n.tsv" | wc -l)" = "$n" ] || die "callgrind run: not $n results of 200"
    cp "$work/callgrind.gfetch.$n" "$build_dir/"
  done
  echo "## gfetch under callgrind: workload ($w), --pool $pool"
  echo
  echo "Command: \`bench/run.sh --profile $profile\` (binary: $gfetch, TSV to a file;"
  echo "callgrind.gfetch.$profile and callgrind.gfetch.$((2 * profile)) kept in $build_dir)."
  echo
  echo "CPU per request measured without callgrind (median of 7 runs of $w's ${w_count[$w]} URLs): $user_us µs user, $sys_us µs system."
  echo
  awk -v small="$profile" -v large=$((2 * profile)) -v binary=/cmd/gfetch \
    -v user_us="$user_us" -v sys_us="$sys_us" \
    -f "$root/bench/callgrind_split.awk" "$work/callgrind.gfetch.$profile" \
    "$work/callgrind.gfetch.$((2 * profile))"
  exit 0
fi

# ---- the runs: warm-up (a, b), then tools interleaved, the first rotating ----
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if ((${#pin_client[@]} > 0)); then
  busy_before=$(cores_busy "$server_cpu" "$client_cpu" | paste -sd, - | sed 's/,/, /g')
else
  busy_before=$(cores_busy 0)
fi
log "in the second before the runs: $busy_before (nginx is idle: near 0% is expected)"
started=$(date +%s)
for w in "${selected[@]}"; do
  if [ "$w" = a ] || [ "$w" = b ]; then
    log "warm-up $w: one unreported run of each tool"
    while read -r tool; do measure "$tool" "$w" warmup; done < <(workload_tools "$w")
  fi
done
workload_runs() { if [ "$1" = a ] || [ "$1" = b ]; then echo "$runs_short"; else echo "$runs_long"; fi; }
runs=$((runs_short > runs_long ? runs_short : runs_long))
for ((run = 1; run <= runs; run++)); do
  for w in "${selected[@]}"; do
    ((run <= $(workload_runs "$w"))) || continue
    mapfile -t order < <(workload_tools "$w")
    if [ "$w" = a ] || [ "$w" = b ]; then
      # The first run after another workload is often slow for whichever tool has
      # it (seen: 2x on (b)); an unreported run of that tool settles the server.
      measure "${order[$(((run - 1) % ${#order[@]}))]}" "$w" warmup
    fi
    for ((k = 0; k < ${#order[@]}; k++)); do
      tool=${order[$(((k + run - 1) % ${#order[@]}))]}
      log "run $run/$(workload_runs "$w"): $tool $w"
      measure "$tool" "$w" "$run"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
minutes=$((($(date +%s) - started + 59) / 60))

# ---- report ----
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
versions="$(curl --version | head -1 | cut -d' ' -f1-2), $(wget2 --version | head -1 | sed 's/GNU Wget2 \([^ ]*\).*/wget2 \1/'),"
versions+=" Python $("$python" -c 'import sys, gevent, requests; print("%d.%d" % sys.version_info[:2], "gevent", gevent.__version__, "requests", requests.__version__)'),"
versions+=" $("$nginx" -v 2>&1 | sed 's/.*: //')"
command_line="bench/run.sh${argv_text:+ $argv_text}"
rows_file=${out%.md}.tsv # the raw rows beside the table they made (a partial run's apart)
cp "$work/results.tsv" "$rows_file"
"$python" "$root/bench/report.py" "$work/results.tsv" \
  --machine "$(nproc) CPUs, $cpu_model; $(uname -sr); $(free -g | awk '/Mem:/ { print $2 }') GiB RAM" \
  --versions "$versions" --command "$command_line" --runs "a=$runs_short,b=$runs_short,c=$runs_long,d=$runs_long" \
  --load "$load_before before ($busy_before in the second before the runs), $load_after after ($minutes min)" \
  --pacing "$pacing_s" --pin "nginx on CPU $server_cpu, clients on CPU $client_cpu" \
  --desc "a=${w_desc[a]}" --desc "b=${w_desc[b]}" --desc "c=${w_desc[c]}" --desc "d=${w_desc[d]}" \
  --pools "a=${w_pool[a]},b=${w_pool[b]},c=${w_pool[c]},d=${w_pool[d]}" \
  >"$work/report.md"
cat "$work/report.md"
"$python" "$root/bench/report.py" --splice "$out" "$work/report.md"
log "table written to $out; per-run rows: $rows_file"

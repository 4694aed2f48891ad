#!/usr/bin/env bash
# net.sh: net::Client (bench_net_fetch) next to `curl --parallel` on the same URL
# lists from a private nginx on 127.0.0.1, in one run: 10,000 x 1 KiB and 2,000 x
# 64 KiB distinct files at concurrency 100, tools interleaved run by run, every run
# checked against nginx's access log (each URL exactly once, 200, full body).
# Prints a markdown table of medians and gfetch/curl ratios. See bench/README.md.
#
# Usage: bench/net.sh [--runs N] [--small N] [--large N] [--concurrency N]
#        bench/net.sh --callgrind N   (instead: where bench_net_fetch's instructions
#          per request go, from callgrind runs on N and 2N of the 1 KiB URLs)
# Environment: BUILD_DIR (default build/release, the release preset's; with
#   --callgrind build/release-debuginfo, the same flags plus -g), SERVER_CPU /
#   CLIENT_CPU (default 0 / 1), KEEP_WORKDIR=1 keeps the temp dir.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
runs=5
small_count=10000
large_count=2000
concurrency=100
callgrind=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --small) small_count=$2; shift 2 ;;
    --large) large_count=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --callgrind) callgrind=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "net.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if ((callgrind > 0)); then
  small_count=$((small_count > 2 * callgrind ? small_count : 2 * callgrind))
  large_count=0
  build_dir=${BUILD_DIR:-$root/build/release-debuginfo}
else
  build_dir=${BUILD_DIR:-$root/build/release}
fi
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
tool_timeout=600 # seconds; a run that takes longer is killed and the script fails
command_line="bench/net.sh --runs $runs --small $small_count --large $large_count --concurrency $concurrency"

# Workloads: name, URL count, body bytes, docroot folder. Tools: see run_tool.
workloads=("1k:$small_count:1024:1k")
if ((large_count > 0)); then workloads+=("64k:$large_count:65536:64k"); fi
tools=(gfetch curl)

# ---- tools and limits ----
nginx=/usr/sbin/nginx
require_tools third_party/install-deps.sh "$nginx" curl taskset cmake pgrep awk
if ((callgrind > 0)) && ! command -v valgrind >/dev/null; then
  die "valgrind is missing (not in install-deps.sh): apt-get install valgrind"
fi
setup_limits_and_pinning

# ---- build (a no-op when up to date) ----
build_release "$build_dir" bench_net_fetch bench_rusage
net_fetch=$build_dir/bench/bench_net_fetch
rusage=$build_dir/bench/bench_rusage

# ---- private nginx: prefix, docroot, config; stopped by pid on exit ----
make_workdir netbench
trap stop_nginx_and_clean_up EXIT
trap 'exit 130' INT TERM

for workload in "${workloads[@]}"; do
  IFS=: read -r name count size dir <<<"$workload"
  mkdir -p "$work/html/$dir"
  printf -v body '%*s' "$size" ''
  for ((i = 0; i < count; i++)); do
    printf -v file 'f%06d' "$i"
    printf '%s' "$body" >"$work/html/$dir/$file"
    echo "/$dir/$file" >>"$work/$name.paths"
  done
done
chmod -R a+rX "$work/html"

# shellcheck disable=SC2016 # nginx's variables, not the shell's
start_nginx '$connection $status $body_bytes_sent $request_uri' 4096 "" ""

for workload in "${workloads[@]}"; do
  IFS=: read -r name count size dir <<<"$workload"
  sed "s|^|http://127.0.0.1:$port|" "$work/$name.paths" >"$work/$name.urls"
  sed "s|.*|url = \"&\"\noutput = \"/dev/null\"|" "$work/$name.urls" >"$work/$name.curlrc"
done

# ---- one measured run ----
run_tool() { # tool workload-name size -> the command, one word per line
  case "$1" in
    gfetch) printf '%s\n' "$net_fetch" -c "$concurrency" -s "$3" "$work/$2.urls" ;;
    curl) printf '%s\n' curl -q --parallel --parallel-max "$concurrency" --no-progress-meter \
      --fail -K "$work/$2.curlrc" ;;
  esac
}

# measure tool workload-name count size label: runs it, checks nginx's log, and
# appends a row to results.tsv (label "warmup" rows are checked but not reported).
measure() {
  local tool=$1 name=$2 count=$3 size=$4 label=$5
  local out="$work/runs/$name.$tool.$label"
  local log_start ticks_start ticks_end status=0
  local -a command
  mapfile -t command < <(run_tool "$tool" "$name" "$size")
  log_start=$(stat -c %s "$work/access.log")
  ticks_start=$(worker_cpu_ticks)
  "${pin_client[@]}" "$rusage" -t "$tool_timeout" "$out.rusage" -- "${command[@]}" \
    >"$out.stdout" 2>"$out.stderr" || status=$?
  ticks_end=$(worker_cpu_ticks)
  [ "$status" = 0 ] || die "$tool $name $label exited $status: $(head -c 600 "$out.stderr")"
  collect_access_log "$log_start" "$count" "$out.log"
  check_access_log "$tool $name $label" "$out.log" "$count" "$size" 4 "$work/$name.paths"
  local connections
  connections=$(awk '{ print $1 }' "$out.log" | sort -u | wc -l)
  printf '%s\t' "$name" "$tool" "$label" "$count" "$size" \
    "$(field wall_s "$out.rusage")" "$(field user_s "$out.rusage")" \
    "$(field sys_s "$out.rusage")" "$(field maxrss_kib "$out.rusage")" "$connections" \
    >>"$work/results.tsv"
  # gfetch also reports its fetch phase alone (no process start, no curl_global_init).
  printf '%s\t%s\t%s\n' $((ticks_end - ticks_start)) \
    "$(field wall_s "$out.stdout" | grep . || echo -)" "$(field cpu_s "$out.stdout" | grep . || echo -)" \
    >>"$work/results.tsv"
}

# ---- --callgrind: the instruction profile instead of the comparison ----
if ((callgrind > 0)); then
  measure gfetch 1k "$small_count" 1024 warmup
  for n in "$callgrind" $((2 * callgrind)); do
    head -n "$n" "$work/1k.urls" >"$work/profile.$n.urls"
    log "callgrind: bench_net_fetch on $n URLs"
    "${pin_client[@]}" valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.$n" \
      "$net_fetch" -c "$concurrency" -s 1024 "$work/profile.$n.urls" >&2 2>"$work/callgrind.$n.log" ||
      die "callgrind run failed: $(tail -5 "$work/callgrind.$n.log")"
    cp "$work/callgrind.out.$n" "$build_dir/"
  done
  echo "## bench_net_fetch under callgrind: 1 KiB files, concurrency $concurrency"
  echo
  echo "Command: \`bench/net.sh --callgrind $callgrind\` (binary: $net_fetch;"
  echo "callgrind.out.$callgrind and callgrind.out.$((2 * callgrind)) kept in $build_dir)."
  echo
  awk -v small="$callgrind" -v large=$((2 * callgrind)) -v binary=bench_net_fetch \
    -f "$root/bench/callgrind_split.awk" "$work/callgrind.out.$callgrind" \
    "$work/callgrind.out.$((2 * callgrind))"
  exit 0
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "warm-up: one unreported run of each tool and workload"
for workload in "${workloads[@]}"; do
  IFS=: read -r name count size _ <<<"$workload"
  for tool in "${tools[@]}"; do measure "$tool" "$name" "$count" "$size" warmup; done
done
for ((run = 1; run <= runs; run++)); do
  for workload in "${workloads[@]}"; do
    IFS=: read -r name count size _ <<<"$workload"
    order=("${tools[@]}")
    if ((run % 2 == 0)); then order=("${tools[1]}" "${tools[0]}"); fi # alternate who goes first
    for tool in "${order[@]}"; do
      log "run $run/$runs: $tool $name"
      measure "$tool" "$name" "$count" "$size" "$run"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report: medians per tool and workload, then gfetch/curl ratios (median of the
# per-run ratios, each run's tools measured back to back) ----
clk_tck=$(getconf CLK_TCK)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "## net: Client vs curl --parallel ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "Machine: $(nproc) CPUs, $cpu_model; $(uname -sr); $(curl --version | head -1 | cut -d' ' -f1-2),"
echo "$("$nginx" -v 2>&1 | sed 's/.*: //'); load average $load_before before, $load_after after."
echo "Command: \`$command_line\` (nginx on CPU $server_cpu, client on CPU $client_cpu;"
echo "$runs runs per tool, interleaved, after one warm-up run each; medians)."
echo
awk -F'\t' -v tck="$clk_tck" '
  function median(values, n,    i, j, t, sorted) {
    for (i = 1; i <= n; i++) sorted[i] = values[i]
    for (i = 2; i <= n; i++)
      for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) { t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t }
    return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
  }
  $3 == "warmup" { next }
  {
    key = $1 SUBSEP $2
    if (!(key in n)) { n[key] = 0; if (!($1 in seen)) { seen[$1] = 1; names[++nnames] = $1 }
                       if (!($2 in tseen)) { tseen[$2] = 1; tools[++ntools] = $2 } }
    i = ++n[key]; count[$1] = $4; size[$1] = $5
    cpu = $7 + $8
    rps[key, i] = $4 / $6; mibs[key, i] = $4 * $5 / $6 / 1048576
    cpu1k[key, i] = cpu / $4 * 1000; rss[key, i] = $9 / 1024
    user[key, i] = $7 / $4 * 1e6; sys[key, i] = $8 / $4 * 1e6
    conns[key, i] = $10; busy[key, i] = 100 * $11 / tck / $6
    byrun[$1, $2, $3, "rps"] = rps[key, i]; byrun[$1, $2, $3, "cpu"] = cpu1k[key, i]
    byrun[$1, $2, $3, "rss"] = rss[key, i]; runlist[$3] = 1
    if ($12 != "-") { inproc_rps[key, i] = $4 / $12; inproc_cpu[key, i] = $13 / $4 * 1e6; inproc[key] = 1 }
  }
  function med(metric, key,    i, v) {
    for (i = 1; i <= n[key]; i++) {
      if (metric == "rps") v[i] = rps[key, i]; else if (metric == "mibs") v[i] = mibs[key, i]
      else if (metric == "cpu") v[i] = cpu1k[key, i]; else if (metric == "rss") v[i] = rss[key, i]
      else if (metric == "conns") v[i] = conns[key, i]; else if (metric == "busy") v[i] = busy[key, i]
      else if (metric == "inproc_rps") v[i] = inproc_rps[key, i]; else if (metric == "user") v[i] = user[key, i]
      else if (metric == "sys") v[i] = sys[key, i]; else v[i] = inproc_cpu[key, i]
    }
    return median(v, n[key])
  }
  function ratio(w, metric,    r, k, v) {
    k = 0
    for (r in runlist) if ((w, "gfetch", r, metric) in byrun && (w, "curl", r, metric) in byrun)
      v[++k] = byrun[w, "gfetch", r, metric] / byrun[w, "curl", r, metric]
    return k ? median(v, k) : 0
  }
  END {
    label["gfetch"] = "gfetch (net::Client)"; label["curl"] = "curl --parallel"
    print "| workload | tool | req/s | MiB/s | CPU s / 1,000 req | CPU µs / req | user / sys µs | peak RSS MiB | connections | nginx core busy |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (w = 1; w <= nnames; w++) {
      name = names[w]; desc = sprintf("%d × %s", count[name], size[name] >= 1024 ? size[name] / 1024 " KiB" : size[name] " B")
      for (t = 1; t <= ntools; t++) {
        key = name SUBSEP tools[t]
        if (!(key in n)) continue
        printf "| %s | %s | %.0f | %.1f | %.3f | %.1f | %.1f / %.1f | %.1f | %d | %.0f%% |\n", desc,
          (tools[t] in label ? label[tools[t]] : tools[t]), med("rps", key), med("mibs", key),
          med("cpu", key), med("cpu", key) * 1000, med("user", key), med("sys", key), med("rss", key),
          med("conns", key), med("busy", key)
      }
      if ((name SUBSEP "gfetch") in n && (name SUBSEP "curl") in n) {
        printf "| %s | **gfetch ÷ curl** | **%.2f×** | **%.2f×** | **%.2f×** | **%.2f×** | | **%.2f×** | | |\n",
          desc, ratio(name, "rps"), ratio(name, "rps"), ratio(name, "cpu"), ratio(name, "cpu"), ratio(name, "rss")
      }
    }
    for (w = 1; w <= nnames; w++) {
      key = names[w] SUBSEP "gfetch"
      if (key in inproc) notes = notes sprintf("%s%s: %.0f req/s, %.1f µs CPU per request", notes == "" ? "" : "; ",
                                               names[w], med("inproc_rps", key), med("inproc_cpu", key))
    }
    if (notes != "") print "\nbench_net_fetch'"'"'s own fetch phase (in-process getrusage, without process start-up and curl_global_init): " notes "."
  }' "$work/results.tsv"
echo
echo "Ratios are medians of per-run ratios (both tools measured back to back in each run):"
echo "above 1 is better for req/s and MiB/s, below 1 is better for CPU and RSS. Wall, CPU"
echo "(user+sys, whole process: start-up included) and peak RSS come from wait4 on each"
echo "tool's process (bench_rusage); the user/sys split is the kernel's accounting, noisier"
echo "than the sum. Connections are distinct nginx connections per run; nginx core busy is"
echo "its worker's CPU time over the run's wall time (near 100%: the server, not the client,"
echo "limits req/s)."
cp "$work/results.tsv" "$build_dir/net-bench-results.tsv" &&
  log "per-run rows: $build_dir/net-bench-results.tsv (workload tool run count size wall user sys maxrss_kib conns nginx_ticks gfetch_wall gfetch_cpu)"

# callgrind_split.awk: where bench_net_fetch's instructions per request go. Reads two
# callgrind.out files of the same binary, fetching `small` and `large` URLs, and
# prints the difference divided by (large - small): start-up and shut-down cancel
# out. Markdown tables: self instructions by part (libcurl, malloc, libevent, green,
# gfetch's net code, ...), library calls made by gfetch's code with what they cost
# inclusively, the top functions overall and in the binary, and heap allocations.
# Used by `bench/net.sh --callgrind N` (binary=bench_net_fetch) and `bench/run.sh
# --profile N` (binary=/cmd/gfetch, the CLI: core/fetch and cmd/ get parts of their own).
# The first table gives each request's CPU to its owner: libc, malloc and libstdc++
# count for whoever called them (gfetch's code, libcurl, libevent), and so does
# libcurl's allocator (core/net/curl_memory.cpp): it replaces glibc's malloc for
# libcurl, so its work is libcurl's, as glibc's was. So do the other functions the
# binary defines for libcurl to call: poll(), clock_gettime(), sscanf() and
# inet_ntop() in place of glibc's (core/net/curl_poll.cpp, curl_clock.cpp,
# curl_sscanf.cpp, curl_inet_ntop.cpp), and libcurl's
# own string functions (core/net/curl_strings.cpp). With user_us and
# sys_us (measured CPU per request) it also gives microseconds, the kernel included.
#   awk -v small=N1 -v large=N2 -v binary=bench_net_fetch [-v user_us=U -v sys_us=S] \
#       -f callgrind_split.awk A B

function lookup(table, value,    id, rest) {  # "(12) name" defines id 12, "(12)" refers to it
  if (!match(value, /^\([0-9]+\)/)) return value
  id = substr(value, 2, RLENGTH - 2)
  rest = substr(value, RLENGTH + 1)
  sub(/^ /, "", rest)
  if (rest != "") names[table, id] = rest
  return names[table, id]
}
function base(path) { sub(/.*\//, "", path); return path }
function ours(object) { return index(object, binary) > 0 }
# The binary's stand-ins for functions libcurl calls: its work, done here.
function stand_in(fn) {
  return fn ~ /curl_memory::|curl_strings::|curl_clock::|curl_sscanf::|curl_inet_ntop::/ ||
         fn ~ /^(poll|clock_gettime|__isoc99_sscanf|inet_ntop)$/ ||
         fn ~ /^(curl_strequal|curl_strnequal|curl_msnprintf|curl_mvsnprintf|curl_maprintf|curl_mvaprintf)$/
}
# The part an instruction belongs to, from its object, file and function.
function part(object, file, fn) {
  if (ours(object)) {
    if (fn ~ /curl_memory::/) return "libcurl's allocator (core/net/curl_memory.cpp)"
    if (stand_in(fn)) return "libcurl's poll(), clock, sscanf and string functions (core/net/curl_*.cpp)"
    if (fn ~ /gfetch::net/ || file ~ /core\/net\//) return "gfetch net (core/net)"
    if (fn ~ /green::/ || file ~ /core\/green\//) return "green (core/green)"
    if (file ~ /core\/fetch\//) return "gfetch fetch (core/fetch: job, pool, report)"
    if (file ~ /cmd\//) return "gfetch cmd (cmd/)"
    if (fn ~ /^main/ || file ~ /bench\//) return "bench driver (list, Request, tally)"
    return "std:: out of line, in the binary"
  }
  if (object ~ /libcurl/) return "libcurl"
  if (object ~ /libc\.so/) return file ~ /malloc/ ? "malloc/free (glibc)" : "libc other (memcpy, str*, sscanf, syscall stubs)"
  if (object ~ /libevent/) return "libevent"
  if (object ~ /libboost_context/) return "green (Boost.Context switch)"
  if (object ~ /libstdc\+\+/) return "libstdc++ (operator new, string)"
  if (object ~ /libcares/) return "c-ares"
  if (object ~ /ld-linux/) return "dynamic loader"
  return "other: " base(object)
}
function clean(fn) { sub(/'[0-9]+$/, "", fn); return fn }
# Who answers for a function's instructions: "" for the shared helpers (libc, malloc,
# libstdc++, the loader, the binary's stand-ins for libcurl), which count for their caller.
function owner_of(object, fn) {
  if (ours(object) && stand_in(clean(fn))) return ""
  if (ours(object) || object ~ /libboost_context/) return "gfetch's own code (core/, cmd/, inlined std::, Boost.Context)"
  if (object ~ /libcurl/) return "libcurl"
  if (object ~ /libevent/) return "libevent"
  if (object ~ /libcares/) return "c-ares"
  if (object ~ /libc\.so|libstdc\+\+|libm\.so|libgcc|ld-linux/) return ""
  if (object == "???") return ""  # the vDSO (clock_gettime), for whoever reads the clock
  return "other: " base(object)
}

FNR == 1 { run = (FILENAME == ARGV[1]) ? "small" : "large"; ob = ""; fl = ""; fn = ""; pending = 0 }
/^ob=/ { ob = lookup("ob", substr($0, 4)); next }
/^cob=/ { callee_ob = lookup("ob", substr($0, 5)); next }
/^(fl|fi|fe)=/ { file = lookup("fl", substr($0, 4)); if ($0 ~ /^fl=/) fl = file; cur_file = file; next }
/^(cfi|cfl)=/ { lookup("fl", substr($0, 5)); next }
/^fn=/ { fn = lookup("fn", substr($0, 4)); cur_file = fl; next }
/^cfn=/ { callee_fn = lookup("fn", substr($0, 5)); next }
/^calls=/ {
  pending = 1
  count = substr($1, 7) + 0
  if (callee_fn ~ /^(malloc|calloc|realloc)$/) allocs[run, "glibc malloc + calloc + realloc calls, all callers"] += count
  if (callee_fn ~ /^operator new/) allocs[run, "of which operator new (C++: gfetch, green, std::)"] += count
  if (ob ~ /libcurl/ && callee_fn ~ /curl_memory::(allocate|reallocate|duplicate)/)
    allocs[run, "libcurl's, through its allocator (core/net/curl_memory.cpp)"] += count
  next
}
/^[0-9+*-]/ {
  cost = NF >= 2 ? $2 : 0
  if (pending) {  # the inclusive cost of the call just named
    pending = 0
    target_ob = callee_ob == "" ? ob : callee_ob
    # event_base_loop is left out: its inclusive cost holds every callback of the
    # loop, and callgrind's call stacks blur across green's stack switches.
    if (ours(ob) && target_ob ~ /libcurl|libevent|libcares/ && callee_fn !~ /^event_base_loop/)
      calls[run, clean(callee_fn) " (" base(target_ob) ")"] += cost
    # A call from an owner into a shared helper: the helper's work is the caller's.
    # ("(below main)" is callgrind's name for the process's entry: everything.)
    if (owner_of(ob, fn) != "" && owner_of(target_ob, callee_fn) == "" && fn != "(below main)")
      owners[run, owner_of(ob, fn)] += cost
    callee_ob = ""
    next
  }
  if (owner_of(ob, fn) != "") owners[run, owner_of(ob, fn)] += cost
  parts[run, part(ob, cur_file, fn)] += cost
  fns[run, clean(fn) " [" base(ob) "]"] += cost
  if (ours(ob) && !stand_in(clean(fn))) own[run, clean(fn)] += cost
  total[run] += cost
  next
}

# Prints the rows of `table` whose per-request difference is largest, `limit` of them.
function report(table, title, limit, share,    key, k, n, i, j, t, rows, vals, per, seen) {
  n = 0
  for (key in table) {
    split(key, k, SUBSEP)
    if (k[2] in seen) continue
    seen[k[2]] = 1
    per = (table["large", k[2]] - table["small", k[2]]) / (large - small)
    if (per < (share ? 5 : 0.05) && per > -(share ? 5 : 0.05)) continue  # noise
    rows[++n] = k[2]; vals[n] = per
  }
  for (i = 2; i <= n; i++)
    for (j = i; j > 1 && vals[j - 1] < vals[j]; j--) {
      t = vals[j]; vals[j] = vals[j - 1]; vals[j - 1] = t
      t = rows[j]; rows[j] = rows[j - 1]; rows[j - 1] = t
    }
  print "| " title " | " (share ? "instructions" : "calls") " / request |" (share ? " share |" : "")
  print "|---|---:|" (share ? "---:|" : "")
  for (i = 1; i <= n && i <= limit; i++) {
    gsub(/\|/, "\\|", rows[i])
    if (share) printf "| %s | %.0f | %.1f%% |\n", rows[i], vals[i], 100 * vals[i] / per_request
    else printf "| %s | %.1f |\n", rows[i], vals[i]
  }
  print ""
}

# The owners' table: instructions and share of user space; with user_us / sys_us
# also microseconds per request and the share of all CPU, kernel included.
function report_owners(    key, k, seen, n, rows, vals, i, j, t, per, rest, cpu) {
  n = 0
  rest = per_request
  for (key in owners) {
    split(key, k, SUBSEP)
    if (k[2] in seen) continue
    seen[k[2]] = 1
    per = (owners["large", k[2]] - owners["small", k[2]]) / (large - small)
    rows[++n] = k[2]; vals[n] = per; rest -= per
  }
  rows[++n] = "libc, libstdc++ and the vDSO called from elsewhere (start-up, the loader)"; vals[n] = rest
  for (i = 2; i <= n; i++)
    for (j = i; j > 1 && vals[j - 1] < vals[j]; j--) {
      t = vals[j]; vals[j] = vals[j - 1]; vals[j - 1] = t
      t = rows[j]; rows[j] = rows[j - 1]; rows[j - 1] = t
    }
  cpu = user_us + sys_us
  if (cpu > 0) {
    print "| owner of the work (libc, malloc, libstdc++ and the binary's stand-ins for libcurl counted for their caller) | instructions / request | share of user space | CPU µs / request | share of all CPU |"
    print "|---|---:|---:|---:|---:|"
    printf "| kernel (system time: loopback TCP, epoll, poll, page faults) | | | %.1f | %.1f%% |\n", sys_us, 100 * sys_us / cpu
    for (i = 1; i <= n; i++) {
      if (vals[i] < per_request / 200 && vals[i] > -per_request / 200) continue
      printf "| %s | %.0f | %.1f%% | %.1f | %.1f%% |\n", rows[i], vals[i], 100 * vals[i] / per_request,
        user_us * vals[i] / per_request, 100 * user_us * vals[i] / per_request / cpu
    }
  } else {
    print "| owner of the work (libc, malloc, libstdc++ and the binary's stand-ins for libcurl counted for their caller) | instructions / request | share |"
    print "|---|---:|---:|"
    for (i = 1; i <= n; i++) {
      if (vals[i] < per_request / 200 && vals[i] > -per_request / 200) continue
      printf "| %s | %.0f | %.1f%% |\n", rows[i], vals[i], 100 * vals[i] / per_request
    }
  }
  print ""
}

END {
  per_request = (total["large"] - total["small"]) / (large - small)
  printf "Instructions per request (user space; callgrind, %d vs %d URLs): %.0f\n\n", small, large, per_request
  report_owners()
  report(parts, "part (self cost)", 20, 1)
  report(calls, "called from gfetch's code (inclusive)", 15, 1)
  report(fns, "function (self cost)", 25, 1)
  report(own, "function of the binary: gfetch, green, inlined std::, not the stand-ins for libcurl (self cost)", 15, 1)
  report(allocs, "heap allocations", 5, 0)
}

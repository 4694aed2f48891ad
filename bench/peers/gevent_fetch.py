#!/usr/bin/python3
"""gevent_fetch.py: the seeds' way of fetching many URLs, as a peer for bench/run.sh.

gevent + requests (Debian's python3-gevent and python3-requests), monkey-patched,
one `requests.get(url)` per URL (a new connection each, as in the seeds) in a
gevent.pool.Pool(N), printing "%d bytes received from %s" per URL. URLs come one
per line from FILE or standard input (streamed: the pool blocks when full).
Exits 1 if any URL failed or did not answer 200.

Usage: gevent_fetch.py [-c N] [FILE|-]
"""
from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

import gevent.pool  # noqa: E402
import requests  # noqa: E402

failures = 0


def fetch(url):
    global failures
    try:
        r = requests.get(url)
    except Exception as e:  # a failure is counted, not fatal to the run
        failures += 1
        print("error %s: %s" % (url, e), file=sys.stderr)
        return
    if r.status_code != 200:
        failures += 1
    print("%d bytes received from %s" % (len(r.content), url))


def main(argv):
    concurrency = 100
    if len(argv) >= 2 and argv[0] == "-c":
        concurrency = int(argv[1])
        argv = argv[2:]
    source = sys.stdin if not argv or argv[0] == "-" else open(argv[0])
    pool = gevent.pool.Pool(concurrency)
    for line in source:
        url = line.strip()
        if url:
            pool.spawn(fetch, url)
    pool.join()
    sys.stdout.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

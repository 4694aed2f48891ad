#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of gfetch from Debian's
# packages. Idempotent: when everything is already present it installs nothing
# and does not touch the network. Needs root (or sudo) only when it must install.
# --bench also installs the peers and profilers of bench/run.sh (wget2, Python
# gevent + requests, valgrind), which neither the build nor the tests need.
set -euo pipefail

bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    *) echo "install-deps: unknown argument $arg (known: --bench)" >&2; exit 2 ;;
  esac
done

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config make git ca-certificates
  # libraries (see third_party/README.md)
  libevent-dev libboost-context-dev libcurl4-openssl-dev libc-ares-dev
  libcli11-dev catch2 zlib1g-dev
  # test and benchmark peers / servers
  dnsmasq-base nginx-light nghttp2-server curl groff-base procps openssl
)
if [ "$bench" = 1 ]; then
  # bench/run.sh's peers (issue 5) and its profiler; util-linux has taskset,
  # iproute2 has ss, python3 is Debian's (the one python3-gevent installs into).
  packages+=(wget2 python3 python3-gevent python3-requests valgrind util-linux iproute2)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

echo "install-deps: installing ${missing[*]}"
# Package scripts must not start system services (nginx on :80, dnsmasq on :53):
# the tests start their own instances on random loopback ports.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/bin/sh
# Install the Debian packages perflab needs that are missing, and say
# which. Run as root on Debian 12; as another user it only reports.
set -eu
# deps.sh [kernel]: with "kernel", also what `make check-kernel` needs.

# build: compiler, libraries; fuzz: clang with its libFuzzer runtime;
# run and tests: iproute2, ssh, nginx, perf; bench: iperf3;
# reports: gnuplot; tests: perl (Time::HiRes) for a deterministic busy loop;
# tests and bench: sqlite3, the command-line tool, reads the history index apart;
# tests: busybox-static and file, for the agent in a root of busybox alone;
# the VM lab: qemu-system-x86, dropbear-bin (the guests' sshd), busybox-static.
PACKAGES="
gcc make pkg-config
libhwloc-dev libjansson-dev libgit2-dev libsqlite3-dev libinih-dev libpfm4-dev libelf-dev
clang libclang-rt-14-dev
iproute2 procps openssh-client openssh-server nginx-light linux-perf git
python3 perl iperf3 gnuplot-nox sqlite3 busybox-static file
qemu-system-x86 dropbear-bin
"
# make check-kernel: a kernel tree and what building it takes
if [ "${1:-}" = kernel ]; then
	PACKAGES="$PACKAGES linux-source-6.1 flex bison bc libssl-dev xz-utils"
fi

# Optional, not installed here: chromium, only for t7100-report's check of
# the HTML report in a headless browser; that test installs it with
# apt-get when it can and skips the rendering check otherwise.

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all $(echo $PACKAGES | wc -w) Debian packages present"
	exit 0
fi

echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run 'make deps' as root to install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
apt-get update -q >/dev/null
echo "deps: apt-get install$missing"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
# Packaged daemons must not hold the ports and addresses tests use.
for svc in nginx ssh; do
	if command -v service >/dev/null 2>&1; then
		service "$svc" stop >/dev/null 2>&1 || true
	fi
done
echo "deps: installed$missing"

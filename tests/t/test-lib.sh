# perflab shell test library, in the manner of git's t/test-lib.sh.
#
#   test_description='what this script covers'
#   . ./test-lib.sh
#   test_expect_success 'what it checks' '
#           perflab ... &&
#           test_cmp expect actual
#   '
#   test_expect_success ROOT,NGINX 'needs root and nginx' '...'
#   test_done
#
# Each script runs in its own scratch directory; `perflab` is the binary
# of this tree. Output is TAP; tests/run-tests.sh adds it all up.

TEST_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$TEST_DIR/../.." && pwd)
PATH="$SRC_DIR:$PATH"
export PATH SRC_DIR TEST_DIR
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/perflab-t.XXXXXX")
test_count=0
test_failed=0
test_cleanup_cmds=""

cleanup() {
	eval "$test_cleanup_cmds" >/dev/null 2>&1 || :
	cd /
	rm -rf "$TRASH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$TRASH" || exit 1

say() { printf '%s\n' "$*"; }

# Register cleanup to run when the script ends (last in, first out).
test_when_finished_all() {
	test_cleanup_cmds="$1; $test_cleanup_cmds"
}

test_have_prereq() {
	old_ifs=$IFS
	IFS=,
	for p in $1; do
		IFS=$old_ifs
		case "$p" in
		ROOT) [ "$(id -u)" = 0 ] || return 1 ;;
		NETNS) [ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1 || return 1 ;;
		NGINX) command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || return 1 ;;
		PERF) command -v perf >/dev/null 2>&1 || return 1 ;;
		IPERF3) command -v iperf3 >/dev/null 2>&1 || return 1 ;;
		SSHD) [ -x /usr/sbin/sshd ] || return 1 ;;
		GNUPLOT) command -v gnuplot >/dev/null 2>&1 || return 1 ;;
		*) say "unknown prerequisite $p" >&2; return 1 ;;
		esac
	done
	IFS=$old_ifs
	return 0
}

# test_expect_success [PREREQS] 'description' 'commands'
test_expect_success() {
	prereq=
	if [ $# = 3 ]; then prereq=$1; shift; fi
	test_count=$((test_count + 1))
	if [ -n "$prereq" ] && ! test_have_prereq "$prereq"; then
		say "ok $test_count # skip $1 (missing $prereq)"
		return 0
	fi
	out="$TRASH/.test-output"
	# Like git: the body runs in this shell (its variables persist for
	# later tests) and must chain its commands with &&.
	if { eval "$2"; } >"$out" 2>&1; then
		say "ok $test_count - $1"
		[ -n "${verbose:-}" ] && sed 's/^/# /' "$out"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $1"
		sed 's/^/#   /' "$out" | tail -n 40
	fi
	return 0
}

test_done() {
	say "1..$test_count"
	[ "$test_failed" = 0 ]
}

# Helpers used inside tests.
test_cmp() { diff -u "$@"; }
test_must_fail() {
	"$@" && { echo "test_must_fail: '$*' succeeded" >&2; return 1; }
	return 0
}
# The exit code of a command, for checks on exit statuses.
test_exit_code() {
	want=$1; shift
	"$@" && got=0 || got=$?
	[ "$got" = "$want" ] || { echo "exit code $got, expected $want: $*" >&2; return 1; }
}
# json FILE EXPR: evaluate a Python expression on a JSON document (d),
# or on the list of objects of a JSON-lines file (lines).
json() {
	python3 - "$@" <<'PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
with open(path) as f:
    text = f.read()
try:
    d = json.loads(text)
    lines = [d]
except ValueError:
    d = None
    lines = [json.loads(l) for l in text.splitlines() if l.strip()]
v = eval(expr)
if isinstance(v, bool):
    if not v:
        print(text[:800], file=sys.stderr)
        print("json check failed on %s: %s" % (path, expr), file=sys.stderr)
    sys.exit(0 if v else 1)
print(v)
PY
}
# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

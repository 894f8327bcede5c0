#!/bin/sh
test_description='--help on every command, the generated manual pages and completion, make install'
. "$(dirname "$0")/test-lib.sh"

# The pages as make man writes them, generated here from this binary.
test_expect_success 'every page is generated and man -l renders it without a warning' '
	mkdir man &&
	perflab help --man-list >pages &&
	test $(wc -l <pages) -ge 20 &&
	while read p; do
		perflab help --man "$p" >"man/$p.1" &&
		LC_ALL=C MANWIDTH=250 man -l "man/$p.1" 2>"man/$p.err" | col -b >"man/$p.txt" &&
		test ! -s "man/$p.err" &&
		grep -q "^NAME" "man/$p.txt" && grep -q "^SYNOPSIS" "man/$p.txt" &&
		grep -q "^EXIT STATUS" "man/$p.txt" || { echo "page $p"; return 1; }
	done <pages &&
	grep -q "^ *129 *usage or configuration error" man/perflab-compare.txt &&
	grep -q "cannot be judged: the commit does not build" man/perflab.txt &&
	test_exit_code 129 perflab help --man perflab-nosuch
'

# Every command and subcommand: --help exits 0 on stdout, and its usage
# lines and option spellings are those of its manual page.
test_expect_success 'every --help agrees with its man page synopsis and options (acceptance)' '
	python3 - <<-\PY
	import re, subprocess, sys

	def run(*args):
	    p = subprocess.run(["perflab"] + list(args), capture_output=True, text=True)
	    assert p.returncode == 0, (args, p.returncode, p.stderr)
	    assert p.stderr == "", (args, p.stderr)
	    return p.stdout

	def norm(s):
	    return " ".join(s.split())

	def synopsis(help_text):
	    lines = []
	    for line in help_text.splitlines():
	        if not line.strip():
	            break
	        lines.append(norm(line.replace("usage: ", "", 1)))
	    return lines

	def options(help_text):
	    return [m.group(1) for m in re.finditer(r"^  (-\S.*?|    --\S.*?)(?:  |$)", help_text, re.M)]

	def section(page, name):
	    text = open("man/%s.txt" % page).read().splitlines()
	    out, inside = [], False
	    for line in text:
	        if line and not line[0].isspace():
	            inside = line.strip() == name
	            continue
	        if inside and line.strip():
	            out.append(norm(line))
	    return out

	cmds = re.findall(r"^   (\S+) ", run("help").split("commands:")[1].split("\n\n")[0], re.M)
	assert len(cmds) >= 20, cmds
	checked = 0
	for cmd in cmds:
	    page = "perflab-" + cmd
	    syn = section(page, "SYNOPSIS")
	    body = norm(open("man/%s.txt" % page).read())
	    top = run(cmd, "--help")
	    assert top == run("help", cmd), cmd
	    subs = []
	    if "\nsubcommands:\n" in top:
	        subs = re.findall(r"^   (\S+) ", top.split("\nsubcommands:\n")[1], re.M)
	    for args in [[cmd]] + [[cmd, s] for s in subs]:
	        text = run(*(args + ["--help"]))
	        assert text == run("help", *args), args
	        for line in synopsis(text):
	            assert line in syn, (args, line, syn)
	        for o in options(text):
	            assert norm(o) in body, (args, o)
	        checked += 1
	print("checked", checked, "commands and subcommands")
	assert checked >= 45, checked
	PY
'

test_expect_success 'help --help, help CMD SUB, and --help after other options' '
	perflab help --help >out && grep -q "^usage: perflab help \[COMMAND \[SUBCOMMAND\]\]" out &&
	perflab help bisect run >a && perflab bisect run --help >b && test_cmp a b &&
	grep -q "^usage: perflab bisect run " a &&
	perflab bisect knobs --help | grep -q "^usage: perflab bisect knobs" &&
	perflab config check --help | grep -q "^usage: perflab config check FILE" &&
	test ! -e ./--help &&
	perflab plot box --help | grep -q "^usage: perflab plot " &&
	perflab bisect run --job nosuch.job --help | grep -q "^usage: perflab bisect run " &&
	perflab stat -e task-clock --help | grep -q "^usage: perflab stat " &&
	perflab lab up --help | grep -q "^usage: perflab lab up" &&
	perflab fingerprint diff --help | grep -q "^usage: perflab fingerprint diff" &&
	test_exit_code 129 perflab help bisect frobnicate &&
	test_exit_code 129 perflab help frobnicate
'

test_expect_success 'the completion comes from the same tables' '
	perflab help --completion >perflab.bash &&
	bash -n perflab.bash &&
	cat >complete.sh <<-\EOF &&
	. ./perflab.bash
	c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _perflab; echo "${COMPREPLY[*]}"; }
	c perflab bis
	c perflab bisect ru
	c perflab bisect run --jo
	c perflab stat --per-s
	c perflab load client --workload c
	c perflab help bisect kn
	EOF
	bash complete.sh >got &&
	cat >expect <<-\EOF &&
	bisect
	run
	--job
	--per-socket
	crr chunk
	knobs
	EOF
	test_cmp expect got
'

# make install into a stage, from a copy of this tree and its objects
# (the copy relinks for PREFIX=/usr; this tree'"'"'s binary stays as it is).
test_expect_success 'make install DESTDIR PREFIX lays out everything; uninstall removes it (acceptance)' '
	mkdir copy &&
	(cd "$SRC_DIR" && git ls-files -z | xargs -0 cp -a --parents -t "$TRASH/copy" &&
	 cp -a --parents build/opt perflab perflab-agent "$TRASH/copy") &&
	make -C copy -s install DESTDIR="$TRASH/stage" PREFIX=/usr >install.log 2>&1 &&
	for f in bin/perflab libexec/perflab/perflab-agent share/man/man1/perflab.1 \
		 share/man/man1/perflab-bisect.1 share/man/man1/perflab-stat.1 \
		 share/bash-completion/completions/perflab share/doc/perflab/hosts.example \
		 share/doc/perflab/job.example; do
		test -f "stage/usr/$f" || { echo "missing $f"; return 1; }
	done &&
	test -x stage/usr/bin/perflab && test -x stage/usr/libexec/perflab/perflab-agent &&
	test $(ls stage/usr/share/man/man1 | wc -l) = $(wc -l <pages) &&
	LC_ALL=C man -l stage/usr/share/man/man1/perflab-bisect.1 2>err | grep -q "bisect run" &&
	test ! -s err &&
	stage/usr/bin/perflab version | grep -q "/usr/libexec/perflab" &&
	make -C copy -s uninstall DESTDIR="$TRASH/stage" PREFIX=/usr >>install.log 2>&1 &&
	test -z "$(find stage -type f)"
'

test_done

#!/bin/sh
test_description='perflab build and images: builds at commits, the image cache'
. "$(dirname "$0")/test-lib.sh"

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME="$TRASH"

# A branch name and a commit subject full of shell metacharacters.
evil_branch='x;$(touch${IFS}pwned)`touch${IFS}pwned`'"'"'"|&>y'
evil_subject='evil $(touch pwned) `touch pwned`; touch pwned && "dq" '"'sq'"' | >pwned'

# hello.c printing its version.
write_hello() {
	printf '#include <stdio.h>\nint main(void) { printf("hello version %s\\n"); return 0; }\n' \
		"$1" >src/hello.c
}

# The value of one "name  value" line of a build's output.
field() { sed -n "s/^$1  *//p" out | head -1; }

# Lines in the file that counts builds (the build command appends to it).
runs() { if [ -f runs ]; then wc -l <runs; else echo 0; fi; }

# No file named pwned anywhere a command could have run.
no_pwned() {
	found=$(find "$TRASH" /tmp /root -xdev -name pwned 2>/dev/null | head -5)
	[ -z "$found" ] || { echo "pwned: $found"; return 1; }
}

test_expect_success 'setup: a git repository of a small C program' '
	git init -q -b main src &&
	printf "hello: hello.o\n\t\$(CC) -o \$@ hello.o\n" >src/Makefile &&
	printf "*.o\nhello\n" >src/.gitignore &&
	write_hello 1 && git -C src add . && git -C src commit -q -m "version 1" &&
	git -C src tag v1 &&
	write_hello 2 && git -C src commit -q -am "version 2" && git -C src tag v2 &&
	git -C src commit -q --allow-empty -m "empty: the tree of version 2" &&
	git -C src tag same &&
	sed -i "s/return 0;/return 0 +;/" src/hello.c &&
	git -C src commit -q -am "broken: does not compile" && git -C src tag broken &&
	git -C src revert --no-edit HEAD >/dev/null && git -C src tag fixed &&
	cat >job <<-EOF &&
	[source]
	repo = $TRASH/src
	build = sh -c "echo ran >>\"\\\$0\"; make" $TRASH/runs
	artifact = hello
	EOF
	perflab config check job
'

test_expect_success 'build a commit: the image runs and says which commit it is' '
	perflab build --job job v1 >out &&
	test "$(field cache)" = miss &&
	test "$(field commit | cut -c1-40)" = "$(git -C src rev-parse v1)" &&
	test "$(field tree)" = "$(git -C src rev-parse v1^{tree})" &&
	image=$(field image) && test -x "$image" &&
	test "$("$image")" = "hello version 1" &&
	test "$(runs)" = 1 &&
	key1=$(field key) && test ${#key1} = 64
'

test_expect_success 'a second build of the same commit is a hit and runs nothing' '
	perflab build --job job v1 >out &&
	test "$(field cache)" = hit &&
	test "$(field image)" = "$image" &&
	test "$(field key)" = "$key1" &&
	test "$(runs)" = 1
'

test_expect_success 'another commit with the same tree is a hit (content addressing)' '
	perflab build --job job v2 >out &&
	test "$(field cache)" = miss && test "$(runs)" = 2 &&
	key2=$(field key) && test "$key2" != "$key1" &&
	test "$("$(field image)")" = "hello version 2" &&
	perflab build --job job same >out &&
	test "$(field cache)" = hit && test "$(field key)" = "$key2" &&
	grep -q "^built   from $(git -C src rev-parse v2) (the same tree)" out &&
	perflab build --job job fixed >out &&
	test "$(field cache)" = hit && test "$(field key)" = "$key2" &&
	test "$(runs)" = 2
'

test_expect_success 'short ids, HEAD~N and the branch resolve; the repository is not touched' '
	git -C src status --porcelain >before &&
	perflab build --job job "$(git -C src rev-parse --short=7 v1)" >out &&
	test "$(field key)" = "$key1" &&
	perflab build --job job main~4 >out && test "$(field key)" = "$key1" &&
	perflab build --job job >out && test "$(field key)" = "$key2" &&
	test "$(runs)" = 2 &&
	git -C src status --porcelain >after && test_cmp before after &&
	test ! -e src/hello.o && git -C src diff --quiet HEAD
'

test_expect_success 'the worktree keeps ignored build products and drops the rest' '
	wt=$(ls -d builds/worktrees/*/) &&
	test -f "$wt/hello.o" &&
	echo junk >"$wt/untracked" && echo keep >"$wt/keep.o" &&
	echo "# edited" >>"$wt/Makefile" &&
	test_exit_code 1 perflab build --job job broken >out 2>&1 &&
	test ! -e "$wt/untracked" && test -f "$wt/keep.o" &&
	! grep -q edited "$wt/Makefile" &&
	grep -q "return 0 +;" "$wt/hello.c"
'

test_expect_success 'a broken commit: exit 1, the log path and the compiler error' '
	test_exit_code 1 perflab build --job job broken >out 2>&1 &&
	grep -q "^status  failed: exit 2" out &&
	log=$(field log) && test -f "$log" &&
	grep -q "error: expected expression" out &&
	grep -q "error: expected expression" "$log" &&
	grep -q "build of .broken. failed (exit 2): a skip, not a result" out &&
	! grep -q "^image" out &&
	json "$(dirname "$log")/meta.json" "d[\"status\"] == \"failed\" and d[\"exit_code\"] == 2 and \"expected expression\" in d[\"log_tail\"]"
'

test_expect_success 'a failed build is cached: not retried unless --retry-failed' '
	n=$(runs) &&
	test_exit_code 1 perflab build --job job broken >out 2>&1 &&
	test "$(field cache)" = hit && test "$(runs)" = $n &&
	grep -q "cached, --retry-failed builds it again" out &&
	grep -q "error: expected expression" out &&
	test_exit_code 1 perflab build --job job --retry-failed broken >out 2>&1 &&
	test "$(field cache)" = miss && test "$(runs)" = $((n + 1))
'

test_expect_success 'subjects and branch names with shell metacharacters are data' '
	git -C src checkout -q -b "$evil_branch" v2 &&
	write_hello 3 &&
	printf "%s\n%s\n\nbody \$(touch pwned)\n" "$evil_subject" "second line; touch pwned" >msg &&
	git -C src commit -q -a -F ../msg &&
	git -C src checkout -q main &&
	printf "[source]\nrepo = %s\nbranch = %s\nbuild = make\nartifact = hello\n" \
		"$TRASH/src" "$evil_branch" >job2 &&
	perflab config check job2 &&
	perflab build --job job2 >out &&
	test "$("$(field image)")" = "hello version 3" &&
	meta=$(dirname "$(field image)")/meta.json &&
	git -C src log -1 --format=%s "refs/heads/$evil_branch" >want &&
	json "$meta" "d[\"subject\"]" >got &&
	test_cmp want got &&
	grep -q "touch pwned" got &&
	perflab build --job job2 "$evil_branch" >out &&
	test "$(field cache)" = hit &&
	perflab images --job job2 >list && grep -q "evil" list &&
	no_pwned
'

test_expect_success 'a build past build_timeout is killed with its children' '
	cat >slow <<-EOF &&
	[source]
	repo = $TRASH/src
	build = sh -c "sleep 60 & echo \\\$! >$TRASH/bgpid; sleep 60" {image}
	build_timeout = 1s
	EOF
	perflab config check slow &&
	test_exit_code 1 perflab build --job slow v1 >out 2>&1 &&
	grep -q "^status  failed: timeout after 1 s" out &&
	grep -q "timeout" out &&
	bg=$(cat bgpid) && st=$(ps -o stat= -p "$bg" || true) &&
	case "$st" in ""|Z*) ;; *) echo "child $bg still running ($st)"; false ;; esac &&
	json "$(dirname "$(field log)")/meta.json" "d[\"status\"] == \"failed\" and d[\"exit_code\"] is None"
'

test_expect_success 'after a killed build the worktree starts afresh' '
	wt=$(grep -l "\"clean\": false" builds/worktrees/*.state | sed "s/\.state\$//") &&
	test -d "$wt" && echo leftover >"$wt/stale.o" &&
	test_exit_code 1 perflab build --job slow --retry-failed v1 >out 2>&1 &&
	test ! -e "$wt/stale.o"
'

test_expect_success 'an unknown revision is an error naming it' '
	test_exit_code 128 perflab build --job job nosuchrev >out 2>&1 &&
	grep -q "unknown revision .nosuchrev. in .$TRASH/src." out &&
	test_exit_code 128 perflab build --job job v1:hello.c >out 2>&1 &&
	grep -q "revision .v1:hello.c. is not a commit" out &&
	printf "[source]\nrepo = %s\nbranch = gone\nbuild = make {image}\n" "$TRASH/src" >nob &&
	test_exit_code 128 perflab build --job nob >out 2>&1 &&
	grep -q "no branch .gone. in" out &&
	printf "[source]\nrepo = %s/nothing\nbuild = make {image}\n" "$TRASH" >norepo &&
	test_exit_code 128 perflab build --job norepo v1 >out 2>&1 &&
	grep -q "cannot open the repository .$TRASH/nothing." out
'

test_expect_success 'usage errors exit 129' '
	test_exit_code 129 perflab build v1 2>err && grep -q "no job file" err &&
	test_exit_code 129 perflab build --job job v1 v2 2>err &&
	test_exit_code 129 perflab build --job nonexistent v1 2>err &&
	printf "[run]\nrepeat = 1\n" >nosrc &&
	test_exit_code 129 perflab build --job nosrc v1 2>err && grep -q "no \[source\]" err &&
	printf "[source]\nrepo = /r\n" >nobuild &&
	test_exit_code 129 perflab build --job nobuild v1 2>err &&
	grep -q "no .build. command in \[source\]" err &&
	test_exit_code 129 perflab images prune --job job 2>err && grep -q "say what to prune" err
'

test_expect_success 'bad [source] keys fail config check with file:line' '
	printf "[source]\nrepo = /r\nbuild = make {dest}\n" >bad &&
	test_exit_code 129 perflab config check bad 2>err &&
	grep -q "bad:3: unknown placeholder .{dest}. in .build." err &&
	printf "[source]\nrepo = /r\nbuild = make {image}\nflavour = x\n" >bad &&
	test_exit_code 129 perflab config check bad 2>err &&
	grep -q "bad:4: unknown key .flavour. in \[source\]" err &&
	printf "[source]\nbuild = make {image}\n" >bad &&
	test_exit_code 129 perflab config check bad 2>err &&
	grep -q "bad:1: \[source\] has no .repo." err &&
	printf "[source]\nrepo = /r\nbuild = make {image}\nenv = CC=gcc -O2\n" >bad &&
	test_exit_code 129 perflab config check bad 2>err &&
	grep -q "bad:4: .env. entry .-O2. is not NAME=value" err &&
	printf "[source]\nrepo = /r\nbuild = make {image}\nbuild_timeout = never\n" >bad &&
	test_exit_code 129 perflab config check bad 2>err &&
	grep -q "bad:4: invalid value .never. for .build_timeout." err
'

test_expect_success 'a URL repository is mirrored and fetched' '
	printf "[source]\nrepo = file://%s/src\nworkdir = urlbuilds\nbuild = make\nartifact = hello\n" \
		"$TRASH" >urljob &&
	perflab build --job urljob v1 >out &&
	test "$("$(field image)")" = "hello version 1" &&
	ls -d urlbuilds/mirrors/*.git &&
	write_hello 4 && git -C src commit -q -am "version 4" &&
	perflab build --job urljob >out &&
	test "$("$(field image)")" = "hello version 4" &&
	git -C src reset -q --hard HEAD~1
'

test_expect_success 'images lists the cache, as text and as JSON' '
	perflab images --job job >list &&
	head -1 list | grep -q "^KEY  *STATUS  *SIZE  *CREATED  *LAST USED  *COMMIT  *SUBJECT" &&
	grep -q "^$(echo $key1 | cut -c1-12)  ok " list &&
	grep -q " failed .*broken: does not compile" list &&
	perflab images --job job --json >list.json &&
	json list.json "len(d) == $(($(wc -l <list) - 1))" &&
	json list.json "all(e[\"status\"] in (\"ok\", \"failed\") and e[\"size_bytes\"] >= 0 for e in d)" &&
	json list.json "d[0][\"last_used\"] >= d[-1][\"last_used\"]" &&
	perflab images --dir nowhere >list && grep -q "no images in .nowhere." list
'

test_expect_success 'prune leaves an image in use alone' '
	lock=builds/images/$key1.lock &&
	{ sh -c "exec 9>\"\$1\" && flock -s 9 && touch locked && exec sleep 30" sh "$lock" & } &&
	holder=$! &&
	test_when_finished_all "kill $holder" &&
	i=0 && while [ ! -f locked ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done &&
	perflab images prune --job job --keep 0 --dry-run >out &&
	grep -q "^in use, kept $(echo $key1 | cut -c1-12)" out &&
	grep -q "^would remove [0-9a-f]\{12\}  ok" out &&
	test -d builds/images/$key1 &&
	{ kill $holder; wait $holder 2>/dev/null; true; }
'

test_expect_success 'prune --failed removes failed builds only' '
	perflab images prune --job job --failed >out &&
	grep -q "^removed [0-9a-f]\{12\}  failed" out &&
	! grep -q "^removed [0-9a-f]\{12\}  ok" out &&
	perflab images --job job --json >list.json &&
	json list.json "all(e[\"status\"] == \"ok\" for e in d)"
'

test_expect_success 'prune --keep 1 removes the others and reports the bytes freed' '
	perflab build --job job v1 >out && test "$(field cache)" = hit &&
	perflab images --job job --json >before.json &&
	n=$(json before.json "len(d)") && test $n -gt 1 &&
	perflab images prune --job job --keep 1 >out &&
	grep -q "^removed $((n - 1)) images, freed [1-9][0-9]* bytes" out &&
	test $(grep -c "^removed [0-9a-f]\{12\}" out) = $((n - 1)) &&
	perflab images --job job --json >after.json &&
	json after.json "len(d) == 1 and d[0][\"key\"] == \"$key1\"" &&
	test ! -e builds/images/$key2 &&
	perflab build --job job v2 >out && test "$(field cache)" = miss
'

test_expect_success 'prune removes everything but the image in use' '
	lock=builds/images/$key1.lock && rm -f locked &&
	{ sh -c "exec 9>\"\$1\" && flock -s 9 && touch locked && exec sleep 30" sh "$lock" & } &&
	holder=$! &&
	test_when_finished_all "kill $holder" &&
	i=0 && while [ ! -f locked ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done &&
	perflab images prune --job job --keep 0 >out &&
	grep -q "^in use, kept $(echo $key1 | cut -c1-12)" out &&
	grep -q "^removed 1 image, freed [1-9][0-9]* bytes .*; 1 kept, 1 in use" out &&
	test -f builds/images/$key1/image && test ! -e builds/images/$key2 &&
	{ kill $holder; wait $holder 2>/dev/null; true; }
'

test_expect_success 'an entry whose image or meta.json was damaged is built again' '
	perflab build --job job v1 >out && test "$(field cache)" = hit &&
	image=$(field image) && n=$(runs) &&
	rm "$image" &&
	perflab build --job job v1 >out 2>err &&
	test "$(field cache)" = miss && grep -q "its image is missing" err &&
	test "$("$image")" = "hello version 1" &&
	echo "{\"version\": 1," >"$(dirname "$image")/meta.json" &&
	perflab build --job job v1 >out 2>err &&
	test "$(field cache)" = miss && grep -q "unreadable cache entry" err &&
	perflab build --job job v1 >out && test "$(field cache)" = hit &&
	test "$(runs)" = $((n + 2))
'

test_expect_success 'no command ran from commit subjects or branch names' '
	no_pwned
'

test_done

# A sample project for tests that build, deploy and measure: a git
# repository of the small HTTP server in tests/fixtures/sampleserver, and
# a job that builds it, installs it in a lab's DUT and measures it with
# the chunk workload. Sourced by test scripts after test-lib.sh.

# sample_repo DIR: a repository with one commit, "the server".
sample_repo() {
	git init -q -b main "$1" &&
	git -C "$1" config user.email t@example.com &&
	git -C "$1" config user.name t &&
	cp "$SRC_DIR/tests/fixtures/sampleserver/server.c" "$1/" &&
	printf "server: server.c\n\tcc -O2 -pthread -o server server.c\n" >"$1/Makefile" &&
	sample_commit "$1" "the server" >/dev/null
}

# sample_commit DIR SUBJECT: commit what is there; prints the id.
sample_commit() {
	git -C "$1" add -A && git -C "$1" commit -q --allow-empty -m "$2" &&
	git -C "$1" rev-parse HEAD
}

# sample_job FILE REPO [EXTRA-WORKLOAD-LINES]: the job; each request
# fetches SAMPLE_BYTES (default 256K).
sample_job() {
	cat >"$1" <<-EOF
	[source]
	repo = $2
	build = make server
	artifact = server
	workdir = $TRASH/builds
	[workload]
	workload = chunk
	url = http://{dut}:{port}/bytes/${SAMPLE_BYTES:-262144}
	connections = 2
	duration = 1s
	warmup = 0.5s
	${3:-}
	[deploy]
	install = sh -c "cp \\"\\\$1\\" \\"\\\$2/server.new\\" && mv \\"\\\$2/server.new\\" \\"\\\$2/server\\"" install {image} {workdir}
	reboot = sh -c "cd \\"\\\$1\\" && { [ -f svc.pid ] && kill \\\$(cat svc.pid) 2>/dev/null; sleep 0.2; }; setsid ./server 8080 >svc.log 2>&1 </dev/null & echo \\\$! >svc.pid" reboot {workdir}
	ready = bash -c "exec 3<>/dev/tcp/127.0.0.1/8080"
	kind = service
	server = image
	port = 8080
	EOF
}

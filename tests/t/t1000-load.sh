#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab load: bulk, crr, xfer, chunk and A/B stacks over real sockets'
. "$(dirname "$0")/test-lib.sh"

# Start a server on a free port; its port lands in $port.
start_server() {
	port=$(free_port)
	perflab load server --port "$port" --host 127.0.0.1 --out server.ndjson "$@" &
	server_pid=$!
	test_when_finished_all "kill $server_pid"
	for i in $(seq 50); do
		perflab load client --port "$port" --workload crr --count 1 --out /dev/null \
			2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The client's summary record as a JSON file.
summary_of() { grep '"type":"summary"' "$1" >"$1.summary"; }

test_expect_success 'start a server' '
	start_server
'

test_expect_success 'bulk: intervals, summary and goodput from bytes read' '
	perflab load client --port $port --connections 2 --duration 2 --out bulk.ndjson &&
	summary_of bulk.ndjson &&
	json bulk.ndjson.summary "d[\"goodput_bps\"] > 1e8" &&
	json bulk.ndjson.summary "abs(d[\"goodput_bps\"] * d[\"duration_s\"] / 8 / d[\"bytes_rx\"] - 1) < 1e-6" &&
	json bulk.ndjson "len([l for l in lines if l[\"type\"] == \"interval\"]) == 2" &&
	json bulk.ndjson "sum(l[\"bytes_rx\"] for l in lines if l[\"type\"] == \"interval\") == [l for l in lines if l[\"type\"] == \"summary\"][0][\"bytes_rx\"]" &&
	json bulk.ndjson.summary "sum(d[\"errors\"].values()) == 0" &&
	json bulk.ndjson "len([l for l in lines if l[\"type\"] == \"conn\" and l[\"error\"] is None]) == 2"
'

test_expect_success 'bulk up: goodput from what the peer acknowledged' '
	perflab load client --port $port --direction up --duration 1 --out up.ndjson &&
	summary_of up.ndjson &&
	json up.ndjson.summary "d[\"goodput_from\"] == \"bytes_acked\"" &&
	json up.ndjson.summary "d[\"bytes_tx\"] > 0 and d[\"goodput_bps\"] > 0" &&
	json up.ndjson.summary "d[\"goodput_bps\"] * d[\"duration_s\"] / 8 <= d[\"bytes_tx\"] * 1.01"
'

test_expect_success 'bulk --rate paces the send rate (never above it)' '
	perflab load client --port $port --connections 4 --rate 200M --duration 2 --out rate.ndjson &&
	summary_of rate.ndjson &&
	json rate.ndjson.summary "0 < d[\"goodput_bps\"] <= 200e6 * 1.05"
'

test_expect_success 'crr: transactions with latency, normal close, zero resets' '
	perflab load client --port $port --workload crr --connections 4 --duration 2 --out crr.ndjson &&
	summary_of crr.ndjson &&
	json crr.ndjson.summary "d[\"transactions\"] > 100" &&
	json crr.ndjson.summary "d[\"errors\"] == {\"refused\": 0, \"reset\": 0, \"timeout\": 0, \"other\": 0}" &&
	json crr.ndjson.summary "0 < d[\"latency_us\"][\"p50\"] <= d[\"latency_us\"][\"p99\"] <= d[\"latency_us\"][\"max\"]" &&
	json crr.ndjson.summary "d[\"bytes_rx\"] == 64 * d[\"transactions\"]" &&
	json crr.ndjson "not [l for l in lines if l[\"type\"] == \"conn\"]"
'

test_expect_success 'crr --count stops after that many transactions' '
	perflab load client --port $port --workload crr --count 50 --connections 3 --out n.ndjson &&
	summary_of n.ndjson &&
	json n.ndjson.summary "d[\"transactions\"] == 50"
'

test_expect_success 'xfer with socket options reports completion times' '
	perflab load client --port $port --workload xfer --rcvbuf 65536 --sndbuf 131072 \
		--nodelay --count 5 --out xfer.ndjson &&
	summary_of xfer.ndjson &&
	json xfer.ndjson.summary "d[\"transactions\"] == 5 and d[\"latency_us\"][\"n\"] == 5" &&
	json xfer.ndjson.summary "d[\"latency_us\"][\"p50\"] > 0" &&
	json xfer.ndjson.summary "d[\"bytes_rx\"] == 5 * 10485760" &&
	json xfer.ndjson "[l[\"bytes_rx\"] for l in lines if l[\"type\"] == \"conn\"] == [10485760] * 5"
'

test_expect_success 'A/B stacks: each socket checked, every metric per stack' '
	perflab load client --port $port --cc cubic,bbr --connections 4 --duration 1 --out ab.ndjson &&
	summary_of ab.ndjson &&
	json ab.ndjson.summary "d[\"stack_names\"] == [\"cubic\", \"bbr\"]" &&
	json ab.ndjson.summary "sorted(d[\"stacks\"]) == [\"bbr\", \"cubic\"]" &&
	json ab.ndjson.summary "all(s[\"goodput_bps\"] > 0 and s[\"conn_opened\"] == 2 for s in d[\"stacks\"].values())" &&
	json ab.ndjson.summary "abs(sum(s[\"bytes_rx\"] for s in d[\"stacks\"].values()) - d[\"bytes_rx\"]) == 0" &&
	json ab.ndjson "sorted(l[\"stack\"] for l in lines if l[\"type\"] == \"conn\") == [\"bbr\", \"bbr\", \"cubic\", \"cubic\"]"
'

test_expect_success 'an unknown stack is refused before any traffic' '
	test_exit_code 1 perflab load client --port $port --cc nosuchcc --out /dev/null 2>err &&
	grep -q "TCP stack .nosuchcc. is not available" err
'

test_expect_success 'chunk against our server: HTTP GETs, paced' '
	perflab load client --port $port --workload chunk --size 256K --connections 2 \
		--rate 40M --duration 2 --out chunk.ndjson &&
	summary_of chunk.ndjson &&
	json chunk.ndjson.summary "d[\"transactions\"] > 5 and sum(d[\"errors\"].values()) == 0" &&
	json chunk.ndjson.summary "d[\"goodput_bps\"] <= 40e6 * 1.1"
'

test_expect_success 'refused connections are counted as refused' '
	dead=$(free_port) &&
	perflab load client --port $dead --workload crr --duration 0.5 --out refused.ndjson &&
	summary_of refused.ndjson &&
	json refused.ndjson.summary "d[\"errors\"][\"refused\"] > 0 and d[\"transactions\"] == 0"
'

test_expect_success NGINX 'chunk against a real nginx' '
	nport=$(free_port) &&
	mkdir -p www ng/logs &&
	chmod 755 "$TRASH" www &&
	head -c 1048576 /dev/urandom >www/chunk.bin &&
	chmod 644 www/chunk.bin &&
	cat >ng/nginx.conf <<-CONF &&
	daemon off;
	worker_processes 1;
	pid $TRASH/ng/nginx.pid;
	error_log $TRASH/ng/logs/error.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $TRASH/ng;
		proxy_temp_path $TRASH/ng;
		fastcgi_temp_path $TRASH/ng;
		uwsgi_temp_path $TRASH/ng;
		scgi_temp_path $TRASH/ng;
		server { listen 127.0.0.1:$nport; root $TRASH/www; }
	}
	CONF
	{ /usr/sbin/nginx -p "$TRASH/ng" -c "$TRASH/ng/nginx.conf" & } &&
	ngx=$! &&
	test_when_finished_all "kill $ngx" &&
	for i in $(seq 50); do
		python3 -c "import socket; socket.create_connection((\"127.0.0.1\", $nport))" 2>/dev/null && break
		sleep 0.1
	done &&
	perflab load client --workload chunk --url http://127.0.0.1:$nport/chunk.bin \
		--connections 2 --count 6 --rate 80M --out ngx.ndjson &&
	summary_of ngx.ndjson &&
	json ngx.ndjson.summary "d[\"transactions\"] == 6 and d[\"bytes_rx\"] == 6 * 1048576" &&
	json ngx.ndjson.summary "sum(d[\"errors\"].values()) == 0" &&
	perflab load client --workload chunk --url http://127.0.0.1:$nport/missing \
		--count 2 --out 404.ndjson &&
	summary_of 404.ndjson &&
	json 404.ndjson.summary "d[\"errors\"][\"other\"] == 2 and d[\"transactions\"] == 0" &&
	grep -q "HTTP status 404" 404.ndjson
'

test_expect_success 'the server reports a summary when stopped' '
	kill $server_pid && wait $server_pid;
	json server.ndjson "[l for l in lines if l[\"type\"] == \"summary\"][0][\"role\"] == \"server\"" &&
	json server.ndjson "[l for l in lines if l[\"type\"] == \"summary\"][0][\"conn_opened\"] > 100"
'

# A private network namespace: exact kernel counters, our own sysctls.
test_expect_success ROOT 'crr closes with FIN only: the kernel sent no reset' '
	cat >crr-ns.sh <<-\EOS &&
	set -e
	ip link set lo up
	perflab load server --port 5301 --out /dev/null &
	sleep 0.3
	perflab load client --port 5301 --workload crr --connections 8 --duration 2 --out c.ndjson
	kill $!
	grep "^Tcp:" /proc/net/snmp | tail -1 | awk "{print \$15}" >rsts
	EOS
	unshare -n sh crr-ns.sh &&
	summary_of c.ndjson &&
	json c.ndjson.summary "d[\"transactions\"] > 100 and d[\"errors\"][\"reset\"] == 0" &&
	test "$(cat rsts)" = 0
'

test_expect_success ROOT 'crr --burst overflows the accept queue and resets are counted' '
	cat >burst-ns.sh <<-\EOS &&
	set -e
	ip link set lo up
	ip link set lo mtu 1500
	# queueing delay, so handshakes finish while the accept queue is full
	tc qdisc add dev lo root tbf rate 20mbit burst 3kb latency 500ms
	sysctl -q -w net.ipv4.tcp_abort_on_overflow=1
	perflab load server --port 5301 --backlog 8 --accept-rate 200 --threads 1 --out /dev/null &
	sleep 0.3
	perflab load client --port 5301 --workload crr --burst 100 --duration 4 --threads 1 --out b.ndjson
	kill $!
	grep -A1 "^TcpExt:" /proc/net/netstat >netstat
	EOS
	unshare -n sh burst-ns.sh &&
	summary_of b.ndjson &&
	json b.ndjson.summary "d[\"errors\"][\"reset\"] > 0" &&
	json b.ndjson.summary "d[\"transactions\"] > 0" &&
	python3 -c "
import sys
h, v = [l.split() for l in open(\"netstat\").read().splitlines()[:2]]
sys.exit(0 if int(dict(zip(h, v))[\"ListenOverflows\"]) > 0 else 1)"
'

test_expect_success ROOT '--delay-ms says when TCP_TX_DELAY cannot work here' '
	dport=$(free_port) &&
	{ perflab load server --port $dport --host 127.0.0.1 --out /dev/null & } &&
	dpid=$! &&
	test_when_finished_all "kill $dpid" &&
	sleep 0.3 &&
	perflab load client --port $dport --workload xfer --size 100K --count 2 --delay-ms 20 \
		--out d.ndjson 2>err &&
	summary_of d.ndjson &&
	if json d.ndjson.summary "d[\"delay_effective\"] is False"; then
		grep -q "had no effect" err
	else
		json d.ndjson.summary "d[\"delay_effective\"] is True" &&
		json d.ndjson.summary "d[\"connect_us\"][\"min\"] >= 10000"
	fi
'

test_done

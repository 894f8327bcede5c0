/*
 * The net collector: interface traffic and drops, and the TCP counters
 * that explain a goodput change (retransmits, resets, listen overflows).
 */
#include "collectors/collector.h"
#include "collectors/netstat.h"
#include "common/json.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Kernel counter -> record key. */
static const struct {
	const char *kernel, *key;
} tcp_counters[] = {
	{ "Tcp.RetransSegs", "retrans_segs" },
	{ "Tcp.OutRsts", "resets_sent" },
	{ "Tcp.EstabResets", "estab_resets" },
	{ "Tcp.AttemptFails", "attempt_fails" },
	{ "Tcp.InErrs", "in_errs" },
	{ "Tcp.ActiveOpens", "active_opens" },
	{ "Tcp.PassiveOpens", "passive_opens" },
	{ "TcpExt.TCPTimeouts", "timeouts" },
	{ "TcpExt.ListenOverflows", "listen_overflows" },
	{ "TcpExt.ListenDrops", "listen_drops" },
	{ "TcpExt.TCPAbortOnData", "resets_on_data" },
	{ "TcpExt.TCPAbortOnClose", "resets_on_close" },
	{ "TcpExt.TCPSynRetrans", "syn_retrans" },
};

struct net_priv {
	struct netdev_list dev;
	struct snmp_table snmp;
	int have;
};

static int read_now(struct netdev_list *dev, struct snmp_table *snmp)
{
	char *a = read_file("/proc/net/dev", 1 << 20, NULL);
	char *b = read_file("/proc/net/snmp", 1 << 20, NULL);
	char *c = read_file("/proc/net/netstat", 1 << 20, NULL);
	int ret = -1;

	memset(snmp, 0, sizeof(*snmp));
	memset(dev, 0, sizeof(*dev));
	if (!a || !b)
		error_errno("cannot read the kernel's network counters");
	else if (!netdev_parse(dev, a, "/proc/net/dev") &&
		 !snmp_parse(snmp, b, "/proc/net/snmp") &&
		 (!c || !snmp_parse(snmp, c, "/proc/net/netstat")))
		ret = 0;
	free(a);
	free(b);
	free(c);
	return ret;
}

static int net_open(void *priv, json_t *info)
{
	struct net_priv *p = priv;
	json_t *names = json_array();

	if (read_now(&p->dev, &p->snmp))
		return -1;
	for (size_t i = 0; i < p->dev.nr; i++)
		json_array_append_new(names, json_string(p->dev.v[i].name));
	json_set(info, "interfaces", names);
	netdev_list_release(&p->dev);
	snmp_table_release(&p->snmp);
	return 0;
}

static const struct netdev *find_dev(const struct netdev_list *l, const char *name)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static json_t *dev_json(const struct netdev *n, const struct netdev *o, double dt)
{
	json_t *d = json_object();

	json_set_int(d, "rx_bytes", (long long)(n->rx_bytes - o->rx_bytes));
	json_set_int(d, "tx_bytes", (long long)(n->tx_bytes - o->tx_bytes));
	json_set_num(d, "rx_bps", dt > 0 ? 8.0 * (double)(n->rx_bytes - o->rx_bytes) / dt : NAN);
	json_set_num(d, "tx_bps", dt > 0 ? 8.0 * (double)(n->tx_bytes - o->tx_bytes) / dt : NAN);
	json_set_int(d, "rx_packets", (long long)(n->rx_packets - o->rx_packets));
	json_set_int(d, "tx_packets", (long long)(n->tx_packets - o->tx_packets));
	json_set_int(d, "rx_drop", (long long)(n->rx_drop - o->rx_drop));
	json_set_int(d, "tx_drop", (long long)(n->tx_drop - o->tx_drop));
	json_set_int(d, "rx_errs", (long long)(n->rx_errs - o->rx_errs));
	json_set_int(d, "tx_errs", (long long)(n->tx_errs - o->tx_errs));
	return d;
}

static int net_sample(void *priv, json_t *rec, double dt, int prev_ok)
{
	struct net_priv *p = priv;
	struct netdev_list dev;
	struct snmp_table snmp;

	if (read_now(&dev, &snmp))
		return -1;
	if (prev_ok && p->have) {
		json_t *ifs = json_object(), *tcp = json_object();

		for (size_t i = 0; i < dev.nr; i++) {
			const struct netdev *o = find_dev(&p->dev, dev.v[i].name);

			if (o)	/* an interface that came and went has no delta */
				json_set(ifs, dev.v[i].name, dev_json(&dev.v[i], o, dt));
		}
		for (size_t i = 0; i < ARRAY_SIZE(tcp_counters); i++) {
			int64_t n = snmp_get(&snmp, tcp_counters[i].kernel);
			int64_t o = snmp_get(&p->snmp, tcp_counters[i].kernel);

			json_set_num(tcp, tcp_counters[i].key,
				     n == INT64_MIN || o == INT64_MIN ? NAN : (double)(n - o));
		}
		json_set(rec, "ifaces", ifs);
		json_set(rec, "tcp", tcp);
	}
	netdev_list_release(&p->dev);
	snmp_table_release(&p->snmp);
	p->dev = dev;
	p->snmp = snmp;
	p->have = 1;
	return 0;
}

static void net_close(void *priv)
{
	struct net_priv *p = priv;

	netdev_list_release(&p->dev);
	snmp_table_release(&p->snmp);
}

const struct collector_ops net_collector = {
	.name = "net",
	.summary = "interface bytes/packets/drops, TCP retransmits, resets, listen overflows",
	.priv_size = sizeof(struct net_priv),
	.open = net_open,
	.sample = net_sample,
	.close = net_close,
};

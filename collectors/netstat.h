#ifndef COLLECTORS_NETSTAT_H
#define COLLECTORS_NETSTAT_H

#include <stdint.h>
#include <stddef.h>

/*
 * Network counters: per-interface traffic from /proc/net/dev, and the
 * kernel's TCP counters from /proc/net/snmp and /proc/net/netstat
 * ("Tcp:" and "TcpExt:" header/value line pairs).
 */
struct netdev {
	char name[32];
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
};

struct netdev_list {
	struct netdev *v;
	size_t nr;
};

/* Parse /proc/net/dev text. 0 or -1 (error names origin and line). */
int netdev_parse(struct netdev_list *out, const char *text, const char *origin);
void netdev_list_release(struct netdev_list *l);

struct snmp_kv {
	char key[48];		/* "Tcp.RetransSegs", "TcpExt.ListenOverflows" */
	int64_t value;
};

struct snmp_table {
	struct snmp_kv *v;
	size_t nr, alloc;
};

/*
 * Parse /proc/net/snmp or /proc/net/netstat text: lines come in pairs,
 * "Proto: Name1 Name2" then "Proto: v1 v2". Appends to out.
 */
int snmp_parse(struct snmp_table *out, const char *text, const char *origin);
/* The value of "Proto.Name", or INT64_MIN when absent. */
int64_t snmp_get(const struct snmp_table *t, const char *key);
void snmp_table_release(struct snmp_table *t);

#endif

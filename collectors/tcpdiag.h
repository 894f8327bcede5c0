#ifndef COLLECTORS_TCPDIAG_H
#define COLLECTORS_TCPDIAG_H

#include "collectors/tcprec.h"

#include <stddef.h>
#include <stdint.h>

/*
 * TCP sockets through inet_diag (NETLINK_SOCK_DIAG): a dump of the live
 * sockets of this network namespace with their TCP_INFO, congestion
 * control and memory, and the sock_diag destroy broadcast, which carries
 * a socket's last TCP_INFO as it is freed (Linux 4.4+, CAP_NET_ADMIN).
 * Netlink sockets belong to the namespace that opened them: both only
 * ever show this host's sockets, which is how a trace tells its own
 * connections from those of the other namespaces of one machine.
 */

/* An address in 16 bytes: IPv6, or IPv4 mapped (::ffff:a.b.c.d). */
struct tcpdiag_addr {
	uint8_t b[16];
};

struct tcpdiag_sock {
	uint64_t cookie;	/* the socket cookie, as tracepoints report it */
	int family;		/* AF_INET or AF_INET6 */
	struct tcpdiag_addr laddr, raddr;
	uint16_t lport, rport;	/* host order */
	uint8_t state;		/* TCP state */
	uint32_t rqueue;	/* bytes received and not read (established) */
	uint32_t wqueue;	/* bytes written and not acknowledged */
	uint64_t have;		/* fields of vals present (see tcpdiag_fields) */
	int64_t vals[TCPREC_NFIELDS];	/* TCP_INFO and memory, as record fields */
	char cc[16];		/* congestion control, "" if not reported */
};

/*
 * Walk a buffer of netlink messages as read from a NETLINK_SOCK_DIAG
 * socket, calling fn for each TCP socket message. Returns 1 at NLMSG_DONE,
 * 0 at the end of the buffer (more may follow), or -1 on NLMSG_ERROR or a
 * malformed buffer (errno set from an NLMSG_ERROR).
 */
typedef void (*tcpdiag_fn)(const struct tcpdiag_sock *s, void *data);
int tcpdiag_parse(const void *buf, size_t len, tcpdiag_fn fn, void *data);

/* A socket for dumps; -1 with an error. */
int tcpdiag_open(void);
/*
 * Dump the TCP sockets of both families (not listening, not TIME_WAIT).
 * 0 or -1. The kernel walks its whole established hash for this, empty
 * buckets included: on a machine with memory, milliseconds per dump
 * however few sockets there are. Prefer tcpdiag_get for known sockets.
 */
int tcpdiag_dump(int fd, tcpdiag_fn fn, void *data);

/* A socket to look up: its 4-tuple in its own view, and cookie (0: any). */
struct tcpdiag_key {
	int family;		/* AF_INET or AF_INET6 */
	struct tcpdiag_addr laddr, raddr;
	uint16_t lport, rport;
	uint64_t cookie;
};

/*
 * Look up n sockets by key in this namespace (a hash lookup each, 64 in
 * flight at a time); fn for each that exists (a timewait one comes
 * without TCP_INFO). Those gone, or of another namespace, are simply not
 * reported. 0 or -1.
 */
int tcpdiag_get(int fd, const struct tcpdiag_key *keys, size_t n, tcpdiag_fn fn, void *data);

/*
 * A non-blocking socket subscribed to the destroy broadcast of TCP
 * sockets (IPv4 and IPv6); -1 with *why set to a static reason.
 */
int tcpdiag_open_destroy(const char **why);
/*
 * Read the broadcast messages waiting; *lost is increased when the
 * kernel had to drop some (ENOBUFS). Returns the messages read or -1.
 */
int tcpdiag_read_destroy(int fd, tcpdiag_fn fn, void *data, uint64_t *lost);

/* Canonical text of an address ("10.0.0.1", "fe80::1"); buf holds 46 bytes. */
const char *tcpdiag_addr_str(const struct tcpdiag_addr *a, char *buf);
/* From 4 (IPv4) or 16 (IPv6) bytes in network order. */
void tcpdiag_addr_set(struct tcpdiag_addr *a, const void *bytes, size_t len);
int tcpdiag_addr_is_loopback(const struct tcpdiag_addr *a);

/* The addresses of this namespace's interfaces; a count or -1. */
int tcpdiag_local_addrs(struct tcpdiag_addr **out);

#endif

/* FreeBSD's <netinet/tcp.h>, the part perflab uses: a stub for make check-portable. */
#ifndef PORTABLE_NETINET_TCP_H
#define PORTABLE_NETINET_TCP_H
#include <stdint.h>
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_INFO 32
#define TCP_CONGESTION 64
#define TCP_FUNCTION_BLK 8192
#define TCP_FUNCTION_NAME_LEN_MAX 32
struct tcp_info {
	uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff;
	uint8_t tcpi_options, tcpi_snd_wscale, tcpi_rcv_wscale;
	uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;
	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh;
	uint32_t tcpi_snd_cwnd, tcpi_advmss, tcpi_reordering, tcpi_rcv_rtt, tcpi_rcv_space;
	uint32_t tcpi_snd_wnd, tcpi_snd_bwnd, tcpi_snd_nxt, tcpi_rcv_nxt, tcpi_toe_tid;
	uint32_t tcpi_snd_rexmitpack, tcpi_rcv_ooopack, tcpi_snd_zerowin;
	uint32_t __tcpi_pad[26];
};
struct tcp_function_set {
	char function_set_name[TCP_FUNCTION_NAME_LEN_MAX];
	uint32_t pcbcnt;
};
#endif

/*
 * engine-int.h - the TCP engine's internal structures, shared by its
 * source files and by nothing else.
 *
 * One file, one job: engine.c (table, adopt, upload, host requests),
 * wire.c (parse and build packets), input.c (a segment arrives),
 * output.c (what to send), timer.c (timers, RTT), cc.c (NewReno, CUBIC),
 * sack.c (the sender's SACK scoreboard, RFC 6675), reasm.c (received
 * data the caller has not taken, in or out of order).
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef TOE_ENGINE_INT_H
#define TOE_ENGINE_INT_H

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "toe-engine.h"

/* Sequence-space comparisons (RFC 9293 3.4): modulo 2^32. */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? b : a;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

/* TCP header flags. */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20

#define TCP_MAX_SACK_BLOCKS	4
#define TOE_MAX_PKT		(40 + 60 + 65535)	/* v6 hdr, TCP, payload */
#define TOE_PAWS_24DAYS_US	(24ull * 24 * 3600 * 1000000)

/* A parsed segment, pointing into the caller's packet. */
struct toe_seg {
	uint8_t family;
	const uint8_t *saddr, *daddr;	/* 4 or 16 bytes, network order */
	uint16_t sport, dport;		/* network order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;			/* raw header field */
	uint16_t urg_ptr;
	const uint8_t *data;
	uint32_t len;			/* payload bytes */
	/* Options. */
	bool has_ts;
	uint32_t tsval, tsecr;
	uint8_t num_sacks;
	uint32_t sacks[TCP_MAX_SACK_BLOCKS][2];
	bool unhandled_opt;		/* MD5, AO, MPTCP: see input.c */
	bool syn_opts;			/* MSS/WS/SACK_PERM outside a SYN */
};

/*
 * An ICMP "fragmentation needed" (v4) or "packet too big" (v6) about one
 * of our segments: the addresses and ports are the quoted segment's, so
 * laddr/lport are ours.
 */
struct toe_icmp_ptb {
	uint8_t family;
	const uint8_t *laddr, *raddr;
	uint16_t lport, rport;		/* network order */
	uint32_t seq;			/* the quoted segment's */
	uint32_t mtu;
};

/* A received range the caller has not taken (reasm.c). */
struct toe_rseg {
	struct toe_rseg *next;
	uint32_t seq;
	uint32_t len;
	uint32_t off;			/* data[off..off+len) is [seq, seq+len) */
	uint32_t alloc;			/* bytes of data[] allocated */
	uint8_t data[];
};

/* The sender's scoreboard: SACKed ranges above snd_una, sorted. */
#define TOE_SACK_SB_MAX		32
struct toe_sack_sb {
	uint32_t n;
	uint32_t r[TOE_SACK_SB_MAX][2];	/* [start, end) */
};

enum toe_ca {				/* Linux's TCP_CA_* numbering */
	TOE_CA_OPEN = 0,
	TOE_CA_DISORDER = 1,
	TOE_CA_RECOVERY = 3,
	TOE_CA_LOSS = 4,
};

enum toe_timer {
	TOE_T_RTO,		/* retransmission */
	TOE_T_DELACK,		/* delayed ACK */
	TOE_T_PERSIST,		/* zero-window probe */
	TOE_T_KEEPALIVE,	/* keepalive probe */
	TOE_T_TIMEWAIT,		/* TIME_WAIT ends */
	TOE_T_IDLE,		/* idle-upload check */
	TOE_NUM_TIMERS
};

#define TOE_T_OFF	UINT64_MAX

struct toe_cubic {
	uint64_t epoch_start_us;	/* 0: no epoch */
	uint32_t w_max;			/* segments */
	uint32_t origin;
	double k_s;			/* seconds */
	uint32_t w_est_cnt;		/* TCP-friendly estimate */
	uint32_t w_est;
};

/*
 * One connection. All fields are the engine's alone; the caller reaches
 * them only through the API. Sequence fields follow RFC 9293 names; the
 * engine's snd_nxt is the highest sequence sent (Linux's snd_nxt), and
 * retransmissions go through high_rxt instead of rewinding it.
 */
struct toe_conn {
	bool used;
	bool upload_asked;	/* an UPLOAD_REQ was reported; not again */
	bool tx_more;		/* cfg.tx_burst ran out: more may be sendable */
	int id;
	int hash_next;		/* next id in the same hash bucket, -1 */
	uint64_t handle;

	uint8_t family;
	uint8_t state;		/* enum toe_tcp_state */
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;	/* network order */

	/* Negotiated options and socket settings. */
	bool sack_ok, ts_ok, ws_ok, nodelay;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t mss;		/* payload bytes per segment, options excluded */
	uint32_t adv_mss;

	/* Send side. */
	uint32_t snd_una, snd_nxt, write_seq;
	uint32_t snd_wl1;
	uint32_t snd_wnd, max_window;
	bool fin_queued;	/* host shut down writing: FIN at write_seq */
	bool fin_sent;
	uint32_t high_rxt;	/* next sequence to retransmit from */
	uint32_t lost_end;	/* [snd_una, lost_end) holes count as lost */
	uint32_t recover;	/* RFC 6675 RecoveryPoint */
	bool rxt_now;		/* recovery began: resend one despite cwnd */
	uint32_t dupacks;
	struct toe_sack_sb sb;
	uint32_t sacked_bytes;

	/* Receive side. */
	uint32_t rcv_nxt;	/* next byte expected; all before it taken */
	uint32_t rcv_adv;	/* right edge advertised: never moves left */
	uint32_t rcv_space;	/* bytes the caller can take now */
	uint32_t rcv_space_max;	/* the most it ever had (set where it grows) */
	uint8_t rcv_reserve_shift;	/* cfg.rcv_reserve_shift */
	bool fin_rcvd;
	bool ooo_fin;		/* a FIN arrived ahead of data: at ooo_fin_seq */
	uint32_t ooo_fin_seq;
	struct toe_rseg *rq;	/* received, not taken; sorted by seq */
	size_t rq_bytes;
	uint32_t ack_pending;	/* full segments received since last ACK */
	bool ack_now;
	uint32_t last_sack[2];	/* most recent block, reported first */
	uint64_t challenge_start_us;	/* RFC 5961 rate limit */
	uint32_t challenge_count;

	/* Timestamps: TSval = ts_base + (now - ts_base_us) / 1000. */
	uint32_t ts_base;
	uint64_t ts_base_us;
	uint32_t ts_recent;
	uint64_t ts_recent_us;
	bool ts_recent_valid;

	/* RTT (RFC 6298), measured on one timed segment at a time. */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	uint64_t rtt_start_us;
	bool rtt_timing;
	uint32_t backoff;	/* RTO doublings since the last good ACK */
	uint32_t retries;	/* consecutive RTOs or probes unanswered */

	/* Congestion control, in segments as Linux counts them. */
	uint8_t ca_state;
	uint8_t cc_algo;	/* enum toe_cong_algo */
	uint32_t cwnd, ssthresh, cwnd_cnt;
	uint32_t prior_cwnd;
	struct toe_cubic cubic;

	/* Keepalive. */
	bool keepalive;
	uint32_t ka_idle_s, ka_intvl_s, ka_probes;
	uint32_t probes_out;	/* keepalive or window probes unanswered */

	uint64_t timers[TOE_NUM_TIMERS];
	uint32_t persist_backoff;
	uint64_t last_rcv_us;	/* last segment from the peer */
	uint64_t last_active_us;	/* last data either way */

	/* Counters for toe_engine_conn_info(). */
	uint64_t bytes_acked, bytes_received, retrans_segs;
	uint32_t retrans_out_bytes;
};

struct toe_engine {
	struct toe_engine_config cfg;
	struct toe_engine_ops ops;
	void *opaque;
	struct toe_conn *conns;		/* cfg.capacity entries */
	int *hash;			/* hash_size buckets of ids, -1 */
	uint32_t hash_size;
	uint32_t nconns;
	uint32_t tx_more;		/* connections with tx_more set */
	uint16_t ip_id;
	uint64_t now_us;		/* latest time a caller gave */
	struct toe_engine_stats stats;
	uint8_t pkt[TOE_MAX_PKT];	/* output buffer */
};

/* engine.c */
void toe_report(struct toe_engine *eng, struct toe_conn *c,
		enum toe_engine_event_type type, int arg);
void toe_set_state(struct toe_engine *eng, struct toe_conn *c, uint8_t st);
void toe_conn_done(struct toe_engine *eng, struct toe_conn *c, int error);
void toe_ask_upload(struct toe_engine *eng, struct toe_conn *c,
		    enum toe_upload_reason reason);
struct toe_conn *toe_lookup(struct toe_engine *eng, uint8_t family,
			    const uint8_t *laddr, const uint8_t *raddr,
			    uint16_t lport, uint16_t rport);

void toe_set_tx_more(struct toe_engine *eng, struct toe_conn *c, bool more);

/* wire.c */
int toe_parse(const uint8_t *pkt, size_t len, struct toe_seg *seg);
int toe_parse_icmp_ptb(const uint8_t *pkt, size_t len,
		       struct toe_icmp_ptb *ptb);
uint32_t toe_tsval(const struct toe_conn *c, uint64_t now_us);
struct toe_xmit {
	uint32_t seq;
	uint8_t flags;
	const uint8_t *data;	/* NULL: read [seq, seq + len) from the host */
	uint32_t len;
	bool sack;		/* add SACK blocks */
	bool as_peer;		/* rebuild a peer's packet (held_pkt) */
	uint32_t ack;		/* only with as_peer */
	uint16_t wnd;		/* only with as_peer */
	uint32_t tsval, tsecr;	/* only with as_peer */
};
int toe_build(struct toe_engine *eng, struct toe_conn *c,
	      const struct toe_xmit *x, uint64_t now_us);

/* input.c */
void toe_input_seg(struct toe_engine *eng, struct toe_conn *c,
		   const struct toe_seg *seg, uint64_t now_us);

/* output.c */
void toe_output(struct toe_engine *eng, struct toe_conn *c, uint64_t now_us);
void toe_send_ack(struct toe_engine *eng, struct toe_conn *c,
		  uint64_t now_us);
void toe_send_rst(struct toe_engine *eng, struct toe_conn *c,
		  uint64_t now_us);
void toe_send_probe(struct toe_engine *eng, struct toe_conn *c,
		    uint64_t now_us);
uint16_t toe_rcv_wnd_field(struct toe_conn *c);
uint32_t toe_rcv_wnd_avail(const struct toe_conn *c);

/* timer.c */
void toe_timer_set(struct toe_conn *c, enum toe_timer t, uint64_t when);
void toe_rearm_rto(struct toe_conn *c, uint64_t now_us);
void toe_rtt_sample(struct toe_engine *eng, struct toe_conn *c,
		    uint32_t rtt_us);
void toe_conn_timers(struct toe_engine *eng, struct toe_conn *c,
		     uint64_t now_us);
uint64_t toe_conn_deadline(const struct toe_conn *c);

/* cc.c */
void toe_cc_on_ack(struct toe_conn *c, uint32_t acked, uint32_t flight,
		   uint64_t now_us);
uint32_t toe_cc_ssthresh(struct toe_conn *c);
void toe_cc_on_loss(struct toe_conn *c);
void toe_cc_on_adopt(struct toe_conn *c);

/* sack.c */
void toe_sb_add(struct toe_conn *c, uint32_t start, uint32_t end);
void toe_sb_trim(struct toe_conn *c);
uint32_t toe_sb_sacked_in(const struct toe_conn *c, uint32_t start,
			  uint32_t end);
bool toe_sb_is_sacked(const struct toe_conn *c, uint32_t seq,
		      uint32_t *run_end);
uint32_t toe_sb_lost_boundary(const struct toe_conn *c);
uint32_t toe_pipe(const struct toe_conn *c);

/* input.c */
void toe_rcv_fin_check(struct toe_engine *eng, struct toe_conn *c,
		       uint64_t now_us);

/* reasm.c */
int toe_rq_insert(struct toe_engine *eng, struct toe_conn *c, uint32_t seq,
		  const uint8_t *data, uint32_t len);
uint32_t toe_rq_held_end(const struct toe_conn *c, bool *ooo);
uint32_t toe_rq_take(struct toe_engine *eng, struct toe_conn *c,
		     const uint8_t *data, uint32_t len, uint64_t now_us);
void toe_rq_deliver(struct toe_engine *eng, struct toe_conn *c,
		    uint64_t now_us);
int toe_rq_sack_blocks(const struct toe_conn *c, uint32_t blocks[][2],
		       int max);
void toe_rq_trim(struct toe_engine *eng, struct toe_conn *c, uint32_t end);
void toe_rq_free(struct toe_engine *eng, struct toe_conn *c);

#endif /* TOE_ENGINE_INT_H */

/*
 * interop.h - the engine's interop harness: shared declarations.
 *
 * The harness stands where the NIC stands, between two network namespaces
 * joined through TAP devices it holds (interop-wire.c). An application
 * socket in namespace A talks to a kernel peer in namespace B. The harness
 * takes the live connection over from A's kernel with TCP_REPAIR and runs
 * it in the engine, then hands it back to a fresh kernel socket
 * (interop-repair.c), as often as asked (interop.c).
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef TOE_INTEROP_H
#define TOE_INTEROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toe_hw.h"

#define ETH_HLEN_	14
#define FRAME_MAX	(ETH_HLEN_ + 65535)

/* Where the test connection lives right now. */
enum owner {
	OWNER_KERNEL,	/* A's kernel socket; frames pass through */
	OWNER_HOLD,	/* moving: B's frames for it are held */
	OWNER_ENGINE,	/* the engine runs it; B's frames go to it */
};

/* The test connection's 4-tuple, as A sees it (A local, B remote). */
struct tuple {
	uint8_t family;			/* 4 or 6 */
	uint8_t laddr[16], raddr[16];	/* network order */
	uint16_t lport, rport;		/* network order */
};

/* A parsed IP+TCP packet, pointing into its buffer. */
struct pkt_info {
	uint8_t family;
	const uint8_t *saddr, *daddr;
	uint16_t sport, dport;		/* network order */
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t len;			/* payload */
	size_t tcp_off;			/* offset of the TCP header */
	size_t ts_off;			/* offset of TSval, 0 if none */
	uint32_t tsval;
};

/* interop-wire.c: frames, TAPs, faults. */
struct fault_cfg {
	double loss, dup, reorder;	/* probabilities, 0..1 */
	uint64_t seed;
};

struct wire_stats {
	uint64_t frames[2];		/* 0: A to B, 1: B to A */
	uint64_t lost[2], duped[2], reordered[2];
};

int tap_open(const char *netns, const char *ifname, uint8_t mac[6]);
int ns_enter(const char *netns);
bool pkt_parse(const uint8_t *ip, size_t len, struct pkt_info *pi);
void pkt_set_tsval(uint8_t *ip, size_t len, const struct pkt_info *pi,
		   uint32_t tsval);
bool tuple_match_in(const struct tuple *t, const struct pkt_info *pi);
bool tuple_match_out(const struct tuple *t, const struct pkt_info *pi);

/* One direction of the wire, with its seeded faults. */
struct wire {
	int dir;			/* 0: A to B, 1: B to A */
	struct fault_cfg faults;
	uint64_t rng;
	uint8_t held[FRAME_MAX];	/* a frame kept back to reorder */
	size_t held_len;
	uint64_t held_since_us;
	void (*deliver)(void *opaque, const uint8_t *frame, size_t len);
	void *opaque;
	struct wire_stats *stats;
};

void wire_init(struct wire *w, int dir, const struct fault_cfg *f,
	       struct wire_stats *stats,
	       void (*deliver)(void *, const uint8_t *, size_t), void *opaque);
void wire_send(struct wire *w, const uint8_t *frame, size_t len,
	       uint64_t now_us);
void wire_flush(struct wire *w, uint64_t now_us, bool force);

/* interop-repair.c: the kernel side of a move. */
struct capture {
	struct toe_conn_state st;
	uint8_t *unread;		/* received, not read by the app */
	size_t unread_len;
	uint8_t *unacked;		/* send queue from snd_una */
	size_t unacked_len;
	uint64_t ts_taken_us;		/* when st.ts_now was read */
};

int repair_capture(int fd, uint32_t ts_recent, struct capture *cap);
void capture_free(struct capture *cap);
/*
 * read_tx(opaque, seq, buf, len): the application's send data by
 * sequence, for restoring the send queue.
 */
typedef void (*read_tx_fn)(void *opaque, uint32_t seq, uint8_t *buf,
			   size_t len);
int repair_restore(const struct toe_conn_state *st, uint64_t st_time_us,
		   read_tx_fn read_tx, void *opaque);
uint32_t ts_advance(uint32_t ts, uint64_t since_us);

/* interop.c */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
					      noreturn));
uint64_t now_us(void);

#endif /* TOE_INTEROP_H */

/*
 * toe-engine.h - the TOE's TCP engine: the second stack.
 *
 * Plain C with no QEMU types: the device model links it unchanged, and the
 * host builds it on its own for unit tests, sanitizers, fuzzing and the
 * interop harness (qemu-toe-device/engine/tests/).
 *
 * The engine runs TCP for connections that another stack established and
 * handed over (adopt), and hands them back (upload). It works on IP
 * packets: the caller strips and adds the link layer.
 *
 * Ownership of data (ARCHITECTURE.md invariant 2):
 *  - Send data stays with the caller. The engine reads it on demand through
 *    ops->read_send() for any sequence in [snd_una, write_seq) and reports
 *    through ops->acked() how far the peer acknowledged, after which the
 *    caller may free it.
 *  - Received in-order data goes to the caller through ops->deliver()
 *    before the engine acknowledges it. The caller grants receive space
 *    (toe_engine_adopt's rcv_space, then toe_engine_recv_freed()); the
 *    engine delivers no more than granted and holds the rest, in window,
 *    unacknowledged, within its memory budget.
 *
 * Threading: an engine is not thread-safe; the caller serialises every
 * call on one engine (the device model runs it in QEMU's main loop). The
 * ops callbacks run inside those calls and must not call back into the
 * engine, except that ops->event() may call toe_engine_upload() and
 * toe_engine_abort() on the connection it reports.
 *
 * Time: every call that may act takes now_us, a monotonic clock in
 * microseconds supplied by the caller; the engine never reads a clock.
 * A time earlier than one an earlier call gave counts as that one, so a
 * caller that passes a value read before its last call does no harm.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef TOE_ENGINE_H
#define TOE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toe_hw.h"

struct toe_engine;

/*
 * What a report in ops->event() is about. Every report carries the
 * connection's state (ev->state) and comes once the state is whole, so a
 * handler may upload from any of them: PEER_FIN already carries the state
 * the FIN leads to (a STATE report follows), and a fatal ERROR carries
 * TOE_TCP_CLOSE.
 */
enum toe_engine_event_type {
	TOE_ENG_EV_STATE = 1,	/* state changed: ev->state is the new one */
	TOE_ENG_EV_PEER_FIN,	/* peer's FIN arrived in order */
	TOE_ENG_EV_PEER_RST,	/* acceptable RST: the connection is closed */
	TOE_ENG_EV_ERROR,	/* ev->error: -ETIMEDOUT, -EPIPE... closed */
	TOE_ENG_EV_UPLOAD_REQ,	/* ev->reason: enum toe_upload_reason */
	TOE_ENG_EV_CLOSED,	/* gone from the table; id is free again */
};

struct toe_engine_event {
	enum toe_engine_event_type type;
	uint8_t state;		/* enum toe_tcp_state */
	uint16_t reason;	/* enum toe_upload_reason */
	int error;		/* negative errno, for TOE_ENG_EV_ERROR */
};

/**
 * struct toe_engine_ops - how the engine reaches its caller.
 * @xmit: put an IP packet (IPv4 or IPv6, with TCP) on the wire. The
 *	buffer is the engine's and valid only during the call.
 * @read_send: copy @len bytes of send data starting at sequence @seq into
 *	@buf; [seq, seq + len) lies within [snd_una, write_seq). Return 0,
 *	or a negative errno if the caller cannot: the engine then sends
 *	nothing from that range and reports TOE_ENG_EV_ERROR (-EIO).
 * @deliver: in-order received data starting at @seq (always the next byte
 *	the caller expects); return how many bytes the caller took, at most
 *	@len. The engine acknowledges only what was taken.
 * @acked: the peer acknowledged everything before @snd_una; the caller
 *	may free send data below it.
 * @event: something else happened to connection @handle.
 * @held_pkt: during toe_engine_upload() only: received data the engine
 *	held, in order but not taken or out of order (and perhaps SACKed),
 *	rebuilt as the packet the peer
 *	sent, for the caller to pass to the host stack once it owns the
 *	connection again. May be NULL: the data is then dropped and
 *	reported in struct toe_engine_upload.
 */
struct toe_engine_ops {
	void (*xmit)(void *opaque, const uint8_t *pkt, size_t len);
	int (*read_send)(void *opaque, uint64_t handle, uint32_t seq,
			 void *buf, size_t len);
	size_t (*deliver)(void *opaque, uint64_t handle, uint32_t seq,
			  const void *data, size_t len);
	void (*acked)(void *opaque, uint64_t handle, uint32_t snd_una);
	void (*event)(void *opaque, uint64_t handle,
		      const struct toe_engine_event *ev);
	void (*held_pkt)(void *opaque, uint64_t handle, const uint8_t *pkt,
			 size_t len);
};

/**
 * struct toe_engine_config - fixed for an engine's life.
 * @capacity: connections the engine holds at once (ids 0..capacity-1).
 * @mem_budget: bytes the engine may hold for out-of-order and undelivered
 *	data, over all connections. Exhausting it drops new out-of-order
 *	data; a connection that cannot progress asks for an upload with
 *	TOE_UPLOAD_REASM_MEM.
 * @idle_upload_us: ask for an upload (TOE_UPLOAD_IDLE) after a connection
 *	has neither sent nor received for this long; 0 never.
 * @capacity_reserve: slots to keep free for new offloads. When an adopt
 *	leaves fewer free, the connection longest without traffic (not the
 *	one just adopted) is asked to upload (TOE_UPLOAD_CAPACITY); 0 never.
 * @min_rto_us: lower bound of the retransmission timeout (Linux: 200 ms).
 * @max_rto_us: upper bound (Linux: 120 s).
 * @retries: retransmissions of one segment before the connection is
 *	given up with -ETIMEDOUT (Linux's tcp_retries2: 15).
 * @delack_us: delayed-ACK timeout (Linux: 40 ms minimum).
 * @time_wait_us: how long TIME_WAIT lasts (Linux: 60 s).
 * @rcv_reserve_shift: keep 1/2^n of a connection's largest receive space
 *	(and one window-scale unit) out of the window it offers; 0: none.
 *	Rounding the window field to the scale factor moves the right edge
 *	up by as much as 2^wscale - 1 bytes on each ACK that cannot open the
 *	window (it never moves left; Linux rounds the same way), so while
 *	the reader stalls the edge creeps past the space. Data there could
 *	not be placed, so not acknowledged, until the peer's loss probe. The
 *	reserve takes the creep (about 2^wscale per two full segments).
 * @tx_burst: segments one connection sends at most in one call into the
 *	engine; what the windows still allow waits for
 *	toe_engine_tx_resume(). 0: no limit. A caller that feeds the engine
 *	received frames on the thread that also sends bounds this way how
 *	long the peer's segments (and so its ACKs) wait behind a burst.
 */
struct toe_engine_config {
	uint32_t capacity;
	size_t mem_budget;
	uint64_t idle_upload_us;
	uint32_t capacity_reserve;
	uint32_t min_rto_us;
	uint32_t max_rto_us;
	uint32_t retries;
	uint32_t delack_us;
	uint64_t time_wait_us;
	uint32_t rcv_reserve_shift;
	uint32_t tx_burst;
};

/* Fill @cfg with Linux-like defaults for @capacity connections. */
void toe_engine_config_default(struct toe_engine_config *cfg,
			       uint32_t capacity);

/* Engine-wide counters, for the device model's statistics. */
struct toe_engine_stats {
	uint64_t segs_in;
	uint64_t segs_out;
	uint64_t bytes_in;	/* payload delivered to callers */
	uint64_t bytes_out;	/* payload sent, retransmissions included */
	uint64_t retrans_segs;
	uint64_t dropped;	/* malformed, bad checksum, unacceptable */
	uint64_t ooo_segs;
	uint64_t challenge_acks;
	uint64_t paws_rejects;
	uint64_t upload_reqs[TOE_UPLOAD_REQUESTED + 1];
	size_t mem_used;	/* received data held, against mem_budget */
	size_t mem_peak;	/* the most mem_used ever was */
	size_t conn_bytes;	/* fixed memory per connection slot */
	size_t engine_bytes;	/* fixed memory besides the slots */
};

/* Per-connection view, for TCP_INFO-like reporting and tests. */
struct toe_engine_conn_info {
	uint8_t state;		/* enum toe_tcp_state */
	uint8_t ca_state;	/* TCP_CA_Open/Disorder/Recovery/Loss */
	uint32_t snd_una, snd_nxt, write_seq, snd_wnd;
	uint32_t rcv_nxt, rcv_wnd;
	uint32_t mss;
	uint32_t cwnd, ssthresh;	/* segments */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t sacked_out, lost_out, retrans_out;	/* segments */
	uint64_t bytes_acked, bytes_received;
	uint64_t retrans_segs;
	bool ts_ok;		/* timestamps in use: the ts_* below are valid */
	uint32_t ts_base;	/* TSval = ts_base + (now - ts_base_us) / 1000 */
	uint64_t ts_base_us;
	uint32_t ts_recent;	/* last TSval from the peer */
	size_t ooo_bytes;	/* out-of-order data held */
	size_t held_bytes;	/* in-order data not yet taken by the caller */
};

/**
 * struct toe_engine_upload - what an upload returns besides the state.
 * @snd_una: the peer acknowledged everything before this; the caller
 *	still holds [snd_una, write_seq).
 * @held: in-order bytes received and not taken by the caller. The
 *	engine offers them (ops->deliver, within the space granted) before
 *	returning; what is left is counted here and goes out through
 *	ops->held_pkt with the out-of-order data. It was never acknowledged,
 *	so without ops->held_pkt the peer sends it again.
 * @ooo_dropped: bytes dropped because ops->held_pkt is NULL, in-order
 *	ones included.
 * @sack_reneged: some of the dropped bytes had been SACKed to the peer.
 */
struct toe_engine_upload {
	uint32_t snd_una;
	size_t held;
	size_t ooo_dropped;
	bool sack_reneged;
};

/**
 * toe_engine_new() - create an engine.
 * Return: the engine, or NULL if @cfg is out of range or memory is short.
 */
struct toe_engine *toe_engine_new(const struct toe_engine_config *cfg,
				  const struct toe_engine_ops *ops,
				  void *opaque);
void toe_engine_free(struct toe_engine *eng);

/**
 * toe_engine_adopt() - take over an established connection.
 * @st: the state as the host captured it; checked field by field.
 * @handle: the host's name for it, passed back in every report.
 * @rcv_space: receive space the host grants now, in bytes.
 *
 * The engine continues the connection from @st: it keeps the receive
 * window already promised (rcv_wup + rcv_wnd), the timestamp clock
 * (ts_now at @now_us, advancing at 1 kHz), RTT estimate, cwnd and
 * ssthresh. Data in [snd_una, snd_nxt) counts as in flight with its
 * retransmission timer starting now.
 *
 * Return: the connection id (>= 0), or -EINVAL (state refused), -EEXIST
 * (4-tuple already held), -ENOSPC (table full or memory budget spent).
 */
int toe_engine_adopt(struct toe_engine *eng, const struct toe_conn_state *st,
		     uint64_t handle, uint32_t rcv_space, uint64_t now_us);

/**
 * toe_engine_input() - a packet from the wire.
 * @pkt: an IPv4 or IPv6 packet (no link-layer header).
 *
 * Return: 1 if it belonged to a held connection (consumed, whatever
 * became of it), 0 if not (the caller passes it on), -EINVAL if it was
 * malformed (dropped and counted).
 */
int toe_engine_input(struct toe_engine *eng, const uint8_t *pkt, size_t len,
		     uint64_t now_us);

/* Run whatever timers are due; returns the next deadline (UINT64_MAX: none). */
uint64_t toe_engine_timers(struct toe_engine *eng, uint64_t now_us);
uint64_t toe_engine_next_deadline(const struct toe_engine *eng);

/*
 * Sending cut short by cfg.tx_burst: whether some connection has more to
 * send, and carry on (each such connection again up to tx_burst).
 */
bool toe_engine_tx_pending(const struct toe_engine *eng);
void toe_engine_tx_resume(struct toe_engine *eng, uint64_t now_us);

/*
 * The most send data a connection holds unacknowledged: write_seq less
 * snd_una, less the FIN's sequence if one is queued.
 */
#define TOE_ENGINE_MAX_INFLIGHT	(1u << 30)

/*
 * The host queued send data up to @write_seq (a later sequence, at most
 * TOE_ENGINE_MAX_INFLIGHT past snd_una, else -EINVAL).
 */
int toe_engine_send_queued(struct toe_engine *eng, int id, uint32_t write_seq,
			   uint64_t now_us);
/* The host freed @bytes of receive space. */
int toe_engine_recv_freed(struct toe_engine *eng, int id, uint32_t bytes,
			  uint64_t now_us);
/* No more send data after what is queued: send FIN after write_seq. */
int toe_engine_shutdown(struct toe_engine *eng, int id, uint64_t now_us);
/* Send RST and forget the connection. */
int toe_engine_abort(struct toe_engine *eng, int id, uint64_t now_us);

/* Socket options that reach the engine. */
int toe_engine_set_nodelay(struct toe_engine *eng, int id, bool nodelay,
			   uint64_t now_us);
int toe_engine_set_keepalive(struct toe_engine *eng, int id, bool on,
			     uint32_t idle_s, uint32_t intvl_s,
			     uint32_t probes, uint64_t now_us);

/**
 * toe_engine_upload() - freeze a connection and give it back.
 * @st: filled with the final state, in the same form adopt takes.
 * @res: filled as struct toe_engine_upload says.
 *
 * After this the id is free and the engine no longer answers the 4-tuple:
 * the caller owns the connection (and must divert its packets itself
 * until the host stack has it).
 * Return: 0, or -ENOENT.
 */
int toe_engine_upload(struct toe_engine *eng, int id,
		      struct toe_conn_state *st, struct toe_engine_upload *res,
		      uint64_t now_us);

/* Ask for an upload as if the device decided it (tests, QMP). */
int toe_engine_request_upload(struct toe_engine *eng, int id,
			      enum toe_upload_reason reason);

int toe_engine_conn_info(const struct toe_engine *eng, int id,
			 struct toe_engine_conn_info *info);
void toe_engine_get_stats(const struct toe_engine *eng,
			  struct toe_engine_stats *stats);
/* The id of the connection with this handle, or -ENOENT. */
int toe_engine_find_handle(const struct toe_engine *eng, uint64_t handle);

#endif /* TOE_ENGINE_H */

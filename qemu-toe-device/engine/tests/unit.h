/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * unit.h - the engine's unit tests: a tiny framework and a fixture.
 *
 * A test is a function in a suite's table (struct unit_suite). It drives
 * one engine through the public API (toe-engine.h) as the device model
 * would, playing the peer with packets it builds, and checks what the
 * engine sends and reports. Output is KTAP: "ok N - suite.name" or
 * "not ok N - suite.name", with "# file:line: ..." lines saying why.
 *
 * The fixture (struct fx) owns the engine and its ops. The ops record
 * every packet the engine sends, parsed back into fields (struct upkt),
 * and every event; they serve send data from a buffer by sequence and
 * take received data into another. They also check, on every call, what
 * must hold whatever the test: checksums are right, nothing is
 * acknowledged before it was delivered, the advertised right edge never
 * moves left, read_send is only asked for queued data and sent data is
 * what was queued. A breach fails the running test.
 */
#ifndef TOE_UNIT_H
#define TOE_UNIT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toe-engine.h"

/* ---- framework ---------------------------------------------------- */

struct unit_case {
	const char *name;
	void (*fn)(void);
};

struct unit_suite {
	const char *name;
	const struct unit_case *cases;	/* ends with { NULL, NULL } */
};

#define UNIT_CASE(fn)	{ #fn, fn }

extern const struct unit_suite unit_adopt_suite;
extern const struct unit_suite unit_input_suite;
extern const struct unit_suite unit_data_suite;
extern const struct unit_suite unit_send_suite;
extern const struct unit_suite unit_recovery_suite;
extern const struct unit_suite unit_close_suite;
extern const struct unit_suite unit_timers_suite;
extern const struct unit_suite unit_options_suite;
extern const struct unit_suite unit_upload_suite;

/* Failures so far in the running test. */
extern int unit_fails;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* The kernel's __printf(), for a host build without its headers. */
#define unit_attr(x)	__attribute__(x)
#define __printf(a, b)	unit_attr((format(printf, a, b)))

/* Say what the test is doing, for the messages of failed checks. */
__printf(1, 2) void unit_ctx(const char *fmt, ...);
__printf(3, 4) void unit_fail(const char *file, int line,
			      const char *fmt, ...);
bool unit_check(const char *file, int line, bool ok, const char *expr);
bool unit_check_cmp(const char *file, int line, const char *expr,
		    long long a, long long b, bool ok);

#define EXPECT(c)	unit_check(__FILE__, __LINE__, !!(c), #c)
#define EXPECT_OP(a, op, b) ({						\
	long long unit_a__ = (long long)(a);				\
	long long unit_b__ = (long long)(b);				\
	unit_check_cmp(__FILE__, __LINE__, #a " " #op " " #b,		\
		       unit_a__, unit_b__, unit_a__ op unit_b__);	\
})
#define EXPECT_EQ(a, b)	EXPECT_OP(a, ==, b)
#define EXPECT_NE(a, b)	EXPECT_OP(a, !=, b)
#define EXPECT_LT(a, b)	EXPECT_OP(a, <, b)
#define EXPECT_LE(a, b)	EXPECT_OP(a, <=, b)
#define EXPECT_GT(a, b)	EXPECT_OP(a, >, b)
#define EXPECT_GE(a, b)	EXPECT_OP(a, >=, b)
/*
 * Each returns whether the check held; a test stops on one it cannot go
 * on without with "if (!EXPECT(...)) return;". The runner frees the
 * fixture however the test ends.
 */

/* ---- TCP on the wire ---------------------------------------------- */

#define TF_FIN	0x01
#define TF_SYN	0x02
#define TF_RST	0x04
#define TF_PSH	0x08
#define TF_ACK	0x10
#define TF_URG	0x20

#define ANY	(-1LL)		/* a field EXPECT_PKT does not check */

/* A packet the engine sent (or handed to held_pkt), taken apart. */
struct upkt {
	uint64_t t;		/* when, in the fixture's clock */
	bool valid;		/* parsed, with right checksums */
	uint8_t family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;	/* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;		/* raw field */
	uint32_t len;		/* payload bytes */
	uint8_t *data;
	bool has_ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	size_t delivered;	/* bytes delivered to the caller by then */
};

/* A segment the peer sends; fx_seg() fills in the defaults. */
struct useg {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;		/* raw field */
	uint16_t urg;
	const uint8_t *data;	/* NULL: the peer's pattern at seq */
	uint32_t len;
	bool has_ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	const uint8_t *opt;	/* extra raw options, padded with NOPs */
	uint8_t optlen;
};

/* ---- the fixture -------------------------------------------------- */

#define FX_T0		1000000000ull	/* the clock at adopt: 1000 s */
#define FX_MSS		1448
#define FX_ISS		0x10000000u	/* our snd_una at adopt */
#define FX_IRS		0x20000000u	/* our rcv_nxt at adopt */
#define FX_TS_NOW	100000u		/* our TSval at adopt */
#define FX_TS_RECENT	5000u		/* the peer's TSval at adopt */
#define FX_PEER_WND	2048		/* peer's window field: 256 KiB */
#define FX_RCV_WND	65536		/* window we promised before adopt */
#define FX_RCV_SPACE	(1u << 20)	/* receive space granted at adopt */
#define FX_BUF		(4u << 20)	/* send and receive buffers */
#define FX_MAX_PKTS	4096
#define FX_MAX_EVENTS	256
#define FX_PKT_MAX	(60 + 60 + 16384)

struct uevent {
	uint64_t t;
	uint64_t handle;
	struct toe_engine_event ev;
};

struct fx {
	struct toe_engine *eng;
	struct toe_engine_config cfg;	/* set before fx_start() */
	bool no_held_pkt;		/* ops->held_pkt NULL */
	uint64_t now;

	/* The connection under test (fx_adopt() sets it). */
	int id;
	uint64_t handle;
	uint8_t family;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;		/* host order */
	uint8_t snd_wscale, rcv_wscale;
	bool ts_on, sack_on;
	uint32_t iss, irs;		/* snd_una, rcv_nxt at adopt */
	uint32_t rcv_space;		/* granted at the next adopt */

	/* Send side: [iss, snd_end) queued, pattern bytes. */
	uint32_t snd_end;
	uint32_t acked;			/* last ops->acked() */
	int acked_calls;
	int read_err;			/* read_send returns this if set */
	int read_calls;

	/* Receive side. */
	uint8_t *rcv;			/* bytes delivered, from irs */
	size_t rcv_len;
	size_t deliver_room;		/* the caller takes no more than this */
	int deliver_calls;
	bool peer_fin;			/* PEER_FIN reported */

	/* The peer. */
	uint32_t peer_nxt;		/* next sequence it sends */
	uint32_t peer_ack;		/* what it acknowledges */
	uint16_t peer_wnd;
	uint32_t last_tsval;		/* latest TSval from the engine */

	/* Records. */
	struct upkt *pkts;
	size_t npkts, next_pkt;
	struct upkt *held;		/* ops->held_pkt() */
	size_t nheld;
	struct uevent ev[FX_MAX_EVENTS];
	size_t nev, next_ev;

	/* Upload from inside ops->event() on UPLOAD_REQ. */
	bool upload_on_req;
	int upload_ret;
	struct toe_conn_state up_st;
	struct toe_engine_upload up_res;

	/* Invariant bookkeeping. */
	uint32_t max_edge;		/* highest right edge advertised */

	struct fx *next;		/* the runner frees each test's */
};

/* Defaults in f->cfg; change them, then fx_start(). */
struct fx *fx_alloc(void);
void fx_start(struct fx *f);
/* fx_alloc() + fx_start(). */
struct fx *fx_new(void);
/*
 * A fixture with one connection adopted from fx_state(); NULL (and the
 * test failed) if adopt refused it.
 */
struct fx *fx_setup(int family);

/* A sane adopted state: ESTABLISHED, SACK, TS, WS 7/7, mss 1448... */
void fx_state(struct fx *f, struct toe_conn_state *st, int family);
/* Adopt @st as the connection under test; the id or a negative errno. */
int fx_adopt(struct fx *f, const struct toe_conn_state *st);

/* The peer's and our payload bytes at a sequence. */
uint8_t fx_peer_byte(uint32_t seq);
uint8_t fx_snd_byte(uint32_t seq);

/* Build @s into @buf (FX_PKT_MAX bytes); return its length. */
size_t fx_build(struct fx *f, const struct useg *s, uint8_t *buf);
/* A pure ACK from the peer with the fixture's defaults. */
struct useg fx_seg(struct fx *f);
/* Feed @s to the engine now; return toe_engine_input(). */
int fx_in(struct fx *f, const struct useg *s);
/* The peer sends @len bytes at @seq (ACK set). */
int fx_data(struct fx *f, uint32_t seq, uint32_t len);
/* The peer sends @len new bytes in order. */
int fx_send_peer(struct fx *f, uint32_t len);
/* The peer acknowledges @ack. */
int fx_ack(struct fx *f, uint32_t ack);
/* ... with SACK blocks [s0, e0) [s1, e1)...; @n pairs follow. */
int fx_sack(struct fx *f, uint32_t ack, int n, ...);

/* Queue @len more bytes of send data and tell the engine. */
int fx_queue(struct fx *f, uint32_t len);

/* Advance the clock by @us, running every timer at its deadline. */
void fx_run(struct fx *f, uint64_t us);
void fx_run_until(struct fx *f, uint64_t t);

/* Connection info and stats of the connection under test. */
struct toe_engine_conn_info fx_info(struct fx *f);
struct toe_engine_stats fx_stats(struct fx *f);

/* Packets sent and not yet looked at; the next one, or NULL. */
size_t fx_pending(struct fx *f);
struct upkt *fx_pop(struct fx *f);
void fx_drain(struct fx *f);
/* Events likewise. */
size_t fx_events(struct fx *f);
struct uevent *fx_pop_ev(struct fx *f);
void fx_drain_ev(struct fx *f);

/*
 * The next packet must have these fields (ANY: not checked); flags are
 * compared exactly. Never NULL: a zeroed packet stands in if none.
 */
struct upkt *unit_expect_pkt(const char *file, int line, struct fx *f,
			     long long flags, long long seq, long long ack,
			     long long len);
bool unit_expect_no_pkt(const char *file, int line, struct fx *f);
/* The next event: @arg is the state, error or reason, or ANY. */
bool unit_expect_ev(const char *file, int line, struct fx *f, int type,
		    long long arg);
bool unit_expect_no_ev(const char *file, int line, struct fx *f);

#define EXPECT_PKT(f, flags, seq, ack, len) \
	unit_expect_pkt(__FILE__, __LINE__, f, flags, seq, ack, len)
#define EXPECT_NO_PKT(f)	unit_expect_no_pkt(__FILE__, __LINE__, f)
#define EXPECT_EV(f, type, arg) \
	unit_expect_ev(__FILE__, __LINE__, f, type, arg)
#define EXPECT_NO_EV(f)		unit_expect_no_ev(__FILE__, __LINE__, f)

/* Parse an IP packet the engine built; false if malformed. */
bool fx_parse(const uint8_t *pkt, size_t len, struct upkt *p);
/* The window the packet advertises, in bytes. */
uint32_t fx_wnd(struct fx *f, const struct upkt *p);

static inline bool useq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

#endif /* TOE_UNIT_H */

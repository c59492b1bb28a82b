/*
 * interop.c - the engine against real Linux TCP, with no QEMU.
 *
 * The harness is the NIC: it holds a TAP device in namespace A (where the
 * application's socket lives) and one in namespace B (where a kernel peer,
 * tools/toe-xfer, listens) and passes frames between them. The application
 * is the harness too: it connects from A, sends --bytes of toe-xfer's
 * stream for --tx-seed, and checks every byte it receives against the
 * stream for --rx-seed, SHA-256 included.
 *
 * Then it moves the live connection: frames from B for the connection are
 * held, A's socket is frozen and read with TCP_REPAIR and closed silently,
 * the engine adopts the state, gets the held frames (and the peer's frames
 * A's kernel held out of order, which TCP_REPAIR cannot read: they are
 * replayed from what the harness saw on the wire) and runs the connection.
 * Handing back is the reverse: the engine uploads, a new socket is built
 * in repair mode, and the held frames go to it.
 *
 *   (neither)        the kernel runs the connection throughout, through
 *                    the same harness: the benchmark's baseline
 *   --offload-only   adopt once after connecting; the engine runs the
 *                    connection to the end, FIN exchange included
 *   --cycles N       adopt and hand back at least N times, spread over the
 *                    transfer; whoever owns the connection at the end
 *                    closes it
 *   --loss/--dup/--reorder P --fault-seed S   seeded faults on the wire,
 *                    both directions, whoever owns the connection; from
 *                    the peer's FIN on, loss only (see deliver_to_a())
 *
 * With --cycles the application holds back the end of its stream until
 * the moves are done, and the peer runs toe-xfer --fin-last: a FIN ends
 * the moves (TCP_REPAIR restores only ESTABLISHED).
 *
 * Prints "interop: name value" lines and exits 0 only if every byte
 * arrived intact and the moves all happened. INTEROP_DEBUG=1 in the
 * environment also logs each move with the streams' offsets.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "interop.h"
#include "toe-engine.h"

#define APP_SNDBUF	(4u << 20)	/* engine: unacked + unsent, most */
#define APP_RCVSPACE	(8u << 20)	/* receive space granted the engine */
/*
 * With --cycles, the application holds back the last 1/APP_TAIL_DIV of
 * its stream until every move is done: the peer (toe-xfer --fin-last)
 * sends its FIN only after ours, and nothing moves after a FIN.
 */
#define APP_TAIL_DIV	8
#define RECENT_MAX	(32u << 20)	/* replay memory for out-of-order data */
#define IO_CHUNK	(256 * 1024)

struct frame {
	struct frame *next;
	size_t len;
	uint8_t data[];
};

struct frame_list {
	struct frame *head, *tail;
	size_t count, bytes;
};

struct harness {
	/* Options. */
	const char *ns[2], *tap_name[2];
	const char *peer;
	uint16_t port;
	uint64_t bytes, tx_seed, rx_seed;
	int cycles;
	bool offload_only;
	int timeout_s;

	/* The wire. */
	int tap[2];			/* 0: A, 1: B */
	uint8_t mac[2][6];
	struct wire to_b, to_a;
	struct wire_stats ws;

	/* The connection and who owns it. */
	struct toe_engine *eng;
	struct tuple tup;
	bool tup_known;
	bool app_running;		/* connected: the application works */
	enum owner owner;
	int fd;				/* A's kernel socket, or -1 */
	int id;				/* engine id, or -1 */
	bool closed;			/* the engine reported CLOSED */
	int upload_req;			/* reason of a pending request */

	/* The application's two streams. */
	uint64_t tx_off, tx_acked;	/* handed to TCP; acknowledged */
	uint32_t tx_base;		/* sequence of tx offset 0 */
	uint64_t rx_off;		/* received and checked */
	uint32_t rx_base;		/* sequence of rx offset 0 */
	bool bases_known;
	bool tx_shut, rx_eof;
	uint32_t rx_freed;		/* to give back with recv_freed */
	EVP_MD_CTX *sha;

	/* What the harness saw of the peer, for the next capture. */
	struct frame_list held;		/* B's frames during a move */
	struct frame_list recent;	/* B's data frames to A's kernel */
	uint32_t a_ack;			/* highest ACK A's kernel sent */
	bool a_ack_valid;
	uint32_t ts_peer;		/* newest TSval from the peer */
	bool ts_peer_valid;
	uint32_t ts_a;			/* newest TSval A's kernel sent */
	bool ts_a_valid;

	/* Counters. */
	unsigned int adopts, handbacks, upload_reqs;
	unsigned int upload_reason[TOE_UPLOAD_REQUESTED + 1];
	uint64_t replayed, stray_a, rst_a, recent_dropped, not_mine;
	uint64_t rst_b;			/* RSTs from the peer */
	uint64_t step;			/* progress between moves */
	uint64_t t_start;
	uint64_t engine_us, kernel_us, owner_since;
};

static struct harness H;

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("interop: FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * toe-xfer's stream: 8-byte words of splitmix64 over seed + k * golden,
 * so any byte can be made from its offset alone.
 */
static uint64_t gen_word(uint64_t seed, uint64_t k)
{
	uint64_t z = seed + (k + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void gen_bytes(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t w = gen_word(seed, (off + i) / 8);
		unsigned int b = (unsigned int)((off + i) % 8);

		for (; b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(w >> (8 * b));
	}
}

/* The application receives @len bytes at its read offset. */
static void app_consume(const uint8_t *data, size_t len)
{
	static uint8_t want[IO_CHUNK];
	size_t done = 0;

	if (H.rx_off + len > H.bytes)
		die("received %zu bytes past the %llu expected", len,
		    (unsigned long long)H.bytes);
	while (done < len) {
		size_t n = len - done < sizeof(want) ? len - done : sizeof(want);
		size_t i;

		gen_bytes(H.rx_seed, H.rx_off, want, n);
		if (memcmp(want, data + done, n)) {
			for (i = 0; want[i] == data[done + i]; i++)
				;
			die("received stream differs at offset %llu (owner %d)",
			    (unsigned long long)(H.rx_off + i), H.owner);
		}
		EVP_DigestUpdate(H.sha, data + done, n);
		H.rx_off += n;
		done += n;
	}
}

/* Sequence numbers to stream offsets, near the current ones. */
static uint64_t tx_off_of(uint32_t seq)
{
	return H.tx_off - (uint32_t)(H.tx_base + (uint32_t)H.tx_off - seq);
}

static void frame_push(struct frame_list *l, const uint8_t *data, size_t len)
{
	struct frame *f = malloc(sizeof(*f) + len);

	if (!f)
		die("out of memory");
	f->next = NULL;
	f->len = len;
	memcpy(f->data, data, len);
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
	l->count++;
	l->bytes += len;
}

static struct frame *frame_pop(struct frame_list *l)
{
	struct frame *f = l->head;

	if (f) {
		l->head = f->next;
		if (!l->head)
			l->tail = NULL;
		l->count--;
		l->bytes -= f->len;
	}
	return f;
}

static void frames_free(struct frame_list *l)
{
	struct frame *f;

	while ((f = frame_pop(l)))
		free(f);
}

static void tap_write(int side, const uint8_t *frame, size_t len)
{
	if (write(H.tap[side], frame, len) < 0 && errno != EAGAIN &&
	    errno != ENOBUFS)
		die("write tap %s: %s", H.tap_name[side], strerror(errno));
}

/* Drop remembered peer frames A's kernel has acknowledged. */
static void recent_prune(void)
{
	struct frame_list keep = { 0 };
	struct frame *f;
	struct pkt_info pi;

	while ((f = frame_pop(&H.recent))) {
		const uint8_t *ip = f->data + ETH_HLEN_;

		pkt_parse(ip, f->len - ETH_HLEN_, &pi);
		if (H.a_ack_valid &&
		    (int32_t)(pi.seq + pi.len + !!(pi.flags & 1) - H.a_ack) <= 0) {
			free(f);
			continue;
		}
		if (keep.tail)
			keep.tail->next = f;
		else
			keep.head = f;
		keep.tail = f;
		f->next = NULL;
		keep.count++;
		keep.bytes += f->len;
	}
	H.recent = keep;
	while (H.recent.bytes > RECENT_MAX) {
		free(frame_pop(&H.recent));
		H.recent_dropped++;
	}
}

/* A frame reaches A's side of the wire: the kernel, the engine or hold. */
static void deliver_to_a(void *opaque, const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + ETH_HLEN_;
	struct pkt_info pi;
	int rc;

	if (len <= ETH_HLEN_ || !H.tup_known ||
	    !pkt_parse(ip, len - ETH_HLEN_, &pi) ||
	    !tuple_match_in(&H.tup, &pi)) {
		tap_write(0, frame, len);
		return;
	}
	if (pi.ts_off && (!H.ts_peer_valid ||
			  (int32_t)(pi.tsval - H.ts_peer) > 0)) {
		H.ts_peer = pi.tsval;
		H.ts_peer_valid = true;
	}
	/*
	 * The peer's FIN: from here on the wire loses frames but neither
	 * duplicates nor reorders them. A copy of the last ACK (or of the
	 * FIN, which is answered again) that reaches the peer after its
	 * socket closed draws a RST, which would say nothing of the engine.
	 */
	if (pi.flags & 1) {
		H.to_a.faults.dup = H.to_a.faults.reorder = 0;
		H.to_b.faults.dup = H.to_b.faults.reorder = 0;
	}
	/*
	 * A RST while the connection is open ends the run (the engine or
	 * A's kernel reports it). After both FINs, a peer that closed may
	 * answer a late copy of a final ACK with one: counted, harmless.
	 */
	if (pi.flags & 4)
		H.rst_b++;
	switch (H.owner) {
	case OWNER_ENGINE:
		rc = toe_engine_input(H.eng, ip, len - ETH_HLEN_, now_us());
		if (rc == 0)
			H.not_mine++;
		break;
	case OWNER_HOLD:
		frame_push(&H.held, frame, len);
		break;
	case OWNER_KERNEL:
		if (pi.len || (pi.flags & 1)) {
			frame_push(&H.recent, frame, len);
			if (H.recent.count > 4096)
				recent_prune();
		}
		tap_write(0, frame, len);
		break;
	}
}

static void deliver_to_b(void *opaque, const uint8_t *frame, size_t len)
{
	tap_write(1, frame, len);
}

/* A frame from A's kernel, before it goes on the wire. */
static void from_a(const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + ETH_HLEN_;
	struct pkt_info pi;

	if (len > ETH_HLEN_ && H.tup_known &&
	    pkt_parse(ip, len - ETH_HLEN_, &pi) &&
	    tuple_match_out(&H.tup, &pi)) {
		if (H.fd < 0) {
			/*
			 * Sent before the socket was closed in repair mode and
			 * read only now: pass it on. A RST would be A's kernel
			 * answering a frame that leaked past us: a bug.
			 */
			H.stray_a++;
			if (pi.flags & 4) {
				H.rst_a++;
				return;
			}
		}
		if (pi.ts_off && (!H.ts_a_valid ||
				  (int32_t)(pi.tsval - H.ts_a) > 0)) {
			H.ts_a = pi.tsval;
			H.ts_a_valid = true;
		}
		if ((pi.flags & 0x10) && (!H.a_ack_valid ||
					  (int32_t)(pi.ack - H.a_ack) > 0)) {
			H.a_ack = pi.ack;
			H.a_ack_valid = true;
		}
	}
	wire_send(&H.to_b, frame, len, now_us());
}

/* ops->xmit: the engine's packet goes on the wire towards B. */
static void eng_xmit(void *opaque, const uint8_t *pkt, size_t len)
{
	static uint8_t frame[FRAME_MAX];

	if (len + ETH_HLEN_ > sizeof(frame))
		die("engine sent a %zu-byte packet", len);
	memcpy(frame, H.mac[1], 6);
	memcpy(frame + 6, H.mac[0], 6);
	frame[12] = (pkt[0] >> 4) == 4 ? 0x08 : 0x86;
	frame[13] = (pkt[0] >> 4) == 4 ? 0x00 : 0xdd;
	memcpy(frame + ETH_HLEN_, pkt, len);
	wire_send(&H.to_b, frame, len + ETH_HLEN_, now_us());
}

static int eng_read_send(void *opaque, uint64_t handle, uint32_t seq,
			 void *buf, size_t len)
{
	uint64_t off = tx_off_of(seq);

	if (off < H.tx_acked || off + len > H.tx_off)
		die("engine read send data [%llu, +%zu) outside [%llu, %llu)",
		    (unsigned long long)off, len,
		    (unsigned long long)H.tx_acked,
		    (unsigned long long)H.tx_off);
	gen_bytes(H.tx_seed, off, buf, len);
	return 0;
}

static size_t eng_deliver(void *opaque, uint64_t handle, uint32_t seq,
			  const void *data, size_t len)
{
	if (seq != (uint32_t)(H.rx_base + (uint32_t)H.rx_off))
		die("engine delivered seq %u, expected %u", seq,
		    (uint32_t)(H.rx_base + (uint32_t)H.rx_off));
	app_consume(data, len);
	H.rx_freed += (uint32_t)len;
	return len;
}

static void eng_acked(void *opaque, uint64_t handle, uint32_t snd_una)
{
	uint64_t off = tx_off_of(snd_una);

	if (off > H.tx_off + 1 || off < H.tx_acked)
		die("engine acked to offset %llu: acked %llu, queued %llu",
		    (unsigned long long)off, (unsigned long long)H.tx_acked,
		    (unsigned long long)H.tx_off);
	H.tx_acked = off > H.tx_off ? H.tx_off : off;
}

static void eng_event(void *opaque, uint64_t handle,
		      const struct toe_engine_event *ev)
{
	switch (ev->type) {
	case TOE_ENG_EV_STATE:
		break;
	case TOE_ENG_EV_PEER_FIN:
		H.rx_eof = true;
		break;
	case TOE_ENG_EV_PEER_RST:
		die("the peer reset the connection");
	case TOE_ENG_EV_ERROR:
		die("the engine gave the connection up: %s",
		    strerror(-ev->error));
	case TOE_ENG_EV_UPLOAD_REQ:
		H.upload_reqs++;
		H.upload_req = ev->reason;
		if (ev->reason <= TOE_UPLOAD_REQUESTED)
			H.upload_reason[ev->reason]++;
		break;
	case TOE_ENG_EV_CLOSED:
		H.closed = true;
		H.id = -1;
		break;
	}
}

/* ops->held_pkt: out-of-order data the engine held, as the peer sent it. */
static void eng_held_pkt(void *opaque, uint64_t handle, const uint8_t *pkt,
			 size_t len)
{
	uint8_t frame[FRAME_MAX];

	memcpy(frame, H.mac[0], 6);
	memcpy(frame + 6, H.mac[1], 6);
	frame[12] = (pkt[0] >> 4) == 4 ? 0x08 : 0x86;
	frame[13] = (pkt[0] >> 4) == 4 ? 0x00 : 0xdd;
	memcpy(frame + ETH_HLEN_, pkt, len);
	frame_push(&H.held, frame, len + ETH_HLEN_);
}

static const struct toe_engine_ops eng_ops = {
	.xmit = eng_xmit,
	.read_send = eng_read_send,
	.deliver = eng_deliver,
	.acked = eng_acked,
	.event = eng_event,
	.held_pkt = eng_held_pkt,
};

static void set_owner(enum owner o)
{
	uint64_t now = now_us();

	if (H.owner == OWNER_ENGINE)
		H.engine_us += now - H.owner_since;
	else
		H.kernel_us += now - H.owner_since;
	H.owner = o;
	H.owner_since = now;
	/*
	 * No reordering across a change of owner: the kernel's and the
	 * engine's millisecond clocks tick at different moments, so one
	 * frame of each swapped could differ by two ticks, which PAWS at
	 * the peer would drop for no fault of either sender.
	 */
	wire_flush(&H.to_b, now, true);
}

/* How far the application sends for now (APP_TAIL_DIV). */
static uint64_t app_limit(void)
{
	if (H.cycles && H.handbacks < (unsigned int)H.cycles)
		return H.bytes - H.bytes / APP_TAIL_DIV;
	return H.bytes;
}

/* Read everything A's kernel has for the application. */
static void kernel_read(void)
{
	static uint8_t buf[IO_CHUNK];
	ssize_t n;

	while ((n = recv(H.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		app_consume(buf, (size_t)n);
	if (n == 0)
		H.rx_eof = true;
	else if (errno != EAGAIN)
		die("recv: %s", strerror(errno));
}

/* How much A's kernel has had acknowledged (SIOCOUTQ counts the FIN). */
static void kernel_acked(void)
{
	uint64_t acked;
	int outq;

	if (ioctl(H.fd, SIOCOUTQ, &outq))
		die("SIOCOUTQ: %s", strerror(errno));
	acked = H.tx_off + H.tx_shut - (uint64_t)outq;
	H.tx_acked = acked > H.tx_off ? H.tx_off : acked;
}

static void kernel_write(void)
{
	static uint8_t buf[IO_CHUNK];
	ssize_t n;

	uint64_t limit = app_limit();

	kernel_acked();
	/* The application keeps at most APP_SNDBUF unacknowledged. */
	while (H.tx_off < limit && H.tx_off - H.tx_acked < APP_SNDBUF) {
		size_t len = limit - H.tx_off < sizeof(buf) ?
			     limit - H.tx_off : sizeof(buf);

		gen_bytes(H.tx_seed, H.tx_off, buf, len);
		n = send(H.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			die("send: %s", strerror(errno));
		}
		H.tx_off += (uint64_t)n;
	}
	if (H.tx_off == H.bytes && !H.tx_shut) {
		if (shutdown(H.fd, SHUT_WR))
			die("shutdown: %s", strerror(errno));
		H.tx_shut = true;
	}
	kernel_acked();
}

/* Feed the engine whatever the application has for it. */
static void engine_app_io(uint64_t now)
{
	uint64_t room, limit = app_limit();

	if (H.id < 0)
		return;
	if (H.rx_freed) {
		uint32_t n = H.rx_freed;

		H.rx_freed = 0;
		if (toe_engine_recv_freed(H.eng, H.id, n, now))
			die("recv_freed(%u) refused", n);
	}
	if (H.id < 0)
		return;
	room = H.tx_off - H.tx_acked >= APP_SNDBUF ? 0 :
	       APP_SNDBUF - (H.tx_off - H.tx_acked);
	if (H.tx_off < limit && room >= 64 * 1024) {
		uint64_t add = limit - H.tx_off < room ? limit - H.tx_off :
			       room;

		H.tx_off += add;
		if (toe_engine_send_queued(H.eng, H.id,
					   H.tx_base + (uint32_t)H.tx_off, now))
			die("send_queued refused");
	}
	if (H.tx_off == H.bytes && !H.tx_shut && H.id >= 0) {
		if (toe_engine_shutdown(H.eng, H.id, now))
			die("engine shutdown refused");
		H.tx_shut = true;
	}
}

static bool pump_tap(int side, uint64_t now, int max);

/* Kernel to engine: the first half of the mission's move. */
static void move_to_engine(void)
{
	struct capture cap;
	struct toe_conn_state *st = &cap.st;
	uint32_t snd_una, wseq, rcv_nxt, copied, ts;
	struct pkt_info pi;
	struct frame *f;
	uint64_t now;
	int rc;

	set_owner(OWNER_HOLD);
	kernel_read();
	rc = repair_capture(H.fd, H.ts_peer_valid ? H.ts_peer : 0, &cap);
	if (rc) {
		/* Not ESTABLISHED any more: the kernel keeps it. */
		fprintf(stderr, "interop: capture refused: %s\n",
			strerror(-rc));
		set_owner(OWNER_KERNEL);
		while ((f = frame_pop(&H.held))) {
			tap_write(0, f->data, f->len);
			free(f);
		}
		return;
	}
	H.fd = -1;

	wseq = le32toh(st->write_seq);
	snd_una = le32toh(st->snd_una);
	rcv_nxt = le32toh(st->rcv_nxt);
	copied = le32toh(st->copied_seq);
	if (!H.bases_known) {
		H.tx_base = wseq - (uint32_t)H.tx_off;
		H.rx_base = copied - (uint32_t)H.rx_off;
		H.bases_known = true;
	}
	if (wseq != (uint32_t)(H.tx_base + (uint32_t)H.tx_off) ||
	    copied != (uint32_t)(H.rx_base + (uint32_t)H.rx_off))
		die("captured write_seq %u, copied_seq %u; application: %llu, %llu bytes",
		    wseq, copied,
		    (unsigned long long)H.tx_off,
		    (unsigned long long)H.rx_off);

	/* Unread data first, in order: the application reads it now. */
	app_consume(cap.unread, cap.unread_len);
	/* The send queue TCP_REPAIR showed must be the stream from snd_una. */
	H.tx_acked = tx_off_of(snd_una);
	if (cap.unacked_len) {
		uint8_t *want = malloc(cap.unacked_len);

		if (!want)
			die("out of memory");
		gen_bytes(H.tx_seed, H.tx_acked, want, cap.unacked_len);
		if (memcmp(want, cap.unacked, cap.unacked_len))
			die("captured send queue differs from the stream");
		free(want);
	}
	capture_free(&cap);

	/*
	 * Frames A's kernel queued before the close go out before the
	 * engine's: they are older, and the peer would see them reordered.
	 */
	while (!pump_tap(0, now_us(), 256))
		;
	/* Nor reordered behind the engine's first (adopt may send). */
	wire_flush(&H.to_b, now_us(), true);
	/*
	 * Linux (6.7 on) clears the low bit of the TCP_TIMESTAMP it reports
	 * (the bit names a microsecond clock), so its clock may be one tick
	 * ahead of what was read; and never behind a TSval it already sent.
	 */
	ts = ts_advance(le32toh(st->ts_now) + 1, cap.ts_taken_us);
	if (H.ts_a_valid && (int32_t)(H.ts_a - ts) > 0)
		ts = H.ts_a;
	st->ts_now = htole32(ts);
	now = now_us();
	rc = toe_engine_adopt(H.eng, st, 1, APP_RCVSPACE, now);
	if (rc < 0)
		die("adopt refused: %s", strerror(-rc));
	H.id = rc;
	H.adopts++;
	set_owner(OWNER_ENGINE);

	/*
	 * A's kernel may have held peer data out of order (and SACKed it).
	 * Replay what the peer sent above rcv_nxt so nothing SACKed is lost;
	 * their TSval becomes ts_recent, so PAWS takes them as current.
	 */
	while ((f = frame_pop(&H.recent))) {
		uint8_t *ip = f->data + ETH_HLEN_;
		size_t len = f->len - ETH_HLEN_;

		if (pkt_parse(ip, len, &pi) &&
		    (int32_t)(pi.seq + pi.len + !!(pi.flags & 1) - rcv_nxt) > 0) {
			pkt_set_tsval(ip, len, &pi, le32toh(st->ts_recent));
			toe_engine_input(H.eng, ip, len, now);
			H.replayed++;
		}
		free(f);
	}
	H.a_ack_valid = false;
	while ((f = frame_pop(&H.held))) {
		toe_engine_input(H.eng, f->data + ETH_HLEN_,
				 f->len - ETH_HLEN_, now);
		free(f);
	}
}

static void read_tx(void *opaque, uint32_t seq, uint8_t *buf, size_t len)
{
	gen_bytes(H.tx_seed, tx_off_of(seq), buf, len);
}

/* Engine to kernel: upload, restore a socket, release held frames. */
static void move_to_kernel(void)
{
	struct toe_engine_upload res;
	struct toe_conn_state st;
	struct frame *f;
	uint64_t t;
	int rc;

	set_owner(OWNER_HOLD);
	t = now_us();
	rc = toe_engine_upload(H.eng, H.id, &st, &res, t);
	if (rc)
		die("upload failed: %s", strerror(-rc));
	H.id = -1;
	if (res.held || res.ooo_dropped || res.sack_reneged)
		die("upload left data behind: held %zu, dropped %zu",
		    res.held, res.ooo_dropped);
	H.tx_acked = tx_off_of(res.snd_una);
	H.rx_freed = 0;

	H.fd = repair_restore(&st, t, read_tx, NULL);

	H.handbacks++;
	set_owner(OWNER_KERNEL);
	/* The engine's out-of-order data first, then what came meanwhile. */
	while ((f = frame_pop(&H.held))) {
		deliver_to_a(NULL, f->data, f->len);
		free(f);
	}
}

static bool engine_can_move(void)
{
	struct toe_engine_conn_info ci;

	return H.id >= 0 && !toe_engine_conn_info(H.eng, H.id, &ci) &&
	       ci.state == TOE_TCP_ESTABLISHED && !H.tx_shut && !H.rx_eof;
}

static void debug(const char *what)
{
	if (getenv("INTEROP_DEBUG"))
		fprintf(stderr, "interop: %.3f s %s tx %llu acked %llu rx %llu\n",
			(double)(now_us() - H.t_start) / 1e6, what,
			(unsigned long long)H.tx_off,
			(unsigned long long)H.tx_acked,
			(unsigned long long)H.rx_off);
}

static void maybe_move(void)
{
	uint64_t progress = H.tx_acked + H.rx_off;

	if (H.tx_shut || H.rx_eof)
		return;
	if (H.owner == OWNER_ENGINE && H.upload_req) {
		H.upload_req = 0;
		if (engine_can_move())
			move_to_kernel();
		return;
	}
	if (H.offload_only)
		return;
	/* Moves fall due by progress; one a turn catches up after a burst. */
	if (!H.cycles || H.adopts + H.handbacks >= progress / H.step)
		return;
	if (H.owner == OWNER_KERNEL) {
		debug("to engine");
		move_to_engine();
	} else if (H.owner == OWNER_ENGINE && engine_can_move()) {
		debug("to kernel");
		move_to_kernel();
	}
}

static bool finished(void)
{
	struct toe_engine_conn_info ci;

	if (H.rx_off != H.bytes || !H.rx_eof || !H.tx_shut ||
	    H.tx_acked != H.tx_off)
		return false;
	if (H.owner == OWNER_KERNEL) {
		int outq;

		return !ioctl(H.fd, SIOCOUTQ, &outq) && outq == 0;
	}
	if (H.closed || H.id < 0)
		return true;
	return !toe_engine_conn_info(H.eng, H.id, &ci) &&
	       (ci.state == TOE_TCP_TIME_WAIT || ci.state == TOE_TCP_FIN_WAIT2);
}

/* Pass on up to @max frames from one TAP; true when it is empty. */
static bool pump_tap(int side, uint64_t now, int max)
{
	static uint8_t frame[FRAME_MAX];
	ssize_t n;
	int i;

	for (i = 0; i < max; i++) {
		n = read(H.tap[side], frame, sizeof(frame));
		if (n < 0) {
			if (errno == EAGAIN)
				return true;
			die("read tap %s: %s", H.tap_name[side],
			    strerror(errno));
		}
		if (side == 0)
			from_a(frame, (size_t)n);
		else
			wire_send(&H.to_a, frame, (size_t)n, now);
	}
	return false;
}

/* One turn of the loop: wait for a frame, a socket or a timer. */
static void run_once(int max_wait_ms)
{
	struct pollfd p[3] = {
		{ .fd = H.tap[0], .events = POLLIN },
		{ .fd = H.tap[1], .events = POLLIN },
		{ .fd = -1 },
	};
	uint64_t now = now_us(), next;
	int wait = max_wait_ms;

	if (H.owner == OWNER_KERNEL && H.fd >= 0) {
		p[2].fd = H.fd;
		p[2].events = POLLIN |
			      (H.tx_off < H.bytes ? POLLOUT : 0);
	}
	next = toe_engine_next_deadline(H.eng);
	if (next != UINT64_MAX)
		wait = next <= now ? 0 : (int)((next - now + 999) / 1000);
	if (wait > max_wait_ms)
		wait = max_wait_ms;
	if (H.to_a.held_len || H.to_b.held_len)
		wait = wait > 1 ? 1 : wait;
	if (poll(p, 3, wait) < 0 && errno != EINTR)
		die("poll: %s", strerror(errno));

	now = now_us();
	pump_tap(1, now, 256);
	pump_tap(0, now, 256);
	wire_flush(&H.to_a, now, false);
	wire_flush(&H.to_b, now, false);
	toe_engine_timers(H.eng, now);
	if (!H.app_running)
		return;
	if (H.owner == OWNER_KERNEL && H.fd >= 0) {
		kernel_read();
		kernel_write();
	} else if (H.owner == OWNER_ENGINE) {
		engine_app_io(now);
	}
}

static void app_connect(void)
{
	struct sockaddr_storage ss, la;
	socklen_t len = sizeof(la);
	int err = 0;

	memset(&ss, 0, sizeof(ss));
	if (strchr(H.peer, ':')) {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(H.port);
		if (inet_pton(AF_INET6, H.peer, &s->sin6_addr) != 1)
			die("bad address %s", H.peer);
		H.tup.family = 6;
	} else {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(H.port);
		if (inet_pton(AF_INET, H.peer, &s->sin_addr) != 1)
			die("bad address %s", H.peer);
		H.tup.family = 4;
	}
	H.fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		      0);
	if (H.fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(H.fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	for (;;) {
		struct pollfd p = { .fd = H.fd, .events = POLLOUT };

		if (poll(&p, 1, 0) == 1)
			break;
		if (now_us() - H.t_start > 10000000)
			die("connect to %s port %u timed out", H.peer, H.port);
		run_once(5);
	}
	if (getsockopt(H.fd, SOL_SOCKET, SO_ERROR, &err,
		       &(socklen_t){ sizeof(err) }) || err)
		die("connect: %s", strerror(err));
	if (getsockname(H.fd, (struct sockaddr *)&la, &len))
		die("getsockname: %s", strerror(errno));
	if (H.tup.family == 4) {
		memcpy(H.tup.laddr, &((struct sockaddr_in *)&la)->sin_addr, 4);
		H.tup.lport = ((struct sockaddr_in *)&la)->sin_port;
		memcpy(H.tup.raddr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		H.tup.rport = ((struct sockaddr_in *)&ss)->sin_port;
	} else {
		memcpy(H.tup.laddr, &((struct sockaddr_in6 *)&la)->sin6_addr,
		       16);
		H.tup.lport = ((struct sockaddr_in6 *)&la)->sin6_port;
		memcpy(H.tup.raddr, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		       16);
		H.tup.rport = ((struct sockaddr_in6 *)&ss)->sin6_port;
	}
	H.tup_known = true;
	H.app_running = true;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G':
		v <<= 10;
		/* fallthrough */
	case 'M':
		v <<= 10;
		/* fallthrough */
	case 'K':
		v <<= 10;
		end++;
	}
	if (*end || !v)
		die("bad size %s", s);
	return v;
}

static void usage_exit(void)
{
	fputs("usage: interop --ns-a NS --tap-a IF --ns-b NS --tap-b IF\n"
	      "               --connect ADDR --port P --bytes N[K|M|G]\n"
	      "               [--tx-seed S] [--rx-seed S]\n"
	      "               [--offload-only | --cycles N]\n"
	      "               [--loss P] [--dup P] [--reorder P] [--fault-seed S]\n"
	      "               [--timeout SECONDS]\n", stderr);
	exit(2);
}

static void parse_args(int argc, char **argv, struct fault_cfg *f)
{
	static const struct option lo[] = {
		{ "ns-a", required_argument, NULL, 'a' },
		{ "tap-a", required_argument, NULL, 'A' },
		{ "ns-b", required_argument, NULL, 'b' },
		{ "tap-b", required_argument, NULL, 'B' },
		{ "connect", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'n' },
		{ "tx-seed", required_argument, NULL, 't' },
		{ "rx-seed", required_argument, NULL, 'r' },
		{ "offload-only", no_argument, NULL, 'o' },
		{ "cycles", required_argument, NULL, 'C' },
		{ "loss", required_argument, NULL, 'l' },
		{ "dup", required_argument, NULL, 'd' },
		{ "reorder", required_argument, NULL, 'R' },
		{ "fault-seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	H.tx_seed = 1;
	H.rx_seed = 2;
	H.timeout_s = 600;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			H.ns[0] = optarg;
			break;
		case 'A':
			H.tap_name[0] = optarg;
			break;
		case 'b':
			H.ns[1] = optarg;
			break;
		case 'B':
			H.tap_name[1] = optarg;
			break;
		case 'c':
			H.peer = optarg;
			break;
		case 'p':
			H.port = (uint16_t)atoi(optarg);
			break;
		case 'n':
			H.bytes = parse_size(optarg);
			break;
		case 't':
			H.tx_seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			H.rx_seed = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			H.offload_only = true;
			break;
		case 'C':
			H.cycles = atoi(optarg);
			break;
		case 'l':
			f->loss = atof(optarg) / 100;
			break;
		case 'd':
			f->dup = atof(optarg) / 100;
			break;
		case 'R':
			f->reorder = atof(optarg) / 100;
			break;
		case 's':
			f->seed = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			H.timeout_s = atoi(optarg);
			break;
		default:
			usage_exit();
		}
	}
	if (!H.ns[0] || !H.ns[1] || !H.tap_name[0] || !H.tap_name[1] ||
	    !H.peer || !H.port || !H.bytes || optind != argc ||
	    (H.offload_only && H.cycles) || H.cycles < 0)
		usage_exit();
	if (H.cycles && H.bytes < (uint64_t)H.cycles * 2 * APP_TAIL_DIV)
		die("--cycles %d wants more --bytes", H.cycles);
}

static void report(void)
{
	struct toe_engine_stats es;
	unsigned char md[32];
	unsigned int i, mdlen = 0;
	double secs = (double)(now_us() - H.t_start) / 1e6, cpu;
	struct rusage ru;

	EVP_DigestFinal_ex(H.sha, md, &mdlen);
	toe_engine_get_stats(H.eng, &es);
	printf("interop: bytes_each_way %llu\n", (unsigned long long)H.bytes);
	printf("interop: seconds %.2f\n", secs);
	printf("interop: mbit_per_s_each_way %.1f\n",
	       (double)H.bytes * 8 / secs / 1e6);
	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage: %s", strerror(errno));
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	/*
	 * The harness's CPU: the wire, the engine, and the kernel work done
	 * in its system calls (A's TCP when the kernel owns the connection).
	 */
	printf("interop: cpu_seconds %.2f\n", cpu);
	printf("interop: mbit_per_cpu_second %.1f\n",
	       (double)H.bytes * 2 * 8 / cpu / 1e6);
	printf("interop: engine_conn_bytes %zu\ninterop: engine_fixed_bytes %zu\n",
	       es.conn_bytes, es.engine_bytes);
	printf("interop: engine_mem_peak %zu\n", es.mem_peak);
	printf("interop: engine_share %.2f\n",
	       (double)H.engine_us / (double)(H.engine_us + H.kernel_us));
	printf("interop: adopts %u\ninterop: handbacks %u\n", H.adopts,
	       H.handbacks);
	printf("interop: upload_requests %u\n", H.upload_reqs);
	for (i = 0; i <= TOE_UPLOAD_REQUESTED; i++)
		if (H.upload_reason[i])
			printf("interop: upload_requests_reason_%u %u\n", i,
			       H.upload_reason[i]);
	printf("interop: replayed_ooo_frames %llu\n",
	       (unsigned long long)H.replayed);
	printf("interop: frames_a_to_b %llu\ninterop: frames_b_to_a %llu\n",
	       (unsigned long long)H.ws.frames[0],
	       (unsigned long long)H.ws.frames[1]);
	printf("interop: lost %llu\ninterop: duplicated %llu\n"
	       "interop: reordered %llu\n",
	       (unsigned long long)(H.ws.lost[0] + H.ws.lost[1]),
	       (unsigned long long)(H.ws.duped[0] + H.ws.duped[1]),
	       (unsigned long long)(H.ws.reordered[0] + H.ws.reordered[1]));
	printf("interop: engine_segs_in %llu\ninterop: engine_segs_out %llu\n",
	       (unsigned long long)es.segs_in,
	       (unsigned long long)es.segs_out);
	printf("interop: engine_retrans_segs %llu\n",
	       (unsigned long long)es.retrans_segs);
	printf("interop: engine_dropped %llu\ninterop: engine_paws_rejects %llu\n",
	       (unsigned long long)es.dropped,
	       (unsigned long long)es.paws_rejects);
	printf("interop: engine_challenge_acks %llu\n",
	       (unsigned long long)es.challenge_acks);
	printf("interop: stray_frames_from_a %llu\ninterop: rst_from_a %llu\n",
	       (unsigned long long)H.stray_a, (unsigned long long)H.rst_a);
	printf("interop: rst_from_peer %llu\n", (unsigned long long)H.rst_b);
	printf("interop: replay_memory_overflows %llu\n",
	       (unsigned long long)H.recent_dropped);
	printf("interop: rx_sha256 ");
	for (i = 0; i < mdlen; i++)
		printf("%02x", md[i]);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct toe_engine_config cfg;
	struct fault_cfg faults = { 0 };
	uint64_t deadline, linger;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv, &faults);
	H.fd = -1;
	H.id = -1;
	H.t_start = now_us();
	H.owner_since = H.t_start;
	H.sha = EVP_MD_CTX_new();
	if (!H.sha || !EVP_DigestInit_ex(H.sha, EVP_sha256(), NULL))
		die("SHA-256 unavailable");
	if (H.cycles)
		/*
		 * Two moves a cycle, all due by the time half of the bytes
		 * before app_limit() (both ways together) are through. Moves
		 * that fall behind catch up while the application waits.
		 */
		H.step = (H.bytes - H.bytes / APP_TAIL_DIV) /
			 (uint64_t)H.cycles / 2;

	/* B's TAP first: the harness stays in A, where the sockets live. */
	H.tap[1] = tap_open(H.ns[1], H.tap_name[1], H.mac[1]);
	H.tap[0] = tap_open(H.ns[0], H.tap_name[0], H.mac[0]);
	wire_init(&H.to_b, 0, &faults, &H.ws, deliver_to_b, NULL);
	wire_init(&H.to_a, 1, &faults, &H.ws, deliver_to_a, NULL);

	toe_engine_config_default(&cfg, 4);
	/* Room for a whole receive window out of order. */
	cfg.mem_budget = 2 * APP_RCVSPACE;
	H.eng = toe_engine_new(&cfg, &eng_ops, NULL);
	if (!H.eng)
		die("toe_engine_new failed");

	app_connect();
	/* Offload-only: the engine takes the connection before any data. */
	if (H.offload_only)
		move_to_engine();
	deadline = H.t_start + (uint64_t)H.timeout_s * 1000000;
	while (!finished()) {
		if (now_us() > deadline)
			die("timed out: sent %llu (acked %llu) received %llu of %llu, owner %d, eof %d",
			    (unsigned long long)H.tx_off,
			    (unsigned long long)H.tx_acked,
			    (unsigned long long)H.rx_off,
			    (unsigned long long)H.bytes, H.owner, H.rx_eof);
		run_once(10);
		maybe_move();
	}
	set_owner(H.owner);
	/* Let the last ACKs and FINs cross before the wire goes away. */
	linger = now_us() + 300000;
	while (now_us() < linger)
		run_once(10);
	report();
	if (H.cycles && H.handbacks < (unsigned int)H.cycles)
		die("handed back %u times, %d asked for", H.handbacks,
		    H.cycles);
	if (H.offload_only && H.adopts != 1)
		die("adopted %u times", H.adopts);
	if (H.rst_a)
		die("A's kernel reset %llu frames for the moved connection",
		    (unsigned long long)H.rst_a);
	if (H.fd >= 0)
		close(H.fd);
	frames_free(&H.held);
	frames_free(&H.recent);
	toe_engine_free(H.eng);
	EVP_MD_CTX_free(H.sha);
	printf("interop: result ok\n");
	return 0;
}

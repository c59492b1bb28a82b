/*
 * interop-repair.c - take a connection from the kernel and give it back,
 * with TCP_REPAIR (the interface CRIU uses).
 *
 * Capture reads what TCP_REPAIR exposes of an established socket: the
 * queue sequence numbers, the send and receive queues, the window state,
 * the timestamp clock, TCP_INFO's options, RTT and congestion window. What
 * it does not expose the harness supplies from the wire it watches
 * (ts_recent) or cannot have (the out-of-order queue: interop.c replays
 * the peer's frames instead). Closing a socket in repair mode sends
 * nothing: the peer never learns the kernel let go.
 *
 * Restore builds a new socket in repair mode with the same sequence
 * numbers, options, windows and timestamp clock, refills the send queue
 * (data the peer has not acknowledged goes in as already sent), and
 * leaves repair mode. TCP_REPAIR cannot set srtt, rttvar, cwnd or
 * ssthresh: the restored socket starts them afresh. The module of issue 5
 * restores those too; the harness proves the sequence-space hand-off.
 *
 * TCP_REPAIR works only on ESTABLISHED (or CLOSE) sockets, so the harness
 * moves connections only while neither side has sent FIN.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "interop.h"

#define PEEK_MAX	(64u << 20)
#define SKB_MAX		(64u << 10)	/* the most one send skb holds */

static void set_int(int fd, int level, int opt, int val, const char *what)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)))
		die("setsockopt %s=%d: %s", what, val, strerror(errno));
}

static int get_int(int fd, int level, int opt, const char *what)
{
	socklen_t l = sizeof(int);
	int val = 0;

	if (getsockopt(fd, level, opt, &val, &l))
		die("getsockopt %s: %s", what, strerror(errno));
	return val;
}

/* MSG_PEEK the selected repair queue: the receive queue from copied_seq,
 * or the send queue from snd_una.
 */
static uint8_t *peek_queue(int fd, size_t want, size_t *got)
{
	uint8_t *buf = malloc(want ? want : 1);
	ssize_t n;

	if (!buf)
		die("out of memory");
	*got = 0;
	if (!want)
		return buf;
	n = recv(fd, buf, want, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN)
		die("peek repair queue: %s", strerror(errno));
	*got = n > 0 ? (size_t)n : 0;
	return buf;
}

static void sockaddr_to(const struct sockaddr_storage *ss, uint8_t *addr,
			uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		memcpy(addr, &s->sin_addr, 4);
		*port = s->sin_port;
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;

		memcpy(addr, &s->sin6_addr, 16);
		*port = s->sin6_port;
	}
}

/**
 * repair_capture() - freeze an established socket and read its state.
 * @fd: the socket; closed (silently) on return.
 * @ts_recent: the last TSval the harness saw the peer send.
 * @cap: filled; the caller frees it with capture_free().
 *
 * The caller has stopped the peer's frames for this connection from
 * reaching the socket (they are held), so the state cannot move under us.
 * Return: 0, or a negative errno when the socket cannot be repaired.
 */
int repair_capture(int fd, uint32_t ts_recent, struct capture *cap)
{
	struct toe_conn_state *st = &cap->st;
	struct sockaddr_storage la, ra;
	socklen_t l = sizeof(la);
	struct tcp_repair_window w;
	struct tcp_info ti;
	uint32_t rcv_nxt, write_seq, flags = 0;
	int outq, notsent, unread;
	char cc[16] = "";

	memset(cap, 0, sizeof(*cap));
	l = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l))
		die("TCP_INFO: %s", strerror(errno));
	if (ti.tcpi_state != TCP_ESTABLISHED)
		return -EINVAL;
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &(int){ TCP_REPAIR_ON },
		       sizeof(int)))
		return -errno;

	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "recv q");
	rcv_nxt = (uint32_t)get_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, "rcv seq");
	if (ioctl(fd, SIOCINQ, &unread))
		die("SIOCINQ: %s", strerror(errno));
	cap->unread = peek_queue(fd, (size_t)unread, &cap->unread_len);
	if (cap->unread_len != (size_t)unread)
		die("peeked %zu of %d unread bytes", cap->unread_len, unread);

	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "send q");
	write_seq = (uint32_t)get_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ,
				      "send seq");
	if (ioctl(fd, SIOCOUTQ, &outq) || ioctl(fd, SIOCOUTQNSD, &notsent))
		die("SIOCOUTQ: %s", strerror(errno));
	if ((size_t)outq > PEEK_MAX)
		die("send queue of %d bytes", outq);
	/*
	 * Peeking the send queue copies whole skbs, and the first may hold
	 * bytes below snd_una: an ACK inside a one-segment skb does not trim
	 * it (tcp_clean_rtx_queue()), which happens when the engine's
	 * segments ended elsewhere. Room for one more skb; the queue is its
	 * last outq bytes.
	 */
	cap->unacked = peek_queue(fd, (size_t)outq + SKB_MAX, &cap->unacked_len);
	if (cap->unacked_len < (size_t)outq ||
	    cap->unacked_len > (size_t)outq + SKB_MAX)
		die("peeked %zu of %d send-queue bytes", cap->unacked_len,
		    outq);
	if (cap->unacked_len > (size_t)outq) {
		memmove(cap->unacked, cap->unacked + cap->unacked_len - outq,
			(size_t)outq);
		cap->unacked_len = (size_t)outq;
	}
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, "no q");

	l = sizeof(w);
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &l))
		die("TCP_REPAIR_WINDOW: %s", strerror(errno));
	l = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l))
		die("TCP_INFO: %s", strerror(errno));
	l = sizeof(cc);
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &l))
		die("TCP_CONGESTION: %s", strerror(errno));
	l = sizeof(la);
	if (getsockname(fd, (struct sockaddr *)&la, &l))
		die("getsockname: %s", strerror(errno));
	l = sizeof(ra);
	if (getpeername(fd, (struct sockaddr *)&ra, &l))
		die("getpeername: %s", strerror(errno));

	memset(st, 0, sizeof(*st));
	st->version = htole16(TOE_CONN_STATE_VERSION);
	st->size = htole16(sizeof(*st));
	st->family = la.ss_family == AF_INET ? 4 : 6;
	st->state = TOE_TCP_ESTABLISHED;
	sockaddr_to(&la, st->local_addr, &st->local_port);
	sockaddr_to(&ra, st->remote_addr, &st->remote_port);
	if (ti.tcpi_options & TCPI_OPT_SACK)
		flags |= TOE_CS_SACK_OK;
	if (ti.tcpi_options & TCPI_OPT_TIMESTAMPS)
		flags |= TOE_CS_TSTAMP_OK;
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		flags |= TOE_CS_WSCALE_OK;
		st->snd_wscale = ti.tcpi_snd_wscale;
		st->rcv_wscale = ti.tcpi_rcv_wscale;
	}
	if (get_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY"))
		flags |= TOE_CS_NODELAY;
	if (get_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE")) {
		flags |= TOE_CS_KEEPALIVE;
		st->keepalive_time_s = htole32((uint32_t)get_int(fd,
				IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE"));
		st->keepalive_intvl_s = htole32((uint32_t)get_int(fd,
				IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL"));
		st->keepalive_probes = (uint8_t)get_int(fd, IPPROTO_TCP,
				TCP_KEEPCNT, "TCP_KEEPCNT");
	}
	st->flags = htole32(flags);

	st->snd_una = htole32(write_seq - (uint32_t)outq);
	st->snd_nxt = htole32(write_seq - (uint32_t)notsent);
	st->write_seq = htole32(write_seq);
	st->snd_wl1 = htole32(w.snd_wl1);
	st->snd_wnd = htole32(w.snd_wnd);
	st->max_window = htole32(w.max_window);
	st->mss = htole16((uint16_t)ti.tcpi_snd_mss);
	st->adv_mss = htole16((uint16_t)ti.tcpi_advmss);

	st->rcv_nxt = htole32(rcv_nxt);
	st->copied_seq = htole32(rcv_nxt - (uint32_t)unread);
	st->rcv_wnd = htole32(w.rcv_wnd);
	st->rcv_wup = htole32(w.rcv_wup);

	st->ts_recent = htole32(ts_recent);
	st->ts_now = htole32((uint32_t)get_int(fd, IPPROTO_TCP,
					       TCP_TIMESTAMP, "TCP_TIMESTAMP"));
	cap->ts_taken_us = now_us();
	st->srtt_us = htole32(ti.tcpi_rtt);
	st->rttvar_us = htole32(ti.tcpi_rttvar);
	st->rto_us = htole32(ti.tcpi_rto);
	st->snd_cwnd = htole32(ti.tcpi_snd_cwnd);
	st->snd_ssthresh = htole32(ti.tcpi_snd_ssthresh);
	st->ca_state = ti.tcpi_ca_state;
	st->cong_algo = strcmp(cc, "cubic") ? TOE_CC_RENO : TOE_CC_CUBIC;

	/* In repair mode close() sends neither FIN nor RST. */
	close(fd);
	return 0;
}

/*
 * A TSval read at @since_us, moved on to now (rounded up). The peer
 * rejects a segment whose TSval is older than one it has seen (PAWS), so
 * the clock must never step back across a move.
 */
uint32_t ts_advance(uint32_t ts, uint64_t since_us)
{
	return ts + (uint32_t)((now_us() - since_us + 999) / 1000);
}

void capture_free(struct capture *cap)
{
	free(cap->unread);
	free(cap->unacked);
	cap->unread = cap->unacked = NULL;
}

static void send_all(int fd, read_tx_fn read_tx, void *opaque,
		     uint32_t seq, uint32_t len)
{
	static uint8_t buf[256 * 1024];
	ssize_t n;

	while (len) {
		uint32_t chunk = len < sizeof(buf) ? len : sizeof(buf);

		read_tx(opaque, seq, buf, chunk);
		n = send(fd, buf, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			die("restore send queue: %s (%u left)",
			    n < 0 ? strerror(errno) : "0", len);
		seq += (uint32_t)n;
		len -= (uint32_t)n;
	}
}

static void to_sockaddr(uint8_t family, const uint8_t *addr, uint16_t port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		struct sockaddr_in *s = (void *)ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		s->sin_port = port;
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		s->sin6_port = port;
		*len = sizeof(*s);
	}
}

/**
 * repair_restore() - a new kernel socket that carries on from @st.
 * @st: the state the engine returned (ESTABLISHED).
 * @st_time_us: when the engine returned it (st->ts_now was its clock).
 * @read_tx: the application's send data by sequence.
 *
 * The caller still holds the peer's frames for this connection; it
 * releases them once this returns. Return: the socket (non-blocking).
 */
int repair_restore(const struct toe_conn_state *st, uint64_t st_time_us,
		   read_tx_fn read_tx, void *opaque)
{
	uint32_t flags = le32toh(st->flags);
	uint32_t una = le32toh(st->snd_una), nxt = le32toh(st->snd_nxt);
	uint32_t wseq = le32toh(st->write_seq);
	struct tcp_repair_opt opts[4];
	struct sockaddr_storage la, ra;
	struct tcp_repair_window w;
	socklen_t llen, rlen;
	int fd, nopts = 0, notsent;
	uint32_t clamp;

	fd = socket(st->family == 4 ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	set_int(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR");
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	/*
	 * Room for the whole send queue at once (the harness keeps at most
	 * 4 MiB unacknowledged), beyond wmem_max.
	 */
	set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20, "SO_SNDBUFFORCE");
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "send q");
	set_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)una, "send seq");
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "recv q");
	set_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ,
		(int)le32toh(st->rcv_nxt), "recv seq");

	/*
	 * The MSS clamp counts no options; st->mss is payload per segment
	 * with timestamps taken off. TCP_REPAIR_OPTIONS sets the clamp but
	 * only connect() computes the segment size from it, so it goes in
	 * as TCP_MAXSEG (user_mss becomes the clamp at connect) as well.
	 */
	clamp = le16toh(st->mss) + ((flags & TOE_CS_TSTAMP_OK) ? 12 : 0);
	set_int(fd, IPPROTO_TCP, TCP_MAXSEG, (int)clamp, "TCP_MAXSEG");

	to_sockaddr(st->family, st->local_addr, st->local_port, &la, &llen);
	to_sockaddr(st->family, st->remote_addr, st->remote_port, &ra, &rlen);
	if (bind(fd, (struct sockaddr *)&la, llen))
		die("repair bind: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ra, rlen))
		die("repair connect: %s", strerror(errno));

	opts[nopts++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, clamp };
	if (flags & TOE_CS_WSCALE_OK)
		opts[nopts++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
			st->snd_wscale | (uint32_t)st->rcv_wscale << 16 };
	if (flags & TOE_CS_SACK_OK)
		opts[nopts++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED,
							 0 };
	if (flags & TOE_CS_TSTAMP_OK)
		opts[nopts++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts,
		       (socklen_t)(nopts * sizeof(opts[0]))))
		die("TCP_REPAIR_OPTIONS: %s", strerror(errno));

	w = (struct tcp_repair_window){
		.snd_wl1 = le32toh(st->snd_wl1),
		.snd_wnd = le32toh(st->snd_wnd),
		.max_window = le32toh(st->max_window),
		.rcv_wnd = le32toh(st->rcv_wnd),
		.rcv_wup = le32toh(st->rcv_wup),
	};
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)))
		die("TCP_REPAIR_WINDOW: %s", strerror(errno));
	/*
	 * The timestamp clock goes on from where the engine had it. Since
	 * Linux 6.7 the value's low bit asks for a microsecond clock
	 * (tcp_usec_ts), so round up to an even value: a millisecond clock
	 * at most 1 ms ahead, never behind.
	 */
	set_int(fd, IPPROTO_TCP, TCP_TIMESTAMP,
		(int)((ts_advance(le32toh(st->ts_now), st_time_us) + 1) & ~1u),
		"TCP_TIMESTAMP");
	if (flags & TOE_CS_NODELAY)
		set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	if (flags & TOE_CS_KEEPALIVE) {
		set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
		set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE,
			(int)le32toh(st->keepalive_time_s), "TCP_KEEPIDLE");
		set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL,
			(int)le32toh(st->keepalive_intvl_s), "TCP_KEEPINTVL");
		set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, st->keepalive_probes,
			"TCP_KEEPCNT");
	}

	/* Sent but unacknowledged: queued in repair mode, it counts as sent
	 * (in flight, retransmission timer running) without going out.
	 */
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "send q");
	send_all(fd, read_tx, opaque, una, nxt - una);
	if (ioctl(fd, SIOCOUTQNSD, &notsent) || notsent)
		die("restored send queue has %d bytes not sent", notsent);
	set_int(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF, "TCP_REPAIR");

	/* Queued, not yet sent: the kernel sends it as the window allows. */
	send_all(fd, read_tx, opaque, nxt, wseq - nxt);
	return fd;
}

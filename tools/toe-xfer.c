// SPDX-License-Identifier: GPL-2.0
/*
 * toe-xfer - move a known byte stream each way over one TCP connection.
 *
 * Each side sends --bytes of a pseudo-random stream derived from --seed
 * while writing everything it receives to stdout, so both ends can pipe
 * into sha256sum and compare with `toe-xfer --gen` run anywhere:
 *
 *   peer:  toe-xfer --listen 5001 --bytes 64M --seed 2 | sha256sum
 *   guest: toe-xfer --connect 198.18.0.1:5001 --bytes 64M --seed 1 | sha256sum
 *   check: toe-xfer --gen --bytes 64M --seed 1 | sha256sum   (= peer's)
 *
 * The sender shuts down its write side when done (with --fin-last, only
 * once the other side's stream has ended); the receiver runs to EOF.
 * --progress FILE appends "sent received where conn_id" once a second:
 * byte counts, and with --offload-at where the connection lives (host or
 * nic) and its NIC connection id ("-" when unknown); used by tests that
 * must act in the middle of a transfer and by the demo.
 *
 * --offload-at N attaches the "toe" ULP and moves the connection to the
 * NIC once N bytes are sent; --upload-at M brings it home at M. With
 * --cycles C it moves to the NIC and back C times from N on, one move per
 * chunk sent (--cycle-every B: per B bytes sent), and prints how long the
 * moves took (median and worst). At
 * the end the socket's TOE_INFO is printed. A move that fails is an error.
 * Every run ends by printing how many segments the socket retransmitted
 * (TCP_INFO's tcpi_total_retrans).
 *
 * --offload-at-rx N and --upload-at-rx M do the same as the receiver
 * reaches N and M bytes received (for connections mostly receiving).
 *
 * --opts-at N, once N bytes are sent and the connection is on the NIC,
 * sets the options the engine honours (TCP_NODELAY, SO_KEEPALIVE,
 * TCP_KEEPIDLE/INTVL/CNT) and one bad value (TCP_KEEPIDLE 0), and prints
 * where the connection is then and its TCP_INFO twice, a second apart:
 *   toe-xfer: opts where W uploads U bad_keepidle ERRNO
 *   toe-xfer: tcp_info on_nic cwnd C rtt_us R bytes_acked A bytes_received B
 * A single upload (--upload-at, --upload-at-rx) prints the same line
 * ("after_upload") right after it.
 *
 * --pause-at N --resume-file F: once N bytes are sent, the sender waits
 * until the file F exists (the receiver goes on; a move refused for now
 * is tried again meanwhile), so a test can act on an idle connection,
 * then let it finish. --rx-pause-at N does the same for
 * the receiver once N bytes are received (the sender goes on, and the
 * other side soon sees a zero window).
 *
 * --expect SEED:BYTES checks what arrives against the stream of SEED,
 * BYTES long, instead of writing it to stdout, and says so at the end:
 *   toe-xfer: received seed S's N bytes, every one as expected
 * or where it first differed; a difference or a short stream fails the
 * run (EBADMSG).
 *
 * --serve N (with --listen) accepts N connections, each run by a child
 * process of its own as if it were the only one, and waits for them all:
 *   toe-xfer: served N connections, F failed
 * (F > 0 fails the run). The peer side of many short connections.
 *
 * --toe-info prints the TOE_INFO line at the end whatever the options
 * ("toe-xfer: toe none" if the socket does not have the ULP), for tests of
 * the policy, which moves sockets on its own. --forbid gives the socket
 * the ULP and sets TOE_FORBID before any data. --gap-every B --gap-ms MS
 * makes the sender stop for MS milliseconds after each B bytes (idle
 * periods for the policy to see).
 *
 * --urgent-at N sends the stream's byte at offset N on its own with
 * MSG_OOB (TCP urgent data), the rest as usual; --oob-inline sets
 * SO_OOBINLINE, so that such a byte stays in the stream this side reads
 * and the stream checks whole.
 *
 * --uid UID drops to that user and group (no supplementary groups) before
 * making any socket: a user without CAP_NET_ADMIN, for the tests of who
 * may ask for a move.
 *
 * --rate-bins MS counts the bytes received in each MS milliseconds and
 * prints the rate's median, 5th percentile and lowest over the bins (the
 * first and last left out): how deep the stream dipped, seen from this
 * end.
 *
 * --io MODE is how the receiving side waits: read (blocking read(), the
 * default), poll (poll() then a non-blocking read()), epoll-et (epoll,
 * edge-triggered, reading until EAGAIN) or nonblock (non-blocking read()
 * retried after a short sleep). In the last three the socket is
 * O_NONBLOCK and the sender waits for room with poll().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uapi/toe.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define CHUNK (64 * 1024)

struct xfer {
	int fd;
	uint64_t bytes;
	uint64_t seed;
	volatile uint64_t sent;
	volatile uint64_t received;
	int send_err;
	int recv_err;
	int fin_last;		/* shut down writing after the peer's EOF */
	pthread_mutex_t lock;	/* eof, for fin_last */
	pthread_cond_t cond;
	int eof;
	uint64_t offload_at;	/* 0: never */
	uint64_t upload_at;	/* 0: never */
	int moves;		/* moves done by the sender */
	int toe_err;		/* errno of a failed move */
	int cycles;		/* --cycles: moves to the NIC and back */
	uint64_t cycle_every;	/* --cycle-every: bytes sent between moves */
	uint64_t next_move_at;	/* ... so the next one is due here */
	uint64_t *move_ns[2];	/* [0] uploads, [1] offloads, in ns */
	int nmoves[2];
	int unread_max;		/* most bytes unread (SIOCINQ) after a move */
	int io;			/* enum io_mode */
	int retries;		/* moves refused for now, tried again */
	uint64_t offload_rx;	/* --offload-at-rx: 0 never */
	uint64_t upload_rx;	/* --upload-at-rx: 0 never */
	uint64_t opts_at;	/* --opts-at: 0 never */
	uint64_t pause_at;	/* --pause-at: 0 never */
	uint64_t rx_pause_at;	/* --rx-pause-at: 0 never */
	const char *resume_file;	/* --resume-file */
	int expect;		/* --expect: check what arrives, not print it */
	uint64_t expect_seed, expect_bytes;
	uint64_t expect_state;	/* the expected stream's generator */
	unsigned char expect_word[8];	/* its current word ... */
	int expect_used;	/* ... of which this many bytes were compared */
	uint64_t mismatch_at;	/* first byte that differed, +1; 0 none */
	uint64_t bin_ns;	/* --rate-bins: receive bytes per bin of this */
	uint64_t bin_start;	/* the current bin's start, CLOCK_MONOTONIC */
	uint64_t *bins;		/* bytes received in each bin */
	size_t nbins, bins_cap;
	uint64_t gap_every;	/* --gap-every: 0 never */
	uint64_t urgent_at;	/* --urgent-at: 0 never */
	unsigned int gap_ms;	/* --gap-ms */
	uint64_t next_gap_at;
};

enum io_mode { IO_READ, IO_POLL, IO_EPOLL_ET, IO_NONBLOCK };
static const char *const io_names[] = { "read", "poll", "epoll-et", "nonblock" };

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("toe-xfer: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* splitmix64: a stream anyone can regenerate from the seed. */
static uint64_t next_word(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill(uint64_t *state, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t w = next_word(state);

		memcpy(buf + i, &w, len - i < 8 ? len - i : 8);
	}
}

/*
 * --expect: compare @len received bytes with the stream the peer's seed
 * makes, as they come (cheaper than piping them into sha256sum, which
 * under TCG took a vCPU of its own). Returns false at the first
 * difference, recorded in mismatch_at.
 */
static bool expect_check(struct xfer *x, const unsigned char *buf,
			 size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (x->expect_used == 8) {
			uint64_t w = next_word(&x->expect_state);

			memcpy(x->expect_word, &w, 8);
			x->expect_used = 0;
		}
		if (buf[i] != x->expect_word[x->expect_used++]) {
			x->mismatch_at = x->received + i + 1;
			return false;
		}
	}
	return true;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* A non-blocking socket: wait for room. */
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	case '\0': break;
	default: die("bad size '%s'", s);
	}
	if (*end)
		die("bad size '%s'", s);
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* --pause-at, --rx-pause-at: wait until the resume file exists. */
static void wait_resume(struct xfer *x)
{
	while (access(x->resume_file, F_OK))
		usleep(10000);
}

static void print_tcp_info(struct xfer *x, const char *when)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(x->fd, IPPROTO_TCP, TCP_INFO, &ti, &len)) {
		x->toe_err = errno;
		fprintf(stderr, "toe-xfer: TCP_INFO: %s\n", strerror(errno));
		return;
	}
	fprintf(stderr, "toe-xfer: tcp_info %s cwnd %u rtt_us %u bytes_acked %llu"
		" bytes_received %llu\n", when, ti.tcpi_snd_cwnd, ti.tcpi_rtt,
		(unsigned long long)ti.tcpi_bytes_acked,
		(unsigned long long)ti.tcpi_bytes_received);
}

/* What the socket holds unread (SIOCINQ) after a move, the most so far. */
static void note_unread(struct xfer *x)
{
	int n;

	if (!ioctl(x->fd, FIONREAD, &n) && n > x->unread_max)
		x->unread_max = n;
}

/*
 * One move. EAGAIN (out-of-order data held by the kernel) and EBUSY say
 * "not now": the move is tried again before the next chunk.
 */
static void toe_move(struct xfer *x, int on)
{
	uint64_t t0 = now_ns();

	if (setsockopt(x->fd, SOL_TOE, TOE_OFFLOAD, &on, sizeof(on))) {
		if (errno == EAGAIN || errno == EBUSY) {
			x->retries++;
			return;
		}
		x->toe_err = errno;
		fprintf(stderr, "toe-xfer: TOE_OFFLOAD=%d at %llu: %s\n", on,
			(unsigned long long)x->sent, strerror(errno));
	} else if (x->move_ns[on]) {
		x->move_ns[on][x->nmoves[on]++] = now_ns() - t0;
		note_unread(x);
	} else if (!on) {
		print_tcp_info(x, "after_upload");
	}
	x->moves++;
}

/* Moves due before sending more: offload first, then upload. */
static void toe_moves_due(struct xfer *x)
{
	if (!x->offload_at || x->sent < x->offload_at)
		return;
	if (x->cycles) {
		/* One move per chunk: to the NIC, home, to the NIC, ... */
		int done = x->moves;

		if (x->moves < 2 * x->cycles && !x->toe_err &&
		    x->sent >= x->next_move_at) {
			toe_move(x, !(x->moves & 1) ? 1 : 0);
			/*
			 * Refused for now: again at the next chunk. Due
			 * every cycle_every bytes from the first, whatever
			 * chunk each fell in.
			 */
			if (x->moves != done)
				x->next_move_at = (done ? x->next_move_at :
						   x->sent) + x->cycle_every;
		}
		return;
	}
	if (x->moves == 0)
		toe_move(x, 1);
	if (x->upload_at && x->moves == 1 && x->sent >= x->upload_at)
		toe_move(x, 0);
}

/* The same, by bytes received, from the receiver. */
static void toe_moves_due_rx(struct xfer *x)
{
	if (x->offload_rx && x->moves == 0 && x->received >= x->offload_rx)
		toe_move(x, 1);
	if (x->upload_rx && x->moves == 1 && x->received >= x->upload_rx)
		toe_move(x, 0);
}

/* --opts-at: options on the NIC, and what TCP_INFO says meanwhile. */
static void toe_opts(struct xfer *x)
{
	static const struct { int level, name, val; } set[] = {
		{ IPPROTO_TCP, TCP_NODELAY, 1 },
		{ SOL_SOCKET, SO_KEEPALIVE, 1 },
		{ IPPROTO_TCP, TCP_KEEPIDLE, 7 },
		{ IPPROTO_TCP, TCP_KEEPINTVL, 3 },
		{ IPPROTO_TCP, TCP_KEEPCNT, 4 },
	};
	struct toe_info info;
	socklen_t len = sizeof(info);
	int i, zero = 0, bad;

	for (i = 0; i < (int)(sizeof(set) / sizeof(set[0])); i++)
		if (setsockopt(x->fd, set[i].level, set[i].name, &set[i].val,
			       sizeof(int))) {
			x->toe_err = errno;
			fprintf(stderr, "toe-xfer: option %d: %s\n", set[i].name,
				strerror(errno));
		}
	bad = setsockopt(x->fd, IPPROTO_TCP, TCP_KEEPIDLE, &zero,
			 sizeof(zero)) ? errno : 0;
	if (getsockopt(x->fd, SOL_TOE, TOE_INFO, &info, &len))
		die("TOE_INFO: %s", strerror(errno));
	fprintf(stderr, "toe-xfer: opts where %u uploads %u bad_keepidle %d\n",
		info.where, info.uploads, bad);
	print_tcp_info(x, "on_nic");
	sleep(1);
	print_tcp_info(x, "on_nic");
	x->opts_at = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "offload_us median M worst W" for the timed moves of one direction. */
/* --rate-bins: count @n bytes received now in the current bin. */
static void rate_bin_add(struct xfer *x, uint64_t n)
{
	uint64_t t = now_ns();

	if (!x->nbins) {
		x->bin_start = t;
		x->nbins = 1;
	}
	for (; t - x->bin_start >= x->bin_ns; x->bin_start += x->bin_ns)
		x->nbins++;
	if (x->nbins > x->bins_cap) {
		size_t cap = x->bins_cap ? x->bins_cap : 1024;
		uint64_t *b;

		while (cap < x->nbins)
			cap *= 2;
		b = realloc(x->bins, cap * sizeof(*b));
		if (!b) {
			x->bin_ns = 0;		/* stop counting, go on */
			return;
		}
		memset(b + x->bins_cap, 0, (cap - x->bins_cap) * sizeof(*b));
		x->bins = b;
		x->bins_cap = cap;
	}
	x->bins[x->nbins - 1] += n;
}

/*
 * The receive rate over the bins, the first and the last left out (the
 * stream starting and ending): median, 5th percentile and lowest. A move
 * that stalls the stream shows as low bins.
 */
static void report_rate_bins(struct xfer *x)
{
	size_t n = x->nbins > 2 ? x->nbins - 2 : 0, i;
	double ms = x->bin_ns / 1e6, scale;
	uint64_t *v;

	if (!n || !x->bin_ns)
		return;
	v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < n; i++)
		v[i] = x->bins[i + 1];
	qsort(v, n, sizeof(*v), cmp_u64);
	scale = 8 / (ms * 1000);	/* bytes per bin -> Mbit/s */
	fprintf(stderr, "toe-xfer: receive rate per %.0f ms: median %.0f"
		" Mbit/s, 5th percentile %.0f, lowest %.0f (%zu bins)\n", ms,
		v[n / 2] * scale, v[n / 20] * scale, v[0] * scale, n);
	free(v);
}

static void report_moves(struct xfer *x, int on)
{
	int n = x->nmoves[on];

	if (!n)
		return;
	if (on)
		fprintf(stderr, "toe-xfer: unread after a move: at most %d bytes\n",
			x->unread_max);
	qsort(x->move_ns[on], n, sizeof(uint64_t), cmp_u64);
	fprintf(stderr, "toe-xfer: %d %s: median %.1f us, worst %.1f us\n",
		n, on ? "offloads" : "uploads",
		x->move_ns[on][n / 2] / 1000.0, x->move_ns[on][n - 1] / 1000.0);
}

static void toe_report(struct xfer *x)
{
	struct toe_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(x->fd, SOL_TOE, TOE_INFO, &info, &len)) {
		if ((errno == ENOPROTOOPT || errno == EOPNOTSUPP) &&
		    !x->offload_at && !x->offload_rx) {
			fprintf(stderr, "toe-xfer: toe none\n");
			return;
		}
		fprintf(stderr, "toe-xfer: TOE_INFO: %s\n", strerror(errno));
		x->toe_err = errno;
		return;
	}
	fprintf(stderr, "toe-xfer: toe where %u offloads %u uploads %u"
		" refusal %u upload_reason %u nic_sent %llu nic_received %llu\n",
		info.where, info.offloads, info.uploads, info.last_refusal,
		info.last_upload_reason,
		(unsigned long long)info.bytes_sent_nic,
		(unsigned long long)info.bytes_recv_nic);
}

/* One chunk at x->sent, its byte at --urgent-at sent with MSG_OOB. */
static int write_chunk(struct xfer *x, const unsigned char *buf, size_t len)
{
	uint64_t at = x->urgent_at - x->sent;

	if (!x->urgent_at || x->urgent_at < x->sent || at >= len)
		return write_all(x->fd, buf, len);
	if (write_all(x->fd, buf, at))
		return -1;
	while (send(x->fd, buf + at, 1, MSG_OOB) != 1) {
		if (errno != EINTR && errno != EAGAIN)
			return -1;
		usleep(1000);
	}
	return write_all(x->fd, buf + at + 1, len - at - 1);
}

static void *sender(void *arg)
{
	struct xfer *x = arg;
	static unsigned char buf[CHUNK];
	uint64_t state = x->seed;

	while (x->sent < x->bytes) {
		size_t len = x->bytes - x->sent < CHUNK ? x->bytes - x->sent : CHUNK;

		toe_moves_due(x);
		if (x->opts_at && x->sent >= x->opts_at && x->moves)
			toe_opts(x);
		if (x->pause_at && x->sent >= x->pause_at) {
			/* A move refused for now is tried again meanwhile. */
			while (access(x->resume_file, F_OK)) {
				toe_moves_due(x);
				usleep(10000);
			}
			x->pause_at = 0;
		}

		if (x->gap_every && x->sent >= x->next_gap_at) {
			if (x->next_gap_at)
				usleep(x->gap_ms * 1000);
			x->next_gap_at += x->gap_every;
		}
		/* Whole CHUNKs keep the stream independent of write sizes. */
		fill(&state, buf, CHUNK);
		if (write_chunk(x, buf, len)) {
			x->send_err = errno;
			return NULL;
		}
		x->sent += len;
	}
	if (x->fin_last) {
		pthread_mutex_lock(&x->lock);
		while (!x->eof)
			pthread_cond_wait(&x->cond, &x->lock);
		pthread_mutex_unlock(&x->lock);
	}
	if (shutdown(x->fd, SHUT_WR))
		x->send_err = errno;
	return NULL;
}

/* Wait for something to read, the way --io says. */
static void wait_readable(struct xfer *x, int ep)
{
	struct pollfd p = { .fd = x->fd, .events = POLLIN };
	struct epoll_event ev;

	switch (x->io) {
	case IO_POLL:
		poll(&p, 1, -1);
		break;
	case IO_EPOLL_ET:
		epoll_wait(ep, &ev, 1, -1);
		break;
	case IO_NONBLOCK:
		usleep(200);
		break;
	}
}

static void receiver_loop(struct xfer *x)
{
	static unsigned char buf[CHUNK];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep = -1;

	if (x->io == IO_EPOLL_ET) {
		ep = epoll_create1(0);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev)) {
			x->recv_err = errno;
			return;
		}
	}
	if (x->io == IO_POLL)
		wait_readable(x, ep);
	for (;;) {
		ssize_t n = read(x->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && x->io != IO_READ) {
			/* Edge-triggered: only now, with it drained, wait. */
			wait_readable(x, ep);
			continue;
		}
		if (n < 0) {
			x->recv_err = errno;
			return;
		}
		if (n == 0)
			return;
		if (x->expect) {
			if (x->received + n > x->expect_bytes ||
			    !expect_check(x, buf, n)) {
				if (!x->mismatch_at)
					x->mismatch_at = x->expect_bytes + 1;
				x->recv_err = EBADMSG;
				return;
			}
		} else if (write_all(STDOUT_FILENO, buf, n)) {
			x->recv_err = errno;
			return;
		}
		x->received += n;
		if (x->bin_ns)
			rate_bin_add(x, n);
		toe_moves_due_rx(x);
		if (x->rx_pause_at && x->received >= x->rx_pause_at) {
			wait_resume(x);
			x->rx_pause_at = 0;
		}
	}
}

static void *receiver(void *arg)
{
	struct xfer *x = arg;

	receiver_loop(x);
	/* Done, by EOF or error: a --fin-last sender may close now. */
	pthread_mutex_lock(&x->lock);
	x->eof = 1;
	pthread_cond_signal(&x->cond);
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

/* Numeric addresses only: the tool is linked static, without NSS. */
static int do_connect(const char *target)
{
	char host[256], *port;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd = -1, tries;

	snprintf(host, sizeof(host), "%s", target);
	port = strrchr(host, ':');
	if (!port)
		die("--connect wants ADDR:PORT or [V6ADDR]:PORT");
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(atoi(port));
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(atoi(port));
		len = sizeof(*sin6);
	} else {
		die("%s: not a numeric IPv4 or IPv6 address", host);
	}
	/* The peer may still be starting: retry for up to 20 seconds. */
	for (tries = 0; tries < 200; tries++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (!connect(fd, (struct sockaddr *)&ss, len))
			return fd;
		close(fd);
		usleep(100000);
	}
	die("connect %s: %s", target, strerror(errno));
	return -1;
}

/*
 * --serve: accept @serve connections, return each one's socket in a child
 * of its own; the parent waits for them all and exits.
 */
static int serve_all(int lfd, int serve)
{
	int i, fd, status, failed = 0;
	pid_t pid;

	for (i = 0; i < serve; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept: %s", strerror(errno));
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			close(lfd);
			return fd;
		}
		close(fd);
	}
	close(lfd);
	for (i = 0; i < serve; i++) {
		if (wait(&status) < 0)
			die("wait: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	fprintf(stderr, "toe-xfer: served %d connections, %d failed\n", serve,
		failed);
	exit(failed ? 1 : 0);
}

static int do_listen(const char *port, int serve)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int lfd, fd, one = 1, zero = 0;

	sa.sin6_port = htons(atoi(port));
	sa.sin6_addr = in6addr_any;
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, serve ? 128 : 1))
		die("listen on %s: %s", port, strerror(errno));
	if (serve)
		return serve_all(lfd, serve);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	close(lfd);
	return fd;
}

static void usage(void)
{
	fputs("usage: toe-xfer (--connect HOST:PORT | --listen PORT | --gen)\n"
	      "                --bytes N[K|M|G] --seed S [--progress FILE]\n"
	      "                [--fin-last] [--offload-at N [--upload-at M |\n"
	      "                --cycles C [--cycle-every B]]]\n"
	      "                [--offload-at-rx N [--upload-at-rx M]]\n"
	      "                [--io read|poll|epoll-et|nonblock] [--opts-at N]\n"
	      "                [--pause-at N | --rx-pause-at N] [--resume-file F]\n"
	      "                [--expect SEED:BYTES] [--rate-bins MS]\n"
	      "                [--serve N] [--toe-info] [--forbid]\n"
	      "                [--gap-every B --gap-ms MS]\n"
	      "                [--urgent-at N] [--oob-inline] [--uid UID]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "gen", no_argument, NULL, 'g' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "progress", required_argument, NULL, 'p' },
		{ "fin-last", no_argument, NULL, 'f' },
		{ "offload-at", required_argument, NULL, 'o' },
		{ "upload-at", required_argument, NULL, 'u' },
		{ "cycles", required_argument, NULL, 'C' },
		{ "cycle-every", required_argument, NULL, 'E' },
		{ "offload-at-rx", required_argument, NULL, 'O' },
		{ "upload-at-rx", required_argument, NULL, 'U' },
		{ "io", required_argument, NULL, 'i' },
		{ "opts-at", required_argument, NULL, 'P' },
		{ "pause-at", required_argument, NULL, 'z' },
		{ "resume-file", required_argument, NULL, 'Z' },
		{ "rx-pause-at", required_argument, NULL, 'y' },
		{ "expect", required_argument, NULL, 'e' },
		{ "rate-bins", required_argument, NULL, 'R' },
		{ "serve", required_argument, NULL, 'S' },
		{ "toe-info", no_argument, NULL, 'I' },
		{ "forbid", no_argument, NULL, 'F' },
		{ "gap-every", required_argument, NULL, 'G' },
		{ "gap-ms", required_argument, NULL, 'M' },
		{ "urgent-at", required_argument, NULL, 'u' + 256 },
		{ "oob-inline", no_argument, NULL, 'i' + 256 },
		{ "uid", required_argument, NULL, 'x' },
		{ }
	};
	const char *connect_to = NULL, *listen_on = NULL, *progress = NULL;
	struct xfer x = {
		.fd = -1,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	pthread_t ts, tr;
	int gen = 0, opt, serve = 0, toe_info = 0, forbid = 0, oob_inline = 0;
	int want_moves;
	long uid = -1;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': connect_to = optarg; break;
		case 'l': listen_on = optarg; break;
		case 'g': gen = 1; break;
		case 'b': x.bytes = parse_size(optarg); break;
		case 's': x.seed = strtoull(optarg, NULL, 0); break;
		case 'p': progress = optarg; break;
		case 'f': x.fin_last = 1; break;
		case 'o': x.offload_at = parse_size(optarg); break;
		case 'u': x.upload_at = parse_size(optarg); break;
		case 'C': x.cycles = atoi(optarg); break;
		case 'E': x.cycle_every = parse_size(optarg); break;
		case 'R': x.bin_ns = strtoull(optarg, NULL, 0) * 1000000; break;
		case 'O': x.offload_rx = parse_size(optarg); break;
		case 'U': x.upload_rx = parse_size(optarg); break;
		case 'P': x.opts_at = parse_size(optarg); break;
		case 'z': x.pause_at = parse_size(optarg); break;
		case 'Z': x.resume_file = optarg; break;
		case 'y': x.rx_pause_at = parse_size(optarg); break;
		case 'S': serve = atoi(optarg); break;
		case 'I': toe_info = 1; break;
		case 'F': forbid = 1; break;
		case 'G': x.gap_every = parse_size(optarg); break;
		case 'M': x.gap_ms = atoi(optarg); break;
		case 'u' + 256: x.urgent_at = parse_size(optarg); break;
		case 'i' + 256: oob_inline = 1; break;
		case 'e': {
			char *colon = strchr(optarg, ':');

			if (!colon)
				die("--expect wants SEED:BYTES");
			*colon = '\0';
			x.expect = 1;
			x.expect_seed = strtoull(optarg, NULL, 0);
			x.expect_bytes = parse_size(colon + 1);
			x.expect_state = x.expect_seed;
			x.expect_used = 8;
			break;
		}
		case 'x':
			uid = strtol(optarg, NULL, 0);
			break;
		case 'i':
			for (x.io = 0; x.io < 4; x.io++)
				if (!strcmp(optarg, io_names[x.io]))
					break;
			if (x.io == 4)
				die("--io: read, poll, epoll-et or nonblock");
			break;
		default: usage();
		}
	}
	if (!!connect_to + !!listen_on + gen != 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (uid >= 0 && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			 setresuid(uid, uid, uid)))
		die("--uid %ld: %s", uid, strerror(errno));

	if (gen) {
		x.fd = STDOUT_FILENO;
		sender(&x);
		return x.send_err && x.send_err != ENOTSOCK ? 1 : 0;
	}

	if (serve < 0 || (serve && !listen_on))
		die("--serve wants a count and --listen");
	if (!x.gap_every != !x.gap_ms)
		die("--gap-every and --gap-ms go together");
	x.fd = connect_to ? do_connect(connect_to) :
			    do_listen(listen_on, serve);
	if (!(x.pause_at || x.rx_pause_at) != !x.resume_file)
		die("--pause-at and --rx-pause-at go with --resume-file");
	if (x.opts_at && (!x.offload_at || x.opts_at < x.offload_at))
		die("--opts-at wants --offload-at before it");
	if (x.upload_at && x.upload_at <= x.offload_at)
		die("--upload-at must come after --offload-at");
	if (x.cycles && (x.upload_at || !x.offload_at || x.cycles < 0))
		die("--cycles wants --offload-at and no --upload-at");
	if (x.cycle_every && !x.cycles)
		die("--cycle-every goes with --cycles");
	if (x.cycles) {
		x.move_ns[0] = calloc(x.cycles, sizeof(uint64_t));
		x.move_ns[1] = calloc(x.cycles, sizeof(uint64_t));
		if (!x.move_ns[0] || !x.move_ns[1])
			die("out of memory");
	}
	if (x.io != IO_READ &&
	    fcntl(x.fd, F_SETFL, fcntl(x.fd, F_GETFL) | O_NONBLOCK))
		die("O_NONBLOCK: %s", strerror(errno));
	if (x.offload_rx && (x.offload_at ||
			     (x.upload_rx && x.upload_rx <= x.offload_rx)))
		die("--offload-at-rx: not with --offload-at; --upload-at-rx after it");
	if (oob_inline && setsockopt(x.fd, SOL_SOCKET, SO_OOBINLINE,
				     &oob_inline, sizeof(oob_inline)))
		die("SO_OOBINLINE: %s", strerror(errno));
	if ((x.offload_at || x.offload_rx || forbid) &&
	    setsockopt(x.fd, IPPROTO_TCP, TCP_ULP, "toe", sizeof("toe")))
		die("TCP_ULP toe: %s (is toe.ko loaded?)", strerror(errno));
	if (forbid && setsockopt(x.fd, SOL_TOE, TOE_FORBID, &forbid,
				 sizeof(forbid)))
		die("TOE_FORBID: %s", strerror(errno));
	if (pthread_create(&ts, NULL, sender, &x) ||
	    pthread_create(&tr, NULL, receiver, &x))
		die("pthread_create failed");
	if (progress) {
		/* Report once a second until the receive side reaches EOF. */
		do {
			FILE *f = fopen(progress, "a");

			if (f) {
				struct toe_info info;
				socklen_t len = sizeof(info);
				int ok = (x.offload_at || x.offload_rx) &&
					 !getsockopt(x.fd, SOL_TOE, TOE_INFO,
						     &info, &len);

				fprintf(f, "%llu %llu %s ",
					(unsigned long long)x.sent,
					(unsigned long long)x.received,
					!ok ? "-" : info.where ? "nic" : "host");
				if (ok && info.where)
					fprintf(f, "%u\n", info.conn_id);
				else
					fprintf(f, "-\n");
				fclose(f);
			}
		} while (pthread_tryjoin_np(tr, NULL) && !sleep(1));
	} else {
		pthread_join(tr, NULL);
	}
	pthread_join(ts, NULL);
	if (x.offload_at || x.offload_rx || toe_info)
		toe_report(&x);
	report_moves(&x, 1);
	report_moves(&x, 0);
	report_rate_bins(&x);
	if (x.retries)
		fprintf(stderr, "toe-xfer: %d moves refused for now (EAGAIN,"
			" EBUSY) and tried again\n", x.retries);
	/*
	 * A move asked for and refused "for now" to the end of the stream
	 * never happened: that is a failure, not a transfer that succeeded.
	 */
	want_moves = x.cycles ? 2 * x.cycles :
		!!(x.offload_at || x.offload_rx) + !!(x.upload_at || x.upload_rx);
	if (x.moves < want_moves && !x.toe_err) {
		fprintf(stderr, "toe-xfer: only %d of %d moves before the end"
			" (%d refused for now)\n", x.moves, want_moves,
			x.retries);
		x.toe_err = EAGAIN;
	}
	{
		/* The kernel's own count: how often this side retransmitted. */
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (!getsockopt(x.fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
			fprintf(stderr, "toe-xfer: retransmitted %u segments\n",
				ti.tcpi_total_retrans);
	}
	close(x.fd);
	fprintf(stderr, "toe-xfer: sent %llu received %llu\n",
		(unsigned long long)x.sent, (unsigned long long)x.received);
	if (x.send_err)
		fprintf(stderr, "toe-xfer: send: %s\n", strerror(x.send_err));
	if (x.recv_err)
		fprintf(stderr, "toe-xfer: receive: %s\n", strerror(x.recv_err));
	if (x.expect && x.mismatch_at) {
		fprintf(stderr, "toe-xfer: received stream differs from seed"
			" %llu's at byte %llu\n",
			(unsigned long long)x.expect_seed,
			(unsigned long long)x.mismatch_at - 1);
	} else if (x.expect && x.received != x.expect_bytes) {
		fprintf(stderr, "toe-xfer: received %llu bytes of seed %llu's"
			" %llu\n", (unsigned long long)x.received,
			(unsigned long long)x.expect_seed,
			(unsigned long long)x.expect_bytes);
		x.recv_err = EBADMSG;
	} else if (x.expect) {
		fprintf(stderr, "toe-xfer: received seed %llu's %llu bytes,"
			" every one as expected\n",
			(unsigned long long)x.expect_seed,
			(unsigned long long)x.received);
	}
	return x.send_err || x.recv_err || x.toe_err || x.sent != x.bytes;
}

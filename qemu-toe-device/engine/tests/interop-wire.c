/*
 * interop-wire.c - the harness's wire: TAP devices in two namespaces,
 * packet parsing, and seeded loss, duplication and reordering.
 *
 * The harness opens each namespace's TAP (created beforehand by the test
 * script, persistent, IFF_TAP | IFF_NO_PI) from inside that namespace,
 * because the tun driver looks the name up in the namespace of the opener.
 * Frames pass between them unchanged, like a cable, except for the faults
 * the caller asked for; struct wire applies those to one direction.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "interop.h"

int ns_enter(const char *netns)
{
	char path[256];
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return rc;
}

/* Attach to TAP @ifname in @netns; the harness stays in @netns after. */
int tap_open(const char *netns, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd, sfd, rc;

	rc = ns_enter(netns);
	if (rc)
		die("cannot enter netns %s: %s", netns, strerror(-rc));
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		die("/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr))
		die("TUNSETIFF %s in %s: %s", ifname, netns, strerror(errno));

	/* The stack's own MAC for the device: frames to it carry it. */
	sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sfd < 0 || ioctl(sfd, SIOCGIFHWADDR, &ifr))
		die("SIOCGIFHWADDR %s: %s", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(sfd);
	return fd;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP checksum of the segment at @tcp, over the pseudo-header. */
static uint16_t tcp_csum(const struct pkt_info *pi, const uint8_t *tcp,
			 size_t tcp_len)
{
	size_t alen = pi->family == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = csum_add(sum, pi->saddr, alen);
	sum = csum_add(sum, pi->daddr, alen);
	sum += 6 + (uint32_t)tcp_len;
	if (pi->family == 6)
		sum += (uint32_t)(tcp_len >> 16);
	sum = csum_add(sum, tcp, tcp_len);
	return csum_fold(sum);
}

/*
 * Parse an IPv4 or IPv6 packet carrying TCP. Only what the harness needs:
 * the 4-tuple, sequence numbers, flags, payload length and where TSval
 * is. IPv6 extension headers and IPv4 fragments are not TCP to us.
 */
bool pkt_parse(const uint8_t *ip, size_t len, struct pkt_info *pi)
{
	size_t ihl, tot, thl, o;
	const uint8_t *t;

	memset(pi, 0, sizeof(*pi));
	if (len < 20)
		return false;
	if (ip[0] >> 4 == 4) {
		ihl = (size_t)(ip[0] & 15) * 4;
		tot = (size_t)ip[2] << 8 | ip[3];
		if (ihl < 20 || tot < ihl || tot > len || ip[9] != 6 ||
		    (ip[6] & 0x3f) || ip[7])
			return false;
		pi->family = 4;
		pi->saddr = ip + 12;
		pi->daddr = ip + 16;
	} else if (ip[0] >> 4 == 6) {
		if (len < 40 || ip[6] != 6)
			return false;
		ihl = 40;
		tot = 40 + ((size_t)ip[4] << 8 | ip[5]);
		if (tot > len)
			return false;
		pi->family = 6;
		pi->saddr = ip + 8;
		pi->daddr = ip + 24;
	} else {
		return false;
	}
	if (tot < ihl + 20)
		return false;
	t = ip + ihl;
	thl = (size_t)(t[12] >> 4) * 4;
	if (thl < 20 || ihl + thl > tot)
		return false;
	pi->tcp_off = ihl;
	memcpy(&pi->sport, t, 2);
	memcpy(&pi->dport, t + 2, 2);
	pi->seq = (uint32_t)t[4] << 24 | t[5] << 16 | t[6] << 8 | t[7];
	pi->ack = (uint32_t)t[8] << 24 | t[9] << 16 | t[10] << 8 | t[11];
	pi->flags = t[13];
	pi->len = (uint32_t)(tot - ihl - thl);
	for (o = 20; o < thl;) {
		uint8_t kind = t[o], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= thl)
			break;
		olen = t[o + 1];
		if (olen < 2 || o + olen > thl)
			break;
		if (kind == 8 && olen == 10) {
			pi->ts_off = ihl + o + 2;
			pi->tsval = (uint32_t)t[o + 2] << 24 | t[o + 3] << 16 |
				    t[o + 4] << 8 | t[o + 5];
		}
		o += olen;
	}
	return true;
}

/* Rewrite a parsed packet's TSval and its TCP checksum. */
void pkt_set_tsval(uint8_t *ip, size_t len, const struct pkt_info *pi,
		   uint32_t tsval)
{
	uint8_t *t = ip + pi->tcp_off;
	size_t tcp_len = (size_t)(t[12] >> 4) * 4 + pi->len;
	uint16_t sum;

	if (!pi->ts_off)
		return;
	ip[pi->ts_off] = tsval >> 24;
	ip[pi->ts_off + 1] = tsval >> 16;
	ip[pi->ts_off + 2] = tsval >> 8;
	ip[pi->ts_off + 3] = tsval;
	t[16] = t[17] = 0;
	sum = tcp_csum(pi, t, tcp_len);
	t[16] = sum >> 8;
	t[17] = sum & 0xff;
}

static bool addr_eq(uint8_t family, const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, family == 4 ? 4 : 16);
}

/* A packet from the peer (B) to the connection's local end (A). */
bool tuple_match_in(const struct tuple *t, const struct pkt_info *pi)
{
	return pi->family == t->family && pi->sport == t->rport &&
	       pi->dport == t->lport && addr_eq(t->family, pi->saddr, t->raddr) &&
	       addr_eq(t->family, pi->daddr, t->laddr);
}

/* A packet from the connection's local end (A) to the peer. */
bool tuple_match_out(const struct tuple *t, const struct pkt_info *pi)
{
	return pi->family == t->family && pi->sport == t->lport &&
	       pi->dport == t->rport && addr_eq(t->family, pi->saddr, t->laddr) &&
	       addr_eq(t->family, pi->daddr, t->raddr);
}

/* splitmix64, seeded per direction: the same seed, the same faults. */
static double rng_unit(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / (double)(1ull << 53);
}

void wire_init(struct wire *w, int dir, const struct fault_cfg *f,
	       struct wire_stats *stats,
	       void (*deliver)(void *, const uint8_t *, size_t), void *opaque)
{
	memset(w, 0, sizeof(*w));
	w->dir = dir;
	w->faults = *f;
	w->rng = f->seed * 2 + (uint64_t)dir;
	w->deliver = deliver;
	w->opaque = opaque;
	w->stats = stats;
}

/*
 * A frame is kept back for reordering at most this long. Less than the
 * 1 ms tick of Linux's TCP timestamps: the frame that overtakes it carries
 * a TSval at most one tick newer, which PAWS tolerates (TCP_PAWS_WINDOW),
 * so the peer's PAWS counter still speaks only of the sender's clock.
 * That is by the harness's clock, though, and a frame the kernel sent
 * may reach the harness late (a slow loop under ASan): wire_send() also
 * lets the held frame go first when the next one's TSval is two ticks or
 * more newer.
 */
#define REORDER_HOLD_US		900

/* The TSval of an IP frame, or false if it has none. */
static bool frame_tsval(const uint8_t *frame, size_t len, uint32_t *tsval)
{
	struct pkt_info pi;

	if (len <= ETH_HLEN_ || !pkt_parse(frame + ETH_HLEN_, len - ETH_HLEN_,
					   &pi) || !pi.ts_off)
		return false;
	*tsval = pi.tsval;
	return true;
}

/* Would @frame overtaking the held one be a PAWS drop at the peer? */
static bool overtake_too_new(const struct wire *w, const uint8_t *frame,
			     size_t len)
{
	uint32_t held, next;

	return w->held_len && frame_tsval(w->held, w->held_len, &held) &&
	       frame_tsval(frame, len, &next) && (int32_t)(next - held) > 1;
}

/* Release a frame kept back for reordering once it waited long enough. */
void wire_flush(struct wire *w, uint64_t now, bool force)
{
	if (!w->held_len ||
	    (!force && now - w->held_since_us < REORDER_HOLD_US))
		return;
	w->deliver(w->opaque, w->held, w->held_len);
	w->held_len = 0;
}

/*
 * Put @frame on this direction of the wire. Faults apply only to IP
 * frames, so ARP and neighbour discovery always work: a lost frame is
 * gone, a duplicated one arrives twice, a reordered one is kept back and
 * arrives after the next frame sent within REORDER_HOLD_US (or then).
 */
void wire_send(struct wire *w, const uint8_t *frame, size_t len,
	       uint64_t now)
{
	uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
	bool ip = len > ETH_HLEN_ && (type == 0x0800 || type == 0x86dd);
	const struct fault_cfg *f = &w->faults;

	w->stats->frames[w->dir]++;
	wire_flush(w, now, overtake_too_new(w, frame, len));
	if (ip && f->loss > 0 && rng_unit(&w->rng) < f->loss) {
		w->stats->lost[w->dir]++;
		return;
	}
	if (ip && f->reorder > 0 && !w->held_len && len <= FRAME_MAX &&
	    rng_unit(&w->rng) < f->reorder) {
		memcpy(w->held, frame, len);
		w->held_len = len;
		w->held_since_us = now;
		w->stats->reordered[w->dir]++;
		return;
	}
	w->deliver(w->opaque, frame, len);
	if (ip && f->dup > 0 && rng_unit(&w->rng) < f->dup) {
		w->stats->duped[w->dir]++;
		w->deliver(w->opaque, frame, len);
	}
	wire_flush(w, now, true);
}

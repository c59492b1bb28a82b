/*
 * wire.c - IPv4/IPv6 + TCP packets: parse what arrives, build what leaves.
 *
 * Every length and offset in an arriving packet is checked before it is
 * used (ARCHITECTURE.md invariant 5): the wire is hostile.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "engine-int.h"

#define IPPROTO_ICMP_NUM	1
#define IPPROTO_TCP_NUM		6
#define IPPROTO_ICMPV6_NUM	58
#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_MSS	2
#define TCPOPT_WS	3
#define TCPOPT_SACKOK	4
#define TCPOPT_SACK	5
#define TCPOPT_TS	8
#define TCPOPT_MD5	19
#define TCPOPT_AO	29
#define TCPOPT_MPTCP	30

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Ones'-complement sum of @len bytes, folded later. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* TCP checksum over the pseudo-header (RFC 9293, RFC 8200 8.1). */
static uint16_t tcp_csum(uint8_t family, const uint8_t *saddr,
			 const uint8_t *daddr, const uint8_t *tcp,
			 size_t len)
{
	size_t alen = family == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = csum_add(sum, saddr, alen);
	sum = csum_add(sum, daddr, alen);
	sum += IPPROTO_TCP_NUM;
	sum += (uint32_t)len;
	sum = csum_add(sum, tcp, len);
	return csum_fold(sum);
}

static int parse_options(const uint8_t *p, size_t len, struct toe_seg *seg)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > len)
			return -EINVAL;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			return -EINVAL;
		switch (kind) {
		case TCPOPT_TS:
			if (olen != 10)
				return -EINVAL;
			seg->has_ts = true;
			seg->tsval = rd32(p + i + 2);
			seg->tsecr = rd32(p + i + 6);
			break;
		case TCPOPT_SACK: {
			unsigned int n = (olen - 2) / 8, k;

			if ((olen - 2) % 8 || n == 0 || n > TCP_MAX_SACK_BLOCKS)
				return -EINVAL;
			for (k = 0; k < n; k++) {
				seg->sacks[k][0] = rd32(p + i + 2 + 8 * k);
				seg->sacks[k][1] = rd32(p + i + 6 + 8 * k);
			}
			seg->num_sacks = n;
			break;
		}
		case TCPOPT_MSS:
		case TCPOPT_WS:
		case TCPOPT_SACKOK:
			seg->syn_opts = true;
			break;
		case TCPOPT_MD5:
		case TCPOPT_AO:
		case TCPOPT_MPTCP:
			/*
			 * Security and multipath options change what a
			 * segment means; only the host stack knows them.
			 */
			seg->unhandled_opt = true;
			break;
		default:
			break;	/* RFC 9293 3.1: ignore unknown options */
		}
		i += olen;
	}
	return 0;
}

/**
 * toe_parse() - check and take apart an IP packet carrying TCP.
 * Return: 0, -ENOPROTOOPT if it is well-formed but not TCP the engine
 * could own (another protocol, IPv6 extension headers, IPv4 fragments),
 * or -EINVAL if it is malformed or its checksums are wrong.
 */
/* The IP layer of an arriving packet, checked. */
struct ip_view {
	uint8_t family;
	const uint8_t *saddr, *daddr;	/* 4 or 16 bytes each, adjacent */
	uint8_t proto;
	bool frag;			/* IPv4 fragment: not ours */
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * IPv4 (header checksum, lengths) or IPv6 without extension headers.
 * Return: 0, or -EINVAL if the packet is malformed.
 */
static int parse_ip(const uint8_t *pkt, size_t len, struct ip_view *ip)
{
	if (len >= 1 && pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 0xf) * 4, tot;

		if (len < 20 || ihl < 20 || ihl > len)
			return -EINVAL;
		tot = rd16(pkt + 2);
		if (tot < ihl || tot > len)
			return -EINVAL;
		if (csum_fold(csum_add(0, pkt, ihl)) != 0)
			return -EINVAL;
		ip->family = 4;
		ip->saddr = pkt + 12;
		ip->daddr = pkt + 16;
		ip->proto = pkt[9];
		ip->frag = rd16(pkt + 6) & 0x3fff;
		ip->payload = pkt + ihl;
		ip->payload_len = tot - ihl;
		return 0;
	}
	if (len >= 1 && pkt[0] >> 4 == 6) {
		size_t plen;

		if (len < 40)
			return -EINVAL;
		plen = rd16(pkt + 4);
		if (40 + plen > len)
			return -EINVAL;
		ip->family = 6;
		ip->saddr = pkt + 8;
		ip->daddr = pkt + 24;
		ip->proto = pkt[6];
		ip->frag = false;
		ip->payload = pkt + 40;
		ip->payload_len = plen;
		return 0;
	}
	return -EINVAL;
}

int toe_parse(const uint8_t *pkt, size_t len, struct toe_seg *seg)
{
	const uint8_t *tcp;
	size_t tcp_len, hlen;
	struct ip_view ip;
	int ret;

	memset(seg, 0, sizeof(*seg));
	ret = parse_ip(pkt, len, &ip);
	if (ret)
		return ret;
	if (ip.proto != IPPROTO_TCP_NUM || ip.frag)
		return -ENOPROTOOPT;
	seg->family = ip.family;
	seg->saddr = ip.saddr;
	seg->daddr = ip.daddr;
	tcp = ip.payload;
	tcp_len = ip.payload_len;

	if (tcp_len < 20)
		return -EINVAL;
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < 20 || hlen > tcp_len)
		return -EINVAL;
	if (tcp_csum(seg->family, seg->saddr, seg->daddr, tcp, tcp_len) != 0)
		return -EINVAL;
	memcpy(&seg->sport, tcp, 2);	/* ports stay in network order */
	memcpy(&seg->dport, tcp + 2, 2);
	seg->seq = rd32(tcp + 4);
	seg->ack = rd32(tcp + 8);
	seg->flags = tcp[13] & 0x3f;
	seg->wnd = rd16(tcp + 14);
	seg->urg_ptr = rd16(tcp + 18);
	seg->data = tcp + hlen;
	seg->len = (uint32_t)(tcp_len - hlen);
	return parse_options(tcp + 20, hlen - 20, seg);
}

/**
 * toe_parse_icmp_ptb() - an ICMP error saying our segment was too big.
 *
 * ICMPv4 type 3 code 4 (RFC 1191) or ICMPv6 type 2 (RFC 8201), with a
 * right checksum and a quoted IP header and at least the first 8 bytes of
 * a TCP header. Return: 0 and @ptb filled, or -ENOPROTOOPT for anything
 * else (the caller passes the packet on).
 */
int toe_parse_icmp_ptb(const uint8_t *pkt, size_t len,
		       struct toe_icmp_ptb *ptb)
{
	const uint8_t *icmp, *in;
	size_t icmp_len, ihl;
	struct ip_view ip;
	uint32_t sum;

	memset(ptb, 0, sizeof(*ptb));
	if (parse_ip(pkt, len, &ip) || ip.frag)
		return -ENOPROTOOPT;
	icmp = ip.payload;
	icmp_len = ip.payload_len;
	if (ip.family == 4) {
		if (ip.proto != IPPROTO_ICMP_NUM || icmp_len < 8 + 20 + 8 ||
		    icmp[0] != 3 || icmp[1] != 4)
			return -ENOPROTOOPT;
		sum = 0;
	} else {
		if (ip.proto != IPPROTO_ICMPV6_NUM || icmp_len < 8 + 40 + 8 ||
		    icmp[0] != 2 || icmp[1] != 0)
			return -ENOPROTOOPT;
		/* RFC 8200 8.1 pseudo-header: the addresses are adjacent. */
		sum = csum_add(0, ip.saddr, 32) + (uint32_t)icmp_len +
		      IPPROTO_ICMPV6_NUM;
	}
	if (csum_fold(csum_add(sum, icmp, icmp_len)) != 0)
		return -ENOPROTOOPT;
	in = icmp + 8;
	if (ip.family == 4) {
		ihl = (size_t)(in[0] & 0xf) * 4;
		if (in[0] >> 4 != 4 || ihl < 20 || icmp_len - 8 < ihl + 8 ||
		    in[9] != IPPROTO_TCP_NUM)
			return -ENOPROTOOPT;
		ptb->laddr = in + 12;
		ptb->raddr = in + 16;
		ptb->mtu = rd16(icmp + 6);
	} else {
		ihl = 40;
		if (in[0] >> 4 != 6 || in[6] != IPPROTO_TCP_NUM)
			return -ENOPROTOOPT;
		ptb->laddr = in + 8;
		ptb->raddr = in + 24;
		ptb->mtu = rd32(icmp + 4);
	}
	ptb->family = ip.family;
	memcpy(&ptb->lport, in + ihl, 2);
	memcpy(&ptb->rport, in + ihl + 2, 2);
	ptb->seq = rd32(in + ihl + 4);
	return 0;
}

uint32_t toe_tsval(const struct toe_conn *c, uint64_t now_us)
{
	return c->ts_base + (uint32_t)((now_us - c->ts_base_us) / 1000);
}

static size_t put_options(struct toe_conn *c, const struct toe_xmit *x,
			  uint8_t *o, uint64_t now_us)
{
	size_t n = 0;

	if (c->ts_ok) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_TS;
		o[n++] = 10;
		wr32(o + n, x->as_peer ? x->tsval : toe_tsval(c, now_us));
		wr32(o + n + 4, x->as_peer ? x->tsecr : c->ts_recent);
		n += 8;
	}
	if (x->sack && c->sack_ok && !x->as_peer) {
		uint32_t blocks[TCP_MAX_SACK_BLOCKS][2];
		int k, nb;

		nb = toe_rq_sack_blocks(c, blocks, c->ts_ok ? 3 : 4);
		if (nb > 0) {
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_SACK;
			o[n++] = (uint8_t)(2 + 8 * nb);
			for (k = 0; k < nb; k++) {
				wr32(o + n, blocks[k][0]);
				wr32(o + n + 4, blocks[k][1]);
				n += 8;
			}
		}
	}
	return n;
}

/**
 * toe_build() - build one segment of connection @c and put it on the wire.
 *
 * Segments the engine sends carry ACK with rcv_nxt and the current
 * window, so every one of them also acknowledges: the delayed-ACK state
 * is cleared here. Return: 0, or -EIO when the host could not supply the
 * payload (nothing is sent).
 */
int toe_build(struct toe_engine *eng, struct toe_conn *c,
	      const struct toe_xmit *x, uint64_t now_us)
{
	uint8_t *p = eng->pkt, *tcp;
	size_t iph = c->family == 4 ? 20 : 40, alen = c->family == 4 ? 4 : 16;
	size_t optlen, tcp_len;
	const uint8_t *src = x->as_peer ? c->raddr : c->laddr;
	const uint8_t *dst = x->as_peer ? c->laddr : c->raddr;
	uint16_t wnd;

	tcp = p + iph;
	optlen = put_options(c, x, tcp + 20, now_us);
	tcp_len = 20 + optlen + x->len;
	if (x->len) {
		if (x->data) {
			memcpy(tcp + 20 + optlen, x->data, x->len);
		} else if (eng->ops.read_send(eng->opaque, c->handle, x->seq,
					      tcp + 20 + optlen, x->len)) {
			toe_report(eng, c, TOE_ENG_EV_ERROR, -EIO);
			return -EIO;
		}
	}

	memcpy(tcp, x->as_peer ? &c->rport : &c->lport, 2);
	memcpy(tcp + 2, x->as_peer ? &c->lport : &c->rport, 2);
	wr32(tcp + 4, x->seq);
	wr32(tcp + 8, x->as_peer ? x->ack : c->rcv_nxt);
	tcp[12] = (uint8_t)((20 + optlen) / 4) << 4;
	tcp[13] = x->flags;
	wnd = x->as_peer ? x->wnd : toe_rcv_wnd_field(c);
	wr16(tcp + 14, wnd);
	wr16(tcp + 16, 0);
	wr16(tcp + 18, 0);
	wr16(tcp + 16, tcp_csum(c->family, src, dst, tcp, tcp_len));

	if (c->family == 4) {
		p[0] = 0x45;
		p[1] = 0;
		wr16(p + 2, (uint16_t)(iph + tcp_len));
		wr16(p + 4, eng->ip_id++);
		wr16(p + 6, 0x4000);	/* DF: path MTU discovery */
		p[8] = 64;
		p[9] = IPPROTO_TCP_NUM;
		wr16(p + 10, 0);
		memcpy(p + 12, src, alen);
		memcpy(p + 16, dst, alen);
		wr16(p + 10, csum_fold(csum_add(0, p, 20)));
	} else {
		wr32(p, 6u << 28);
		wr16(p + 4, (uint16_t)tcp_len);
		p[6] = IPPROTO_TCP_NUM;
		p[7] = 64;
		memcpy(p + 8, src, alen);
		memcpy(p + 24, dst, alen);
	}

	if (x->as_peer) {
		eng->ops.held_pkt(eng->opaque, c->handle, p, iph + tcp_len);
		return 0;
	}
	eng->ops.xmit(eng->opaque, p, iph + tcp_len);
	eng->stats.segs_out++;
	eng->stats.bytes_out += x->len;
	if (x->flags & TH_ACK) {
		c->ack_pending = 0;
		c->ack_now = false;
		toe_timer_set(c, TOE_T_DELACK, TOE_T_OFF);
	}
	return 0;
}

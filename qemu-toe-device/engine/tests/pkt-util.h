/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkt-util.h - byte order and checksum helpers for the engine's tests,
 * which build and parse packets themselves rather than trust the
 * engine's own code for it (qemu-toe-device/engine/wire.c).
 */
#ifndef TOE_TESTS_PKT_UTIL_H
#define TOE_TESTS_PKT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += rd16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static inline uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 9293 3.1 (IPv4) and RFC 8200 8.1 (IPv6) pseudo-headers. */
static inline uint16_t tcp_csum(int family, const uint8_t *src, const uint8_t *dst,
			 const uint8_t *tcp, size_t len)
{
	size_t alen = family == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = sum16(sum, src, alen);
	sum = sum16(sum, dst, alen);
	sum += 6;
	sum += (uint32_t)len;
	sum = sum16(sum, tcp, len);
	return fold(sum);
}

/*
 * An ICMP "too big" error quoting a TCP segment from @laddr:@lport to
 * @raddr:@rport at @seq, sent back to @laddr by a router on the way
 * (here: @raddr): v4 type 3 code 4 (RFC 1191), v6 type 2 (RFC 8201).
 * Ports in host order. Return: the packet's length (64 or 96 bytes).
 */
static inline size_t pkt_icmp_ptb(uint8_t *p, int family,
				  const uint8_t *laddr, const uint8_t *raddr,
				  uint16_t lport, uint16_t rport, uint32_t seq,
				  uint32_t mtu)
{
	size_t alen = family == 4 ? 4 : 16, ip = family == 4 ? 20 : 40;
	size_t icmp_len = 8 + ip + 8;
	uint8_t *icmp = p + ip, *in = icmp + 8;
	uint32_t sum;

	memset(p, 0, ip + icmp_len);
	if (family == 4) {
		in[0] = 0x45;
		wr16(in + 2, 1500);
		in[8] = 64;
		in[9] = 6;
		memcpy(in + 12, laddr, alen);
		memcpy(in + 16, raddr, alen);
		p[0] = 0x45;
		wr16(p + 2, (uint16_t)(ip + icmp_len));
		p[8] = 64;
		p[9] = 1;
		memcpy(p + 12, raddr, alen);
		memcpy(p + 16, laddr, alen);
		wr16(p + 10, fold(sum16(0, p, 20)));
		icmp[0] = 3;
		icmp[1] = 4;
		wr16(icmp + 6, (uint16_t)mtu);
	} else {
		in[0] = 0x60;
		wr16(in + 4, 1460);
		in[6] = 6;
		in[7] = 64;
		memcpy(in + 8, laddr, alen);
		memcpy(in + 24, raddr, alen);
		p[0] = 0x60;
		wr16(p + 4, (uint16_t)icmp_len);
		p[6] = 58;
		p[7] = 64;
		memcpy(p + 8, raddr, alen);
		memcpy(p + 24, laddr, alen);
		icmp[0] = 2;
		wr32(icmp + 4, mtu);
	}
	wr16(in + ip, lport);
	wr16(in + ip + 2, rport);
	wr32(in + ip + 4, seq);
	if (family == 4) {
		wr16(icmp + 2, fold(sum16(0, icmp, icmp_len)));
	} else {
		sum = sum16(sum16(0, p + 8, 32), icmp, icmp_len);
		wr16(icmp + 2, fold(sum + (uint32_t)icmp_len + 58));
	}
	return ip + icmp_len;
}

#endif /* TOE_TESTS_PKT_UTIL_H */

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

#endif /* TOE_TESTS_PKT_UTIL_H */

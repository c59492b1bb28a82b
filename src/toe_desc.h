/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_desc.h - encode and decode the device's descriptors, commands and
 * events (include/toe_hw.h) between CPU order and the device's
 * little-endian layout. Pure functions: no locking, no device access.
 */
#ifndef _TOE_DESC_H
#define _TOE_DESC_H

#include <linux/types.h>
#include <asm/byteorder.h>

#include "toe_hw.h"

/* Fill a TX descriptor; the device owns it once TAIL passes it. */
static inline void toe_tx_desc_fill(struct toe_tx_desc *d, u64 addr, u16 len)
{
	d->addr = cpu_to_le64(addr);
	d->len = cpu_to_le16(len);
	d->flags = 0;
	d->err = 0;
	d->status = 0;
}

/* Post an empty RX buffer of @buf_len bytes. */
static inline void toe_rx_desc_fill(struct toe_rx_desc *d, u64 addr,
				    u16 buf_len)
{
	d->addr = cpu_to_le64(addr);
	d->buf_len = cpu_to_le16(buf_len);
	d->len = 0;
	d->err = 0;
	d->status = 0;
}

/* Encode a command with its payload (@addr 0 when @len is 0). */
static inline void toe_cmd_fill(struct toe_cmd *c, u16 opcode, u32 tag,
				u64 handle, u32 conn_id, u64 addr, u32 len)
{
	c->opcode = cpu_to_le16(opcode);
	c->flags = 0;
	c->tag = cpu_to_le32(tag);
	c->handle = cpu_to_le64(handle);
	c->conn_id = cpu_to_le32(conn_id);
	c->payload_len = cpu_to_le32(len);
	c->payload_addr = cpu_to_le64(addr);
}

/* The device's status word of a TX/RX descriptor or an event's flags. */
static inline bool toe_desc_done(__le16 status)
{
	return le16_to_cpu(READ_ONCE(status)) & TOE_DESC_DONE;
}

static inline bool toe_desc_err(__le16 status)
{
	return le16_to_cpu(status) & TOE_DESC_ERR;
}

/**
 * struct toe_evt_info - an event in CPU order.
 * @type: TOE_EVT_*
 * @tag: CMD_DONE: the command's tag
 * @handle: host handle
 * @conn_id: device connection id or TOE_CONN_NONE
 * @status: TOE_STS_*
 * @opcode: CMD_DONE: the command's opcode
 * @reason: UPLOAD_REQ: TOE_UPLOAD_*
 * @value: type-specific value
 */
struct toe_evt_info {
	u16 type;
	u32 tag;
	u64 handle;
	u32 conn_id;
	u32 status;
	u16 opcode;
	u16 reason;
	u32 value;
};

/* Copy an event out of the ring; call only once TOE_DESC_DONE is seen. */
static inline void toe_evt_decode(const struct toe_evt *e,
				  struct toe_evt_info *info)
{
	info->type = le16_to_cpu(e->type);
	info->tag = le32_to_cpu(e->tag);
	info->handle = le64_to_cpu(e->handle);
	info->conn_id = le32_to_cpu(e->conn_id);
	info->status = le32_to_cpu(e->status);
	info->opcode = le16_to_cpu(e->opcode);
	info->reason = le16_to_cpu(e->reason);
	info->value = le32_to_cpu(e->value);
}

/* TOE_REG_MAC_LO/HI to six bytes: byte 0 in bits 7:0 of MAC_LO. */
static inline void toe_mac_decode(u32 lo, u32 hi, u8 *mac)
{
	mac[0] = lo & 0xff;
	mac[1] = (lo >> 8) & 0xff;
	mac[2] = (lo >> 16) & 0xff;
	mac[3] = (lo >> 24) & 0xff;
	mac[4] = hi & 0xff;
	mac[5] = (hi >> 8) & 0xff;
}

#endif /* _TOE_DESC_H */

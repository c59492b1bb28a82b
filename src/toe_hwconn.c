// SPDX-License-Identifier: GPL-2.0
/*
 * toe_hwconn.c - struct toe_conn_ops on the device: each operation the
 * core asks about a connection, as the command of include/toe_hw.h that
 * does it.
 *
 * The waited-for ones go through toe_cmd_exec(), which resets the device
 * when it does not answer. SEND and RECV_FREED are posted (the socket
 * lock is held only briefly); a full command ring is waited out for a
 * while, as the device takes commands as fast as they come while it has
 * event slots.
 */
#include <linux/delay.h>

#include "toe.h"

/* How often a posted command meets a full ring before it is given up. */
#define TOE_POST_TRIES		1000

static int toe_hw_cmd(struct toe_priv *priv, u16 opcode, u32 conn_id,
		      u64 handle, dma_addr_t payload, u32 len, u32 *value)
{
	struct toe_cmd_args args = {
		.opcode = opcode,
		.conn_id = conn_id,
		.handle = handle,
		.payload = payload,
		.payload_len = len,
	};
	int err;

	err = toe_cmd_exec(priv, &args);
	if (value)
		*value = args.value;
	return err;
}

static int toe_hw_post(struct toe_priv *priv, u16 opcode, u32 conn_id,
		       u64 handle, u32 arg)
{
	struct toe_cmd_args args = {
		.opcode = opcode,
		.conn_id = conn_id,
		.handle = handle,
		.payload = arg,
	};
	int err, tries;

	for (tries = 0; tries < TOE_POST_TRIES; tries++) {
		err = toe_cmd_post(priv, &args);
		if (err != -EBUSY)
			break;
		usleep_range(20, 50);
	}
	return err;
}

static int toe_hw_divert(struct toe_priv *priv, u64 handle, dma_addr_t tuple,
			 u32 len, u32 *conn_id)
{
	return toe_hw_cmd(priv, TOE_CMD_DIVERT, TOE_CONN_NONE, handle, tuple,
			  len, conn_id);
}

static int toe_hw_offload(struct toe_priv *priv, u32 conn_id, u64 handle,
			  dma_addr_t req, u32 len)
{
	return toe_hw_cmd(priv, TOE_CMD_OFFLOAD, conn_id, handle, req, len,
			  NULL);
}

static int toe_hw_upload(struct toe_priv *priv, u32 conn_id, u64 handle,
			 dma_addr_t state, u32 len)
{
	return toe_hw_cmd(priv, TOE_CMD_UPLOAD, conn_id, handle, state, len,
			  NULL);
}

static int toe_hw_undivert(struct toe_priv *priv, u32 conn_id, u64 handle)
{
	return toe_hw_cmd(priv, TOE_CMD_UNDIVERT, conn_id, handle, 0, 0, NULL);
}

static int toe_hw_abort(struct toe_priv *priv, u32 conn_id, u64 handle)
{
	return toe_hw_cmd(priv, TOE_CMD_ABORT, conn_id, handle, 0, 0, NULL);
}

static int toe_hw_set_opts(struct toe_priv *priv, u32 conn_id, u64 handle,
			   u64 opts)
{
	/* No payload: the options travel in the payload field. */
	return toe_hw_cmd(priv, TOE_CMD_SET_OPTS, conn_id, handle, opts, 0,
			  NULL);
}

static int toe_hw_send(struct toe_priv *priv, u32 conn_id, u64 handle,
		       u32 write_seq)
{
	return toe_hw_post(priv, TOE_CMD_SEND, conn_id, handle, write_seq);
}

static int toe_hw_recv_freed(struct toe_priv *priv, u32 conn_id, u64 handle,
			     u32 bytes)
{
	return toe_hw_post(priv, TOE_CMD_RECV_FREED, conn_id, handle, bytes);
}

const struct toe_conn_ops toe_hw_conn_ops = {
	.divert = toe_hw_divert,
	.offload = toe_hw_offload,
	.upload = toe_hw_upload,
	.undivert = toe_hw_undivert,
	.abort = toe_hw_abort,
	.set_opts = toe_hw_set_opts,
	.send = toe_hw_send,
	.recv_freed = toe_hw_recv_freed,
	.drain_rx = toe_l2_drain_rx,
	.reset = toe_schedule_reset,
};

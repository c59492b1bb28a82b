/* SPDX-License-Identifier: GPL-2.0 */
/* toe_fakedev.h - a fake toe device for KUnit (toe_kunit_fakedev.c). */
#ifndef _TOE_FAKEDEV_H
#define _TOE_FAKEDEV_H

#include <linux/completion.h>
#include <linux/workqueue.h>

#include "toe.h"

/* The operations of struct toe_conn_ops, as bits of toe_fake.fail. */
enum toe_fake_op {
	TOE_FAKE_DIVERT,
	TOE_FAKE_DRAIN_RX,
	TOE_FAKE_OFFLOAD,
	TOE_FAKE_UPLOAD,
	TOE_FAKE_UNDIVERT,
	TOE_FAKE_ABORT,
	TOE_FAKE_SET_OPTS,
	TOE_FAKE_SEND,
	TOE_FAKE_RECV_FREED,
	TOE_FAKE_NUM_OPS,
};

/* How the operations in toe_fake.fail answer. */
enum toe_fake_answer {
	TOE_FAKE_ERROR,		/* the device's refusal: -EINVAL */
	TOE_FAKE_TIMEOUT,	/* no answer: the device is reset */
	TOE_FAKE_RESET,		/* a reset from elsewhere ends the wait */
	TOE_FAKE_DOWN,		/* being reset: the command is not sent */
	TOE_FAKE_HOSTILE,	/* success, with a state that cannot be */
};

/**
 * struct toe_fake - a fake device and how it answers.
 * @priv: the device the core sees
 * @netdev: its net_device, never registered
 * @dev: the struct device its buffers are mapped for
 * @fail: BIT(enum toe_fake_op) of the operations that do not succeed
 * @answer: what they answer
 * @calls: how often each operation was asked for
 * @resets: resets asked for (a timeout, or the core's ops->reset)
 * @next_id: the connection id the next DIVERT gives
 * @handle: the host handle of the last DIVERT
 * @conn_id: ... and the id it was given
 * @state: the state OFFLOAD was given, which UPLOAD gives back
 * @write_seq: the application's last SEND
 * @corrupt: for a hostile UPLOAD, how the state given back is changed
 *	(called with @corrupt_arg); none: snd_una past what was written
 * @corrupt_arg: passed to @corrupt
 * @removed: toe_fake_remove() ran: the core let the device go
 * @reset_work: the reset: lets waiters go, then calls lost_state
 * @waiters_released: completed by the reset, as toe_cmd_reset() does
 */
struct toe_fake {
	struct toe_priv *priv;
	struct net_device *netdev;
	struct device *dev;
	u32 fail;
	enum toe_fake_answer answer;
	u32 calls[TOE_FAKE_NUM_OPS];
	u32 resets;
	u32 next_id;
	u64 handle;
	u32 conn_id;
	struct toe_conn_state state;
	u32 write_seq;
	void (*corrupt)(struct toe_conn_state *cs, const void *arg);
	const void *corrupt_arg;
	bool removed;
	struct work_struct reset_work;
	struct completion waiters_released;
};

/* An ERR_PTR() if it cannot be had. */
struct toe_fake *toe_fake_create(u32 capacity);
void toe_fake_remove(struct toe_fake *f);
void toe_fake_destroy(struct toe_fake *f);
void toe_fake_event(struct toe_fake *f, u64 handle, u32 conn_id, u16 type,
		    u32 status, u16 reason, u32 value);

#endif /* _TOE_FAKEDEV_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * toe_debugfs.c - test knobs in /sys/kernel/debug/toe/<pci-bdf>/, in the
 * spirit of netdevsim: they make the driver do something on purpose so a
 * test can assert how device and driver react.
 *
 *   nop     write N: N NOP round trips with payloads of varying length,
 *           each checked for the inverted bytes; read: "ok N/N" or
 *           "failed at I/N: ERRNO".
 *   reset   write 1: reset the device with recovery (as ethtool --reset).
 *   inject  write a kind (read it for the list): write it malformed to
 *           the device. The write succeeds only if the device refused it;
 *           otherwise it fails (EPROTO: device accepted it, or the errno
 *           of what went wrong). Read: the last injection's result.
 *   errors  read: device errors as seen by the driver, and the last
 *           injection.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "toe.h"

#define TOE_NOP_MAX		100000
#define TOE_INJECT_ADDR		0xfff0000000000000ull	/* outside RAM */
#define TOE_INJECT_BAD_OPCODE	0x7fff
#define TOE_INJECT_WAIT_MS	500

static struct dentry *toe_debugfs_root;

/* ---- nop --------------------------------------------------------------- */

static ssize_t toe_dbg_nop_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct toe_priv *priv = file->private_data;
	u32 n, i;
	int err;

	err = kstrtou32_from_user(ubuf, count, 0, &n);
	if (err)
		return err;
	if (!n || n > TOE_NOP_MAX)
		return -EINVAL;

	mutex_lock(&priv->dbg_lock);
	priv->nop_asked = n;
	priv->nop_done = 0;
	priv->nop_ret = 0;
	for (i = 0; i < n; i++) {
		/* 0 to TOE_CMD_MAX_PAYLOAD bytes, both ends included. */
		u32 len = (i * 509) % (TOE_CMD_MAX_PAYLOAD + 1);

		if (i == 1)
			len = TOE_CMD_MAX_PAYLOAD;
		err = toe_cmd_nop(priv, priv->dummy, priv->dummy_dma, len,
				  i + 1);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
		if (err)
			break;
		priv->nop_done++;
	}
	priv->nop_ret = err;
	mutex_unlock(&priv->dbg_lock);
	if (err)
		netdev_err(priv->netdev, "debugfs nop: round trip %u of %u failed: %d\n",
			   i + 1, n, err);
	return err ?: count;
}

static ssize_t toe_dbg_nop_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct toe_priv *priv = file->private_data;
	char buf[64];
	int len;

	mutex_lock(&priv->dbg_lock);
	if (!priv->nop_asked)
		len = scnprintf(buf, sizeof(buf), "none\n");
	else if (!priv->nop_ret)
		len = scnprintf(buf, sizeof(buf), "ok %u/%u\n",
				priv->nop_done, priv->nop_asked);
	else
		len = scnprintf(buf, sizeof(buf), "failed at %u/%u: %d\n",
				priv->nop_done + 1, priv->nop_asked,
				priv->nop_ret);
	mutex_unlock(&priv->dbg_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations toe_dbg_nop_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= toe_dbg_nop_read,
	.write	= toe_dbg_nop_write,
	.llseek	= default_llseek,
};

/* ---- reset ------------------------------------------------------------- */

static ssize_t toe_dbg_reset_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct toe_priv *priv = file->private_data;
	bool yes;
	int err;

	err = kstrtobool_from_user(ubuf, count, &yes);
	if (err)
		return err;
	if (!yes)
		return count;
	mutex_lock(&priv->state_lock);
	err = toe_dev_reset(priv);
	mutex_unlock(&priv->state_lock);
	return err ?: count;
}

static const struct file_operations toe_dbg_reset_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= toe_dbg_reset_write,
	.llseek	= default_llseek,
};

/* ---- inject ------------------------------------------------------------ */

/* Wait a little for the device's error counter to move past @before. */
static bool toe_dbg_wait_error(struct toe_priv *priv, u64 before)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(TOE_INJECT_WAIT_MS);

	for (;;) {
		if (toe_err_sync(priv) > before)
			return true;
		if (time_after(jiffies, timeout))
			return false;
		usleep_range(1000, 2000);
	}
}

/*
 * A malformed command: refused if the device answers with an error
 * status. A reset (toe_conn_err_reset()) or a full ring (-EBUSY) means
 * the injection could not be judged.
 */
static int toe_inject_cmd(struct toe_priv *priv, struct toe_inject_result *r,
			  u16 opcode, u64 addr, u32 len, int expect)
{
	struct toe_cmd_args args = {
		.opcode = opcode,
		.conn_id = TOE_CONN_NONE,
		.payload = addr,
		.payload_len = len,
	};
	int ret;

	ret = toe_cmd_exec(priv, &args);
	r->cmd_status = ret;
	toe_dbg_wait_error(priv, r->errors_before);
	if (!ret) {
		netdev_err(priv->netdev, "inject %s: device accepted the command\n",
			   r->kind);
		return -EPROTO;
	}
	if (toe_conn_err_reset(ret) || ret == -EBUSY)
		return ret;
	if (ret != expect)
		netdev_warn(priv->netdev, "inject %s: refused with %d, expected %d\n",
			    r->kind, ret, expect);
	return 0;
}

static int toe_inject_bad_opcode(struct toe_priv *priv,
				 struct toe_inject_result *r)
{
	return toe_inject_cmd(priv, r, TOE_INJECT_BAD_OPCODE, 0, 0,
			      -EOPNOTSUPP);
}

static int toe_inject_bad_payload_addr(struct toe_priv *priv,
				       struct toe_inject_result *r)
{
	return toe_inject_cmd(priv, r, TOE_CMD_NOP, TOE_INJECT_ADDR, 64,
			      -EFAULT);
}

static int toe_inject_oversize_payload(struct toe_priv *priv,
				       struct toe_inject_result *r)
{
	/* The buffer really is that big, should the device not check. */
	return toe_inject_cmd(priv, r, TOE_CMD_NOP, priv->dummy_dma,
			      TOE_CMD_MAX_PAYLOAD + 1, -EMSGSIZE);
}

/* Something the device can only answer with its error counter. */
static int toe_inject_wait(struct toe_priv *priv, struct toe_inject_result *r,
			   int err)
{
	if (err)
		return err;
	if (toe_dbg_wait_error(priv, r->errors_before))
		return 0;
	netdev_err(priv->netdev, "inject %s: device counted no error in %u ms\n",
		   r->kind, TOE_INJECT_WAIT_MS);
	return -EPROTO;
}

static int toe_inject_bad_tx_addr(struct toe_priv *priv,
				  struct toe_inject_result *r)
{
	return toe_inject_wait(priv, r,
			       toe_tx_inject(priv, TOE_INJECT_ADDR, ETH_ZLEN));
}

static int toe_inject_bad_tx_len(struct toe_priv *priv,
				 struct toe_inject_result *r)
{
	/* A zero-length frame, in a real buffer. */
	return toe_inject_wait(priv, r,
			       toe_tx_inject(priv, priv->dummy_dma, 0));
}

static int toe_inject_bad_tail(struct toe_priv *priv,
			       struct toe_inject_result *r)
{
	return toe_inject_wait(priv, r, toe_tx_inject_tail(priv));
}

static int toe_inject_bad_ring(struct toe_priv *priv,
			       struct toe_inject_result *r)
{
	int err;

	mutex_lock(&priv->state_lock);
	err = toe_inject_bad_ring_addr(priv);
	mutex_unlock(&priv->state_lock);
	return err;
}

static const struct {
	const char *name;
	int (*run)(struct toe_priv *priv, struct toe_inject_result *r);
} toe_inject_kinds[] = {
	{ "bad-opcode", toe_inject_bad_opcode },
	{ "bad-payload-addr", toe_inject_bad_payload_addr },
	{ "oversize-payload", toe_inject_oversize_payload },
	{ "bad-tx-addr", toe_inject_bad_tx_addr },
	{ "bad-tx-len", toe_inject_bad_tx_len },
	{ "bad-tail", toe_inject_bad_tail },
	{ "bad-ring-addr", toe_inject_bad_ring },
};

/* single_open() owns private_data: priv is the seq_file's private. */
static ssize_t toe_dbg_inject_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct toe_priv *priv = m->private;
	struct toe_inject_result *r = &priv->inject;
	char kind[32];
	size_t i;
	int err;

	if (!count || count >= sizeof(kind))
		return -EINVAL;
	if (copy_from_user(kind, ubuf, count))
		return -EFAULT;
	kind[count] = '\0';
	strim(kind);
	for (i = 0; i < ARRAY_SIZE(toe_inject_kinds); i++)
		if (!strcmp(kind, toe_inject_kinds[i].name))
			break;
	if (i == ARRAY_SIZE(toe_inject_kinds))
		return -EINVAL;

	mutex_lock(&priv->dbg_lock);
	memset(r, 0, sizeof(*r));
	r->kind = toe_inject_kinds[i].name;
	r->errors_before = toe_err_sync(priv);
	r->resets_before = atomic64_read(&priv->stats.resets);
	err = toe_inject_kinds[i].run(priv, r);
	r->ret = err;
	r->errors_after = toe_err_sync(priv);
	r->resets_after = atomic64_read(&priv->stats.resets);
	mutex_unlock(&priv->dbg_lock);

	netdev_info(priv->netdev, "inject %s: %s (%d), device errors %llu -> %llu\n",
		    kind, err ? "FAILED" : "refused by the device", err,
		    r->errors_before, r->errors_after);
	return err ?: count;
}

static int toe_dbg_show_inject(struct seq_file *m, struct toe_priv *priv)
{
	struct toe_inject_result *r = &priv->inject;

	if (!r->kind) {
		seq_puts(m, "inject: none\n");
		return 0;
	}
	seq_printf(m, "inject: %s\n", r->kind);
	seq_printf(m, "inject_result: %d (%s)\n", r->ret,
		   r->ret ? "failed" : "refused by the device");
	seq_printf(m, "inject_cmd_status: %d\n", r->cmd_status);
	seq_printf(m, "inject_dev_errors: %llu -> %llu\n", r->errors_before,
		   r->errors_after);
	seq_printf(m, "inject_resets: %llu -> %llu\n", r->resets_before,
		   r->resets_after);
	return 0;
}

static int toe_dbg_inject_show(struct seq_file *m, void *v)
{
	struct toe_priv *priv = m->private;
	size_t i;

	seq_puts(m, "kinds:");
	for (i = 0; i < ARRAY_SIZE(toe_inject_kinds); i++)
		seq_printf(m, " %s", toe_inject_kinds[i].name);
	seq_putc(m, '\n');
	mutex_lock(&priv->dbg_lock);
	toe_dbg_show_inject(m, priv);
	mutex_unlock(&priv->dbg_lock);
	return 0;
}

static int toe_dbg_inject_open(struct inode *inode, struct file *file)
{
	return single_open(file, toe_dbg_inject_show, inode->i_private);
}

static const struct file_operations toe_dbg_inject_fops = {
	.owner		= THIS_MODULE,
	.open		= toe_dbg_inject_open,
	.read		= seq_read,
	.write		= toe_dbg_inject_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/* ---- errors ------------------------------------------------------------ */

static int toe_dbg_errors_show(struct seq_file *m, void *v)
{
	struct toe_priv *priv = m->private;
	u32 code = READ_ONCE(priv->err_last_code);

	seq_printf(m, "dev_errors: %llu\n", toe_err_sync(priv));
	seq_printf(m, "dev_last_error: %u (%s)\n", code, toe_err_name(code));
	seq_printf(m, "dev_status: %#x\n", toe_rd(priv, TOE_REG_STATUS));
	seq_printf(m, "faults: %lld\n", atomic64_read(&priv->stats.faults));
	seq_printf(m, "resets: %lld\n", atomic64_read(&priv->stats.resets));
	seq_printf(m, "reset_failures: %lld\n",
		   atomic64_read(&priv->stats.reset_failures));
	seq_printf(m, "cmd_failed: %lld\n",
		   atomic64_read(&priv->stats.cmd_errors));
	seq_printf(m, "cmd_timeouts: %lld\n",
		   atomic64_read(&priv->stats.cmd_timeouts));
	mutex_lock(&priv->dbg_lock);
	toe_dbg_show_inject(m, priv);
	mutex_unlock(&priv->dbg_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(toe_dbg_errors);

/* ---- setup ------------------------------------------------------------- */

void toe_debugfs_add(struct toe_priv *priv)
{
	struct dentry *dir;

	dir = debugfs_create_dir(pci_name(priv->pdev), toe_debugfs_root);
	priv->dbg_dir = dir;
	debugfs_create_file("nop", 0600, dir, priv, &toe_dbg_nop_fops);
	debugfs_create_file("reset", 0200, dir, priv, &toe_dbg_reset_fops);
	debugfs_create_file("inject", 0600, dir, priv, &toe_dbg_inject_fops);
	debugfs_create_file("errors", 0400, dir, priv, &toe_dbg_errors_fops);
}

/* Waits for any knob still running, so call it first in remove. */
void toe_debugfs_remove(struct toe_priv *priv)
{
	debugfs_remove(priv->dbg_dir);
	priv->dbg_dir = NULL;
}

void toe_debugfs_init(void)
{
	toe_debugfs_root = debugfs_create_dir(TOE_DRV_NAME, NULL);
}

void toe_debugfs_exit(void)
{
	debugfs_remove(toe_debugfs_root);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * toe_ethtool.c - ethtool: driver info, link, ring sizes, statistics and
 * device reset.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/pci.h>

#include "toe.h"

enum toe_stat_src {
	TOE_SRC_TX,	/* struct toe_l2_stats, xmit side */
	TOE_SRC_TXC,	/* ... TX completion side */
	TOE_SRC_RX,
	TOE_SRC_DEV,	/* atomic64_t in struct toe_dev_stats */
	TOE_SRC_ERR,	/* device error accounting */
};

enum toe_l2_field { TOE_PKTS, TOE_BYTES, TOE_ERRS, TOE_DROPS, TOE_BUSY };

struct toe_stat_desc {
	char name[ETH_GSTRING_LEN];
	enum toe_stat_src src;
	size_t off;		/* TOE_SRC_DEV: offset in toe_dev_stats */
	int field;		/* L2: enum toe_l2_field; ERR: 0 count, 1 code */
};

#define TOE_L2_STAT(n, s, f) { .name = n, .src = s, .field = f }
#define TOE_DEV_STAT(n, m) \
	{ .name = n, .src = TOE_SRC_DEV, \
	  .off = offsetof(struct toe_dev_stats, m) }

/* The names are what the tests grep for: keep them stable. */
static const struct toe_stat_desc toe_stats[] = {
	TOE_L2_STAT("tx_packets", TOE_SRC_TX, TOE_PKTS),
	TOE_L2_STAT("tx_bytes", TOE_SRC_TX, TOE_BYTES),
	TOE_L2_STAT("tx_dropped", TOE_SRC_TX, TOE_DROPS),
	TOE_L2_STAT("tx_busy", TOE_SRC_TX, TOE_BUSY),
	TOE_L2_STAT("tx_desc_errors", TOE_SRC_TXC, TOE_ERRS),
	TOE_L2_STAT("tx_purged", TOE_SRC_TXC, TOE_DROPS),
	TOE_L2_STAT("rx_packets", TOE_SRC_RX, TOE_PKTS),
	TOE_L2_STAT("rx_bytes", TOE_SRC_RX, TOE_BYTES),
	TOE_L2_STAT("rx_desc_errors", TOE_SRC_RX, TOE_ERRS),
	TOE_L2_STAT("rx_length_errors", TOE_SRC_RX, TOE_BUSY),
	TOE_L2_STAT("rx_no_buffer", TOE_SRC_RX, TOE_DROPS),
	TOE_DEV_STAT("resets", resets),
	TOE_DEV_STAT("reset_failures", reset_failures),
	TOE_DEV_STAT("faults", faults),
	{ .name = "dev_errors", .src = TOE_SRC_ERR, .field = 0 },
	{ .name = "dev_last_error", .src = TOE_SRC_ERR, .field = 1 },
	TOE_DEV_STAT("cmd_completed", cmds),
	TOE_DEV_STAT("cmd_failed", cmd_errors),
	TOE_DEV_STAT("cmd_timeouts", cmd_timeouts),
	TOE_DEV_STAT("events", events),
	TOE_DEV_STAT("events_refused", evt_bad),
	TOE_DEV_STAT("upload_requests", upload_reqs),
	/* ... by enum toe_upload_reason. */
	TOE_DEV_STAT("upload_req_urgent", upload_reqs_by[TOE_UPLOAD_URGENT]),
	TOE_DEV_STAT("upload_req_option", upload_reqs_by[TOE_UPLOAD_OPTION]),
	TOE_DEV_STAT("upload_req_reasm_mem",
		     upload_reqs_by[TOE_UPLOAD_REASM_MEM]),
	TOE_DEV_STAT("upload_req_pmtu", upload_reqs_by[TOE_UPLOAD_PMTU]),
	TOE_DEV_STAT("upload_req_idle", upload_reqs_by[TOE_UPLOAD_IDLE]),
	TOE_DEV_STAT("upload_req_capacity",
		     upload_reqs_by[TOE_UPLOAD_CAPACITY]),
	TOE_DEV_STAT("upload_req_requested",
		     upload_reqs_by[TOE_UPLOAD_REQUESTED]),
	TOE_DEV_STAT("offloads", offloads),
	TOE_DEV_STAT("uploads", uploads),
	TOE_DEV_STAT("failovers", failovers),
	TOE_DEV_STAT("watchdog_resets", watchdog),
	TOE_DEV_STAT("nic_tx_bytes", nic_tx_bytes),
	TOE_DEV_STAT("nic_rx_bytes", nic_rx_bytes),
	TOE_DEV_STAT("late_segments", late_segments),
	/* Refused offloads, by enum toe_refusal (toe_refusal_name()). */
	TOE_DEV_STAT("refused_not_tcp", refusals[TOE_REFUSE_NOT_TCP]),
	TOE_DEV_STAT("refused_family", refusals[TOE_REFUSE_FAMILY]),
	TOE_DEV_STAT("refused_state", refusals[TOE_REFUSE_STATE]),
	TOE_DEV_STAT("refused_repair", refusals[TOE_REFUSE_REPAIR]),
	TOE_DEV_STAT("refused_md5", refusals[TOE_REFUSE_MD5]),
	TOE_DEV_STAT("refused_ulp", refusals[TOE_REFUSE_ULP]),
	TOE_DEV_STAT("refused_urgent", refusals[TOE_REFUSE_URGENT]),
	TOE_DEV_STAT("refused_congestion_control", refusals[TOE_REFUSE_CONG]),
	TOE_DEV_STAT("refused_route", refusals[TOE_REFUSE_ROUTE]),
	TOE_DEV_STAT("refused_out_of_order", refusals[TOE_REFUSE_OOO]),
	TOE_DEV_STAT("refused_queued", refusals[TOE_REFUSE_QUEUED]),
	TOE_DEV_STAT("refused_device", refusals[TOE_REFUSE_DEVICE]),
	TOE_DEV_STAT("refused_busy", refusals[TOE_REFUSE_BUSY]),
	TOE_DEV_STAT("refused_forbidden", refusals[TOE_REFUSE_FORBIDDEN]),
	TOE_DEV_STAT("refused_policy", refusals[TOE_REFUSE_POLICY]),
	TOE_DEV_STAT("refused_nic_full", refusals[TOE_REFUSE_NIC_FULL]),
	TOE_DEV_STAT("refused_permission", refusals[TOE_REFUSE_PERMISSION]),
	TOE_DEV_STAT("refused_xdp", refusals[TOE_REFUSE_XDP]),
};
static_assert(TOE_NUM_REFUSALS == 19, "one refused_* counter per reason");

static void toe_get_drvinfo(struct net_device *netdev,
			    struct ethtool_drvinfo *info)
{
	struct toe_priv *priv = netdev_priv(netdev);

	strscpy(info->driver, TOE_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, pci_name(priv->pdev), sizeof(info->bus_info));
	snprintf(info->fw_version, sizeof(info->fw_version), "%u.%u",
		 priv->version >> 16, priv->version & 0xffff);
}

static int toe_get_link_ksettings(struct net_device *netdev,
				  struct ethtool_link_ksettings *cmd)
{
	ethtool_link_ksettings_zero_link_mode(cmd, supported);
	ethtool_link_ksettings_zero_link_mode(cmd, advertising);
	/* A virtual wire: no speed to report. */
	cmd->base.speed = SPEED_UNKNOWN;
	cmd->base.duplex = netif_carrier_ok(netdev) ? DUPLEX_FULL :
						      DUPLEX_UNKNOWN;
	cmd->base.port = PORT_OTHER;
	cmd->base.autoneg = AUTONEG_DISABLE;
	return 0;
}

static void toe_get_ringparam(struct net_device *netdev,
			      struct ethtool_ringparam *ring,
			      struct kernel_ethtool_ringparam *kring,
			      struct netlink_ext_ack *extack)
{
	struct toe_priv *priv = netdev_priv(netdev);

	ring->rx_max_pending = priv->rx.size;
	ring->tx_max_pending = priv->tx.size;
	ring->rx_pending = priv->rx.size;
	ring->tx_pending = priv->tx.size;
}

static int toe_get_sset_count(struct net_device *netdev, int sset)
{
	return sset == ETH_SS_STATS ? ARRAY_SIZE(toe_stats) : -EOPNOTSUPP;
}

static void toe_get_strings(struct net_device *netdev, u32 sset, u8 *data)
{
	size_t i;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < ARRAY_SIZE(toe_stats); i++)
		memcpy(data + i * ETH_GSTRING_LEN, toe_stats[i].name,
		       ETH_GSTRING_LEN);
}

static void toe_get_ethtool_stats(struct net_device *netdev,
				  struct ethtool_stats *estats, u64 *data)
{
	struct toe_priv *priv = netdev_priv(netdev);
	u64 l2[3][5];
	u64 errors;
	size_t i;

	toe_l2_stats_read(&priv->tx_stats, &l2[0][TOE_PKTS], &l2[0][TOE_BYTES],
			  &l2[0][TOE_ERRS], &l2[0][TOE_DROPS], &l2[0][TOE_BUSY]);
	toe_l2_stats_read(&priv->txc_stats, &l2[1][TOE_PKTS],
			  &l2[1][TOE_BYTES], &l2[1][TOE_ERRS],
			  &l2[1][TOE_DROPS], &l2[1][TOE_BUSY]);
	toe_l2_stats_read(&priv->rx_stats, &l2[2][TOE_PKTS], &l2[2][TOE_BYTES],
			  &l2[2][TOE_ERRS], &l2[2][TOE_DROPS], &l2[2][TOE_BUSY]);
	errors = toe_err_sync(priv);

	for (i = 0; i < ARRAY_SIZE(toe_stats); i++) {
		const struct toe_stat_desc *d = &toe_stats[i];

		switch (d->src) {
		case TOE_SRC_TX:
		case TOE_SRC_TXC:
		case TOE_SRC_RX:
			data[i] = l2[d->src][d->field];
			break;
		case TOE_SRC_DEV:
			data[i] = atomic64_read((atomic64_t *)
						((char *)&priv->stats + d->off));
			break;
		case TOE_SRC_ERR:
			data[i] = d->field ? READ_ONCE(priv->err_last_code) :
					     errors;
			break;
		}
	}
}

/*
 * The device resets only as a whole, so any request naming one of its own
 * components resets everything; those bits are cleared as done.
 */
static int toe_reset(struct net_device *netdev, u32 *flags)
{
	struct toe_priv *priv = netdev_priv(netdev);
	int err;

	if (!(*flags & ETH_RESET_DEDICATED))
		return -EOPNOTSUPP;
	mutex_lock(&priv->state_lock);
	err = toe_dev_reset(priv);
	mutex_unlock(&priv->state_lock);
	if (!err)
		*flags &= ~ETH_RESET_DEDICATED;
	return err;
}

const struct ethtool_ops toe_ethtool_ops = {
	.get_drvinfo		= toe_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= toe_get_link_ksettings,
	.get_ringparam		= toe_get_ringparam,
	.get_sset_count		= toe_get_sset_count,
	.get_strings		= toe_get_strings,
	.get_ethtool_stats	= toe_get_ethtool_stats,
	.reset			= toe_reset,
};

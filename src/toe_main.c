// SPDX-License-Identifier: GPL-2.0
/*
 * toe_main.c - module init and exit: the net.toe sysctls, the debugfs
 * root, the layers told of each other (the policy's hooks to the core,
 * the core's callbacks to the driver), the PCI driver, the "toe" TCP
 * ULP, the policy's watch on sockets and the "toe" generic netlink
 * family, registered in that order and removed in the reverse one.
 */
#include <linux/module.h>
#include <linux/pci.h>

#include "toe.h"
#include "toe_netlink.h"
#include "toe_policy.h"
#include "toe_sock.h"

static int __init toe_init(void)
{
	int err;

	err = toe_sysctl_init();
	if (err) {
		pr_err("toe: cannot register the net.toe sysctls: %d\n", err);
		return err;
	}
	toe_debugfs_init();
	/* Each layer learns of the one above before anything can call it. */
	toe_core_set_policy(&toe_auto_ops);
	toe_dev_set_core(&toe_core_cb);
	err = toe_conn_notifier_register();
	if (err) {
		pr_err("toe: cannot register the netdevice notifier: %d\n", err);
		goto err_debugfs;
	}
	err = pci_register_driver(&toe_pci_driver);
	if (err) {
		pr_err("toe: cannot register the PCI driver: %d\n", err);
		goto err_notifier;
	}
	err = toe_ulp_register();
	if (err) {
		pr_err("toe: cannot register the toe TCP ULP: %d\n", err);
		goto err_pci;
	}
	/* Without it, only mode 1 (explicit) moves connections. */
	if (toe_auto_init())
		pr_warn("toe: no inet_sock_set_state tracepoint: net.toe.mode=2 (auto) will not see new connections\n");
	err = toe_netlink_init();
	if (err) {
		pr_err("toe: cannot register the toe generic netlink family: %d\n",
		       err);
		goto err_ulp;
	}
	return 0;

err_ulp:
	toe_auto_exit();
	toe_ulp_unregister();
err_pci:
	pci_unregister_driver(&toe_pci_driver);
err_notifier:
	toe_conn_notifier_unregister();
err_debugfs:
	toe_dev_set_core(NULL);
	toe_core_set_policy(NULL);
	toe_debugfs_exit();
	toe_sysctl_exit();
	return err;
}

static void __exit toe_exit(void)
{
	toe_netlink_exit();
	toe_auto_exit();
	/* No socket holds the ULP: the module could not be unloading. */
	toe_ulp_unregister();
	pci_unregister_driver(&toe_pci_driver);
	toe_conn_notifier_unregister();
	toe_dev_set_core(NULL);
	toe_core_set_policy(NULL);
	toe_debugfs_exit();
	toe_sysctl_exit();
}

module_init(toe_init);
module_exit(toe_exit);

MODULE_DESCRIPTION("TCP Offload Engine NIC (toe-pci)");
MODULE_AUTHOR("The toe project");
MODULE_LICENSE("GPL");

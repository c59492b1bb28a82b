// SPDX-License-Identifier: GPL-2.0
/*
 * toe_kunit_main.c - the toe_kunit module: KUnit suites for the toe
 * driver's logic. Each toe_*_kunit.c file registers its own suites;
 * functions of toe.ko that are not inline come from its
 * EXPORTED_FOR_KUNIT_TESTING namespace.
 */
#include <linux/module.h>

MODULE_DESCRIPTION("KUnit tests for the toe TCP Offload Engine NIC driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

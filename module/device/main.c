// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree - module init and exit, and the module parameters.
 *
 * Prefixes: bwtree_module_ for init and exit, bwdev_ for the device's
 * global state (see device.h).
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "device.h"

/*
 * The memory all trees share, and its limit (the max_bytes parameter):
 * every tree's params.account points here.
 */
struct bwtree_account bwdev_account;

static bool bwdev_max_bytes_set;

static int bwdev_max_bytes_param_set(const char *val,
				     const struct kernel_param *kp)
{
	unsigned long v;
	int ret;

	ret = kstrtoul(val, 0, &v);
	if (ret)
		return ret;
	WRITE_ONCE(bwdev_account.limit, min_t(unsigned long, v, LONG_MAX));
	bwdev_max_bytes_set = true;
	return 0;
}

static int bwdev_max_bytes_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", READ_ONCE(bwdev_account.limit));
}

static const struct kernel_param_ops bwdev_max_bytes_ops = {
	.set = bwdev_max_bytes_param_set,
	.get = bwdev_max_bytes_param_get,
};

module_param_cb(max_bytes, &bwdev_max_bytes_ops, NULL, 0644);
MODULE_PARM_DESC(max_bytes,
		 "Memory limit of all trees together, in bytes; 0: none (default: a quarter of RAM)");

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "Permissions of /dev/bwtree (default 0600)");

umode_t bwdev_mode;

static int __init bwtree_module_init(void)
{
	int ret;

	if (mode & ~0666) {
		pr_err("bwtree: mode %#o: only read and write bits are allowed\n",
		       mode);
		return -EINVAL;
	}
	bwdev_mode = mode;
	if (!bwdev_max_bytes_set)
		WRITE_ONCE(bwdev_account.limit,
			   (long)min_t(u64, (u64)totalram_pages() << PAGE_SHIFT >> 2,
				       LONG_MAX));

	ret = bwtree_account_init(&bwdev_account);
	if (ret)
		return ret;
	ret = bwtree_init();
	if (ret)
		goto exit_account;
	bwdev_debugfs_init();
	ret = bwdev_sysfs_init();
	if (ret)
		goto exit_debugfs;
	ret = bwdev_init();
	if (ret)
		goto exit_sysfs;
	return 0;

exit_sysfs:
	bwdev_sysfs_exit();
exit_debugfs:
	bwdev_debugfs_exit();
	bwtree_exit();
exit_account:
	bwtree_account_destroy(&bwdev_account);
	return ret;
}

/*
 * Device first, so no file can be opened (none is open: each holds a
 * module reference); then the named trees, whose debugfs directories go
 * with them, and the debugfs root; then the core's caches, after
 * bwtree_exit()'s rcu_barrier(); last the account, which no tree is
 * charged to any more.
 */
static void __exit bwtree_module_exit(void)
{
	bwdev_exit();
	bwdev_tree_exit();
	bwdev_debugfs_exit();
	bwdev_sysfs_exit();
	bwtree_exit();
	bwtree_account_destroy(&bwdev_account);
}

module_init(bwtree_module_init);
module_exit(bwtree_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Latch-free BW-tree of s64 keys and u64 values, with /dev/bwtree");

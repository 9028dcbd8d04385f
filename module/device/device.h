/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bwtree - /dev/bwtree: what main.c, ioctl.c, registry.c, debugfs.c and
 * sysfs.c share.
 *
 * Prefixes: bwdev_ for the device as a whole, bwdev_tree_ for a tree as the
 * device sees it (struct bwdev_tree: a core tree plus its name, reference
 * count and debugfs directory), bwdev_file_ for one open file.
 */
#ifndef _BWTREE_DEVICE_H
#define _BWTREE_DEVICE_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <uapi/linux/bwtree.h>

#include "bwtree.h"

struct dentry;

/* Limits that GET_INFO reports. */
#define BWDEV_MAX_BATCH		4096
#define BWDEV_MAX_SCAN		4096

/**
 * struct bwdev_tree - a tree reachable from /dev/bwtree
 * @tree: the core tree
 * @ref: references: one per bound file, one for the registry while named
 * @link: entry in the registry while named and not destroyed, else empty
 * @debugfs: the tree's directory under /sys/kernel/debug/bwtree, or NULL
 * @id: unique number, names anonymous trees in debugfs ("anon:<id>")
 * @anon: the tree belongs to one file and has no name
 * @name: the name, NUL-terminated; empty for an anonymous tree
 */
struct bwdev_tree {
	struct bwtree *tree;
	struct kref ref;
	struct list_head link;
	struct dentry *debugfs;
	u64 id;
	bool anon;
	char name[BWTREE_IOC_NAME_MAX + 1];
};

/**
 * struct bwdev_counters - global counters, one copy per CPU
 * @ioctls: ioctl calls
 * @errors: ioctl calls that failed
 * @batch_ops: operations run by BATCH
 * @scan_pairs: pairs returned by SCAN
 */
struct bwdev_counters {
	u64 ioctls;
	u64 errors;
	u64 batch_ops;
	u64 scan_pairs;
};

DECLARE_PER_CPU(struct bwdev_counters, bwdev_counters);

extern struct bwtree_account bwdev_account;
extern umode_t bwdev_mode;

/* registry.c: the registry of trees. */
int bwdev_tree_valid_name(const char *name, size_t len);
struct bwdev_tree *bwdev_tree_create(const char *name,
				     const struct bwtree_params *params);
struct bwdev_tree *bwdev_tree_find(const char *name);
int bwdev_tree_unlink(const char *name);
void bwdev_tree_unlink_tree(struct bwdev_tree *bt);
void bwdev_tree_put(struct bwdev_tree *bt);
int bwdev_tree_list(char *buf, u32 *len, u32 *num);
unsigned long bwdev_tree_nr_named(void);
unsigned long bwdev_tree_nr_anon(void);
void bwdev_tree_exit(void);

/* debugfs.c: the trees' directories under /sys/kernel/debug/bwtree. */
void bwdev_debugfs_add_tree(struct bwdev_tree *bt);
void bwdev_debugfs_remove_tree(struct bwdev_tree *bt);
void bwdev_debugfs_init(void);
void bwdev_debugfs_exit(void);

/* ioctl.c: the misc device. */
int bwdev_init(void);
void bwdev_exit(void);

/* sysfs.c: global statistics under /sys/kernel/bwtree. */
u64 bwdev_counter_sum(size_t offset);
int bwdev_sysfs_init(void);
void bwdev_sysfs_exit(void);

#endif /* _BWTREE_DEVICE_H */

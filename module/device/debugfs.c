// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree - /sys/kernel/debug/bwtree: one directory per tree, with its
 * statistics, parameters, a validation and a dump.
 *
 * Prefixes: bwdev_debugfs_ for this file's functions; @bt is a struct
 * bwdev_tree.  Lifetimes are registry.c's: it adds a tree's directory when
 * the tree is made and removes it before the tree can be freed.
 */

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "device.h"

static struct dentry *bwdev_debugfs_root;

static int bwdev_debugfs_stats_show(struct seq_file *m, void *unused)
{
	struct bwdev_tree *bt = m->private;
	struct bwtree_stats st;
	int i;

	bwtree_get_stats(bt->tree, &st);
	seq_printf(m, "count %llu\n", st.count);
	seq_printf(m, "height %llu\n", st.height);
	seq_printf(m, "pages %llu\n", st.pages);
	seq_printf(m, "bytes %llu\n", st.bytes);
	seq_printf(m, "consolidations %llu\n", st.consolidations);
	seq_printf(m, "splits %llu\n", st.splits);
	seq_printf(m, "merges %llu\n", st.merges);
	seq_printf(m, "cas_failures %llu\n", st.cas_failures);
	seq_printf(m, "retries %llu\n", st.retries);
	seq_printf(m, "reader_yields %llu\n", st.reader_yields);
	seq_printf(m, "longest_chain %llu\n", st.longest_chain);
	for (i = 0; i < BWTREE_NR_KINDS; i++)
		seq_printf(m, "records_%s %llu\n", bwtree_kind_name(i), st.records[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bwdev_debugfs_stats);

static int bwdev_debugfs_params_show(struct seq_file *m, void *unused)
{
	struct bwdev_tree *bt = m->private;
	struct bwtree_params p;

	bwtree_get_params(bt->tree, &p);
	seq_printf(m, "leaf_max %u\n", p.leaf_max);
	seq_printf(m, "inner_max %u\n", p.inner_max);
	seq_printf(m, "chain_max %u\n", p.chain_max);
	seq_printf(m, "max_bytes %lu\n", p.max_bytes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bwdev_debugfs_params);

static int bwdev_debugfs_validate_show(struct seq_file *m, void *unused)
{
	struct bwdev_tree *bt = m->private;

	seq_printf(m, "%d\n", bwtree_validate(bt->tree));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bwdev_debugfs_validate);

static ssize_t bwdev_debugfs_dump_write(struct file *file,
					const char __user *ubuf, size_t len,
					loff_t *ppos)
{
	struct bwdev_tree *bt = file->private_data;

	bwtree_dump(bt->tree);
	return len;
}

static const struct file_operations bwdev_debugfs_dump_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bwdev_debugfs_dump_write,
	.llseek = noop_llseek,
};

/**
 * bwdev_debugfs_add_tree() - make a tree's directory
 * @bt: the tree, not yet reachable by any other thread
 *
 * The directory is named for the tree, or "anon:<id>" for an anonymous
 * one.  Failure is not an error: debugfs is for people, and the tree works
 * without it; @bt->debugfs stays NULL then.
 *
 * Context: Process context.
 */
void bwdev_debugfs_add_tree(struct bwdev_tree *bt)
{
	char anon[32];
	struct dentry *dir;

	if (IS_ERR_OR_NULL(bwdev_debugfs_root))
		return;
	if (bt->anon)
		snprintf(anon, sizeof(anon), "anon:%llu", bt->id);
	dir = debugfs_create_dir(bt->anon ? anon : bt->name, bwdev_debugfs_root);
	if (IS_ERR(dir))
		return;
	debugfs_create_file("stats", 0400, dir, bt, &bwdev_debugfs_stats_fops);
	debugfs_create_file("params", 0400, dir, bt, &bwdev_debugfs_params_fops);
	debugfs_create_file("validate", 0400, dir, bt,
			    &bwdev_debugfs_validate_fops);
	debugfs_create_file("dump", 0200, dir, bt, &bwdev_debugfs_dump_fops);
	bt->debugfs = dir;
}

/**
 * bwdev_debugfs_remove_tree() - remove a tree's directory, if it has one
 * @bt: the tree
 *
 * Waits for readers of the directory's files in progress, so the tree may
 * be freed once this returns.
 *
 * Context: Process context.
 */
void bwdev_debugfs_remove_tree(struct bwdev_tree *bt)
{
	debugfs_remove(bt->debugfs);
	bt->debugfs = NULL;
}

/**
 * bwdev_debugfs_init() - make /sys/kernel/debug/bwtree
 *
 * A failure only loses the debugfs files: trees are then made without a
 * directory.
 *
 * Context: Module init, before any tree is made.
 */
void bwdev_debugfs_init(void)
{
	bwdev_debugfs_root = debugfs_create_dir("bwtree", NULL);
}

/**
 * bwdev_debugfs_exit() - remove /sys/kernel/debug/bwtree
 *
 * Context: Module exit, after every tree is freed.
 */
void bwdev_debugfs_exit(void)
{
	debugfs_remove(bwdev_debugfs_root);
	bwdev_debugfs_root = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree - global statistics in /sys/kernel/bwtree/.
 *
 * Prefixes: bwdev_sysfs_ for this file's functions; bwdev_counter_ for the
 * per-CPU counters of struct bwdev_counters.
 */

#include <linux/cpumask.h>
#include <linux/kobject.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "device.h"

static struct kobject *bwdev_kobj;

/**
 * bwdev_counter_sum() - add up one counter over every CPU
 * @offset: offsetof() the counter in struct bwdev_counters
 *
 * The per-CPU copies are bumped with this_cpu_*() by their own CPU; the
 * sum is a snapshot that may miss increments in flight, which is all a
 * statistic needs.
 *
 * Context: Any context.
 * Return: the sum.
 */
u64 bwdev_counter_sum(size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const u64 *p = (const void *)per_cpu_ptr(&bwdev_counters, cpu) +
			       offset;

		sum += READ_ONCE(*p);
	}
	return sum;
}

static ssize_t named_trees_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", bwdev_tree_nr_named());
}

static ssize_t anon_trees_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", bwdev_tree_nr_anon());
}

static ssize_t bytes_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%ld\n", bwtree_account_bytes(&bwdev_account));
}

static ssize_t max_bytes_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", READ_ONCE(bwdev_account.limit));
}

/* A counter of struct bwdev_counters, found by its offset. */
struct bwdev_counter_attr {
	struct kobj_attribute attr;
	size_t offset;
};

static ssize_t bwdev_counter_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	struct bwdev_counter_attr *ca =
		container_of(attr, struct bwdev_counter_attr, attr);

	return sysfs_emit(buf, "%llu\n", bwdev_counter_sum(ca->offset));
}

static struct bwdev_counter_attr bwdev_attr_ioctls = {
	.attr = __ATTR(ioctls, 0444, bwdev_counter_show, NULL),
	.offset = offsetof(struct bwdev_counters, ioctls),
};

static struct bwdev_counter_attr bwdev_attr_errors = {
	.attr = __ATTR(errors, 0444, bwdev_counter_show, NULL),
	.offset = offsetof(struct bwdev_counters, errors),
};

static struct bwdev_counter_attr bwdev_attr_batch_ops = {
	.attr = __ATTR(batch_ops, 0444, bwdev_counter_show, NULL),
	.offset = offsetof(struct bwdev_counters, batch_ops),
};

static struct bwdev_counter_attr bwdev_attr_scan_pairs = {
	.attr = __ATTR(scan_pairs, 0444, bwdev_counter_show, NULL),
	.offset = offsetof(struct bwdev_counters, scan_pairs),
};

static struct kobj_attribute bwdev_attr_named_trees = __ATTR_RO(named_trees);
static struct kobj_attribute bwdev_attr_anon_trees = __ATTR_RO(anon_trees);
static struct kobj_attribute bwdev_attr_bytes = __ATTR_RO(bytes);
static struct kobj_attribute bwdev_attr_max_bytes = __ATTR_RO(max_bytes);

static struct attribute *bwdev_attrs[] = {
	&bwdev_attr_named_trees.attr,
	&bwdev_attr_anon_trees.attr,
	&bwdev_attr_bytes.attr,
	&bwdev_attr_max_bytes.attr,
	&bwdev_attr_ioctls.attr.attr,
	&bwdev_attr_errors.attr.attr,
	&bwdev_attr_batch_ops.attr.attr,
	&bwdev_attr_scan_pairs.attr.attr,
	NULL,
};

static const struct attribute_group bwdev_attr_group = {
	.attrs = bwdev_attrs,
};

/**
 * bwdev_sysfs_init() - make /sys/kernel/bwtree and its files
 *
 * Context: Module init.
 * Return: 0, -ENOMEM, or sysfs_create_group()'s error.
 */
int bwdev_sysfs_init(void)
{
	int ret;

	bwdev_kobj = kobject_create_and_add("bwtree", kernel_kobj);
	if (!bwdev_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(bwdev_kobj, &bwdev_attr_group);
	if (ret) {
		kobject_put(bwdev_kobj);
		bwdev_kobj = NULL;
	}
	return ret;
}

/**
 * bwdev_sysfs_exit() - remove /sys/kernel/bwtree
 *
 * Context: Module exit.
 */
void bwdev_sysfs_exit(void)
{
	kobject_put(bwdev_kobj);
	bwdev_kobj = NULL;
}

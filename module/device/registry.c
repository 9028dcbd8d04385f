// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree - the trees /dev/bwtree knows: named and anonymous, and their
 * lifetimes.  Their debugfs directories are debugfs.c's.
 *
 * Prefixes: bwdev_tree_ for struct bwdev_tree and the registry; @bt is a
 * struct bwdev_tree.
 */

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "device.h"

/**
 * DOC: Tree lifetimes
 *
 * A struct bwdev_tree is reference counted.  A named tree holds one
 * reference for the registry (bwdev_trees, a list sorted by name under
 * bwdev_lock) from CREATE until DESTROY or module unload; every file bound
 * to a tree holds one more, taken by CREATE or ATTACH and dropped when the
 * file is closed.  DESTROY only unlinks: the name is free at once and the
 * debugfs directory goes, but files still bound go on using the tree, which
 * is freed when the last reference is put.  An anonymous tree has no
 * registry reference: its one file's reference is the only one.
 *
 * bwdev_lock guards the registry alone.  It is a mutex, taken only by the
 * administrative ioctls and never on the data path: data operations go
 * straight from a file's bound tree to the latch-free core.  A file's
 * binding is set once and never changes while the file is open, so a data
 * operation needs no reference of its own.
 *
 * A debugfs file reads its tree through inode->i_private.  The directory
 * is removed (debugfs_remove() waits for readers in progress) before the
 * reference that keeps the tree alive is put, so no reader can see a freed
 * tree.
 */

static DEFINE_MUTEX(bwdev_lock);
static LIST_HEAD(bwdev_trees);
static unsigned long bwdev_nr_named;
static atomic_long_t bwdev_nr_anon = ATOMIC_LONG_INIT(0);
static atomic64_t bwdev_next_id = ATOMIC64_INIT(0);

/**
 * bwdev_tree_valid_name() - check a tree name
 * @name: the name, not necessarily NUL-terminated
 * @len: its length in bytes
 *
 * A name is 1 to %BWTREE_IOC_NAME_MAX bytes of ``A-Z a-z 0-9 _ . -`` and
 * does not start with a dot, so that it is a safe debugfs directory name
 * and cannot clash with the "anon:<id>" directories.
 *
 * Context: Any context.
 * Return: 0 when valid, -EINVAL when not.
 */
int bwdev_tree_valid_name(const char *name, size_t len)
{
	size_t i;

	if (len < 1 || len > BWTREE_IOC_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		/* Not isalnum(): the kernel's ctype knows Latin-1 letters. */
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-')
			return -EINVAL;
	}
	return 0;
}

static struct bwdev_tree *bwdev_tree_find_locked(const char *name)
{
	struct bwdev_tree *bt;

	lockdep_assert_held(&bwdev_lock);
	list_for_each_entry(bt, &bwdev_trees, link)
		if (!strcmp(bt->name, name))
			return bt;
	return NULL;
}

/* Enter a named tree in the registry, keeping it sorted; bwdev_lock held. */
static void bwdev_tree_link_locked(struct bwdev_tree *bt)
{
	struct list_head *at = &bwdev_trees;
	struct bwdev_tree *pos;

	lockdep_assert_held(&bwdev_lock);
	list_for_each_entry(pos, &bwdev_trees, link) {
		if (strcmp(pos->name, bt->name) > 0) {
			at = &pos->link;
			break;
		}
	}
	list_add_tail(&bt->link, at);
	WRITE_ONCE(bwdev_nr_named, bwdev_nr_named + 1);
}

/**
 * bwdev_tree_create() - make a tree, named or anonymous
 * @name: NUL-terminated valid name, or NULL for an anonymous tree
 * @params: the core tree's parameters
 *
 * A named tree enters the registry, which keeps one reference; the caller
 * gets one more reference in both cases.
 *
 * Context: Process context; takes bwdev_lock for a named tree.
 * Return: the tree, or ERR_PTR(-EEXIST) when the name is taken,
 * ERR_PTR(-ENOMEM), or the core's error (-EINVAL, -ENOSPC).
 */
struct bwdev_tree *bwdev_tree_create(const char *name,
				     const struct bwtree_params *params)
{
	struct bwdev_tree *bt;
	struct bwtree *tree;
	int ret;

	bt = kzalloc(sizeof(*bt), GFP_KERNEL);
	if (!bt)
		return ERR_PTR(-ENOMEM);
	kref_init(&bt->ref);
	INIT_LIST_HEAD(&bt->link);
	bt->id = atomic64_inc_return(&bwdev_next_id);
	bt->anon = !name;
	if (name)
		strscpy(bt->name, name, sizeof(bt->name));

	if (bt->anon) {
		tree = bwtree_create(params);
		if (IS_ERR_OR_NULL(tree)) {
			ret = tree ? PTR_ERR(tree) : -ENOMEM;
			goto free_bt;
		}
		bt->tree = tree;
		atomic_long_inc(&bwdev_nr_anon);
		bwdev_debugfs_add_tree(bt);
		return bt;
	}

	/*
	 * The core may sleep in bwtree_create(); bwdev_lock is a mutex, and
	 * holding it across the creation makes the name check and the
	 * insertion one step.
	 */
	mutex_lock(&bwdev_lock);
	if (bwdev_tree_find_locked(name)) {
		ret = -EEXIST;
		goto unlock;
	}
	tree = bwtree_create(params);
	if (IS_ERR_OR_NULL(tree)) {
		ret = tree ? PTR_ERR(tree) : -ENOMEM;
		goto unlock;
	}
	bt->tree = tree;
	bwdev_debugfs_add_tree(bt);
	bwdev_tree_link_locked(bt);
	kref_get(&bt->ref);	/* the registry's */
	mutex_unlock(&bwdev_lock);
	return bt;

unlock:
	mutex_unlock(&bwdev_lock);
free_bt:
	kfree(bt);
	return ERR_PTR(ret);
}

/**
 * bwdev_tree_find() - look a named tree up and take a reference on it
 * @name: NUL-terminated name
 *
 * Context: Process context; takes bwdev_lock.
 * Return: the tree, or NULL when no tree has that name.
 */
struct bwdev_tree *bwdev_tree_find(const char *name)
{
	struct bwdev_tree *bt;

	mutex_lock(&bwdev_lock);
	bt = bwdev_tree_find_locked(name);
	if (bt)
		kref_get(&bt->ref);
	mutex_unlock(&bwdev_lock);
	return bt;
}

/* Take a named tree out of the registry; bwdev_lock held. */
static void bwdev_tree_unlink_locked(struct bwdev_tree *bt)
{
	lockdep_assert_held(&bwdev_lock);
	list_del_init(&bt->link);
	WRITE_ONCE(bwdev_nr_named, bwdev_nr_named - 1);
	/* Waits for debugfs readers; they never take bwdev_lock. */
	bwdev_debugfs_remove_tree(bt);
}

/**
 * bwdev_tree_unlink() - DESTROY: unlink a named tree and drop the
 *	registry's reference
 * @name: NUL-terminated name
 *
 * Context: Process context; takes bwdev_lock; may free the tree.
 * Return: 0, or -ENOENT when no tree has that name.
 */
int bwdev_tree_unlink(const char *name)
{
	struct bwdev_tree *bt;

	mutex_lock(&bwdev_lock);
	bt = bwdev_tree_find_locked(name);
	if (!bt) {
		mutex_unlock(&bwdev_lock);
		return -ENOENT;
	}
	bwdev_tree_unlink_locked(bt);
	mutex_unlock(&bwdev_lock);
	bwdev_tree_put(bt);
	return 0;
}

/**
 * bwdev_tree_unlink_tree() - undo the creation of a named tree
 * @bt: a tree from bwdev_tree_create(), on which the caller holds its
 *	reference
 *
 * Unlinks @bt if it is still in the registry, and drops the registry's
 * reference then.  The caller's reference is left to the caller.
 *
 * Context: Process context; takes bwdev_lock.
 */
void bwdev_tree_unlink_tree(struct bwdev_tree *bt)
{
	bool linked;

	mutex_lock(&bwdev_lock);
	linked = !list_empty(&bt->link);
	if (linked)
		bwdev_tree_unlink_locked(bt);
	mutex_unlock(&bwdev_lock);
	if (linked)
		bwdev_tree_put(bt);
}

static void bwdev_tree_release(struct kref *ref)
{
	struct bwdev_tree *bt = container_of(ref, struct bwdev_tree, ref);

	/* A named tree left the list, and debugfs, when it was unlinked. */
	WARN_ON(!list_empty(&bt->link));
	bwdev_debugfs_remove_tree(bt);
	if (bt->anon)
		atomic_long_dec(&bwdev_nr_anon);
	bwtree_destroy(bt->tree);
	kfree(bt);
}

/**
 * bwdev_tree_put() - drop a reference; the last one frees the tree
 * @bt: the tree
 *
 * Context: Process context, no spinlock held (bwtree_destroy() may sleep).
 */
void bwdev_tree_put(struct bwdev_tree *bt)
{
	might_sleep();
	kref_put(&bt->ref, bwdev_tree_release);
}

/**
 * bwdev_tree_list() - the names of the named trees
 * @buf: where to write the names, each followed by a NUL, or NULL
 * @len: input: bytes at @buf; output: bytes the names take
 * @num: output: number of named trees
 *
 * Context: Process context; takes bwdev_lock.
 * Return: 0, or -EMSGSIZE when the names do not fit (@buf is then
 * untouched; @len and @num are set).
 */
int bwdev_tree_list(char *buf, u32 *len, u32 *num)
{
	struct bwdev_tree *bt;
	u32 need = 0, n = 0, at = 0;
	int ret = 0;

	mutex_lock(&bwdev_lock);
	list_for_each_entry(bt, &bwdev_trees, link) {
		need += strlen(bt->name) + 1;
		n++;
	}
	if (need > *len || (need && !buf)) {
		ret = -EMSGSIZE;
	} else {
		list_for_each_entry(bt, &bwdev_trees, link) {
			size_t l = strlen(bt->name) + 1;

			memcpy(buf + at, bt->name, l);
			at += l;
		}
	}
	mutex_unlock(&bwdev_lock);
	*len = need;
	*num = n;
	return ret;
}

/**
 * bwdev_tree_exit() - unlink and free every named tree, at module unload
 *
 * No file is open then (each holds a module reference), so each tree's
 * last reference is the registry's and the tree is freed here.
 *
 * Context: Module exit, after the device is gone; takes bwdev_lock.
 */
void bwdev_tree_exit(void)
{
	struct bwdev_tree *bt, *tmp;

	mutex_lock(&bwdev_lock);
	list_for_each_entry_safe(bt, tmp, &bwdev_trees, link) {
		bwdev_tree_unlink_locked(bt);
		WARN_ON(kref_read(&bt->ref) != 1);
		bwdev_tree_put(bt);
	}
	mutex_unlock(&bwdev_lock);
	WARN_ON(atomic_long_read(&bwdev_nr_anon));
}

/**
 * bwdev_tree_nr_named() - number of named trees
 *
 * Context: Any context; the value may be stale at once.
 * Return: the number.
 */
unsigned long bwdev_tree_nr_named(void)
{
	return READ_ONCE(bwdev_nr_named);
}

/**
 * bwdev_tree_nr_anon() - number of live anonymous trees
 *
 * Context: Any context; the value may be stale at once.
 * Return: the number.
 */
unsigned long bwdev_tree_nr_anon(void)
{
	return atomic_long_read(&bwdev_nr_anon);
}

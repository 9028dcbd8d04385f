// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree - the misc device /dev/bwtree: open files and the ioctl ABI of
 * include/uapi/linux/bwtree.h.
 *
 * Prefixes: bwdev_ioc_ for the handler of one ioctl; bwdev_file_ for an
 * open file (struct bwdev_file, @bf); struct bwdev_ucmd (@ucmd) is one
 * ioctl call as the dispatcher hands it to a handler.
 */

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "device.h"

/**
 * DOC: The ioctl path
 *
 * Every command is one entry of bwdev_ioctl_ops[], indexed by its number,
 * holding the full command word, the size of its structure and the size of
 * the structure's first version.  bwdev_ioctl() compares the full command
 * word (so a wrong direction or size encoding is -ENOTTY), reads ``size``,
 * rejects sizes below the first version (-EINVAL) or above a page (-E2BIG),
 * and reads the structure with copy_struct_from_user(), which zero-fills a
 * shorter structure and fails with -E2BIG on non-zero bytes past ours.
 *
 * The entry also says what every call of the command must pass before its
 * handler runs, and bwdev_ioctl() checks it in one order: flag bits outside
 * the command's mask or a non-zero ``__reserved`` field (-EINVAL), a
 * mutation through a file opened without write access (-EBADF), an
 * administrative command without CAP_SYS_ADMIN (-EPERM; CREATE with ANON is
 * exempt), a data operation on a file bound to no tree (-ENOTCONN).  The
 * handler then checks the other fields, and does its work; BATCH, whose
 * ops decide whether it mutates, checks each op's kind and flags (-EINVAL),
 * then each op's need of write access (-EBADF).
 *
 * Nothing changes before every check has passed and every byte of user
 * input has been copied in.  Mutations that write results back (UPSERT,
 * DELETE, BATCH) first prove the fields they will write writable by storing
 * back the bytes just read from them, which changes nothing the caller can
 * see, and after the change store their results with put_user() or
 * unsafe_put_user(), so an injected copy_to_user() failure can only happen
 * before a change.  SCAN changes nothing, and checks its whole output array
 * with fault_in_safe_writeable() before scanning, so that a bad buffer fails
 * whether or not the range holds keys.
 */

/*
 * STATS copies the tree's records[], indexed by enum bwtree_kind, into the
 * user's, indexed by the BWTREE_IOC_REC_* the uapi header names itself:
 * every index must be its kind, and every kind must have an index.
 */
#define BWDEV_REC_IS_KIND(_kind)					\
	static_assert((int)BWTREE_IOC_REC_##_kind == (int)BWTREE_##_kind)
BWDEV_REC_IS_KIND(LEAF);
BWDEV_REC_IS_KIND(INNER);
BWDEV_REC_IS_KIND(INSERT);
BWDEV_REC_IS_KIND(DELETE);
BWDEV_REC_IS_KIND(SPLIT);
BWDEV_REC_IS_KIND(INDEX);
BWDEV_REC_IS_KIND(INDEX_DEL);
BWDEV_REC_IS_KIND(REMOVE);
BWDEV_REC_IS_KIND(MERGE);
static_assert((int)BWTREE_IOC_REC_NR == (int)BWTREE_NR_KINDS);
static_assert(BWTREE_IOC_REC_NR <= BWTREE_IOC_REC_SLOTS);

DEFINE_PER_CPU(struct bwdev_counters, bwdev_counters);

/**
 * struct bwdev_file - one open file of /dev/bwtree
 * @tree: the tree this file is bound to, or NULL; set once, by CREATE with
 *	ANON or ATTACH, or by ATTACH, and kept until the file is released
 */
struct bwdev_file {
	struct bwdev_tree *tree;
};

/**
 * struct bwdev_ucmd - one ioctl call
 * @file: the file
 * @bf: its struct bwdev_file
 * @bt: the tree @bf is bound to, for a command that needs one; else NULL
 * @ubuffer: the user's structure
 * @user_size: its size as the user gave it
 * @cmd: the structure, copied in
 */
struct bwdev_ucmd {
	struct file *file;
	struct bwdev_file *bf;
	struct bwdev_tree *bt;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/* The fields every command's structure starts with. */
struct bwdev_ucmd_head {
	u32 size;
	u32 flags;
};

union bwdev_ucmd_buffer {
	struct bwdev_ucmd_head head;
	struct bwtree_ioc_info info;
	struct bwtree_ioc_create create;
	struct bwtree_ioc_name name;
	struct bwtree_ioc_list list;
	struct bwtree_ioc_kv kv;
	struct bwtree_ioc_count count;
	struct bwtree_ioc_stats stats;
	struct bwtree_ioc_scan scan;
	struct bwtree_ioc_batch batch;
};

/* Copy the structure back, no more than the user's size of it. */
static int bwdev_respond(struct bwdev_ucmd *ucmd, size_t len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, len)))
		return -EFAULT;
	return 0;
}

/* Check that @len bytes at @uptr can be written, without writing them. */
static int bwdev_check_writable(const void __user *uptr, size_t len)
{
	if (!access_ok(uptr, len) ||
	    fault_in_safe_writeable((const char __user *)uptr, len))
		return -EFAULT;
	return 0;
}

static bool bwdev_writable(struct bwdev_ucmd *ucmd)
{
	return ucmd->file->f_mode & FMODE_WRITE;
}

/*
 * The tree @bf is bound to.  The acquire pairs with the cmpxchg() in
 * bwdev_file_bind(), so the tree's setup is seen before the tree.
 */
static struct bwdev_tree *bwdev_file_tree(struct bwdev_file *bf)
{
	/* Pairs with the cmpxchg() in bwdev_file_bind(). */
	return smp_load_acquire(&bf->tree);
}

/*
 * Bind @bf to @bt, giving it the caller's reference.  cmpxchg() is fully
 * ordered on success, which publishes @bt after its setup; it fails when a
 * racing CREATE or ATTACH on the same file bound it first.
 */
static int bwdev_file_bind(struct bwdev_file *bf, struct bwdev_tree *bt)
{
	if (cmpxchg(&bf->tree, NULL, bt))
		return -EBUSY;
	return 0;
}

/* Copy in and check a tree name: -EINVAL or -EFAULT. */
static int bwdev_get_name(char *name, u64 uptr, u32 len)
{
	if (len < 1 || len > BWTREE_IOC_NAME_MAX)
		return -EINVAL;
	if (copy_from_user(name, u64_to_user_ptr(uptr), len))
		return -EFAULT;
	name[len] = '\0';
	return bwdev_tree_valid_name(name, len);
}

static int bwdev_ioc_get_info(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_info *cmd = ucmd->cmd;

	cmd->abi_version = BWTREE_IOC_ABI_VERSION;
	cmd->name_max = BWTREE_IOC_NAME_MAX;
	cmd->features = BWTREE_IOC_FEAT_NAMED | BWTREE_IOC_FEAT_ANON |
			BWTREE_IOC_FEAT_SCAN | BWTREE_IOC_FEAT_BATCH |
			BWTREE_IOC_FEAT_STATS;
	cmd->max_batch = BWDEV_MAX_BATCH;
	cmd->max_scan = BWDEV_MAX_SCAN;
	cmd->min_node = BWTREE_MIN_NODE;
	cmd->max_node = BWTREE_MAX_NODE;
	cmd->max_chain = BWTREE_MAX_CHAIN;
	cmd->max_bytes = max(READ_ONCE(bwdev_account.limit), 0L);
	cmd->bytes = bwtree_account_bytes(&bwdev_account);
	return bwdev_respond(ucmd, sizeof(*cmd));
}

static int bwdev_ioc_create(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_create *cmd = ucmd->cmd;
	bool anon = cmd->flags & BWTREE_IOC_CREATE_ANON;
	bool attach = anon || (cmd->flags & BWTREE_IOC_CREATE_ATTACH);
	char name[BWTREE_IOC_NAME_MAX + 1];
	struct bwtree_params params = {};
	struct bwdev_tree *bt;
	int ret;

	params.leaf_max = cmd->leaf_max;
	params.inner_max = cmd->inner_max;
	params.chain_max = cmd->chain_max;
	/* Saturate, so that a 32-bit kernel refuses what it cannot hold. */
	params.max_bytes = min_t(u64, cmd->max_bytes, ULONG_MAX);
	params.account = &bwdev_account;
	ret = bwtree_check_params(&params);
	if (ret)
		return ret;
	if (anon) {
		if (cmd->name || cmd->name_len)
			return -EINVAL;
	} else {
		ret = bwdev_get_name(name, cmd->name, cmd->name_len);
		if (ret)
			return ret;
	}
	if (attach && bwdev_file_tree(ucmd->bf))
		return -EBUSY;
	/* The core checks limits on writes; a new tree is refused here. */
	if (bwtree_account_full(&bwdev_account))
		return -ENOSPC;

	bt = bwdev_tree_create(anon ? NULL : name, &params);
	if (IS_ERR(bt))
		return PTR_ERR(bt);
	if (!attach) {
		/* The registry keeps the named tree. */
		bwdev_tree_put(bt);
		return 0;
	}
	ret = bwdev_file_bind(ucmd->bf, bt);
	if (ret) {
		bwdev_tree_unlink_tree(bt);
		bwdev_tree_put(bt);
	}
	return ret;
}

static int bwdev_ioc_destroy(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_name *cmd = ucmd->cmd;
	char name[BWTREE_IOC_NAME_MAX + 1];
	int ret;

	ret = bwdev_get_name(name, cmd->name, cmd->name_len);
	if (ret)
		return ret;
	return bwdev_tree_unlink(name);
}

static int bwdev_ioc_attach(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_name *cmd = ucmd->cmd;
	char name[BWTREE_IOC_NAME_MAX + 1];
	struct bwdev_tree *bt;
	int ret;

	ret = bwdev_get_name(name, cmd->name, cmd->name_len);
	if (ret)
		return ret;
	if (bwdev_file_tree(ucmd->bf))
		return -EBUSY;
	bt = bwdev_tree_find(name);
	if (!bt)
		return -ENOENT;
	ret = bwdev_file_bind(ucmd->bf, bt);
	if (ret)
		bwdev_tree_put(bt);
	return ret;
}

static int bwdev_ioc_list(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_list *cmd = ucmd->cmd;
	u32 len, num, cap;
	char *buf = NULL;
	int tries = 0;
	int ret;

	/*
	 * Size the kernel buffer by the number of trees now; should trees be
	 * created meanwhile, try again, a few times, before telling the user.
	 */
	do {
		kvfree(buf);
		buf = NULL;
		cap = min_t(u64, cmd->buf_len,
			    (u64)(bwdev_tree_nr_named() + 1) *
			    (BWTREE_IOC_NAME_MAX + 1));
		if (cap) {
			buf = kvmalloc(cap, GFP_KERNEL);
			if (!buf)
				return -ENOMEM;
		}
		len = cap;
		ret = bwdev_tree_list(buf, &len, &num);
	} while (ret == -EMSGSIZE && len <= cmd->buf_len && ++tries < 4);

	if (!ret && len &&
	    copy_to_user(u64_to_user_ptr(cmd->buf), buf, len))
		ret = -EFAULT;
	kvfree(buf);
	if (ret && ret != -EMSGSIZE)
		return ret;
	cmd->buf_len = len;
	cmd->num_trees = num;
	return bwdev_respond(ucmd, sizeof(*cmd)) ?: ret;
}

static int bwdev_ioc_insert(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_kv *cmd = ucmd->cmd;

	return bwtree_insert(ucmd->bt->tree, cmd->key, cmd->value);
}

static int bwdev_ioc_upsert(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_kv *cmd = ucmd->cmd;
	struct bwtree_ioc_kv __user *ukv = ucmd->ubuffer;
	bool replaced = false;
	int ret;

	/* Prove @replaced writable: store back what was read. */
	if (put_user(cmd->replaced, &ukv->replaced))
		return -EFAULT;
	ret = bwtree_upsert(ucmd->bt->tree, cmd->key, cmd->value, &replaced);
	if (ret)
		return ret;
	if (put_user((u32)replaced, &ukv->replaced))
		return -EFAULT;
	return 0;
}

static int bwdev_ioc_delete(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_kv *cmd = ucmd->cmd;
	struct bwtree_ioc_kv __user *ukv = ucmd->ubuffer;
	u64 value;
	int ret;

	/* Prove the outputs writable: store back what was read. */
	if (put_user(cmd->value, &ukv->value) ||
	    put_user(cmd->replaced, &ukv->replaced))
		return -EFAULT;
	ret = bwtree_delete(ucmd->bt->tree, cmd->key, &value);
	if (ret)
		return ret;
	if (put_user(value, &ukv->value) || put_user(0U, &ukv->replaced))
		return -EFAULT;
	return 0;
}

static int bwdev_ioc_lookup(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_kv *cmd = ucmd->cmd;
	u64 value;
	int ret;

	ret = bwtree_lookup(ucmd->bt->tree, cmd->key, &value);
	if (ret)
		return ret;
	cmd->value = value;
	cmd->replaced = 0;
	return bwdev_respond(ucmd, sizeof(*cmd));
}

static int bwdev_ioc_count(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_count *cmd = ucmd->cmd;

	cmd->count = bwtree_count(ucmd->bt->tree);
	return bwdev_respond(ucmd, sizeof(*cmd));
}

static int bwdev_ioc_stats(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_stats *cmd = ucmd->cmd;
	struct bwtree_params params;
	struct bwtree_stats st;
	int i;

	bwtree_get_stats(ucmd->bt->tree, &st);
	bwtree_get_params(ucmd->bt->tree, &params);
	cmd->count = st.count;
	cmd->height = st.height;
	cmd->pages = st.pages;
	cmd->bytes = st.bytes;
	cmd->consolidations = st.consolidations;
	cmd->splits = st.splits;
	cmd->merges = st.merges;
	cmd->cas_failures = st.cas_failures;
	cmd->retries = st.retries;
	cmd->longest_chain = st.longest_chain;
	cmd->leaf_max = params.leaf_max;
	cmd->inner_max = params.inner_max;
	cmd->chain_max = params.chain_max;
	cmd->max_bytes = params.max_bytes;
	for (i = 0; i < BWTREE_IOC_REC_SLOTS; i++)
		cmd->records[i] = i < BWTREE_IOC_REC_NR ? st.records[i] : 0;
	return bwdev_respond(ucmd, sizeof(*cmd));
}

/* A SCAN of at most this many pairs copies them through the stack. */
#define BWDEV_SCAN_STACK	16

static int bwdev_ioc_scan(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_scan *cmd = ucmd->cmd;
	void __user *upairs = u64_to_user_ptr(cmd->pairs);
	struct bwtree_pair few[BWDEV_SCAN_STACK];
	struct bwtree_pair *pairs = few;
	unsigned int flags = 0;
	bool done = false;
	size_t bytes;
	s64 next = 0;
	int ret;

	if (cmd->lo > cmd->hi || !cmd->max || cmd->max > BWDEV_MAX_SCAN)
		return -EINVAL;
	if (cmd->flags & BWTREE_IOC_SCAN_REVERSE)
		flags |= BWTREE_SCAN_REVERSE;
	bytes = (size_t)cmd->max * sizeof(*pairs);
	/* Fail on a bad buffer whether or not the range holds keys. */
	if (bwdev_check_writable(upairs, bytes))
		return -EFAULT;
	if (cmd->max > ARRAY_SIZE(few)) {
		pairs = kvmalloc_array(cmd->max, sizeof(*pairs), GFP_KERNEL);
		if (!pairs)
			return -ENOMEM;
	}
	ret = bwtree_scan_batch(ucmd->bt->tree, cmd->lo, cmd->hi, flags, pairs,
				cmd->max, &next, &done);
	if (ret < 0)
		goto free_pairs;
	if (copy_to_user(upairs, pairs, (size_t)ret * sizeof(*pairs))) {
		ret = -EFAULT;
		goto free_pairs;
	}
	this_cpu_add(bwdev_counters.scan_pairs, ret);
	cmd->count = ret;
	cmd->done = done;
	cmd->next = done ? 0 : next;
	ret = bwdev_respond(ucmd, sizeof(*cmd));
free_pairs:
	if (pairs != few)
		kvfree(pairs);
	return ret;
}

static bool bwdev_batch_op_mutates(u32 op)
{
	return op != BWTREE_IOC_OP_LOOKUP;
}

/*
 * Run one operation of a batch, not a LOOKUP (runs of those go to
 * bwdev_batch_lookups()); its result as struct bwtree_ioc_batch_op.
 */
static s64 bwdev_batch_run(struct bwtree *tree, struct bwtree_ioc_batch_op *op)
{
	bool replaced = false;
	u64 value;
	int ret;

	switch (op->op) {
	case BWTREE_IOC_OP_INSERT:
		return bwtree_insert(tree, op->key, op->value);
	case BWTREE_IOC_OP_UPSERT:
		ret = bwtree_upsert(tree, op->key, op->value, &replaced);
		return ret ? ret : replaced;
	case BWTREE_IOC_OP_DELETE:
		ret = bwtree_delete(tree, op->key, &value);
		break;
	default:
		return -EINVAL;	/* excluded by bwdev_ioc_batch() */
	}
	if (!ret)
		op->value = value;
	return ret;
}

/* Keys of a run of LOOKUPs handed to bwtree_lookup_batch() at once. */
#define BWDEV_LOOKUP_RUN	64

/*
 * Run the LOOKUP ops at the start of @ops (at most @count, at most
 * BWDEV_LOOKUP_RUN) as one batched lookup, each with what a LOOKUP of its
 * own gives: result 0 and the value, or -ENOENT and the value left alone.
 * Return: how many ran, at least one if @ops[0] is a LOOKUP.
 */
static noinline_for_stack u32
bwdev_batch_lookups(struct bwtree *tree, struct bwtree_ioc_batch_op *ops,
		    u32 count)
{
	s64 keys[BWDEV_LOOKUP_RUN];
	u64 values[BWDEV_LOOKUP_RUN];
	bool found[BWDEV_LOOKUP_RUN];
	u32 n, i;

	for (n = 0; n < count && n < BWDEV_LOOKUP_RUN &&
	     ops[n].op == BWTREE_IOC_OP_LOOKUP; n++)
		keys[n] = ops[n].key;
	bwtree_lookup_batch(tree, keys, n, values, found);
	for (i = 0; i < n; i++) {
		ops[i].result = found[i] ? 0 : -ENOENT;
		if (found[i])
			ops[i].value = values[i];
	}
	return n;
}

/*
 * Store values and results into the user's array: before the run, with
 * the bytes read from it, to prove it writable; after the run, the outputs.
 */
static int bwdev_batch_store(struct bwtree_ioc_batch_op __user *uops,
			     const struct bwtree_ioc_batch_op *ops, u32 count)
{
	u32 i;

	if (!user_access_begin(uops, (size_t)count * sizeof(*uops)))
		return -EFAULT;
	for (i = 0; i < count; i++) {
		unsafe_put_user(ops[i].value, &uops[i].value, efault);
		unsafe_put_user(ops[i].result, &uops[i].result, efault);
	}
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int bwdev_ioc_batch(struct bwdev_ucmd *ucmd)
{
	struct bwtree_ioc_batch *cmd = ucmd->cmd;
	struct bwtree_ioc_batch __user *ubatch = ucmd->ubuffer;
	struct bwtree_ioc_batch_op __user *uops = u64_to_user_ptr(cmd->ops);
	struct bwtree_ioc_batch_op *ops;
	bool writable = bwdev_writable(ucmd);
	s64 stop = 0;
	size_t bytes;
	u32 i, done;
	int ret;

	if (!cmd->count || cmd->count > BWDEV_MAX_BATCH)
		return -EINVAL;
	bytes = (size_t)cmd->count * sizeof(*ops);
	ops = kvmalloc(bytes, GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	if (copy_from_user(ops, uops, bytes)) {
		ret = -EFAULT;
		goto free_ops;
	}
	for (i = 0; i < cmd->count; i++) {
		if (ops[i].op < BWTREE_IOC_OP_INSERT ||
		    ops[i].op > BWTREE_IOC_OP_LOOKUP || ops[i].flags) {
			ret = -EINVAL;
			goto free_ops;
		}
	}
	for (i = 0; i < cmd->count; i++) {
		if (!writable && bwdev_batch_op_mutates(ops[i].op)) {
			ret = -EBADF;
			goto free_ops;
		}
	}
	if (bwdev_batch_store(uops, ops, cmd->count) ||
	    put_user(cmd->done, &ubatch->done)) {
		ret = -EFAULT;
		goto free_ops;
	}

	for (done = 0; done < cmd->count; ) {
		s64 res;

		/* A run of lookups goes as one batch: none of them fails. */
		if (ops[done].op == BWTREE_IOC_OP_LOOKUP) {
			done += bwdev_batch_lookups(ucmd->bt->tree, &ops[done],
						    cmd->count - done);
			cond_resched();
			continue;
		}
		res = bwdev_batch_run(ucmd->bt->tree, &ops[done]);
		ops[done].result = res;
		if (res < 0 && res != -EEXIST && res != -ENOENT) {
			stop = res;
			break;
		}
		done++;
		cond_resched();
	}
	for (i = done + (stop ? 1 : 0); i < cmd->count; i++)
		ops[i].result = -ECANCELED;
	this_cpu_add(bwdev_counters.batch_ops, done);

	ret = bwdev_batch_store(uops, ops, cmd->count);
	if (!ret && put_user(done, &ubatch->done))
		ret = -EFAULT;
	if (!ret)
		ret = stop;
free_ops:
	kvfree(ops);
	return ret;
}

/**
 * struct bwdev_ioctl_op - one command of the ioctl ABI
 * @size: size of the command's structure in this version
 * @min_size: size of its first version: less is -EINVAL
 * @ioctl_num: the full command word
 * @flags: the flag bits the command knows; others are -EINVAL
 * @reserved: offset of the structure's ``__reserved`` field, which must be
 *	0 (-EINVAL); 0 when it has none
 * @mutates: needs a file opened for writing (-EBADF)
 * @admin: needs CAP_SYS_ADMIN (-EPERM) ...
 * @admin_unless: ... unless the call sets one of these flags
 * @needs_tree: needs a bound tree (-ENOTCONN), handed over in
 *	&bwdev_ucmd.bt
 * @execute: the handler, called once every check above has passed
 */
struct bwdev_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	u32 flags;
	unsigned int reserved;
	bool mutates;
	bool admin;
	u32 admin_unless;
	bool needs_tree;
	int (*execute)(struct bwdev_ucmd *ucmd);
};

/*
 * One entry of bwdev_ioctl_ops[]; the optional arguments set the checks,
 * e.g. .mutates = true.  Every structure must fit the buffer and start with
 * the fields of struct bwdev_ucmd_head.
 */
#define BWDEV_IOCTL_OP(_name, _fn, _struct, _last, ...)			\
	[BWTREE_CMD_##_name] = {					\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union bwdev_ucmd_buffer) < \
					  sizeof(_struct)) +		\
			BUILD_BUG_ON_ZERO(offsetof(_struct, flags) !=	\
					  offsetof(struct bwdev_ucmd_head, \
						   flags)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = BWTREE_IOC_##_name,			\
		.execute = _fn,						\
		__VA_ARGS__						\
	}

/* .reserved of a structure with a __u32 __reserved field. */
#define BWDEV_RESERVED(_struct)						\
	(offsetof(_struct, __reserved) +				\
	 BUILD_BUG_ON_ZERO(sizeof_field(_struct, __reserved) != sizeof(u32)))

static const struct bwdev_ioctl_op bwdev_ioctl_ops[] = {
	BWDEV_IOCTL_OP(GET_INFO, bwdev_ioc_get_info,
		       struct bwtree_ioc_info, bytes,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_info)),
	BWDEV_IOCTL_OP(CREATE, bwdev_ioc_create,
		       struct bwtree_ioc_create, chain_max,
		       .flags = BWTREE_IOC_CREATE_ANON |
				BWTREE_IOC_CREATE_ATTACH,
		       .mutates = true, .admin = true,
		       .admin_unless = BWTREE_IOC_CREATE_ANON),
	BWDEV_IOCTL_OP(DESTROY, bwdev_ioc_destroy,
		       struct bwtree_ioc_name, __reserved,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_name),
		       .mutates = true, .admin = true),
	BWDEV_IOCTL_OP(LIST, bwdev_ioc_list,
		       struct bwtree_ioc_list, num_trees),
	BWDEV_IOCTL_OP(ATTACH, bwdev_ioc_attach,
		       struct bwtree_ioc_name, __reserved,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_name)),
	BWDEV_IOCTL_OP(INSERT, bwdev_ioc_insert,
		       struct bwtree_ioc_kv, __reserved,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_kv),
		       .mutates = true, .needs_tree = true),
	BWDEV_IOCTL_OP(UPSERT, bwdev_ioc_upsert,
		       struct bwtree_ioc_kv, __reserved,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_kv),
		       .mutates = true, .needs_tree = true),
	BWDEV_IOCTL_OP(DELETE, bwdev_ioc_delete,
		       struct bwtree_ioc_kv, __reserved,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_kv),
		       .mutates = true, .needs_tree = true),
	BWDEV_IOCTL_OP(LOOKUP, bwdev_ioc_lookup,
		       struct bwtree_ioc_kv, __reserved,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_kv),
		       .needs_tree = true),
	BWDEV_IOCTL_OP(COUNT, bwdev_ioc_count,
		       struct bwtree_ioc_count, count,
		       .needs_tree = true),
	BWDEV_IOCTL_OP(STATS, bwdev_ioc_stats,
		       struct bwtree_ioc_stats, records,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_stats),
		       .needs_tree = true),
	BWDEV_IOCTL_OP(SCAN, bwdev_ioc_scan,
		       struct bwtree_ioc_scan, __reserved,
		       .flags = BWTREE_IOC_SCAN_REVERSE,
		       .reserved = BWDEV_RESERVED(struct bwtree_ioc_scan),
		       .needs_tree = true),
	/* Whether a BATCH mutates depends on its ops: it checks them. */
	BWDEV_IOCTL_OP(BATCH, bwdev_ioc_batch,
		       struct bwtree_ioc_batch, done,
		       .needs_tree = true),
};

/*
 * The checks every call of @op must pass, in their order (see "The ioctl
 * path"); @buf is the structure, copied in.
 */
static int bwdev_ioctl_check(const struct bwdev_ioctl_op *op,
			     struct bwdev_ucmd *ucmd,
			     const union bwdev_ucmd_buffer *buf)
{
	u32 flags = buf->head.flags;

	if (flags & ~op->flags)
		return -EINVAL;
	if (op->reserved &&
	    *(const u32 *)((const u8 *)buf + op->reserved))
		return -EINVAL;
	if (op->mutates && !bwdev_writable(ucmd))
		return -EBADF;
	if (op->admin && !(flags & op->admin_unless) &&
	    !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (op->needs_tree) {
		ucmd->bt = bwdev_file_tree(ucmd->bf);
		if (!ucmd->bt)
			return -ENOTCONN;
	}
	return 0;
}

static long bwdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct bwdev_ioctl_op *op;
	struct bwdev_ucmd ucmd = {};
	union bwdev_ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	this_cpu_inc(bwdev_counters.ioctls);
	if (_IOC_TYPE(cmd) != BWTREE_IOC_TYPE ||
	    nr >= ARRAY_SIZE(bwdev_ioctl_ops)) {
		ret = -ENOIOCTLCMD;
		goto out;
	}
	op = &bwdev_ioctl_ops[nr];
	if (op->ioctl_num != cmd) {
		ret = -ENOIOCTLCMD;
		goto out;
	}

	ucmd.file = file;
	ucmd.bf = file->private_data;
	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		goto out;
	if (ucmd.user_size < op->min_size) {
		ret = -EINVAL;
		goto out;
	}
	if (ucmd.user_size > PAGE_SIZE) {
		ret = -E2BIG;
		goto out;
	}
	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		goto out;
	ret = bwdev_ioctl_check(op, &ucmd, &buf);
	if (ret)
		goto out;
	ret = op->execute(&ucmd);
out:
	if (ret)
		this_cpu_inc(bwdev_counters.errors);
	return ret;
}

static int bwdev_open(struct inode *inode, struct file *file)
{
	struct bwdev_file *bf;

	bf = kzalloc(sizeof(*bf), GFP_KERNEL);
	if (!bf)
		return -ENOMEM;
	file->private_data = bf;
	return 0;
}

static int bwdev_release(struct inode *inode, struct file *file)
{
	struct bwdev_file *bf = file->private_data;

	if (bf->tree)
		bwdev_tree_put(bf->tree);
	kfree(bf);
	return 0;
}

static const struct file_operations bwdev_fops = {
	.owner = THIS_MODULE,
	.open = bwdev_open,
	.release = bwdev_release,
	.unlocked_ioctl = bwdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice bwdev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bwtree",
	.fops = &bwdev_fops,
};

/* Pin the ABI: sizes, and layouts shared with the core. */
static void bwdev_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_info) != 64);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_create) != 40);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_name) != 24);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_list) != 24);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_kv) != 32);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_count) != 16);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_stats) != 240);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_pair) != 16);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_scan) != 56);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_batch_op) != 32);
	BUILD_BUG_ON(sizeof(struct bwtree_ioc_batch) != 24);
	/* SCAN copies the core's pairs to the user as they are. */
	BUILD_BUG_ON(sizeof(struct bwtree_pair) !=
		     sizeof(struct bwtree_ioc_pair));
	BUILD_BUG_ON(offsetof(struct bwtree_pair, key) !=
		     offsetof(struct bwtree_ioc_pair, key));
	BUILD_BUG_ON(offsetof(struct bwtree_pair, value) !=
		     offsetof(struct bwtree_ioc_pair, value));
	BUILD_BUG_ON(ARRAY_SIZE(bwdev_ioctl_ops) != BWTREE_CMD_BATCH + 1);
}

/**
 * bwdev_init() - register /dev/bwtree
 *
 * Context: Module init, after the core and the registry are ready.
 * Return: 0 or misc_register()'s error.
 */
int bwdev_init(void)
{
	bwdev_check_abi();
	bwdev_misc.mode = bwdev_mode;
	return misc_register(&bwdev_misc);
}

/**
 * bwdev_exit() - unregister /dev/bwtree
 *
 * No file is open: each holds a reference on the module.
 *
 * Context: Module exit.
 */
void bwdev_exit(void)
{
	misc_deregister(&bwdev_misc);
}

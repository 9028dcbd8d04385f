/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bwtree - the ioctl ABI of /dev/bwtree.
 *
 * Prefixes: struct bwtree_ioc_* and BWTREE_IOC_* belong to this ABI;
 * the in-kernel API (include/bwtree.h) uses plain bwtree_* and BWTREE_*.
 */
#ifndef _UAPI_LINUX_BWTREE_H
#define _UAPI_LINUX_BWTREE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: The device
 *
 * This header's kernel-doc is the reference of the ABI: install it as
 * <linux/bwtree.h> (or build with ``-I include/uapi``); README.md says how
 * to render it.
 *
 * Userspace reaches the trees through one misc character device,
 * /dev/bwtree, and the ioctls below.  The device is mode 0600 (root only)
 * unless the module is loaded with ``mode=0660``, ``mode=0666`` or any
 * other value made of read and write bits (``insmod bwtree.ko mode=0666``);
 * other bits are refused at load.  Every open file holds a reference on the
 * module: rmmod refuses ("module is in use") while a file is open.
 * Unloading destroys the named trees.  read, write and mmap are not
 * supported; lseek is a no-op.  32-bit processes use the same structures
 * (compat_ptr_ioctl).
 */

/**
 * DOC: Trees and file descriptors
 *
 * A named tree is made by CREATE with a name (needs CAP_SYS_ADMIN) and
 * lives until DESTROY (needs CAP_SYS_ADMIN) or module unload.  An anonymous
 * tree is made by CREATE with %BWTREE_IOC_CREATE_ANON (needs nothing) and
 * lives until the file that made it is closed (all its dups).
 *
 * Data operations go to the tree the file is bound to.  A file is bound at
 * most once, by CREATE with ANON, CREATE with ATTACH, or ATTACH, and stays
 * bound until closed.  Binding again fails with EBUSY; a data operation on
 * an unbound file fails with ENOTCONN.
 *
 * DESTROY unlinks a name at once (the name can be reused, and the tree's
 * debugfs directory goes), but files still bound keep working on the old
 * tree, which is freed when the last of them is closed.
 *
 * A file opened O_RDONLY may bind (by ATTACH) and read: LOOKUP, COUNT,
 * STATS, SCAN, a BATCH of lookups.  Every change (INSERT, UPSERT, DELETE, a
 * BATCH holding one, CREATE, DESTROY) fails with EBADF.
 *
 * Tree names: 1 to %BWTREE_IOC_NAME_MAX (31) bytes of ``A-Z a-z 0-9 _ . -``,
 * not starting with ``.``, passed as a pointer and a length (no NUL needed).
 */

/**
 * DOC: General ioctl format
 *
 * Every ioctl takes a pointer to a structure whose first two fields are
 * ``__u32 size`` (sizeof the structure as userspace knows it) and
 * ``__u32 flags``.  The kernel reads ``size`` bytes; bytes past the end of
 * the structure it knows must be zero, and fields it knows that userspace's
 * shorter structure lacks read as zero.  Outputs are written back to at most
 * ``size`` bytes.  Fields named ``__reserved`` must be zero; output fields
 * are ignored on input.  Structures hold only __u32, __s64 and __aligned_u64
 * fields laid out without implicit padding, so 32- and 64-bit processes
 * share one layout.  User pointers are __aligned_u64.
 *
 * The commands are ``_IO(0xBB, nr)``: the structure's size is in ``size``,
 * not in the command word.  The kernel reads ``size`` bytes with
 * copy_struct_from_user(): a longer structure from a newer program works
 * when the bytes the kernel does not know are zero, and a shorter one from
 * an older program reads as if the missing fields were 0.  In ABI version 1
 * each structure's first version is the whole structure (sizes: info 64,
 * create 40, name 24, list 24, kv 32, count 16, stats 240, scan 56,
 * batch 24, batch_op 32 bytes).
 *
 * Checks run in this order: the command word (ENOTTY), ``size`` (EFAULT,
 * EINVAL, E2BIG), flags and reserved fields (EINVAL), write access (EBADF),
 * capability (EPERM), the bound tree (ENOTCONN), the other fields (EINVAL),
 * user memory (EFAULT), then the operation.
 *
 * Errors:
 *
 *  - ENOTTY: the command number is not one of ours: an unknown number, or
 *    the right number with another type, direction or size encoded.
 *  - EFAULT: bad user memory (NULL, unmapped, PROT_NONE, a kernel address, a
 *    structure or array running past the end of a mapping, a read-only
 *    buffer for outputs).  Nothing was changed: inputs are copied in, and
 *    the fields a change will write are proven writable (by storing back the
 *    bytes just read from them), before any change.  The only way to see
 *    EFAULT after a change is for another thread to unmap or write-protect
 *    the structure between the check and the store of the results (UPSERT,
 *    DELETE, BATCH).
 *  - EINVAL: ``size`` below the first version of the structure, an unknown
 *    flag bit, a non-zero reserved field, a bad name or parameter, lo > hi,
 *    a count or max of 0 or above the limit, an unknown batch op.
 *  - E2BIG: non-zero bytes past the structure the kernel knows, or ``size``
 *    above the page size.
 *  - EBADF: a change through a file descriptor opened without write access.
 *  - EPERM: CREATE of a named tree, or DESTROY, without CAP_SYS_ADMIN.
 *  - ENOTCONN: a data operation on a file descriptor bound to no tree.
 *  - EBUSY: binding a file descriptor that is already bound.
 *  - ENOENT: no such tree (ATTACH, DESTROY), or no such key (DELETE, LOOKUP).
 *  - EEXIST: the tree name is taken (CREATE), or the key is present (INSERT).
 *  - EMSGSIZE: LIST: the buffer is too small (the sizes needed are returned).
 *  - ENOMEM: out of memory.  Nothing was changed.
 *  - ENOSPC: the tree's own memory limit (max_bytes at CREATE) or the
 *    module's (the max_bytes parameter) was reached.  Nothing was changed.
 */

/**
 * DOC: Statistics and module parameters
 *
 * Per tree, in debugfs, /sys/kernel/debug/bwtree/<name>/ (anonymous trees
 * appear as ``anon:<id>``; a named tree's directory goes away at DESTROY):
 *
 *  - stats: ``NAME VALUE`` lines: count, height, pages, bytes,
 *    consolidations, splits, merges, cas_failures, retries, longest_chain,
 *    and ``records_<kind>`` for each record kind.
 *  - params: leaf_max, inner_max, chain_max, max_bytes in effect.
 *  - validate: reading runs bwtree_validate() on the tree: 0, or a negative
 *    errno when an invariant is broken.
 *  - dump: writing anything prints the tree to the kernel log (bwtree_dump()).
 *
 * Global, in sysfs, /sys/kernel/bwtree/ (read-only): named_trees and
 * anon_trees (trees that exist), bytes (memory all trees use), max_bytes
 * (the module-wide limit, 0: none), ioctls (ioctl calls so far), errors
 * (ioctl calls that failed), batch_ops (operations run by BATCH), scan_pairs
 * (pairs returned by SCAN).
 *
 * Module parameters, /sys/module/bwtree/parameters/: mode (permissions of
 * /dev/bwtree, set at load, default 0600); max_bytes (memory limit of all
 * trees together in bytes, 0 for none; writable at run time by root;
 * default a quarter of RAM at load).
 *
 * The limits are checked before each insert or upsert: a write that starts
 * below a limit may pass it by the few records it allocates; the next one
 * fails with ENOSPC.  Deletes are always allowed, so memory can be freed.
 */

#define BWTREE_IOC_TYPE		0xBB

/* The ABI version GET_INFO reports; raised by incompatible changes only. */
#define BWTREE_IOC_ABI_VERSION	1

enum {
	BWTREE_CMD_GET_INFO = 0x00,
	BWTREE_CMD_CREATE = 0x01,
	BWTREE_CMD_DESTROY = 0x02,
	BWTREE_CMD_LIST = 0x03,
	BWTREE_CMD_ATTACH = 0x04,
	BWTREE_CMD_INSERT = 0x05,
	BWTREE_CMD_UPSERT = 0x06,
	BWTREE_CMD_DELETE = 0x07,
	BWTREE_CMD_LOOKUP = 0x08,
	BWTREE_CMD_COUNT = 0x09,
	BWTREE_CMD_STATS = 0x0a,
	BWTREE_CMD_SCAN = 0x0b,
	BWTREE_CMD_BATCH = 0x0c,
};

/* Longest tree name, in bytes, not counting a terminating NUL. */
#define BWTREE_IOC_NAME_MAX	31

/* Feature bits of struct bwtree_ioc_info.features. */
#define BWTREE_IOC_FEAT_NAMED	(1ULL << 0)	/* CREATE/DESTROY/LIST/ATTACH */
#define BWTREE_IOC_FEAT_ANON	(1ULL << 1)	/* BWTREE_IOC_CREATE_ANON */
#define BWTREE_IOC_FEAT_SCAN	(1ULL << 2)	/* SCAN, both directions */
#define BWTREE_IOC_FEAT_BATCH	(1ULL << 3)	/* BATCH */
#define BWTREE_IOC_FEAT_STATS	(1ULL << 4)	/* COUNT, STATS */

/**
 * struct bwtree_ioc_info - ioctl(BWTREE_IOC_GET_INFO)
 * @size: sizeof(struct bwtree_ioc_info)
 * @flags: must be 0
 * @abi_version: output: %BWTREE_IOC_ABI_VERSION
 * @name_max: output: longest tree name in bytes (%BWTREE_IOC_NAME_MAX)
 * @features: output: BWTREE_IOC_FEAT_* bits this module supports
 * @max_batch: output: most operations in one BATCH
 * @max_scan: output: most pairs one SCAN returns (its largest @max)
 * @min_node: output: smallest leaf_max or inner_max CREATE accepts
 * @max_node: output: largest leaf_max or inner_max CREATE accepts
 * @max_chain: output: largest chain_max CREATE accepts
 * @__reserved: must be 0
 * @max_bytes: output: memory limit of all trees together, 0 for none
 * @bytes: output: memory all trees use now
 *
 * Needs no tree; works on any file descriptor of /dev/bwtree, bound or not.
 * This version reports @abi_version 1, @name_max 31, @features
 * ``NAMED | ANON | SCAN | BATCH | STATS``, @max_batch 4096 and @max_scan 4096.
 */
struct bwtree_ioc_info {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 name_max;
	__aligned_u64 features;
	__u32 max_batch;
	__u32 max_scan;
	__u32 min_node;
	__u32 max_node;
	__u32 max_chain;
	__u32 __reserved;
	__aligned_u64 max_bytes;
	__aligned_u64 bytes;
};

#define BWTREE_IOC_GET_INFO	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_GET_INFO)

/* Flags of struct bwtree_ioc_create. */
#define BWTREE_IOC_CREATE_ANON		(1U << 0)
#define BWTREE_IOC_CREATE_ATTACH	(1U << 1)

/**
 * struct bwtree_ioc_create - ioctl(BWTREE_IOC_CREATE)
 * @size: sizeof(struct bwtree_ioc_create)
 * @flags: %BWTREE_IOC_CREATE_ANON: make an anonymous tree, bound to this
 *	file descriptor and freed when it is closed (@name and @name_len must
 *	be 0; needs no capability).  %BWTREE_IOC_CREATE_ATTACH: also bind this
 *	file descriptor to the new named tree.  Without ANON, a named tree is
 *	made, which lives until DESTROY or module unload; that needs
 *	CAP_SYS_ADMIN.
 * @name: user pointer to the name: 1 to %BWTREE_IOC_NAME_MAX bytes, no
 *	terminating NUL needed, made of ``A-Z a-z 0-9 _ . -``, not starting
 *	with ``.``
 * @max_bytes: memory limit of this tree in bytes, 0 for none of its own (the
 *	module-wide limit still applies)
 * @name_len: length of @name in bytes
 * @leaf_max: most entries in a leaf, 0 for the default, else GET_INFO
 *	min_node to max_node
 * @inner_max: most separators in an inner node, 0 for the default, else
 *	GET_INFO min_node to max_node
 * @chain_max: longest delta chain before consolidation, 0 for the default,
 *	else up to GET_INFO max_chain
 *
 * Errors: EBADF (read-only file descriptor), EPERM (named tree without
 * CAP_SYS_ADMIN), EINVAL (bad name or parameter), EFAULT (@name), EEXIST
 * (the name is taken), EBUSY (ANON or ATTACH on a file descriptor already
 * bound), ENOMEM, ENOSPC.
 */
struct bwtree_ioc_create {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__aligned_u64 max_bytes;
	__u32 name_len;
	__u32 leaf_max;
	__u32 inner_max;
	__u32 chain_max;
};

#define BWTREE_IOC_CREATE	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_CREATE)

/**
 * struct bwtree_ioc_name - ioctl(BWTREE_IOC_DESTROY) and ioctl(BWTREE_IOC_ATTACH)
 * @size: sizeof(struct bwtree_ioc_name)
 * @flags: must be 0
 * @name: user pointer to the tree's name, as for CREATE
 * @name_len: length of @name in bytes
 * @__reserved: must be 0
 *
 * DESTROY unlinks a named tree: the name is free at once, and the tree is
 * freed when the last file descriptor bound to it is closed.  It needs a
 * writable file descriptor (EBADF) and CAP_SYS_ADMIN (EPERM).
 *
 * ATTACH binds this file descriptor to a named tree for the data operations.
 * A file descriptor is bound at most once (EBUSY).  A read-only file
 * descriptor may attach, for LOOKUP, COUNT, STATS, SCAN and read-only BATCH.
 *
 * Errors: EINVAL (bad name), EFAULT (@name), ENOENT (no such tree), EBUSY,
 * EBADF, EPERM.
 */
struct bwtree_ioc_name {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 name_len;
	__u32 __reserved;
};

#define BWTREE_IOC_DESTROY	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_DESTROY)
#define BWTREE_IOC_ATTACH	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_ATTACH)

/**
 * struct bwtree_ioc_list - ioctl(BWTREE_IOC_LIST)
 * @size: sizeof(struct bwtree_ioc_list)
 * @flags: must be 0
 * @buf: user pointer to a buffer for the names of the named trees, each
 *	followed by a NUL, in ascending byte order
 * @buf_len: input: bytes at @buf; output: bytes the names take
 * @num_trees: output: number of named trees
 *
 * When the names do not fit, fails with EMSGSIZE after setting @buf_len and
 * @num_trees (and writing nothing to @buf): call again with a larger
 * buffer; call with @buf_len 0 (and @buf 0) to size it.  EFAULT for a
 * bad @buf.
 */
struct bwtree_ioc_list {
	__u32 size;
	__u32 flags;
	__aligned_u64 buf;
	__u32 buf_len;
	__u32 num_trees;
};

#define BWTREE_IOC_LIST		_IO(BWTREE_IOC_TYPE, BWTREE_CMD_LIST)

/**
 * struct bwtree_ioc_kv - ioctl(BWTREE_IOC_INSERT), (BWTREE_IOC_UPSERT),
 *	(BWTREE_IOC_DELETE) and (BWTREE_IOC_LOOKUP)
 * @size: sizeof(struct bwtree_ioc_kv)
 * @flags: must be 0
 * @key: the key, any value
 * @value: INSERT, UPSERT: input, the value to store.  DELETE: output, the
 *	value the key had.  LOOKUP: output, the key's value.
 * @replaced: UPSERT only: output, 1 when the key existed and its value was
 *	replaced, 0 when it was inserted.  DELETE and LOOKUP write 0 here.
 * @__reserved: must be 0
 *
 * INSERT fails with EEXIST when the key is present; DELETE and LOOKUP fail
 * with ENOENT when it is absent.  INSERT writes nothing back.  INSERT,
 * UPSERT and DELETE need a writable file descriptor (EBADF).  UPSERT and
 * DELETE check that the structure is writable before changing the tree;
 * only a concurrent unmapping by another thread can then make them fail
 * with EFAULT after the change.
 */
struct bwtree_ioc_kv {
	__u32 size;
	__u32 flags;
	__s64 key;
	__aligned_u64 value;
	__u32 replaced;
	__u32 __reserved;
};

#define BWTREE_IOC_INSERT	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_INSERT)
#define BWTREE_IOC_UPSERT	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_UPSERT)
#define BWTREE_IOC_DELETE	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_DELETE)
#define BWTREE_IOC_LOOKUP	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_LOOKUP)

/**
 * struct bwtree_ioc_count - ioctl(BWTREE_IOC_COUNT)
 * @size: sizeof(struct bwtree_ioc_count)
 * @flags: must be 0
 * @count: output: keys in the tree (exact, kept as a counter: O(1))
 */
struct bwtree_ioc_count {
	__u32 size;
	__u32 flags;
	__aligned_u64 count;
};

#define BWTREE_IOC_COUNT	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_COUNT)

/*
 * Indexes of struct bwtree_ioc_stats.records: the kinds of record.  This
 * list is the ABI: an index never changes meaning, a new kind takes the
 * next free index and raises BWTREE_IOC_REC_NR, and slots up to
 * BWTREE_IOC_REC_SLOTS are there for such kinds.
 */
enum {
	BWTREE_IOC_REC_LEAF,		/* base leaf */
	BWTREE_IOC_REC_INNER,		/* base inner node */
	BWTREE_IOC_REC_INSERT,		/* insert delta */
	BWTREE_IOC_REC_DELETE,		/* delete delta */
	BWTREE_IOC_REC_SPLIT,		/* split delta (no longer made: 0) */
	BWTREE_IOC_REC_INDEX,		/* index-entry delta */
	BWTREE_IOC_REC_INDEX_DEL,	/* index-entry delete delta */
	BWTREE_IOC_REC_REMOVE,		/* remove-node delta */
	BWTREE_IOC_REC_MERGE,		/* merge delta */
	BWTREE_IOC_REC_NR,		/* kinds known to this ABI version */
	BWTREE_IOC_REC_SLOTS = 16,	/* size of the records array */
};

/**
 * struct bwtree_ioc_stats - ioctl(BWTREE_IOC_STATS)
 * @size: sizeof(struct bwtree_ioc_stats)
 * @flags: must be 0
 * @count: output: keys in the tree
 * @height: output: levels, 1 when the root is a leaf
 * @pages: output: page IDs in use
 * @bytes: output: bytes the tree uses
 * @consolidations: output: delta chains replaced by a new base node
 * @splits: output: node splits
 * @merges: output: node merges
 * @cas_failures: output: compare-and-swap attempts that lost a race
 * @retries: output: operations restarted from the root
 * @longest_chain: output: longest delta chain seen
 * @leaf_max: output: the tree's leaf_max in effect
 * @inner_max: output: the tree's inner_max in effect
 * @chain_max: output: the tree's chain_max in effect
 * @__reserved: must be 0
 * @max_bytes: output: the tree's own memory limit, 0 for none
 * @records: output: live records of each kind, indexed by BWTREE_IOC_REC_*;
 *	slots from %BWTREE_IOC_REC_NR on read 0
 */
struct bwtree_ioc_stats {
	__u32 size;
	__u32 flags;
	__aligned_u64 count;
	__aligned_u64 height;
	__aligned_u64 pages;
	__aligned_u64 bytes;
	__aligned_u64 consolidations;
	__aligned_u64 splits;
	__aligned_u64 merges;
	__aligned_u64 cas_failures;
	__aligned_u64 retries;
	__aligned_u64 longest_chain;
	__u32 leaf_max;
	__u32 inner_max;
	__u32 chain_max;
	__u32 __reserved;
	__aligned_u64 max_bytes;
	__aligned_u64 records[BWTREE_IOC_REC_SLOTS];
};

#define BWTREE_IOC_STATS	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_STATS)

/**
 * struct bwtree_ioc_pair - a key and its value, as SCAN returns them
 * @key: the key
 * @value: its value
 */
struct bwtree_ioc_pair {
	__s64 key;
	__aligned_u64 value;
};

/* Flags of struct bwtree_ioc_scan. */
#define BWTREE_IOC_SCAN_REVERSE	(1U << 0)	/* descending, from @hi down */

/**
 * struct bwtree_ioc_scan - ioctl(BWTREE_IOC_SCAN)
 * @size: sizeof(struct bwtree_ioc_scan)
 * @flags: 0 for ascending order, %BWTREE_IOC_SCAN_REVERSE for descending
 * @lo: lowest key of the range, inclusive
 * @hi: highest key of the range, inclusive; @lo <= @hi
 * @pairs: user pointer to an array of @max struct bwtree_ioc_pair
 * @max: most pairs to return, 1 to the GET_INFO max_scan
 * @count: output: pairs written to @pairs
 * @next: output, when @done is 0: the key to resume from, to pass as @lo
 *	(ascending) or @hi (descending) of the next call
 * @done: output: 1 when no key of the range is left after those returned
 * @__reserved: must be 0
 *
 * A stateless cursor: the kernel keeps nothing between calls.  Each call
 * sees a consistent order but, with concurrent writers, not one snapshot of
 * the whole range.  The whole array at @pairs must be writable, even when
 * the range is empty (EFAULT, checked before the scan).  Pairs are copied
 * into a kernel buffer (bwtree_scan_batch()) and then to the user.
 * Errors: EINVAL (@lo > @hi, @max 0 or too large), ENOMEM.
 *
 * A whole range, ascending::
 *
 *	struct bwtree_ioc_pair buf[256];
 *	struct bwtree_ioc_scan s = { .size = sizeof(s), .lo = lo, .hi = hi,
 *				     .pairs = (uintptr_t)buf, .max = 256 };
 *	do {
 *		if (ioctl(fd, BWTREE_IOC_SCAN, &s))
 *			err(1, "scan");
 *		consume(buf, s.count);
 *		s.lo = s.next;
 *	} while (!s.done);
 */
struct bwtree_ioc_scan {
	__u32 size;
	__u32 flags;
	__s64 lo;
	__s64 hi;
	__aligned_u64 pairs;
	__u32 max;
	__u32 count;
	__s64 next;
	__u32 done;
	__u32 __reserved;
};

#define BWTREE_IOC_SCAN		_IO(BWTREE_IOC_TYPE, BWTREE_CMD_SCAN)

/* Operations of struct bwtree_ioc_batch_op; 0 is not one. */
enum {
	BWTREE_IOC_OP_INSERT = 1,
	BWTREE_IOC_OP_UPSERT = 2,
	BWTREE_IOC_OP_DELETE = 3,
	BWTREE_IOC_OP_LOOKUP = 4,
};

/**
 * struct bwtree_ioc_batch_op - one operation of a BATCH
 * @op: BWTREE_IOC_OP_*
 * @flags: must be 0
 * @key: the key
 * @value: INSERT, UPSERT: input.  DELETE, LOOKUP: output, as for the single
 *	ioctls (left alone when @result is not 0)
 * @result: output: 0, or a negative errno (EEXIST, ENOENT, ENOMEM, ENOSPC;
 *	ECANCELED for operations not run); UPSERT gives 1 when it replaced a
 *	value
 */
struct bwtree_ioc_batch_op {
	__u32 op;
	__u32 flags;
	__s64 key;
	__aligned_u64 value;
	__s64 result;
};

/**
 * struct bwtree_ioc_batch - ioctl(BWTREE_IOC_BATCH)
 * @size: sizeof(struct bwtree_ioc_batch)
 * @flags: must be 0
 * @ops: user pointer to an array of @count struct bwtree_ioc_batch_op,
 *	read and written in place
 * @count: operations at @ops, 1 to the GET_INFO max_batch
 * @done: output: operations that ran
 *
 * The whole array is read and checked first (an unknown op or non-zero op
 * flags: EINVAL; a mutation through a read-only file descriptor: EBADF; an
 * array that is not readable and writable: EFAULT) and nothing is changed
 * when that fails.  The operations then run in order (a run of consecutive
 * LOOKUPs as one batched lookup, each answered as by a LOOKUP of its own
 * during the call); EEXIST and ENOENT are only recorded in @result.  ENOMEM
 * or ENOSPC stops the batch: that op's @result holds the error, later ops
 * get ECANCELED, @done counts the ops before it, and the ioctl fails with
 * the error; ops before it took effect.
 * ENOMEM before any op ran (no memory for the kernel's copy of the array)
 * changes nothing, @done and every @result included.
 * Otherwise the ioctl returns 0 with @done equal to @count.
 */
struct bwtree_ioc_batch {
	__u32 size;
	__u32 flags;
	__aligned_u64 ops;
	__u32 count;
	__u32 done;
};

#define BWTREE_IOC_BATCH	_IO(BWTREE_IOC_TYPE, BWTREE_CMD_BATCH)

#endif /* _UAPI_LINUX_BWTREE_H */

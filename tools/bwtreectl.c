// SPDX-License-Identifier: GPL-2.0
/*
 * bwtreectl - command-line client of /dev/bwtree.
 *
 *   bwtreectl [--json] [-t TREE] [-d DEVICE] COMMAND [ARGS...]
 *
 * Exit status: 0 success, 1 failure, 2 key not found (get, del), 64 usage.
 * Output is one item per line (scan: "KEY VALUE"), or JSON with --json.
 * `bwtreectl help` lists the commands; `bwtreectl COMMAND --help` explains
 * one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/bwtree.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EX_OK		0
#define EX_FAIL		1
#define EX_NOTFOUND	2
#define EX_USAGE	64

static const char *prog = "bwtreectl";
static const char *device = "/dev/bwtree";
static const char *tree_name;
static bool json;

/* ------------------------------------------------------------------ */
/* Messages and errors. */

static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Usage errors: say what is wrong and how to get help. */
static int __attribute__((format(printf, 2, 3)))
usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nTry '%s %s --help'.\n", prog, cmd);
	else
		fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return EX_USAGE;
}

/* Open the device, explaining the usual failures. */
static int open_dev(int flags)
{
	int fd = open(device, flags | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		err("%s not found: is the module loaded? insmod bwtree.ko",
		    device);
	else if (errno == EACCES || errno == EPERM)
		err("%s: permission denied: run as root, or load the module with mode=0666",
		    device);
	else
		err("%s: %s", device, strerror(errno));
	return -1;
}

static const char *default_tree(void)
{
	const char *t = tree_name ? tree_name : getenv("BWTREE_TREE");

	return t && *t ? t : "default";
}

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* Explain an error of a data operation or of tree management. */
static void explain(const char *what, int e)
{
	switch (e) {
	case -ENOSPC:
		err("%s: memory limit reached (the tree's or the module's max_bytes)",
		    what);
		break;
	case -ENOMEM:
		err("%s: out of kernel memory", what);
		break;
	case -EPERM:
		err("%s: needs CAP_SYS_ADMIN: run as root", what);
		break;
	case -EBADF:
		err("%s: the device was opened read-only", what);
		break;
	case -ENOTTY:
		err("%s: the module does not know this request: is bwtree.ko older than bwtreectl?",
		    what);
		break;
	default:
		err("%s: %s", what, strerror(-e));
	}
}

/* A file bound to the named tree. */
static int open_tree(const char *name, int flags)
{
	struct bwtree_ioc_name a = {
		.size = sizeof(a),
		.name = (uintptr_t)name,
		.name_len = strlen(name),
	};
	int fd = open_dev(flags);
	int ret;

	if (fd < 0)
		return -1;
	ret = do_ioctl(fd, BWTREE_IOC_ATTACH, &a);
	if (!ret)
		return fd;
	if (ret == -ENOENT)
		err("tree '%s' not found: create it with '%s create %s' (see '%s list')",
		    name, prog, name, prog);
	else if (ret == -EINVAL)
		err("'%s' is not a valid tree name: see '%s create --help'",
		    name, prog);
	else
		explain("attach", ret);
	close(fd);
	return -1;
}

static int get_info(int fd, struct bwtree_ioc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return do_ioctl(fd, BWTREE_IOC_GET_INFO, info);
}

/* ------------------------------------------------------------------ */
/* Arguments. */

static bool parse_s64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	if (!strcmp(s, "min")) {
		*v = INT64_MIN;
		return true;
	}
	if (!strcmp(s, "max")) {
		*v = INT64_MAX;
		return true;
	}
	errno = 0;
	x = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (*s == '-')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	/* Size suffixes for byte counts: k, m, g. */
	if (*end == 'k' || *end == 'K')
		x <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		x <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		x <<= 30, end++;
	if (*end)
		return false;
	*v = x;
	return true;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	uint64_t x;

	if (!parse_u64(s, &x) || x > UINT32_MAX)
		return false;
	*v = x;
	return true;
}

/* Does @s look like a number (so "-5" is not an option)? */
static bool numeric(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return *s >= '0' && *s <= '9';
}

/*
 * A command's options and positional arguments.  Options are --name or
 * --name VALUE, anywhere on the line; "--" ends them.
 */
struct opt {
	const char *name;
	bool has_arg;
	const char *val;	/* set when seen: the value, or "" */
};

struct cmdline {
	const char *cmd;
	struct opt *opts;
	const char **pos;	/* argc entries */
	int npos;
	bool help;
};

static int parse_cmdline(struct cmdline *cl, int argc, char **argv)
{
	bool dashdash = false;
	int i;

	cl->pos = calloc(argc + 1, sizeof(*cl->pos));
	if (!cl->pos) {
		err("out of memory");
		return EX_FAIL;
	}
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct opt *o;

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!dashdash && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			cl->help = true;
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1] && !numeric(a)) {
			const char *eq = strchr(a, '=');
			size_t len = eq ? (size_t)(eq - a) : strlen(a);

			for (o = cl->opts; o && o->name; o++)
				if (strlen(o->name) == len &&
				    !strncmp(o->name, a, len))
					break;
			if (!o || !o->name)
				return usage_err(cl->cmd, "%s: unknown option '%s'",
						 cl->cmd, a);
			if (!o->has_arg) {
				if (eq)
					return usage_err(cl->cmd, "%s: %s takes no value",
							 cl->cmd, o->name);
				o->val = "";
			} else if (eq) {
				o->val = eq + 1;
			} else if (i + 1 < argc) {
				o->val = argv[++i];
			} else {
				return usage_err(cl->cmd, "%s: %s needs a value",
						 cl->cmd, o->name);
			}
			continue;
		}
		cl->pos[cl->npos++] = a;
	}
	return 0;
}

static struct opt *find_opt(struct cmdline *cl, const char *name)
{
	struct opt *o;

	for (o = cl->opts; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static int opt_u32(struct cmdline *cl, const char *name, uint32_t *v)
{
	struct opt *o = find_opt(cl, name);

	if (!o || !o->val)
		return 0;
	if (!parse_u32(o->val, v))
		return usage_err(cl->cmd, "%s: %s: '%s' is not a number",
				 cl->cmd, name, o->val);
	return 0;
}

static int opt_u64(struct cmdline *cl, const char *name, uint64_t *v)
{
	struct opt *o = find_opt(cl, name);

	if (!o || !o->val)
		return 0;
	if (!parse_u64(o->val, v))
		return usage_err(cl->cmd, "%s: %s: '%s' is not a number",
				 cl->cmd, name, o->val);
	return 0;
}

static bool opt_set(struct cmdline *cl, const char *name)
{
	struct opt *o = find_opt(cl, name);

	return o && o->val;
}

/* ------------------------------------------------------------------ */
/* JSON output helpers: names are ours, only tree names need escaping. */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* ------------------------------------------------------------------ */
/* Commands. */

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(struct cmdline *cl);
	struct opt *opts;
};

static struct opt create_opts[] = {
	{ "--leaf-max", true }, { "--inner-max", true },
	{ "--chain-max", true }, { "--max-bytes", true }, { NULL },
};

static int cmd_create(struct cmdline *cl)
{
	struct bwtree_ioc_create c = { .size = sizeof(c) };
	uint64_t max_bytes = 0;
	const char *name;
	int fd, ret;

	if (cl->npos != 1)
		return usage_err(cl->cmd, "create: expected one NAME");
	name = cl->pos[0];
	ret = opt_u32(cl, "--leaf-max", &c.leaf_max) ?:
	      opt_u32(cl, "--inner-max", &c.inner_max) ?:
	      opt_u32(cl, "--chain-max", &c.chain_max) ?:
	      opt_u64(cl, "--max-bytes", &max_bytes);
	if (ret)
		return ret;
	c.max_bytes = max_bytes;
	c.name = (uintptr_t)name;
	c.name_len = strlen(name);
	fd = open_dev(O_RDWR);
	if (fd < 0)
		return EX_FAIL;
	ret = do_ioctl(fd, BWTREE_IOC_CREATE, &c);
	close(fd);
	if (ret == -EEXIST) {
		err("tree '%s' already exists", name);
		return EX_FAIL;
	}
	if (ret == -EINVAL) {
		struct bwtree_ioc_info info;

		fd = open_dev(O_RDONLY);
		err("create: invalid name or parameter");
		if (fd >= 0 && !get_info(fd, &info))
			fprintf(stderr,
				"  NAME: 1 to %u of A-Z a-z 0-9 _ . -, not starting with '.'\n"
				"  --leaf-max, --inner-max: 0 or %u to %u\n"
				"  --chain-max: 0 to %u\n",
				info.name_max, info.min_node, info.max_node,
				info.max_chain);
		if (fd >= 0)
			close(fd);
		return EX_FAIL;
	}
	if (ret) {
		explain("create", ret);
		return EX_FAIL;
	}
	if (json) {
		printf("{\"created\":");
		json_str(name);
		printf("}\n");
	}
	return EX_OK;
}

static int cmd_destroy(struct cmdline *cl)
{
	struct bwtree_ioc_name d = { .size = sizeof(d) };
	int fd, ret;

	if (cl->npos != 1)
		return usage_err(cl->cmd, "destroy: expected one NAME");
	d.name = (uintptr_t)cl->pos[0];
	d.name_len = strlen(cl->pos[0]);
	fd = open_dev(O_RDWR);
	if (fd < 0)
		return EX_FAIL;
	ret = do_ioctl(fd, BWTREE_IOC_DESTROY, &d);
	close(fd);
	if (ret == -ENOENT) {
		err("tree '%s' not found", cl->pos[0]);
		return EX_FAIL;
	}
	if (ret) {
		explain("destroy", ret);
		return EX_FAIL;
	}
	if (json) {
		printf("{\"destroyed\":");
		json_str(cl->pos[0]);
		printf("}\n");
	}
	return EX_OK;
}

/* The names of the named trees, NUL-separated; NULL on failure. */
static char *list_names(int fd, uint32_t *len, uint32_t *num)
{
	struct bwtree_ioc_list l = { .size = sizeof(l) };
	char *buf = NULL;
	int ret, tries;

	for (tries = 0; tries < 8; tries++) {
		ret = do_ioctl(fd, BWTREE_IOC_LIST, &l);
		if (!ret) {
			*len = l.buf_len;
			*num = l.num_trees;
			return buf ? buf : calloc(1, 1);
		}
		if (ret != -EMSGSIZE) {
			explain("list", ret);
			free(buf);
			return NULL;
		}
		free(buf);
		buf = malloc(l.buf_len + 64);
		if (!buf) {
			err("list: out of memory");
			return NULL;
		}
		l.buf = (uintptr_t)buf;
		l.buf_len += 64;
	}
	err("list: trees keep changing; try again");
	free(buf);
	return NULL;
}

static struct opt list_opts[] = { { "--long", false }, { "-l", false },
				  { NULL } };

static int cmd_list(struct cmdline *cl)
{
	bool lng = opt_set(cl, "--long") || opt_set(cl, "-l") || json;
	uint32_t len, num, at;
	bool first = true;
	char *names;
	int fd;

	if (cl->npos)
		return usage_err(cl->cmd, "list: takes no arguments");
	fd = open_dev(O_RDONLY);
	if (fd < 0)
		return EX_FAIL;
	names = list_names(fd, &len, &num);
	close(fd);
	if (!names)
		return EX_FAIL;
	if (json)
		printf("[");
	for (at = 0; at < len; at += strlen(names + at) + 1) {
		const char *name = names + at;
		struct bwtree_ioc_stats st = { .size = sizeof(st) };
		struct bwtree_ioc_name a = {
			.size = sizeof(a),
			.name = (uintptr_t)name,
			.name_len = strlen(name),
		};

		if (!lng) {
			printf("%s\n", name);
			continue;
		}
		/* Trees destroyed meanwhile are left out. */
		fd = open_dev(O_RDONLY);
		if (fd < 0)
			return EX_FAIL;
		if (do_ioctl(fd, BWTREE_IOC_ATTACH, &a) ||
		    do_ioctl(fd, BWTREE_IOC_STATS, &st)) {
			close(fd);
			continue;
		}
		close(fd);
		if (json) {
			printf("%s{\"name\":", first ? "" : ",");
			json_str(name);
			printf(",\"keys\":%llu,\"bytes\":%llu}",
			       (unsigned long long)st.count,
			       (unsigned long long)st.bytes);
		} else {
			printf("%s\t%llu\t%llu\n", name,
			       (unsigned long long)st.count,
			       (unsigned long long)st.bytes);
		}
		first = false;
	}
	if (json)
		printf("]\n");
	free(names);
	return EX_OK;
}

static int kv_args(struct cmdline *cl, int n, int64_t *key, uint64_t *value)
{
	if (cl->npos != n)
		return usage_err(cl->cmd, "%s: expected %s", cl->cmd,
				 n == 2 ? "KEY VALUE" : "KEY");
	if (!parse_s64(cl->pos[0], key))
		return usage_err(cl->cmd, "%s: KEY '%s' is not a signed 64-bit number",
				 cl->cmd, cl->pos[0]);
	if (n == 2 && !parse_u64(cl->pos[1], value))
		return usage_err(cl->cmd, "%s: VALUE '%s' is not an unsigned 64-bit number",
				 cl->cmd, cl->pos[1]);
	return 0;
}

static int kv_op(struct cmdline *cl, unsigned long cmd, int nargs, int flags)
{
	struct bwtree_ioc_kv kv = { .size = sizeof(kv) };
	int64_t key;
	uint64_t value = 0;
	int fd, ret;

	ret = kv_args(cl, nargs, &key, &value);
	if (ret)
		return ret;
	fd = open_tree(default_tree(), flags);
	if (fd < 0)
		return EX_FAIL;
	kv.key = key;
	kv.value = value;
	ret = do_ioctl(fd, cmd, &kv);
	close(fd);
	if (ret == -ENOENT) {
		if (json)
			printf("{\"key\":%lld,\"found\":false}\n",
			       (long long)key);
		else
			err("key %lld not found", (long long)key);
		return EX_NOTFOUND;
	}
	if (ret == -EEXIST) {
		err("key %lld already exists (use upsert to replace its value)",
		    (long long)key);
		return EX_FAIL;
	}
	if (ret) {
		explain(cl->cmd, ret);
		return EX_FAIL;
	}
	switch (cmd) {
	case BWTREE_IOC_LOOKUP:
	case BWTREE_IOC_DELETE:
		if (json)
			printf("{\"key\":%lld,\"value\":%llu%s}\n",
			       (long long)key, (unsigned long long)kv.value,
			       cmd == BWTREE_IOC_DELETE ? ",\"deleted\":true" : "");
		else
			printf("%llu\n", (unsigned long long)kv.value);
		break;
	case BWTREE_IOC_UPSERT:
		if (json)
			printf("{\"key\":%lld,\"value\":%llu,\"replaced\":%s}\n",
			       (long long)key, (unsigned long long)value,
			       kv.replaced ? "true" : "false");
		break;
	default:
		if (json)
			printf("{\"key\":%lld,\"value\":%llu,\"inserted\":true}\n",
			       (long long)key, (unsigned long long)value);
	}
	return EX_OK;
}

static int cmd_insert(struct cmdline *cl)
{
	return kv_op(cl, BWTREE_IOC_INSERT, 2, O_RDWR);
}

static int cmd_upsert(struct cmdline *cl)
{
	return kv_op(cl, BWTREE_IOC_UPSERT, 2, O_RDWR);
}

/* Print the answers of get KEY KEY...; EX_NOTFOUND if a key is absent. */
static int get_print(const struct bwtree_ioc_batch_op *ops, uint32_t n)
{
	int status = EX_OK;
	uint32_t i;

	if (json)
		printf("[");
	for (i = 0; i < n; i++) {
		bool found = !ops[i].result;

		if (!found)
			status = EX_NOTFOUND;
		if (json) {
			printf("%s{\"key\":%lld,", i ? "," : "",
			       (long long)ops[i].key);
			if (found)
				printf("\"value\":%llu}",
				       (unsigned long long)ops[i].value);
			else
				printf("\"found\":false}");
		} else if (found) {
			printf("%lld %llu\n", (long long)ops[i].key,
			       (unsigned long long)ops[i].value);
		} else {
			err("key %lld not found", (long long)ops[i].key);
		}
	}
	if (json)
		printf("]\n");
	return status;
}

/* get KEY: one LOOKUP; get KEY KEY...: BATCHes of up to max_batch LOOKUPs. */
static int cmd_get(struct cmdline *cl)
{
	struct bwtree_ioc_batch_op *ops;
	struct bwtree_ioc_info info;
	uint32_t n = cl->npos, at, chunk;
	int fd, ret, i;

	if (cl->npos < 2)
		return kv_op(cl, BWTREE_IOC_LOOKUP, 1, O_RDONLY);
	ops = calloc(n, sizeof(*ops));
	if (!ops) {
		err("get: out of memory");
		return EX_FAIL;
	}
	for (i = 0; i < cl->npos; i++) {
		int64_t key;

		if (!parse_s64(cl->pos[i], &key)) {
			free(ops);
			return usage_err(cl->cmd, "get: KEY '%s' is not a signed 64-bit number",
					 cl->pos[i]);
		}
		ops[i].op = BWTREE_IOC_OP_LOOKUP;
		ops[i].key = key;
	}
	fd = open_tree(default_tree(), O_RDONLY);
	if (fd < 0) {
		free(ops);
		return EX_FAIL;
	}
	ret = get_info(fd, &info);
	chunk = info.max_batch ? info.max_batch : 1;
	for (at = 0; !ret && at < n; at += chunk) {
		struct bwtree_ioc_batch b = {
			.size = sizeof(b),
			.ops = (uintptr_t)(ops + at),
			.count = n - at < chunk ? n - at : chunk,
		};

		ret = do_ioctl(fd, BWTREE_IOC_BATCH, &b);
	}
	close(fd);
	if (ret) {
		explain("get", ret);
		free(ops);
		return EX_FAIL;
	}
	ret = get_print(ops, n);
	free(ops);
	return ret;
}

static int cmd_del(struct cmdline *cl)
{
	return kv_op(cl, BWTREE_IOC_DELETE, 1, O_RDWR);
}

static struct opt scan_opts[] = { { "--reverse", false }, { "-r", false },
				  { "--limit", true }, { "-n", true },
				  { NULL } };

static int cmd_scan(struct cmdline *cl)
{
	bool reverse = opt_set(cl, "--reverse") || opt_set(cl, "-r");
	uint64_t limit = UINT64_MAX, printed = 0;
	struct bwtree_ioc_pair *pairs;
	struct bwtree_ioc_info info;
	int64_t lo, hi;
	uint32_t chunk;
	int fd, ret;

	if (cl->npos != 2)
		return usage_err(cl->cmd, "scan: expected LO HI");
	if (!parse_s64(cl->pos[0], &lo) || !parse_s64(cl->pos[1], &hi))
		return usage_err(cl->cmd, "scan: LO and HI are signed 64-bit numbers, or min/max");
	if (lo > hi)
		return usage_err(cl->cmd, "scan: LO %lld is above HI %lld",
				 (long long)lo, (long long)hi);
	ret = opt_u64(cl, "--limit", &limit) ?: opt_u64(cl, "-n", &limit);
	if (ret)
		return ret;
	fd = open_tree(default_tree(), O_RDONLY);
	if (fd < 0)
		return EX_FAIL;
	ret = get_info(fd, &info);
	if (ret) {
		explain("scan", ret);
		close(fd);
		return EX_FAIL;
	}
	chunk = info.max_scan < 1024 ? info.max_scan : 1024;
	pairs = calloc(chunk, sizeof(*pairs));
	if (!pairs) {
		close(fd);
		return EX_FAIL;
	}
	if (json)
		printf("[");
	while (printed < limit) {
		struct bwtree_ioc_scan s = {
			.size = sizeof(s),
			.flags = reverse ? BWTREE_IOC_SCAN_REVERSE : 0,
			.lo = lo,
			.hi = hi,
			.pairs = (uintptr_t)pairs,
			.max = limit - printed < chunk ? limit - printed : chunk,
		};
		uint32_t i;

		ret = do_ioctl(fd, BWTREE_IOC_SCAN, &s);
		if (ret)
			break;
		for (i = 0; i < s.count; i++, printed++) {
			if (json)
				printf("%s{\"key\":%lld,\"value\":%llu}",
				       printed ? "," : "",
				       (long long)pairs[i].key,
				       (unsigned long long)pairs[i].value);
			else
				printf("%lld %llu\n", (long long)pairs[i].key,
				       (unsigned long long)pairs[i].value);
		}
		if (s.done)
			break;
		if (reverse)
			hi = s.next;
		else
			lo = s.next;
	}
	if (json)
		printf("]\n");
	free(pairs);
	close(fd);
	if (ret) {
		explain("scan", ret);
		return EX_FAIL;
	}
	return EX_OK;
}

static int cmd_count(struct cmdline *cl)
{
	struct bwtree_ioc_count c = { .size = sizeof(c) };
	int fd, ret;

	if (cl->npos)
		return usage_err(cl->cmd, "count: takes no arguments");
	fd = open_tree(default_tree(), O_RDONLY);
	if (fd < 0)
		return EX_FAIL;
	ret = do_ioctl(fd, BWTREE_IOC_COUNT, &c);
	close(fd);
	if (ret) {
		explain("count", ret);
		return EX_FAIL;
	}
	if (json)
		printf("{\"count\":%llu}\n", (unsigned long long)c.count);
	else
		printf("%llu\n", (unsigned long long)c.count);
	return EX_OK;
}

static int cmd_stats(struct cmdline *cl)
{
	static const char * const kinds[BWTREE_IOC_REC_NR] = {
		"leaf", "inner", "insert", "delete", "split", "index",
		"index_del", "remove", "merge",
	};
	struct bwtree_ioc_stats st = { .size = sizeof(st) };
	struct {
		const char *name;
		unsigned long long v;
	} f[32];
	int fd, ret, n = 0, i;

	if (cl->npos)
		return usage_err(cl->cmd, "stats: takes no arguments");
	fd = open_tree(default_tree(), O_RDONLY);
	if (fd < 0)
		return EX_FAIL;
	ret = do_ioctl(fd, BWTREE_IOC_STATS, &st);
	close(fd);
	if (ret) {
		explain("stats", ret);
		return EX_FAIL;
	}
#define F(x) do { f[n].name = #x; f[n++].v = st.x; } while (0)
	F(count);
	F(height);
	F(pages);
	F(bytes);
	F(max_bytes);
	F(leaf_max);
	F(inner_max);
	F(chain_max);
	F(consolidations);
	F(splits);
	F(merges);
	F(cas_failures);
	F(retries);
	F(longest_chain);
#undef F
	if (json) {
		printf("{\"tree\":");
		json_str(default_tree());
		for (i = 0; i < n; i++)
			printf(",\"%s\":%llu", f[i].name, f[i].v);
		printf(",\"records\":{");
		for (i = 0; i < BWTREE_IOC_REC_NR; i++)
			printf("%s\"%s\":%llu", i ? "," : "", kinds[i],
			       (unsigned long long)st.records[i]);
		printf("}}\n");
		return EX_OK;
	}
	for (i = 0; i < n; i++)
		printf("%s %llu\n", f[i].name, f[i].v);
	for (i = 0; i < BWTREE_IOC_REC_NR; i++)
		printf("records_%s %llu\n", kinds[i],
		       (unsigned long long)st.records[i]);
	return EX_OK;
}

static int cmd_info(struct cmdline *cl)
{
	struct bwtree_ioc_info info;
	int fd, ret;

	if (cl->npos)
		return usage_err(cl->cmd, "info: takes no arguments");
	fd = open_dev(O_RDONLY);
	if (fd < 0)
		return EX_FAIL;
	ret = get_info(fd, &info);
	close(fd);
	if (ret) {
		explain("info", ret);
		return EX_FAIL;
	}
	{
		const struct {
			const char *name;
			unsigned long long v;
		} f[] = {
			{ "abi_version", info.abi_version },
			{ "features", info.features },
			{ "name_max", info.name_max },
			{ "max_batch", info.max_batch },
			{ "max_scan", info.max_scan },
			{ "min_node", info.min_node },
			{ "max_node", info.max_node },
			{ "max_chain", info.max_chain },
			{ "max_bytes", info.max_bytes },
			{ "bytes", info.bytes },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(f); i++) {
			if (json)
				printf("%s\"%s\":%llu", i ? "," : "{",
				       f[i].name, f[i].v);
			else
				printf("%s %llu\n", f[i].name, f[i].v);
		}
		if (json)
			printf("}\n");
	}
	return EX_OK;
}

static struct opt load_opts[] = { { "--upsert", false }, { "--batch", true },
				  { NULL } };

/* Send ops[0..n) and count the outcomes; -errno when the batch failed. */
static int load_flush(int fd, struct bwtree_ioc_batch_op *ops, uint32_t n,
		      uint64_t *added, uint64_t *existed, uint64_t *replaced)
{
	struct bwtree_ioc_batch b = {
		.size = sizeof(b),
		.ops = (uintptr_t)ops,
		.count = n,
	};
	uint32_t i;
	int ret;

	if (!n)
		return 0;
	ret = do_ioctl(fd, BWTREE_IOC_BATCH, &b);
	for (i = 0; i < b.done && i < n; i++) {
		if (ops[i].result == -EEXIST)
			(*existed)++;
		else if (ops[i].result == 1)
			(*replaced)++;
		else if (!ops[i].result)
			(*added)++;
	}
	return ret;
}

static int cmd_load(struct cmdline *cl)
{
	bool upsert = opt_set(cl, "--upsert");
	uint64_t added = 0, existed = 0, replaced = 0, lineno = 0;
	struct bwtree_ioc_stats st0 = { .size = sizeof(st0) };
	struct bwtree_ioc_stats st1 = { .size = sizeof(st1) };
	struct bwtree_ioc_batch_op *ops;
	struct bwtree_ioc_info info;
	const char *path = "-";
	double per_k;
	uint32_t batch = 0, n = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *in = stdin;
	int fd, ret;

	if (cl->npos > 1)
		return usage_err(cl->cmd, "load: expected at most one FILE");
	if (cl->npos)
		path = cl->pos[0];
	ret = opt_u32(cl, "--batch", &batch);
	if (ret)
		return ret;
	if (strcmp(path, "-")) {
		in = fopen(path, "r");
		if (!in) {
			err("load: %s: %s", path, strerror(errno));
			return EX_FAIL;
		}
	}
	fd = open_tree(default_tree(), O_RDWR);
	if (fd < 0)
		return EX_FAIL;
	ret = get_info(fd, &info);
	if (ret) {
		explain("load", ret);
		return EX_FAIL;
	}
	if (!batch || batch > info.max_batch)
		batch = batch ? info.max_batch : 256;
	ops = calloc(batch, sizeof(*ops));
	if (!ops)
		return EX_FAIL;
	/* Restarts of the tree's writers during the load, from its stats. */
	if (do_ioctl(fd, BWTREE_IOC_STATS, &st0))
		st0.retries = 0;
	ret = 0;
	while (getline(&line, &cap, in) >= 0) {
		char *p = line, *k, *v, *end;
		int64_t key;
		uint64_t value;

		lineno++;
		p[strcspn(p, "#\r\n")] = 0;
		k = strtok_r(p, " \t,", &end);
		if (!k)
			continue;
		v = strtok_r(NULL, " \t,", &end);
		if (!v || strtok_r(NULL, " \t,", &end) ||
		    !parse_s64(k, &key) || !parse_u64(v, &value)) {
			err("load: %s:%llu: expected 'KEY VALUE'", path,
			    (unsigned long long)lineno);
			ret = -EINVAL;
			break;
		}
		ops[n].op = upsert ? BWTREE_IOC_OP_UPSERT : BWTREE_IOC_OP_INSERT;
		ops[n].flags = 0;
		ops[n].key = key;
		ops[n].value = value;
		if (++n == batch) {
			ret = load_flush(fd, ops, n, &added, &existed,
					 &replaced);
			n = 0;
			if (ret)
				break;
		}
	}
	if (!ret)
		ret = load_flush(fd, ops, n, &added, &existed, &replaced);
	if (do_ioctl(fd, BWTREE_IOC_STATS, &st1))
		st1.retries = st0.retries;
	per_k = added + replaced + existed ?
		1000.0 * (st1.retries - st0.retries) /
		(added + replaced + existed) : 0;
	free(line);
	free(ops);
	close(fd);
	if (in != stdin)
		fclose(in);
	if (ret && ret != -EINVAL)
		explain("load", ret);
	if (json) {
		printf("{\"inserted\":%llu,\"replaced\":%llu,\"existed\":%llu,",
		       (unsigned long long)added, (unsigned long long)replaced,
		       (unsigned long long)existed);
		printf("\"restarts_per_1000\":%.1f,\"ok\":%s}\n", per_k,
		       ret ? "false" : "true");
	} else {
		fprintf(stderr, "%s: loaded %llu new, %llu replaced, %llu already present",
			prog, (unsigned long long)added,
			(unsigned long long)replaced,
			(unsigned long long)existed);
		fprintf(stderr, ", %.1f restarts per 1000 writes%s\n", per_k,
			ret ? " (stopped)" : "");
	}
	return ret ? EX_FAIL : EX_OK;
}

/* ------------------------------------------------------------------ */
/* bench: op mixes through the ioctl path, single ops vs BATCH. */

enum bench_kind { B_INSERT, B_LOOKUP, B_MIXED };

struct bench {
	int fd;
	enum bench_kind kind;
	bool batch;
	uint32_t batch_size;
	uint64_t keys;		/* keys 0..keys-1 by index */
	uint64_t ops;		/* per thread */
	int nthreads;
	int id;
	uint64_t errors;
	pthread_t th;
};

/* Index to key: a bijection that scatters neighbours over the key space. */
static int64_t bench_key(uint64_t i)
{
	return (int64_t)(i * 0x9e3779b97f4a7c15ULL);
}

static uint64_t bench_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *bench_thread(void *arg)
{
	struct bench *b = arg;
	struct bwtree_ioc_batch_op *ops = NULL;
	uint64_t seed = 0x2545f4914f6cdd1dULL + b->id, i = 0;
	/* Inserts: thread t owns indexes t, t + T, t + 2T, ... */
	uint64_t next_ins = b->id;

	if (b->batch) {
		ops = calloc(b->batch_size, sizeof(*ops));
		if (!ops) {
			b->errors++;
			return NULL;
		}
	}
	while (i < b->ops) {
		uint32_t n = b->batch ? b->batch_size : 1, j;

		if (n > b->ops - i)
			n = b->ops - i;
		for (j = 0; j < n; j++) {
			struct bwtree_ioc_batch_op op = { 0 };
			uint64_t r = bench_rand(&seed);

			switch (b->kind) {
			case B_INSERT:
				op.op = BWTREE_IOC_OP_INSERT;
				op.key = bench_key(next_ins);
				next_ins += b->nthreads;
				break;
			case B_LOOKUP:
				op.op = BWTREE_IOC_OP_LOOKUP;
				op.key = bench_key(r % b->keys);
				break;
			case B_MIXED:
				/* 80% lookup, 10% upsert, 10% delete */
				op.op = r % 10 < 8 ? BWTREE_IOC_OP_LOOKUP :
					r % 10 == 8 ? BWTREE_IOC_OP_UPSERT :
						      BWTREE_IOC_OP_DELETE;
				op.key = bench_key((r >> 8) % b->keys);
				break;
			}
			op.value = r;
			if (!b->batch) {
				struct bwtree_ioc_kv kv = {
					.size = sizeof(kv),
					.key = op.key,
					.value = op.value,
				};
				unsigned long cmd =
					op.op == BWTREE_IOC_OP_INSERT ? BWTREE_IOC_INSERT :
					op.op == BWTREE_IOC_OP_UPSERT ? BWTREE_IOC_UPSERT :
					op.op == BWTREE_IOC_OP_DELETE ? BWTREE_IOC_DELETE :
									BWTREE_IOC_LOOKUP;
				int ret = do_ioctl(b->fd, cmd, &kv);

				if (ret && ret != -ENOENT)
					b->errors++;
			} else {
				ops[j] = op;
			}
		}
		if (b->batch) {
			struct bwtree_ioc_batch bt = {
				.size = sizeof(bt),
				.ops = (uintptr_t)ops,
				.count = n,
			};

			if (do_ioctl(b->fd, BWTREE_IOC_BATCH, &bt))
				b->errors++;
			for (j = 0; j < n; j++)
				if (ops[j].result < 0 &&
				    ops[j].result != -ENOENT)
					b->errors++;
		}
		i += n;
	}
	free(ops);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run one phase with @nthreads threads; ops/s, or -1 on failure. */
static double bench_phase(int fd, enum bench_kind kind, bool batch,
			  uint32_t batch_size, uint64_t keys, uint64_t total,
			  int nthreads, uint64_t *errors)
{
	struct bench *b = calloc(nthreads, sizeof(*b));
	double t0, t1;
	int t;

	if (!b)
		return -1;
	for (t = 0; t < nthreads; t++) {
		b[t].fd = fd;
		b[t].kind = kind;
		b[t].batch = batch;
		b[t].batch_size = batch_size;
		b[t].keys = keys;
		b[t].ops = total / nthreads;
		b[t].nthreads = nthreads;
		b[t].id = t;
	}
	t0 = now();
	for (t = 0; t < nthreads; t++)
		if (pthread_create(&b[t].th, NULL, bench_thread, &b[t]))
			return -1;
	*errors = 0;
	for (t = 0; t < nthreads; t++) {
		pthread_join(b[t].th, NULL);
		*errors += b[t].errors;
	}
	t1 = now();
	free(b);
	return (double)(total / nthreads * nthreads) / (t1 - t0);
}

/* A fresh anonymous tree; -1 on failure. */
static int bench_tree(uint32_t leaf_max)
{
	struct bwtree_ioc_create c = {
		.size = sizeof(c),
		.flags = BWTREE_IOC_CREATE_ANON,
		.leaf_max = leaf_max,
	};
	int fd = open_dev(O_RDWR);
	int ret;

	if (fd < 0)
		return -1;
	ret = do_ioctl(fd, BWTREE_IOC_CREATE, &c);
	if (ret) {
		explain("bench: create", ret);
		close(fd);
		return -1;
	}
	return fd;
}

/* One line (or JSON object) of bench results. */
static void bench_report(const char *phase, bool batch, int threads,
			 uint64_t ops, double rate, uint64_t errors, bool first)
{
	const char *mode = batch ? "batch" : "single";

	if (!json) {
		printf("%-7s %-6s %7d %10llu %12.0f %7llu\n", phase, mode,
		       threads, (unsigned long long)ops, rate,
		       (unsigned long long)errors);
		return;
	}
	printf("%s{\"phase\":\"%s\",\"mode\":\"%s\",", first ? "" : ",",
	       phase, mode);
	printf("\"threads\":%d,\"ops\":%llu,", threads,
	       (unsigned long long)ops);
	printf("\"ops_per_sec\":%.0f,\"errors\":%llu}", rate,
	       (unsigned long long)errors);
}

static struct opt bench_opts[] = {
	{ "--keys", true }, { "--ops", true }, { "--threads", true },
	{ "--batch", true }, { "--leaf-max", true }, { "--mix", true },
	{ NULL },
};

static int cmd_bench(struct cmdline *cl)
{
	static const char * const kind_name[] = { "insert", "lookup", "mixed" };
	uint64_t keys = 100000, ops = 0;
	uint32_t batch = 256, leaf_max = 0, tmax;
	const char *mix = "all";
	struct opt *o = find_opt(cl, "--mix");
	int threads[2], nth, ti, k, mode, ret;
	struct bwtree_ioc_info info;
	double lookup_rate[2][2] = { { 0 } };	/* [threads][single, batch] */
	bool first = true;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (cl->npos)
		return usage_err(cl->cmd, "bench: takes options only");
	tmax = ncpu > 0 ? ncpu : 1;
	ret = opt_u64(cl, "--keys", &keys) ?: opt_u64(cl, "--ops", &ops) ?:
	      opt_u32(cl, "--threads", &tmax) ?:
	      opt_u32(cl, "--batch", &batch) ?:
	      opt_u32(cl, "--leaf-max", &leaf_max);
	if (ret)
		return ret;
	if (o && o->val)
		mix = o->val;
	if (strcmp(mix, "all") && strcmp(mix, "insert") &&
	    strcmp(mix, "lookup") && strcmp(mix, "mixed"))
		return usage_err(cl->cmd, "bench: --mix is insert, lookup, mixed or all");
	if (!keys || !tmax || tmax > 256 || !batch)
		return usage_err(cl->cmd,
				 "bench: --keys, --threads and --batch must be positive, --threads at most 256");
	if (!ops)
		ops = keys;
	threads[0] = 1;
	threads[1] = tmax;
	nth = tmax > 1 ? 2 : 1;

	{
		int fd = open_dev(O_RDONLY);

		if (fd < 0)
			return EX_FAIL;
		ret = get_info(fd, &info);
		close(fd);
		if (ret) {
			explain("bench", ret);
			return EX_FAIL;
		}
		if (batch > info.max_batch)
			batch = info.max_batch;
	}
	if (json)
		printf("[");
	else
		printf("%-7s %-6s %7s %10s %12s %7s\n", "phase", "mode",
		       "threads", "ops", "ops/s", "errors");
	for (ti = 0; ti < nth; ti++) {
		for (mode = 0; mode < 2; mode++) {
			int fd = bench_tree(leaf_max);

			if (fd < 0)
				return EX_FAIL;
			for (k = B_INSERT; k <= B_MIXED; k++) {
				uint64_t n = k == B_INSERT ? keys : ops, errors;
				double rate;

				/* The insert phase always runs: it fills the tree. */
				if (k != B_INSERT && strcmp(mix, "all") &&
				    strcmp(mix, kind_name[k]))
					continue;
				rate = bench_phase(fd, k, mode, batch, keys, n,
						   threads[ti], &errors);
				if (rate < 0) {
					err("bench: cannot start threads");
					close(fd);
					return EX_FAIL;
				}
				if (k == B_INSERT && strcmp(mix, "all") &&
				    strcmp(mix, "insert"))
					continue;
				if (k == B_LOOKUP)
					lookup_rate[ti][mode] = rate;
				bench_report(kind_name[k], mode, threads[ti], n,
					     rate, errors, first);
				fflush(stdout);
				first = false;
			}
			close(fd);
		}
	}
	if (json)
		printf("]\n");
	/* Lookups in BATCHes go through the module's batched lookup. */
	for (ti = 0; !json && ti < nth; ti++)
		if (lookup_rate[ti][0] > 0 && lookup_rate[ti][1] > 0)
			printf("lookup batch/single, %d thread%s: %.2fx\n",
			       threads[ti], threads[ti] > 1 ? "s" : "",
			       lookup_rate[ti][1] / lookup_rate[ti][0]);
	return EX_OK;
}

/* ------------------------------------------------------------------ */

static int cmd_help(struct cmdline *cl);

static const struct command commands[] = {
	{ "create", "NAME [--leaf-max N] [--inner-max N] [--chain-max N] [--max-bytes N]",
	  "Create a named tree (needs root). It lives until 'destroy' or module unload.\n"
	  "NAME: 1 to 31 of A-Z a-z 0-9 _ . -, not starting with '.'.\n"
	  "  --leaf-max N, --inner-max N  node sizes (0: default; see 'info' for limits)\n"
	  "  --chain-max N                delta chain length before consolidation\n"
	  "  --max-bytes N                memory limit of this tree (k/m/g suffixes)",
	  cmd_create, create_opts },
	{ "destroy", "NAME",
	  "Destroy a named tree (needs root). Programs that have it open keep it\n"
	  "until they close it.",
	  cmd_destroy, NULL },
	{ "list", "[-l|--long]",
	  "List the named trees in byte order, one per line; -l prints\n"
	  "NAME<TAB>KEYS<TAB>BYTES. JSON: [{\"name\",\"keys\",\"bytes\"}].",
	  cmd_list, list_opts },
	{ "insert", "KEY VALUE",
	  "Insert KEY (signed 64-bit) with VALUE (unsigned 64-bit); fails (1) if KEY\n"
	  "exists. Prints nothing; JSON {\"key\",\"value\",\"inserted\":true}.",
	  cmd_insert, NULL },
	{ "upsert", "KEY VALUE",
	  "Insert KEY, or replace its value. Prints nothing;\n"
	  "JSON {\"key\",\"value\",\"replaced\":BOOL}.",
	  cmd_upsert, NULL },
	{ "get", "KEY [KEY...]",
	  "Print the value of KEY. Exit status 2 when KEY is absent.\n"
	  "JSON {\"key\",\"value\"} or {\"key\",\"found\":false}.\n"
	  "With several keys: looked up together through BATCH (max_batch at a\n"
	  "time); 'KEY VALUE' lines in the order given, absent keys reported on\n"
	  "standard error, exit status 2 if any is absent. JSON: an array of the\n"
	  "objects above.",
	  cmd_get, NULL },
	{ "del", "KEY",
	  "Delete KEY and print the value it had. Exit status 2 when KEY is absent.\n"
	  "JSON {\"key\",\"value\",\"deleted\":true}.",
	  cmd_del, NULL },
	{ "scan", "LO HI [--reverse] [--limit N]",
	  "Print the pairs with LO <= KEY <= HI as 'KEY VALUE' lines, ascending\n"
	  "(descending with --reverse or -r), at most N with --limit or -n. LO and\n"
	  "HI may be min or max; LO above HI is a usage error (64).\n"
	  "JSON [{\"key\",\"value\"},...].",
	  cmd_scan, scan_opts },
	{ "count", "",
	  "Print the number of keys. JSON {\"count\"}.",
	  cmd_count, NULL },
	{ "stats", "",
	  "Print the tree's statistics as 'NAME VALUE' lines: count, height, pages,\n"
	  "bytes, max_bytes, leaf_max, inner_max, chain_max, consolidations, splits,\n"
	  "merges, cas_failures, retries, longest_chain, records_<kind>.\n"
	  "JSON: an object with a \"records\" object.",
	  cmd_stats, NULL },
	{ "info", "",
	  "Print the module's ABI version, features, limits and memory use as\n"
	  "'NAME VALUE' lines. JSON: an object.",
	  cmd_info, NULL },
	{ "load", "[FILE|-] [--upsert] [--batch N]",
	  "Load 'KEY VALUE' lines (spaces, tabs or commas between; # comments and\n"
	  "blank lines allowed) from FILE or standard input through BATCH, N\n"
	  "operations per call (default 256, at most the module's max_batch).\n"
	  "Existing keys are counted and left alone, or replaced with --upsert.\n"
	  "A malformed line stops the load (exit 1). A summary goes to standard\n"
	  "error; JSON {\"inserted\",\"replaced\",\"existed\",\"ok\"}.",
	  cmd_load, load_opts },
	{ "bench", "[--keys N] [--ops N] [--threads N] [--batch N] [--leaf-max N] [--mix M]",
	  "Measure ops/s through the ioctl path on a fresh anonymous tree: insert\n"
	  "N keys (default 100000), then lookups and a mix (80% lookup, 10% upsert,\n"
	  "10% delete), --ops each (default N), as single ioctls and as BATCH of\n"
	  "--batch ops (default 256), with 1 thread and with --threads (default:\n"
	  "online CPUs). --mix insert|lookup|mixed|all picks the phases reported\n"
	  "(the insert phase always runs: it fills the tree). Needs no name and no\n"
	  "privilege beyond opening the device; -t is ignored. Prints one line per\n"
	  "phase, mode and thread count: phase mode threads ops ops/s errors;\n"
	  "errors counts results other than success and ENOENT (a mixed delete may\n"
	  "find its key gone) and should be 0. A BATCH of lookups is one batched\n"
	  "lookup in the module (bwtree_lookup_batch()); a last line per thread\n"
	  "count gives its throughput over single LOOKUPs. JSON [{\"phase\",\n"
	  "\"mode\",\"threads\",\"ops\",\"ops_per_sec\",\"errors\"}].",
	  cmd_bench, bench_opts },
	{ "help", "[COMMAND]", "Explain the commands, or one command.",
	  cmd_help, NULL },
	{ NULL },
};

static void print_usage(FILE *f)
{
	const struct command *c;

	fprintf(f,
		"Usage: %s [--json] [-t TREE] [-d DEVICE] COMMAND [ARGS...]\n"
		"\n"
		"Client of the bwtree kernel module (/dev/bwtree).\n"
		"  -t, --tree TREE    tree for the data commands (default: $BWTREE_TREE,\n"
		"                     else 'default')\n"
		"  -d, --device PATH  device node (default /dev/bwtree)\n"
		"  --json             JSON output\n"
		"\nCommands:\n", prog);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-8s%s%s\n", c->name, *c->args ? " " : "",
			c->args);
	fprintf(f,
		"\n'%s COMMAND --help' (or '%s help COMMAND') explains a command.\n"
		"Options may come before or after the arguments; '--' ends them.\n"
		"KEY: signed 64-bit (decimal, 0x hex, 0 octal; min and max name the ends\n"
		"of the key space); VALUE: unsigned 64-bit. Byte counts take k, m, g.\n"
		"get, scan, count, stats, list and info open the device read-only.\n"
		"Messages go to standard error.\n"
		"Exit status: 0 success; 1 failure (the message says what happened and\n"
		"what to do); 2 not found (get or del of an absent key); 64 usage error\n"
		"(unknown command or option, bad number, scan with LO above HI).\n",
		prog, prog);
}

static void command_usage(const struct command *c)
{
	printf("Usage: %s [--json] [-t TREE] %s%s%s\n\n%s\n", prog, c->name,
	       *c->args ? " " : "", c->args, c->help);
}

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int cmd_help(struct cmdline *cl)
{
	const struct command *c;

	if (!cl->npos) {
		print_usage(stdout);
		return EX_OK;
	}
	c = find_command(cl->pos[0]);
	if (!c)
		return usage_err(NULL, "help: no command '%s'", cl->pos[0]);
	command_usage(c);
	return EX_OK;
}

int main(int argc, char **argv)
{
	const struct command *c;
	struct cmdline cl = { 0 };
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-t") || !strcmp(a, "--tree")) {
			if (i + 1 >= argc)
				return usage_err(NULL, "%s needs a TREE", a);
			tree_name = argv[++i];
		} else if (!strcmp(a, "-d") || !strcmp(a, "--device")) {
			if (i + 1 >= argc)
				return usage_err(NULL, "%s needs a PATH", a);
			device = argv[++i];
		} else if (!strncmp(a, "--tree=", 7)) {
			tree_name = a + 7;
		} else if (!strncmp(a, "--device=", 9)) {
			device = a + 9;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_usage(stdout);
			return EX_OK;
		} else {
			return usage_err(NULL, "unknown option '%s'", a);
		}
	}
	if (i == argc) {
		print_usage(stderr);
		return EX_USAGE;
	}
	c = find_command(argv[i]);
	if (!c)
		return usage_err(NULL, "unknown command '%s'", argv[i]);
	cl.cmd = c->name;
	cl.opts = c->opts;
	ret = parse_cmdline(&cl, argc - i - 1, argv + i + 1);
	if (ret)
		return ret;
	if (cl.help) {
		command_usage(c);
		return EX_OK;
	}
	ret = c->run(&cl);
	free(cl.pos);
	if (fflush(stdout) || ferror(stdout)) {
		err("writing output: %s", strerror(errno));
		return EX_FAIL;
	}
	return ret;
}

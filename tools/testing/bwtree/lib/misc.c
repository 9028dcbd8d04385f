// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace runtime: the per-thread task state, complaints (WARN, BUG and the
 * checks standing in for lockdep and CONFIG_DEBUG_ATOMIC_SLEEP), printk and
 * get_random_*().
 */
#include <bwt/shim.h>
#include <execinfo.h>
#include <sanitizer/common_interface_defs.h>

__thread struct bwt_task bwt_task;

int bwt_complaints_fatal;
int bwt_loglevel = 6;
static unsigned long complaints;

/* weak: only there when a sanitizer runtime is linked in */
#pragma weak __sanitizer_print_stack_trace

void bwt_dump_stack(void)
{
	void *frames[64];
	int n;

	if (__sanitizer_print_stack_trace) {
		__sanitizer_print_stack_trace();
		return;
	}
	n = backtrace(frames, 64);
	backtrace_symbols_fd(frames, n, 2);
}

static void __attribute__((constructor)) bwt_misc_init(void)
{
	const char *s = getenv("BWT_LOGLEVEL");

	if (s)
		bwt_loglevel = atoi(s);
	s = getenv("BWT_FATAL");
	if (s)
		bwt_complaints_fatal = atoi(s);
}

void bwt_complain(const char *kind, const char *file, int line,
		  const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&complaints, 1, __ATOMIC_RELAXED);
	flockfile(stderr);
	fprintf(stderr, "%s: %s:%d: ", kind, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bwt_dump_stack();
	funlockfile(stderr);
	if (bwt_complaints_fatal)
		abort();
}

void bwt_bug(const char *file, int line, const char *what)
{
	__atomic_add_fetch(&complaints, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "kernel BUG at %s:%d: %s\n", file, line, what);
	bwt_dump_stack();
	abort();
}

unsigned long bwt_complaints(void)
{
	return __atomic_load_n(&complaints, __ATOMIC_RELAXED);
}

void bwt_complaints_reset(void)
{
	__atomic_store_n(&complaints, 0, __ATOMIC_RELAXED);
}

/*
 * printk levels: 0..7 for pr_*(), -1 for printk() (level from a KERN_
 * prefix, default 4), -2 for pr_cont().
 */
void bwt_printk(int level, const char *fmt, ...)
{
	va_list ap;

	if (level == -1) {
		level = 4;
		if (fmt[0] == KERN_SOH[0] && fmt[1]) {
			if (fmt[1] >= '0' && fmt[1] <= '7')
				level = fmt[1] - '0';
			else if (fmt[1] == 'c')
				level = -2;
			fmt += 2;
		}
	}
	if (level >= 0 && level > bwt_loglevel)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static unsigned long thread_seq;

static void seed_if_needed(void)
{
	if (!bwt_task.rand_state[0] && !bwt_task.rand_state[1])
		bwt_random_seed(0x9e3779b97f4a7c15ULL *
				(__atomic_add_fetch(&thread_seq, 1, __ATOMIC_RELAXED)));
}

void bwt_random_seed(u64 seed)
{
	/* splitmix64 expands the seed into xoroshiro128+'s state */
	u64 z;
	int i;

	for (i = 0; i < 2; i++) {
		seed += 0x9e3779b97f4a7c15ULL;
		z = seed;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		bwt_task.rand_state[i] = z ^ (z >> 31);
	}
	if (!bwt_task.rand_state[0] && !bwt_task.rand_state[1])
		bwt_task.rand_state[0] = 1;
}

u64 bwt_random_u64(void)
{
	u64 s0, s1, r;

	seed_if_needed();
	s0 = bwt_task.rand_state[0];
	s1 = bwt_task.rand_state[1];
	r = s0 + s1;
	s1 ^= s0;
	bwt_task.rand_state[0] = rol64(s0, 24) ^ s1 ^ (s1 << 16);
	bwt_task.rand_state[1] = rol64(s1, 37);
	return r;
}

int bwt_nr_cpus(void)
{
	static int n;

	if (!__atomic_load_n(&n, __ATOMIC_RELAXED)) {
		long v = sysconf(_SC_NPROCESSORS_CONF);

		__atomic_store_n(&n, v > 0 ? (int)v : 1, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&n, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------- pause points */
static __thread struct bwt_pause *bwt_pause_self;
static pthread_mutex_t bwt_pause_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bwt_pause_cond = PTHREAD_COND_INITIALIZER;

void bwt_pause_attach(struct bwt_pause *p)
{
	bwt_pause_self = p;
}

void bwt_pause_hit(const char *name)
{
	struct bwt_pause *p = bwt_pause_self;
	unsigned int i;

	if (likely(!p))
		return;
	pthread_mutex_lock(&bwt_pause_lock);
	for (i = 0; i < ARRAY_SIZE(p->armed); i++) {
		if (!p->armed[i] || strcmp(p->armed[i], name))
			continue;
		p->armed[i] = NULL;
		p->parked = name;
		p->go = false;
		pthread_cond_broadcast(&bwt_pause_cond);
		while (!p->go)
			pthread_cond_wait(&bwt_pause_cond, &bwt_pause_lock);
		p->parked = NULL;
		pthread_cond_broadcast(&bwt_pause_cond);	/* for release */
		break;
	}
	pthread_mutex_unlock(&bwt_pause_lock);
}

void bwt_pause_arm(struct bwt_pause *p, const char *name)
{
	unsigned int i;

	pthread_mutex_lock(&bwt_pause_lock);
	for (i = 0; i < ARRAY_SIZE(p->armed); i++) {
		if (!p->armed[i]) {
			p->armed[i] = name;
			break;
		}
	}
	pthread_mutex_unlock(&bwt_pause_lock);
	if (i == ARRAY_SIZE(p->armed))
		abort();
}

static void bwt_pause_deadline(struct timespec *ts, double secs)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)secs;
	ts->tv_nsec += (long)((secs - (time_t)secs) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool bwt_pause_wait(struct bwt_pause *p, const char *name, double secs)
{
	struct timespec ts;
	bool parked;

	bwt_pause_deadline(&ts, secs);
	pthread_mutex_lock(&bwt_pause_lock);
	while (!(p->parked && !strcmp(p->parked, name)) && !p->done)
		if (pthread_cond_timedwait(&bwt_pause_cond, &bwt_pause_lock, &ts))
			break;
	parked = p->parked && !strcmp(p->parked, name);
	pthread_mutex_unlock(&bwt_pause_lock);
	return parked;
}

bool bwt_pause_wait_done(struct bwt_pause *p, double secs)
{
	struct timespec ts;
	bool done;

	bwt_pause_deadline(&ts, secs);
	pthread_mutex_lock(&bwt_pause_lock);
	while (!p->done)
		if (pthread_cond_timedwait(&bwt_pause_cond, &bwt_pause_lock, &ts))
			break;
	done = p->done;
	pthread_mutex_unlock(&bwt_pause_lock);
	return done;
}

void bwt_pause_release(struct bwt_pause *p)
{
	pthread_mutex_lock(&bwt_pause_lock);
	p->parked = NULL;	/* a wait for the same point waits anew */
	p->go = true;
	pthread_cond_broadcast(&bwt_pause_cond);
	/*
	 * Until the thread has left the pause point (or parked again), so
	 * that a wait for the same name that follows sees the next stop.
	 */
	while (p->parked && p->go)
		pthread_cond_wait(&bwt_pause_cond, &bwt_pause_lock);
	pthread_mutex_unlock(&bwt_pause_lock);
}

void bwt_pause_done(struct bwt_pause *p)
{
	pthread_mutex_lock(&bwt_pause_lock);
	p->done = true;
	pthread_cond_broadcast(&bwt_pause_cond);
	pthread_mutex_unlock(&bwt_pause_lock);
}

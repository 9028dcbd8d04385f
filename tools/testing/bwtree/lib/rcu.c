// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace runtime: RCU.
 *
 * Default: liburcu's urcu-memb flavour for readers and grace periods.
 * Threads register lazily (first rcu_read_lock()) and are unregistered by a
 * pthread key destructor when they exit, so test code needs no
 * rcu_register_thread().
 *
 * BWT_RCU_OWN: a small RCU for ThreadSanitizer, built only from __atomic
 * operations and pthread primitives it understands; see <bwt/rcu.h> for the
 * read side.  Grace periods:
 *
 *	synchronize_rcu():  gp = gp + 1 (seq_cst), then for each registered
 *	reader wait until its counter, loaded with acquire, is 0 (idle: its
 *	release store on leaving orders all its accesses before ours) or
 *	>= the new gp (it entered after the increment and can only have found
 *	pointers published after the caller's removal).
 *
 * Both: call_rcu() queues to one worker thread that takes everything queued,
 * waits a grace period (synchronize_rcu() of the flavour), and runs the
 * callbacks in order; rcu_barrier() waits until every callback queued before
 * it has run.  liburcu's own call_rcu thread is not used: it sleeps 10 ms
 * between batches, which made each rcu_barrier() of the allocation-failure
 * sweep cost that much.
 */
#include <bwt/shim.h>

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;

static void on_thread_exit(void *arg)
{
	if (bwt_task.rcu_registered)
		bwt_rcu_unregister();
}

static void make_key(void)
{
	if (pthread_key_create(&exit_key, on_thread_exit))
		abort();
}

#ifndef BWT_RCU_OWN

void bwt_rcu_register(void)
{
	if (bwt_task.rcu_registered)
		return;
	pthread_once(&key_once, make_key);
	urcu_memb_register_thread();
	bwt_task.rcu_registered = 1;
	pthread_setspecific(exit_key, (void *)1);
}

void bwt_rcu_unregister(void)
{
	if (!bwt_task.rcu_registered)
		return;
	urcu_memb_unregister_thread();
	bwt_task.rcu_registered = 0;
}

void bwt_synchronize_rcu(void)
{
	if (bwt_task.rcu_nesting)
		bwt_bug(__FILE__, __LINE__, "synchronize_rcu() in an RCU read-side section");
	urcu_memb_synchronize_rcu();
}

#else /* BWT_RCU_OWN */

unsigned long bwt_rcu_gp = 1;
static pthread_mutex_t gp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bwt_task *readers;

void bwt_rcu_register(void)
{
	if (bwt_task.rcu_registered)
		return;
	pthread_once(&key_once, make_key);
	pthread_mutex_lock(&readers_lock);
	bwt_task.rcu_prev = NULL;
	bwt_task.rcu_next = readers;
	if (readers)
		readers->rcu_prev = &bwt_task;
	readers = &bwt_task;
	pthread_mutex_unlock(&readers_lock);
	bwt_task.rcu_registered = 1;
	pthread_setspecific(exit_key, (void *)1);
}

void bwt_rcu_unregister(void)
{
	if (!bwt_task.rcu_registered)
		return;
	if (bwt_task.rcu_nesting)
		bwt_bug(__FILE__, __LINE__, "thread exits in an RCU read-side section");
	pthread_mutex_lock(&readers_lock);
	if (bwt_task.rcu_prev)
		bwt_task.rcu_prev->rcu_next = bwt_task.rcu_next;
	else
		readers = bwt_task.rcu_next;
	if (bwt_task.rcu_next)
		bwt_task.rcu_next->rcu_prev = bwt_task.rcu_prev;
	pthread_mutex_unlock(&readers_lock);
	bwt_task.rcu_registered = 0;
}

void bwt_synchronize_rcu(void)
{
	unsigned long gp;
	struct bwt_task *t;

	if (bwt_task.rcu_nesting)
		bwt_bug(__FILE__, __LINE__, "synchronize_rcu() in an RCU read-side section");
	pthread_mutex_lock(&gp_lock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gp = __atomic_add_fetch(&bwt_rcu_gp, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(&readers_lock);
	for (t = readers; t; t = t->rcu_next) {
		unsigned int spins = 0;

		for (;;) {
			unsigned long c = __atomic_load_n(&t->rcu_ctr, __ATOMIC_ACQUIRE);

			if (c == 0 || c >= gp)
				break;
			if (++spins < 64)
				__builtin_ia32_pause();
			else
				sched_yield();
		}
	}
	pthread_mutex_unlock(&readers_lock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&gp_lock);
}

#endif /* BWT_RCU_OWN */

static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_more = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cb_done_cond = PTHREAD_COND_INITIALIZER;
static struct callback_head *cb_head, **cb_tail = &cb_head;
static unsigned long cb_queued, cb_done;
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;

static void *cb_worker(void *arg)
{
	for (;;) {
		struct callback_head *list, *next;
		unsigned long n = 0;

		pthread_mutex_lock(&cb_lock);
		while (!cb_head)
			pthread_cond_wait(&cb_more, &cb_lock);
		list = cb_head;
		cb_head = NULL;
		cb_tail = &cb_head;
		pthread_mutex_unlock(&cb_lock);

		bwt_synchronize_rcu();
		for (; list; list = next) {
			next = list->next;
			list->func(list);
			n++;
		}

		pthread_mutex_lock(&cb_lock);
		cb_done += n;
		pthread_cond_broadcast(&cb_done_cond);
		pthread_mutex_unlock(&cb_lock);
	}
	return NULL;
}

static void start_worker(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, cb_worker, NULL))
		abort();
	pthread_detach(t);
}

void bwt_call_rcu(struct callback_head *head, void (*func)(struct callback_head *))
{
	pthread_once(&worker_once, start_worker);
	head->func = func;
	head->next = NULL;
	pthread_mutex_lock(&cb_lock);
	*cb_tail = head;
	cb_tail = &head->next;
	cb_queued++;
	pthread_cond_signal(&cb_more);
	pthread_mutex_unlock(&cb_lock);
}

void bwt_rcu_barrier(void)
{
	unsigned long target;

	if (bwt_task.rcu_nesting)
		bwt_bug(__FILE__, __LINE__, "rcu_barrier() in an RCU read-side section");
	pthread_mutex_lock(&cb_lock);
	target = cb_queued;
	while (cb_done < target)
		pthread_cond_wait(&cb_done_cond, &cb_lock);
	pthread_mutex_unlock(&cb_lock);
}

struct kvfree_node {
	struct rcu_head rcu;
	void *ptr;
};

static void kvfree_cb(struct rcu_head *head)
{
	struct kvfree_node *n = container_of(head, struct kvfree_node, rcu);

	bwt_kfree(n->ptr);
	free(n);
}

void bwt_kvfree_rcu(void *ptr)
{
	struct kvfree_node *n;

	if (!ptr)
		return;
	n = malloc(sizeof(*n));
	if (!n)
		abort();
	n->ptr = ptr;
	bwt_call_rcu(&n->rcu, kvfree_cb);
}

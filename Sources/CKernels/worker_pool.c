/* The forward pass's worker pool: a process-wide set of threads that spin between parallel loops and sleep
 * when none comes. See apus_parallel_for in apus_kernels.h. */
#include "apus_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sched.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define APUS_RELAX() _mm_pause()
#else
#define APUS_RELAX() ((void)0)
#endif

/* Workers besides the caller, at most. */
#define MAX_WORKERS 255
/* How long a worker spins for the next loop before it sleeps (ns): longer than the gaps between the loops of
 * one forward pass (norms, attention, sampling), far shorter than the gap between two steps. */
#define SPIN_NS 200000

static struct {
    /* The loop in progress: generation (high 32 bits) and the next unclaimed part (low 32). */
    _Atomic uint64_t claim;
    /* Parts of the current loop not yet finished. */
    _Atomic int remaining;
    /* One caller at a time. */
    atomic_flag busy;
    /* The current loop. Relaxed atomics: a worker may read them while the caller rewrites them for the next loop,
     * and then its claim fails (see run_parts); plain fields would make that a data race in C11 terms. On x86 a
     * relaxed load or store is an ordinary move. */
    _Atomic(apus_parallel_body) body;
    _Atomic(void *) context;
    _Atomic int parts;
    /* Workers started (grown under `busy`), and how many of them may take parts of the current loop. */
    int workers;
    _Atomic int participants;
    /* Sleeping workers wait on `wake` for a new generation. */
    _Atomic int sleepers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
} pool = {.busy = ATOMIC_FLAG_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Claims and runs parts of generation `gen` until none is left. The loop's body, context and part count are read
 * before each claim: a claim succeeds only while `gen` still has unclaimed parts, and the caller rewrites them
 * only after every part of `gen` has finished, so a successful claim always ran with this loop's values. */
static void run_parts(uint32_t gen) {
    for (;;) {
        uint64_t seen = atomic_load_explicit(&pool.claim, memory_order_acquire);
        if ((uint32_t)(seen >> 32) != gen) return;
        apus_parallel_body body = atomic_load_explicit(&pool.body, memory_order_relaxed);
        void *context = atomic_load_explicit(&pool.context, memory_order_relaxed);
        int parts = atomic_load_explicit(&pool.parts, memory_order_relaxed);
        uint32_t part = (uint32_t)seen;
        if ((int)part >= parts) return;
        if (!atomic_compare_exchange_weak_explicit(&pool.claim, &seen, seen + 1, memory_order_acq_rel,
                                                   memory_order_relaxed))
            continue;
        body(context, (int)part);
        atomic_fetch_sub_explicit(&pool.remaining, 1, memory_order_release);
    }
}

static void *worker_main(void *arg) {
    int index = (int)(intptr_t)arg;
    /* A worker started while a loop is published may sit that one out: parts are claimed dynamically. */
    uint32_t last = (uint32_t)(atomic_load(&pool.claim) >> 32);
    for (;;) {
        uint32_t gen = (uint32_t)(atomic_load_explicit(&pool.claim, memory_order_acquire) >> 32);
        if (gen == last) {
            /* Spin, then sleep until the generation moves. */
            int64_t until = now_ns() + SPIN_NS;
            int spins = 0;
            while ((gen = (uint32_t)(atomic_load_explicit(&pool.claim, memory_order_acquire) >> 32)) == last) {
                APUS_RELAX();
                if (++spins % 64 == 0 && now_ns() > until) {
                    pthread_mutex_lock(&pool.lock);
                    /* Dekker-style with apus_parallel_for: it publishes the generation, then reads sleepers;
                     * we count ourselves, then read the generation. One of the two sees the other. */
                    atomic_fetch_add(&pool.sleepers, 1);
                    while ((uint32_t)(atomic_load(&pool.claim) >> 32) == last)
                        pthread_cond_wait(&pool.wake, &pool.lock);
                    atomic_fetch_sub(&pool.sleepers, 1);
                    pthread_mutex_unlock(&pool.lock);
                    until = now_ns() + SPIN_NS;
                }
            }
        }
        last = gen;
        if (index < atomic_load_explicit(&pool.participants, memory_order_acquire)) run_parts(gen);
    }
    return NULL;
}

/* Starts workers until there are `wanted` (called while holding `busy`, so no loop is in flight). */
static void grow_workers(int wanted) {
    if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
    while (pool.workers < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)pool.workers);
        pthread_attr_destroy(&attr);
        if (failed) return;
        pool.workers++;
    }
}

int apus_parallel_workers(void) { return pool.workers; }

int apus_parallel_for(int threads, int parts, apus_parallel_body body, void *context) {
    if (threads <= 1 || parts <= 1) {
        for (int p = 0; p < parts; p++) body(context, p);
        return 1;
    }
    if (atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) return 0;
    grow_workers(threads - 1);
    if (pool.workers == 0) {
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
        return 0;
    }
    atomic_store_explicit(&pool.body, body, memory_order_relaxed);
    atomic_store_explicit(&pool.context, context, memory_order_relaxed);
    atomic_store_explicit(&pool.parts, parts, memory_order_relaxed);
    atomic_store_explicit(&pool.participants, threads - 1, memory_order_relaxed);
    atomic_store_explicit(&pool.remaining, parts, memory_order_relaxed);
    uint64_t old = atomic_load_explicit(&pool.claim, memory_order_relaxed);
    uint32_t gen = (uint32_t)(old >> 32) + 1;
    atomic_store(&pool.claim, (uint64_t)gen << 32); /* seq_cst: ordered before the sleepers read below */
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    run_parts(gen);
    /* Every part is claimed; wait for the ones still running. A worker preempted mid-part needs a core back,
     * so after a short spin the caller yields its own. */
    for (int spins = 0; atomic_load_explicit(&pool.remaining, memory_order_acquire) > 0; spins++) {
        if (spins < 4096) APUS_RELAX(); else sched_yield();
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return 1;
}

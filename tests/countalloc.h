/* countalloc.h - a counting allocator for the tests that check that executing a plan
 * allocates nothing (docs/STYLE.md, plan/execute): malloc, calloc and realloc replaced by
 * counting wrappers around glibc's, libgomp's own thread-team bookkeeping told apart by the
 * caller's address. count_init() once, then count_start() / count_stop() (the allocations
 * made in between). Under AddressSanitizer, whose allocator cannot be replaced, COUNT_ALLOCS
 * is 0 and count_stop() always returns 0. Include it in one file of a program only, which
 * defines _GNU_SOURCE before its first #include (dl_iterate_phdr). */
#ifndef CPERM_COUNTALLOC_H
#define CPERM_COUNTALLOC_H

#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

#if COUNT_ALLOCS
#include <link.h>

static int n_allocs_counted; /* allocations made while counting (outside libgomp) */

/* glibc's allocator under the names it exports for replacements like this one. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

static int counting;
#define MAX_SEGS 16
static uintptr_t gomp_lo[MAX_SEGS], gomp_hi[MAX_SEGS];
static int n_gomp;

/* libgomp allocates and frees a team descriptor for every one-thread parallel region (its
 * bookkeeping, not ours): its calls are told apart by their return address. */
static int find_gomp(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libgomp")) return 0;
    for (int i = 0; i < info->dlpi_phnum && n_gomp < MAX_SEGS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        gomp_lo[n_gomp] = (uintptr_t)info->dlpi_addr + ph->p_vaddr;
        gomp_hi[n_gomp] = gomp_lo[n_gomp] + ph->p_memsz;
        n_gomp++;
    }
    return 0;
}

static void note(const void *caller) {
    if (!__atomic_load_n(&counting, __ATOMIC_RELAXED)) return;
    const uintptr_t a = (uintptr_t)caller;
    for (int i = 0; i < n_gomp; i++)
        if (a >= gomp_lo[i] && a < gomp_hi[i]) return;
    __atomic_fetch_add(&n_allocs_counted, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size) {
    note(__builtin_return_address(0));
    return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
    note(__builtin_return_address(0));
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t size) {
    note(__builtin_return_address(0));
    return __libc_realloc(p, size);
}
void free(void *p) { __libc_free(p); }

static void count_start(void) {
    __atomic_store_n(&n_allocs_counted, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}
static int count_stop(void) {
    __atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&n_allocs_counted, __ATOMIC_RELAXED);
}
#else
static void count_start(void) {}
static int count_stop(void) { return 0; }
#endif

/* Finds libgomp's segments; 0, or -1 when the counter does not count (an allocation not
 * seen or libgomp not found). */
static int count_init(void) {
#if COUNT_ALLOCS
    dl_iterate_phdr(find_gomp, NULL);
    count_start();
    void *volatile probe = malloc(16);
    int counted = count_stop();
    free(probe);
    return counted == 1 && n_gomp > 0 ? 0 : -1;
#else
    return 0;
#endif
}

#endif

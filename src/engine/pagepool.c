/* pagepool.c - per-order lists of supra-threshold points in a fixed pool of pages, shared by
 * the screened kernels (sign flips, label shuffles): a thread's part collects a round of
 * orders' points without allocating, and a round that overflows its pool is redone with
 * fewer orders by the kernel, so memory is bounded whatever the number of permutations. */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

/* The pages are first touched while the kernel runs, one 4 KB fault each (a tenth of the
 * seed case's run went to them): the pool is in huge pages where the kernel gives them. */
static void *pool_alloc(size_t bytes) {
    return cperm_malloc_huge(bytes, 1);
}

/* About 48 MB plus a quarter of X over all parts, and always enough for one order with every
 * point of the part supra-threshold, so that a round of one order always fits. */
int cperm_page_pool_init(cperm_page_pool *pool, size_t x_bytes, size_t n_parts,
                         size_t own_points, size_t max_orders) {
    const size_t budget = ((size_t)48 << 20) + x_bytes / 4;
    size_t pages = budget / n_parts / sizeof(cperm_page);
    if (pages < own_points / CPERM_PAGE_POINTS + 2) pages = own_points / CPERM_PAGE_POINTS + 2;
    pool->n_pages = pages;
    pool->used = 0;
    pool->pages = pages <= SIZE_MAX / sizeof *pool->pages ? pool_alloc(pages * sizeof *pool->pages)
                                                          : NULL;
    pool->head = cperm_malloc(max_orders, sizeof *pool->head);
    pool->tail = cperm_malloc(max_orders, sizeof *pool->tail);
    pool->fill = cperm_malloc(max_orders, sizeof *pool->fill);
    return pool->pages && pool->head && pool->tail && pool->fill ? CPERM_OK : CPERM_ENOMEM;
}

void cperm_page_pool_free(cperm_page_pool *pool) {
    free(pool->pages);
    free(pool->head);
    free(pool->tail);
    free(pool->fill);
    pool->pages = NULL;
    pool->head = pool->tail = NULL;
    pool->fill = NULL;
}

void cperm_page_pool_reset(cperm_page_pool *pool, size_t n_orders) {
    pool->used = 0;
    for (size_t k = 0; k < n_orders; k++) {
        pool->head[k] = pool->tail[k] = -1;
        pool->fill[k] = 0;
    }
}

size_t cperm_page_pool_gather(const cperm_page_pool *pool, size_t k, cperm_point *out) {
    size_t m = 0;
    for (int32_t pg = pool->head[k]; pg >= 0; pg = pool->pages[pg].next) {
        const size_t len = pg == pool->tail[k] ? pool->fill[k] : pool->pages[pg].len;
        memcpy(out + m, pool->pages[pg].pts, len * sizeof *out);
        m += len;
    }
    return m;
}

size_t cperm_page_pool_next_chunk(size_t chunk, size_t max_chunk, size_t used, size_t cap) {
    if (chunk < max_chunk && used * 4 < cap) return chunk * 2 < max_chunk ? chunk * 2 : max_chunk;
    return chunk;
}

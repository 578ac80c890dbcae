// LD_PRELOAD allocation counter for the VM capture tests: counts every malloc, calloc, realloc
// and aligned allocation of the process and prints "malloc-count: N" to stderr at exit.
// Built by vm/build-initramfs.sh into vm/build/malloc_count.so.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_ulong count;
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_realloc(p, n); }
int posix_memalign(void **out, size_t align, size_t n) {
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
    void *p = __libc_memalign(align, n);
    if (!p) return 12;
    *out = p;
    return 0;
}
void *aligned_alloc(size_t align, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_memalign(align, n); }

__attribute__((destructor)) static void report(void) {
    char line[64];
    int len = snprintf(line, sizeof line, "malloc-count: %lu\n", atomic_load(&count));
    if (len > 0) { ssize_t ignored = write(2, line, (size_t)len); (void)ignored; }
}

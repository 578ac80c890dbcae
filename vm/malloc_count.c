// LD_PRELOAD allocation counter for the VM capture tests: counts every malloc, calloc, realloc
// and aligned allocation of the process and prints "malloc-count: N" to stderr at exit, and
// "malloc-count-libusb: M", those of them called from libusb itself (its Linux backend allocates
// each submitted transfer's URB list: the USB tests tell libusb's allocations from canthus's).
// Built by vm/build-initramfs.sh into vm/build/malloc_count.so.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_ulong count, from_libusb;

/* With MALLOC_COUNT_BY_OBJECT set: counts per calling object (the first 16 seen), printed at exit. */
static const char *objects[16];
static atomic_ulong per_object[16];
static int by_object = -1;

static void note(void *caller) {
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
    Dl_info info;
    if (!dladdr(caller, &info) || !info.dli_fname) return;
    if (strstr(info.dli_fname, "libusb")) atomic_fetch_add_explicit(&from_libusb, 1, memory_order_relaxed);
    if (by_object < 0) by_object = getenv("MALLOC_COUNT_BY_OBJECT") != NULL;
    if (!by_object) return;
    for (int i = 0; i < 16; i++) {
        if (!objects[i]) objects[i] = info.dli_fname;   /* a race loses a count at worst */
        if (objects[i] == info.dli_fname) { atomic_fetch_add_explicit(&per_object[i], 1, memory_order_relaxed); return; }
    }
}
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { note(__builtin_return_address(0)); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { note(__builtin_return_address(0)); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { note(__builtin_return_address(0)); return __libc_realloc(p, n); }
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
    len = snprintf(line, sizeof line, "malloc-count-libusb: %lu\n", atomic_load(&from_libusb));
    if (len > 0) { ssize_t ignored = write(2, line, (size_t)len); (void)ignored; }
    for (int i = 0; i < 16 && objects[i]; i++) {
        char each[512];
        len = snprintf(each, sizeof each, "malloc-count-by %s: %lu\n", objects[i], atomic_load(&per_object[i]));
        if (len > 0) { ssize_t ignored = write(2, each, (size_t)len); (void)ignored; }
    }
}

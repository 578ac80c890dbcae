#include "cflirone.h"

#include <errno.h>
#include <libusb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CO_FRAME_ENDPOINT 0x85
#define CO_RING 32

struct co_camera {
    libusb_context *ctx;
    libusb_device_handle *handle;
    pthread_t events;
    int events_running;
    volatile int stopping;
    int transfers_n, transfer_bytes;
    struct libusb_transfer **transfers;
    int in_flight;
    /* The ring of completed transfers: slot i holds ring_len[i] bytes. */
    uint8_t *ring;
    int ring_len[CO_RING];
    int head, count;
    int state; /* 0 streaming, CO_GONE, CO_IO */
    char error[200];
    uint64_t completed, overruns;
    pthread_mutex_t lock;
    pthread_cond_t ready;
};

static void say(char *err, size_t n, const char *fmt, ...) {
    if (!err || !n) return;
    va_list a;
    va_start(a, fmt);
    vsnprintf(err, n, fmt, a);
    va_end(a);
}

/* The device vid:pid with `serial` (any when NULL or empty), opened; NULL when none. */
static libusb_device_handle *open_matching(libusb_context *ctx, uint16_t vid, uint16_t pid, const char *serial,
                                           char *serial_out, size_t serial_cap, int *error) {
    libusb_device **list;
    ssize_t n = libusb_get_device_list(ctx, &list);
    libusb_device_handle *found = NULL;
    *error = 0;
    for (ssize_t i = 0; i < n && !found; i++) {
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) != 0 || d.idVendor != vid || d.idProduct != pid) continue;
        libusb_device_handle *h;
        int r = libusb_open(list[i], &h);
        if (r != 0) { *error = r; continue; }
        char s[128] = "";
        if (d.iSerialNumber) libusb_get_string_descriptor_ascii(h, d.iSerialNumber, (unsigned char *)s, sizeof s);
        if (serial && *serial && strcmp(serial, s) != 0) { libusb_close(h); continue; }
        if (serial_out && serial_cap) snprintf(serial_out, serial_cap, "%s", s);
        found = h;
    }
    if (n >= 0) libusb_free_device_list(list, 1);
    return found;
}

int co_find(uint16_t vid, uint16_t pid, const char *serial, char *serial_out, size_t serial_cap) {
    libusb_context *ctx;
    if (libusb_init(&ctx) != 0) return -1;
    int error;
    libusb_device_handle *h = open_matching(ctx, vid, pid, serial, serial_out, serial_cap, &error);
    if (h) libusb_close(h);
    libusb_exit(ctx);
    return h != NULL;
}

static void LIBUSB_CALL done(struct libusb_transfer *t) {
    co_camera *c = t->user_data;
    pthread_mutex_lock(&c->lock);
    int resubmit = 0;
    switch (t->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        c->completed++;
        if (t->actual_length > 0) {
            if (c->count == CO_RING) c->overruns++;
            else {
                int slot = (c->head + c->count) % CO_RING;
                memcpy(c->ring + (size_t)slot * c->transfer_bytes, t->buffer, (size_t)t->actual_length);
                c->ring_len[slot] = t->actual_length;
                c->count++;
            }
        }
        resubmit = !c->stopping;
        break;
    case LIBUSB_TRANSFER_TIMED_OUT:
        resubmit = !c->stopping;
        break;
    case LIBUSB_TRANSFER_CANCELLED:
        break;
    case LIBUSB_TRANSFER_NO_DEVICE:
        c->state = CO_GONE;
        snprintf(c->error, sizeof c->error, "the camera is gone (LIBUSB_ERROR_NO_DEVICE)");
        break;
    default:
        if (!c->state) {
            c->state = CO_IO;
            snprintf(c->error, sizeof c->error, "bulk transfer on 0x85: %s", libusb_error_name(t->status == LIBUSB_TRANSFER_STALL ? LIBUSB_ERROR_PIPE : LIBUSB_ERROR_IO));
        }
        break;
    }
    if (resubmit) {
        int r = libusb_submit_transfer(t);
        if (r != 0) {
            resubmit = 0;
            if (!c->state) {
                c->state = r == LIBUSB_ERROR_NO_DEVICE ? CO_GONE : CO_IO;
                snprintf(c->error, sizeof c->error, "resubmitting a transfer: %s", libusb_error_name(r));
            }
        }
    }
    if (!resubmit) c->in_flight--;
    pthread_cond_broadcast(&c->ready);
    pthread_mutex_unlock(&c->lock);
}

static void *event_loop(void *arg) {
    co_camera *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int go = !c->stopping || c->in_flight > 0;
        pthread_mutex_unlock(&c->lock);
        if (!go) break;
        struct timeval tv = { 0, 100000 };
        libusb_handle_events_timeout_completed(c->ctx, &tv, NULL);
    }
    return NULL;
}

/* The camera's start/stop of an interface's stream: a SET_INTERFACE-shaped request. */
static int stream_request(libusb_device_handle *h, int interface, int start) {
    return libusb_control_transfer(h, LIBUSB_RECIPIENT_INTERFACE | LIBUSB_REQUEST_TYPE_STANDARD | LIBUSB_ENDPOINT_OUT,
                                   LIBUSB_REQUEST_SET_INTERFACE, (uint16_t)start, (uint16_t)interface, NULL, 0, 500);
}

co_camera *co_open(uint16_t vid, uint16_t pid, const char *serial, int transfers, int transfer_bytes, char *err, size_t errlen) {
    co_camera *c = calloc(1, sizeof *c);
    if (!c) { say(err, errlen, "out of memory"); return NULL; }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->ready, NULL);
    c->transfers_n = transfers;
    c->transfer_bytes = transfer_bytes;
    int r = libusb_init(&c->ctx);
    if (r != 0) { say(err, errlen, "libusb_init: %s", libusb_error_name(r)); free(c); return NULL; }
    int error;
    c->handle = open_matching(c->ctx, vid, pid, serial, NULL, 0, &error);
    if (!c->handle) {
        if (error) say(err, errlen, "%04x:%04x is attached but cannot be opened: %s", vid, pid, libusb_error_name(error));
        else say(err, errlen, "no %04x:%04x%s%s attached", vid, pid, serial && *serial ? " with serial " : "", serial ? serial : "");
        goto fail;
    }
    libusb_set_auto_detach_kernel_driver(c->handle, 1);
    int config = 0;
    libusb_get_configuration(c->handle, &config);
    if (config != 3 && (r = libusb_set_configuration(c->handle, 3)) != 0) { say(err, errlen, "setting configuration 3: %s", libusb_error_name(r)); goto fail; }
    for (int i = 0; i < 3; i++) {
        if ((r = libusb_claim_interface(c->handle, i)) != 0) { say(err, errlen, "claiming interface %d: %s", i, libusb_error_name(r)); goto fail; }
    }
    /* Stop both streams, start FileIO, then the frames (the order the camera's own software uses). */
    const int steps[4][2] = { { 2, 0 }, { 1, 0 }, { 1, 1 }, { 2, 1 } };
    for (int i = 0; i < 4; i++) {
        if ((r = stream_request(c->handle, steps[i][0], steps[i][1])) < 0) {
            say(err, errlen, "%s interface %d's stream: %s", steps[i][1] ? "starting" : "stopping", steps[i][0], libusb_error_name(r));
            goto fail;
        }
    }
    c->ring = malloc((size_t)CO_RING * transfer_bytes);
    c->transfers = calloc((size_t)transfers, sizeof *c->transfers);
    if (!c->ring || !c->transfers) { say(err, errlen, "out of memory"); goto fail; }
    for (int i = 0; i < transfers; i++) {
        struct libusb_transfer *t = libusb_alloc_transfer(0);
        unsigned char *buf = malloc((size_t)transfer_bytes);
        if (!t || !buf) { free(buf); if (t) libusb_free_transfer(t); say(err, errlen, "out of memory"); goto fail; }
        libusb_fill_bulk_transfer(t, c->handle, CO_FRAME_ENDPOINT, buf, transfer_bytes, done, c, 0);
        c->transfers[i] = t;
        if ((r = libusb_submit_transfer(t)) != 0) { say(err, errlen, "submitting a transfer on 0x85: %s", libusb_error_name(r)); goto fail; }
        c->in_flight++;
    }
    if (pthread_create(&c->events, NULL, event_loop, c) != 0) { say(err, errlen, "starting the event thread"); goto fail; }
    c->events_running = 1;
    return c;
fail:
    co_close(c);
    return NULL;
}

int co_read(co_camera *c, uint8_t *buf, int cap, int timeout_ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&c->lock);
    while (c->count == 0 && !c->state) {
        if (pthread_cond_timedwait(&c->ready, &c->lock, &deadline) == ETIMEDOUT) break;
    }
    int n;
    if (c->count > 0) {
        n = c->ring_len[c->head] < cap ? c->ring_len[c->head] : cap;
        memcpy(buf, c->ring + (size_t)c->head * c->transfer_bytes, (size_t)n);
        c->head = (c->head + 1) % CO_RING;
        c->count--;
    } else n = c->state ? c->state : CO_TIMEOUT;
    pthread_mutex_unlock(&c->lock);
    return n;
}

const char *co_error(co_camera *c) { return c->error; }
uint64_t co_completed(co_camera *c) { return c->completed; }
uint64_t co_overruns(co_camera *c) { return c->overruns; }

void co_close(co_camera *c) {
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_mutex_unlock(&c->lock);
    if (c->handle && c->state != CO_GONE) stream_request(c->handle, 2, 0);
    if (c->transfers) {
        for (int i = 0; i < c->transfers_n; i++) if (c->transfers[i]) libusb_cancel_transfer(c->transfers[i]);
    }
    if (c->events_running) pthread_join(c->events, NULL);
    else if (c->ctx) {
        /* Not started: let the cancellations complete here. */
        for (int i = 0; i < 50; i++) {
            pthread_mutex_lock(&c->lock);
            int left = c->in_flight;
            pthread_mutex_unlock(&c->lock);
            if (!left) break;
            struct timeval tv = { 0, 100000 };
            libusb_handle_events_timeout_completed(c->ctx, &tv, NULL);
        }
    }
    if (c->transfers) {
        for (int i = 0; i < c->transfers_n; i++) {
            if (c->transfers[i]) { free(c->transfers[i]->buffer); libusb_free_transfer(c->transfers[i]); }
        }
        free(c->transfers);
    }
    if (c->handle) {
        for (int i = 0; i < 3; i++) libusb_release_interface(c->handle, i);
        libusb_close(c->handle);
    }
    if (c->ctx) libusb_exit(c->ctx);
    free(c->ring);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->ready);
    free(c);
}

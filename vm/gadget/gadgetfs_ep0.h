/*
 * What the project's GadgetFS devices share (uvc_camera.c, flir_one.c): a little-endian
 * descriptor writer, string descriptors, and ep0's answers as GadgetFS defines them. Each
 * program sets `gadget_name` (its messages' prefix) and `gadget_strings` (index 0 unused).
 */
#ifndef GADGETFS_EP0_H
#define GADGETFS_EP0_H
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/gadgetfs.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *gadget_name;
static const char **gadget_strings;
static size_t gadget_string_count;

struct out { uint8_t *p; size_t n; };
static void b(struct out *o, unsigned v) { o->p[o->n++] = (uint8_t)v; }
static void w(struct out *o, unsigned v) { b(o, v & 0xff); b(o, v >> 8); }

/* A string descriptor (UTF-16LE) or the language list; its length, or -1. */
static int string_descriptor(unsigned index, uint8_t *buf) {
    if (index == 0) { buf[0] = 4; buf[1] = USB_DT_STRING; buf[2] = 0x09; buf[3] = 0x04; return 4; }
    if (index >= gadget_string_count || !gadget_strings[index]) return -1;
    size_t n = strlen(gadget_strings[index]);
    buf[0] = (uint8_t)(2 + 2 * n); buf[1] = USB_DT_STRING;
    for (size_t i = 0; i < n; i++) { buf[2 + 2 * i] = (uint8_t)gadget_strings[index][i]; buf[3 + 2 * i] = 0; }
    return (int)(2 + 2 * n);
}

/* Stalls the request: i/o in the wrong direction, as GadgetFS defines it. */
static void stall(int fd, int in) {
    int dummy;
    ssize_t r = in ? read(fd, &dummy, 0) : write(fd, &dummy, 0);
    if (r != -1 || errno != EL2HLT) fprintf(stderr, "%s: stall did not stall (%zd, %s)\n", gadget_name, r, strerror(errno));
}

static void ack(int fd) {
    int dummy;
    if (read(fd, &dummy, 0) < 0) fprintf(stderr, "%s: ack: %s\n", gadget_name, strerror(errno));
}

static void reply(int fd, const void *data, size_t n, unsigned wLength) {
    if (write(fd, data, n < wLength ? n : wLength) < 0) fprintf(stderr, "%s: reply: %s\n", gadget_name, strerror(errno));
}

/* Opens dummy_hcd's controller and presents the device in GadgetFS's format (tag 0, the
 * full-speed configuration, the high-speed one, the device descriptor). Its ep0 file, or -1. */
static int gadget_present(const uint8_t *fs, const uint8_t *hs, size_t config_len, const uint8_t device[USB_DT_DEVICE_SIZE]) {
    int fd = open("/dev/gadget/dummy_udc", O_RDWR);
    if (fd < 0) { fprintf(stderr, "%s: /dev/gadget/dummy_udc: %s\n", gadget_name, strerror(errno)); return -1; }
    uint8_t all[4 + 2 * 512 + USB_DT_DEVICE_SIZE];
    if (config_len > 512) return -1;
    size_t n = 4;
    memset(all, 0, 4);
    memcpy(all + n, fs, config_len); n += config_len;
    memcpy(all + n, hs, config_len); n += config_len;
    memcpy(all + n, device, USB_DT_DEVICE_SIZE); n += USB_DT_DEVICE_SIZE;
    if (write(fd, all, n) != (ssize_t)n) { fprintf(stderr, "%s: writing the descriptors: %s\n", gadget_name, strerror(errno)); close(fd); return -1; }
    return fd;
}

/* Serves ep0 until an error: each request to `setup`; connects and disconnects logged, and a
 * disconnect told to `disconnected` (when not NULL). */
static int gadget_serve(int fd, void (*setup)(int, const struct usb_ctrlrequest *), void (*disconnected)(void)) {
    for (;;) {
        struct usb_gadgetfs_event events[5];
        ssize_t got = read(fd, events, sizeof events);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            fprintf(stderr, "%s: read: %s\n", gadget_name, strerror(errno));
            return 1;
        }
        for (size_t i = 0; i < (size_t)got / sizeof *events; i++) {
            switch (events[i].type) {
            case GADGETFS_SETUP: setup(fd, &events[i].u.setup); break;
            case GADGETFS_CONNECT: fprintf(stderr, "%s: connected\n", gadget_name); break;
            case GADGETFS_DISCONNECT:
                fprintf(stderr, "%s: disconnected\n", gadget_name);
                if (disconnected) disconnected();
                break;
            default: break;
            }
        }
    }
}
#endif

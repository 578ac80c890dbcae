/*
 * A FLIR ONE (09cb:1996) presented through GadgetFS on the kernel's dummy host controller, for
 * the USB guest's test of canthus's libusb source (docs/usb-flir-one.md has the protocol).
 *
 * Configuration 3 with three vendor interfaces, as the camera has them: 0 (its configuration
 * channel: bulk 0x81 in, 0x02 out), 1 (FileIO: bulk 0x83 in, 0x04 out), 2 (frames: bulk 0x85
 * in); each has an alternate setting 1 without endpoints. The host starts a stream with a
 * SET_INTERFACE-shaped request (bmRequestType 0x01, bRequest 0x0b, wValue 1 = start / 0 = stop,
 * wIndex = the interface) — the camera's own use of it, which is why this is GadgetFS (its ep0
 * requests reach user space) and not FunctionFS (whose f_fs on 6.1 stalls SET_INTERFACE with a
 * non-zero alternate setting). While interface 2 is started, the frames of STREAM (the camera's
 * own format, as canthus's tests write it) go out on 0x85, one write each, in a loop from the
 * first frame at each start, every PERIOD_MS. Every request is logged to stderr ("setup …", "start 2", "stop 2", "sent N").
 *
 *   flir_one SERIAL STREAM PERIOD_MS   (GadgetFS mounted on /dev/gadget, dummy_hcd loaded)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/gadgetfs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gadgetfs_ep0.h"


static void iface(struct out *o, unsigned number, unsigned alt, unsigned endpoints) {
    b(o, 9); b(o, USB_DT_INTERFACE); b(o, number); b(o, alt); b(o, endpoints); b(o, 0xff); b(o, 0xff); b(o, 0); b(o, 0);
}
static void bulk(struct out *o, unsigned address, unsigned packet) {
    b(o, 7); b(o, USB_DT_ENDPOINT); b(o, address); b(o, USB_ENDPOINT_XFER_BULK); w(o, packet); b(o, 0);
}

static size_t build_config(uint8_t *buf, unsigned packet) {
    struct out o = { buf, 0 };
    b(&o, 9); b(&o, USB_DT_CONFIG); w(&o, 0); b(&o, 3); b(&o, 3); b(&o, 0); b(&o, 0x80); b(&o, 250);
    iface(&o, 0, 0, 2); bulk(&o, 0x81, packet); bulk(&o, 0x02, packet);
    iface(&o, 0, 1, 0);
    iface(&o, 1, 0, 2); bulk(&o, 0x83, packet); bulk(&o, 0x04, packet);
    iface(&o, 1, 1, 0);
    iface(&o, 2, 0, 1); bulk(&o, 0x85, packet);
    iface(&o, 2, 1, 0);
    buf[2] = o.n & 0xff; buf[3] = o.n >> 8;
    return o.n;
}

static const char *strings[] = { NULL, "FLIR Systems", "FLIR ONE Camera", NULL /* serial */ };

/* The frame stream: the frames of STREAM, split at their magic. */
static uint8_t *stream;
static size_t stream_len;
static size_t frame_at[4096], frame_len[4096], frames;
static unsigned period_ms;
static volatile int streaming, restart;
static int frame_ep = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void split_frames(void) {
    size_t i = 0;
    while (i + 28 <= stream_len && frames < 4096) {
        uint32_t size = stream[i + 8] | stream[i + 9] << 8 | stream[i + 10] << 16 | (uint32_t)stream[i + 11] << 24;
        if (memcmp(stream + i, "\xef\xbe\x00\x00", 4) != 0 || i + 28 + size > stream_len) break;
        frame_at[frames] = i; frame_len[frames] = 28 + size; frames++;
        i += 28 + size;
    }
}

/* Endpoint 0x85 on the first bulk-in endpoint file of the controller. */
static int open_frame_endpoint(void) {
    DIR *d = opendir("/dev/gadget");
    struct dirent *e;
    char path[300] = "";
    while (d && (e = readdir(d))) {
        if (strstr(e->d_name, "in-bulk")) { snprintf(path, sizeof path, "/dev/gadget/%s", e->d_name); break; }
    }
    if (d) closedir(d);
    if (!*path) { fprintf(stderr, "flir_one: no bulk-in endpoint in /dev/gadget\n"); return -1; }
    int fd = open(path, O_RDWR);
    if (fd < 0) { perror(path); return -1; }
    uint8_t config[4 + 7 + 7] = { 1, 0, 0, 0 };
    struct out fs = { config + 4, 0 }, hs = { config + 11, 0 };
    bulk(&fs, 0x85, 64); bulk(&hs, 0x85, 512);
    if (write(fd, config, sizeof config) != (ssize_t)sizeof config) { perror("flir_one: configuring 0x85"); close(fd); return -1; }
    fprintf(stderr, "flir_one: 0x85 is %s\n", path);
    return fd;
}

static void *sender(void *arg) {
    (void)arg;
    size_t next = 0;
    unsigned long sent = 0;
    for (;;) {
        if (!streaming || frame_ep < 0 || frames == 0) { usleep(20000); continue; }
        if (restart) { restart = 0; next = 0; }
        ssize_t n = write(frame_ep, stream + frame_at[next], frame_len[next]);
        if (n < 0) {
            if (errno != ESHUTDOWN && errno != EINTR) perror("flir_one: sending a frame");
            usleep(100000);
            continue;
        }
        sent++;
        if (sent % 10 == 0 || sent < 4) fprintf(stderr, "flir_one: sent %lu (frame %zu, %zd bytes)\n", sent, next, n);
        next = (next + 1) % frames;
        struct timespec t = { 0, (long)period_ms * 1000000L };
        nanosleep(&t, NULL);
    }
    return NULL;
}

static void stop_streaming(void) { streaming = 0; }

static void setup(int fd, const struct usb_ctrlrequest *r) {
    int in = (r->bRequestType & USB_DIR_IN) != 0;
    uint8_t buf[256];
    fprintf(stderr, "flir_one: setup %02x %02x %04x %04x %u\n", r->bRequestType, r->bRequest, r->wValue, r->wIndex, r->wLength);
    if ((r->bRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD) {
        switch (r->bRequest) {
        case USB_REQ_GET_DESCRIPTOR:
            if ((r->wValue >> 8) == USB_DT_STRING) {
                int n = string_descriptor(r->wValue & 0xff, buf);
                if (n > 0) { reply(fd, buf, (size_t)n, r->wLength); return; }
            }
            break;
        case USB_REQ_SET_CONFIGURATION:
            pthread_mutex_lock(&lock);
            if (r->wValue == 3 && frame_ep < 0) frame_ep = open_frame_endpoint();
            pthread_mutex_unlock(&lock);
            ack(fd);
            return;
        case USB_REQ_SET_INTERFACE:
            /* The camera's start (1) and stop (0) of interface wIndex's stream. */
            if (r->wLength > 0) { if (read(fd, buf, r->wLength) < 0) perror("flir_one: data stage"); } else ack(fd);
            if ((r->wIndex & 0xff) == 2) {
                streaming = r->wValue == 1;
                if (streaming) restart = 1;   /* each start streams from the first frame */
                fprintf(stderr, "flir_one: %s 2\n", streaming ? "start" : "stop");
            } else fprintf(stderr, "flir_one: %s %u\n", r->wValue == 1 ? "start" : "stop", r->wIndex & 0xff);
            return;
        }
    }
    stall(fd, in);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: flir_one SERIAL STREAM PERIOD_MS\n"); return 2; }
    strings[3] = argv[1];
    gadget_name = "flir_one";
    gadget_strings = strings;
    gadget_string_count = sizeof strings / sizeof *strings;
    period_ms = (unsigned)atoi(argv[3]);
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 1; }
    struct stat st;
    fstat(fileno(f), &st);
    stream_len = (size_t)st.st_size;
    stream = malloc(stream_len + 1);   /* an empty stream: a camera that enumerates and sends nothing */
    if (!stream || fread(stream, 1, stream_len, f) != stream_len) { perror("flir_one: reading the stream"); return 1; }
    fclose(f);
    split_frames();
    fprintf(stderr, "flir_one: %zu frames in %s\n", frames, argv[2]);

    static uint8_t config_fs[256], config_hs[256];
    size_t config_len = build_config(config_fs, 64);
    if (build_config(config_hs, 512) != config_len) return 1;
    const uint8_t device[USB_DT_DEVICE_SIZE] = {
        USB_DT_DEVICE_SIZE, USB_DT_DEVICE, 0x00, 0x02, 0x00, 0x00, 0x00, 64,
        0xcb, 0x09, 0x96, 0x19, 0x00, 0x01, 1, 2, 3, 1 };
    int fd = gadget_present(config_fs, config_hs, config_len, device);
    if (fd < 0) return 1;
    fprintf(stderr, "flir_one: presented 09cb:1996 serial %s\n", argv[1]);
    pthread_t t;
    pthread_create(&t, NULL, sender, NULL);
    return gadget_serve(fd, setup, stop_streaming);
}

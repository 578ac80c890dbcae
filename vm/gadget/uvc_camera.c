/*
 * A USB video class camera with a PureThermal's ids (1e4e:0100), presented through GadgetFS on
 * the kernel's dummy host controller, for the systemd VM test of the udev rules: the guest's own
 * uvcvideo driver enumerates it and makes /dev/videoN, which the rules must name
 * /dev/canthus/purethermal and give the group canthus.
 *
 * Why GadgetFS and not the configfs `uvc` function: f_uvc streams over an isochronous endpoint
 * only, and dummy_hcd has none ("uvc: Unable to allocate streaming EP"). UVC allows bulk
 * streaming, GadgetFS lets user space give the whole configuration (class-specific descriptors
 * included), so this is a UVC 1.0 camera with one format (YUYV 160×120, 9 fps) on a bulk
 * endpoint. It answers what uvcvideo asks while probing (strings, SET_INTERFACE, the streaming
 * interface's probe control) and streams nothing.
 *
 *   uvc_camera SERIAL    (GadgetFS mounted on /dev/gadget, dummy_hcd loaded). Runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/gadgetfs.h>
#include <linux/usb/video.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gadgetfs_ep0.h"

static uint8_t config_fs[256], config_hs[256];
static size_t config_len;
static struct uvc_streaming_control probe;

static void d(struct out *o, uint32_t v) { w(o, v & 0xffff); w(o, v >> 16); }

static size_t build_config(uint8_t *buf, unsigned bulk_packet) {
    struct out o = { buf, 0 };
    /* configuration; wTotalLength patched at the end */
    b(&o, 9); b(&o, USB_DT_CONFIG); w(&o, 0); b(&o, 2); b(&o, 1); b(&o, 0); b(&o, 0x80); b(&o, 50);
    /* interface association: video interface collection */
    b(&o, 8); b(&o, USB_DT_INTERFACE_ASSOCIATION); b(&o, 0); b(&o, 2); b(&o, 0x0e); b(&o, 0x03); b(&o, 0); b(&o, 0);
    /* video control interface */
    b(&o, 9); b(&o, USB_DT_INTERFACE); b(&o, 0); b(&o, 0); b(&o, 0); b(&o, 0x0e); b(&o, 0x01); b(&o, 0); b(&o, 0);
    /* VC header (UVC 1.0): header 13 + camera terminal 18 + output terminal 9 */
    b(&o, 13); b(&o, 0x24); b(&o, UVC_VC_HEADER); w(&o, 0x0100); w(&o, 13 + 18 + 9); d(&o, 48000000); b(&o, 1); b(&o, 1);
    /* camera input terminal 1, no controls */
    b(&o, 18); b(&o, 0x24); b(&o, UVC_VC_INPUT_TERMINAL); b(&o, 1); w(&o, 0x0201); b(&o, 0); b(&o, 0);
    w(&o, 0); w(&o, 0); w(&o, 0); b(&o, 3); b(&o, 0); b(&o, 0); b(&o, 0);
    /* output terminal 2 (USB streaming) from terminal 1 */
    b(&o, 9); b(&o, 0x24); b(&o, UVC_VC_OUTPUT_TERMINAL); b(&o, 2); w(&o, 0x0101); b(&o, 0); b(&o, 1); b(&o, 0);
    /* video streaming interface, alternate setting 0 with the bulk endpoint */
    b(&o, 9); b(&o, USB_DT_INTERFACE); b(&o, 1); b(&o, 0); b(&o, 1); b(&o, 0x0e); b(&o, 0x02); b(&o, 0); b(&o, 0);
    /* VS input header: one format; header 14 + format 27 + frame 30 */
    b(&o, 14); b(&o, 0x24); b(&o, UVC_VS_INPUT_HEADER); b(&o, 1); w(&o, 14 + 27 + 30); b(&o, 0x81); b(&o, 0); b(&o, 2);
    b(&o, 0); b(&o, 0); b(&o, 0); b(&o, 1); b(&o, 0);
    /* uncompressed format 1: YUY2 */
    static const uint8_t yuy2[16] = { 'Y', 'U', 'Y', '2', 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71 };
    b(&o, 27); b(&o, 0x24); b(&o, UVC_VS_FORMAT_UNCOMPRESSED); b(&o, 1); b(&o, 1);
    for (int i = 0; i < 16; i++) b(&o, yuy2[i]);
    b(&o, 16); b(&o, 1); b(&o, 0); b(&o, 0); b(&o, 0); b(&o, 0);
    /* frame 1: 160×120 at 9 fps (interval in 100 ns) */
    b(&o, 30); b(&o, 0x24); b(&o, UVC_VS_FRAME_UNCOMPRESSED); b(&o, 1); b(&o, 0); w(&o, 160); w(&o, 120);
    d(&o, 160 * 120 * 16 * 9); d(&o, 160 * 120 * 16 * 9); d(&o, 160 * 120 * 2); d(&o, 1111111); b(&o, 1); d(&o, 1111111);
    /* bulk IN endpoint 1 */
    b(&o, 7); b(&o, USB_DT_ENDPOINT); b(&o, 0x81); b(&o, USB_ENDPOINT_XFER_BULK); w(&o, bulk_packet); b(&o, 0);
    buf[2] = o.n & 0xff; buf[3] = o.n >> 8;
    return o.n;
}

static const char *strings[] = { NULL, "GroupGets", "PureThermal", NULL /* serial */ };

static void setup(int fd, const struct usb_ctrlrequest *r) {
    int in = (r->bRequestType & USB_DIR_IN) != 0;
    unsigned type = r->bRequestType & USB_TYPE_MASK;
    uint8_t buf[256];
    if (type == USB_TYPE_STANDARD) {
        switch (r->bRequest) {
        case USB_REQ_GET_DESCRIPTOR:
            if ((r->wValue >> 8) == USB_DT_STRING) {
                int n = string_descriptor(r->wValue & 0xff, buf);
                if (n > 0) { reply(fd, buf, (size_t)n, r->wLength); return; }
            }
            break;
        case USB_REQ_SET_CONFIGURATION:
        case USB_REQ_SET_INTERFACE:
            ack(fd);
            return;
        }
    } else if (type == USB_TYPE_CLASS && (r->wIndex & 0xff) == 1 &&
               ((r->wValue >> 8) == UVC_VS_PROBE_CONTROL || (r->wValue >> 8) == UVC_VS_COMMIT_CONTROL)) {
        /* UVC 1.0 probe/commit: 26 bytes */
        size_t n = 26;
        switch (r->bRequest) {
        case UVC_GET_CUR: case UVC_GET_DEF: case UVC_GET_MIN: case UVC_GET_MAX:
            reply(fd, &probe, n, r->wLength); return;
        case UVC_GET_RES:
            memset(buf, 0, n); reply(fd, buf, n, r->wLength); return;
        case UVC_GET_INFO:
            buf[0] = 3; reply(fd, buf, 1, r->wLength); return;
        case UVC_GET_LEN:
            buf[0] = (uint8_t)n; buf[1] = 0; reply(fd, buf, 2, r->wLength); return;
        case UVC_SET_CUR:
            if (r->wLength > 0) {
                ssize_t got = read(fd, buf, r->wLength);   /* the data stage; acknowledges it */
                if (got > 0) memcpy(&probe, buf, (size_t)got < n ? (size_t)got : n);
            } else ack(fd);
            return;
        }
    }
    stall(fd, in);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: uvc_camera SERIAL\n"); return 2; }
    strings[3] = argv[1];
    gadget_name = "uvc_camera";
    gadget_strings = strings;
    gadget_string_count = sizeof strings / sizeof *strings;
    memset(&probe, 0, sizeof probe);
    probe.bmHint = 1; probe.bFormatIndex = 1; probe.bFrameIndex = 1; probe.dwFrameInterval = 1111111;
    probe.dwMaxVideoFrameSize = 160 * 120 * 2; probe.dwMaxPayloadTransferSize = 512;

    config_len = build_config(config_fs, 64);
    if (build_config(config_hs, 512) != config_len) return 1;
    const uint8_t device[USB_DT_DEVICE_SIZE] = {
        USB_DT_DEVICE_SIZE, USB_DT_DEVICE, 0x00, 0x02, 0xef, 0x02, 0x01, 64,
        0x4e, 0x1e, 0x00, 0x01, 0x00, 0x02, 1, 2, 3, 1 };
    int fd = gadget_present(config_fs, config_hs, config_len, device);
    if (fd < 0) return 1;
    fprintf(stderr, "uvc_camera: presented 1e4e:0100 serial %s (%zu-byte configuration)\n", argv[1], config_len);
    return gadget_serve(fd, setup, NULL);
}

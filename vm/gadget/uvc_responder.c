/*
 * The device side of a UVC camera on the kernel's UVC gadget function (configfs `uvc`), as the
 * systemd VM test plugs in a "PureThermal" (1e4e:0100) over dummy_hcd: the function connects to
 * the bus only once user space opens its V4L2 node, and the host's uvcvideo asks the streaming
 * interface's probe control (GET_CUR) before it registers /dev/videoN. This answers those
 * requests (probe/commit: Y16-ish 160×120 at 9 fps as the only format and frame) and stalls
 * every other one. It streams nothing: the test checks the device's names and permissions.
 *   uvc_responder /dev/videoN     (the gadget's own node: its name is the UDC's, dummy_udc)
 * Runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/g_uvc.h>
#include <linux/usb/video.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static struct uvc_streaming_control probe;

static void fill_default(struct uvc_streaming_control *c) {
    memset(c, 0, sizeof *c);
    c->bmHint = 1;
    c->bFormatIndex = 1;
    c->bFrameIndex = 1;
    c->dwFrameInterval = 1111111;               /* 100 ns units: 9 fps */
    c->dwMaxVideoFrameSize = 160 * 120 * 2;
    c->dwMaxPayloadTransferSize = 1024;
    c->bmFramingInfo = 3;
    c->bPreferedVersion = 1;
    c->bMaxVersion = 1;
}

static void answer(int fd, const struct usb_ctrlrequest *req) {
    struct uvc_request_data resp;
    memset(&resp, 0, sizeof resp);
    resp.length = -EL2HLT;                      /* stall, unless answered below */
    unsigned cs = req->wValue >> 8;
    int to_streaming = (req->bRequestType & USB_RECIP_MASK) == USB_RECIP_INTERFACE && (req->wIndex & 0xff) == 1;
    if ((req->bRequestType & USB_TYPE_MASK) == USB_TYPE_CLASS && to_streaming &&
        (cs == UVC_VS_PROBE_CONTROL || cs == UVC_VS_COMMIT_CONTROL)) {
        size_t n = req->wLength < sizeof probe ? req->wLength : sizeof probe;
        switch (req->bRequest) {
        case UVC_GET_CUR: case UVC_GET_DEF: case UVC_GET_MIN: case UVC_GET_MAX:
            memcpy(resp.data, &probe, n);
            resp.length = (int)n;
            break;
        case UVC_GET_RES:
            resp.length = (int)n;               /* zeros */
            break;
        case UVC_GET_INFO:
            resp.data[0] = 3;                   /* GET and SET supported */
            resp.length = 1;
            break;
        case UVC_GET_LEN:
            resp.data[0] = (unsigned char)sizeof probe;
            resp.length = 2;
            break;
        case UVC_SET_CUR:
            resp.length = req->wLength;         /* the data phase arrives as UVC_EVENT_DATA */
            break;
        }
    }
    if (ioctl(fd, UVCIOC_SEND_RESPONSE, &resp) < 0) perror("uvc_responder: UVCIOC_SEND_RESPONSE");
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: uvc_responder /dev/videoN\n"); return 2; }
    int fd = open(argv[1], O_RDWR | O_NONBLOCK);
    if (fd < 0) { perror(argv[1]); return 1; }
    fill_default(&probe);
    unsigned events[] = { UVC_EVENT_CONNECT, UVC_EVENT_DISCONNECT, UVC_EVENT_SETUP, UVC_EVENT_DATA,
                          UVC_EVENT_STREAMON, UVC_EVENT_STREAMOFF };
    for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
        struct v4l2_event_subscription sub = { .type = events[i] };
        if (ioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub) < 0) { perror("uvc_responder: VIDIOC_SUBSCRIBE_EVENT"); return 1; }
    }
    fprintf(stderr, "uvc_responder: serving %s\n", argv[1]);
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLPRI };
        if (poll(&p, 1, -1) < 0) { if (errno == EINTR) continue; perror("poll"); return 1; }
        struct v4l2_event ev;
        if (ioctl(fd, VIDIOC_DQEVENT, &ev) < 0) continue;
        struct uvc_event *uev = (struct uvc_event *)&ev.u.data;
        switch (ev.type) {
        case UVC_EVENT_SETUP: answer(fd, &uev->req); break;
        case UVC_EVENT_DATA:
            if (uev->data.length > 0) {
                size_t n = (size_t)uev->data.length < sizeof probe ? (size_t)uev->data.length : sizeof probe;
                memcpy(&probe, uev->data.data, n);  /* the host's SET_CUR: its choice stands */
            }
            break;
        case UVC_EVENT_CONNECT: fprintf(stderr, "uvc_responder: connected\n"); break;
        case UVC_EVENT_DISCONNECT: fprintf(stderr, "uvc_responder: disconnected\n"); break;
        default: break;
        }
    }
}

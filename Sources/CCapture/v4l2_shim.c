// V4L2 ioctls: ioctl() is variadic and VIDIOC_* are macros, so Swift cannot call them directly.
// Each call retries EINTR only; every other failure is returned as -errno.
#include "ccapture.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

_Static_assert(sizeof(((struct v4l2_capability *)0)->driver) == 16, "v4l2_capability.driver layout");
_Static_assert(sizeof(((struct v4l2_capability *)0)->card) == 32, "v4l2_capability.card layout");
_Static_assert(sizeof(((struct v4l2_fmtdesc *)0)->description) == 32, "v4l2_fmtdesc.description layout");

// Descriptors opened through libv4l2 (cc_v4l2_open_converting) go through its ioctl, mmap and
// close wrappers, which convert formats the camera lacks (RGB24 from MJPEG or YUYV); the others
// use the raw system calls.
#define CC_MAX_FDS 4096
static _Atomic unsigned char cc_libv4l2_fd[CC_MAX_FDS];

static int cc_uses_lib(int fd) { return fd >= 0 && fd < CC_MAX_FDS && cc_libv4l2_fd[fd]; }

static int cc_xioctl(int fd, unsigned long request, void *arg) {
    int rc;
    do { rc = cc_uses_lib(fd) ? v4l2_ioctl(fd, request, arg) : ioctl(fd, request, arg); } while (rc == -1 && errno == EINTR);
    return rc == -1 ? -errno : 0;
}

int cc_v4l2_open(const char *path) {
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int cc_v4l2_open_converting(const char *path) {
    int fd = v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (fd >= CC_MAX_FDS) { v4l2_close(fd); return -EMFILE; }
    cc_libv4l2_fd[fd] = 1;
    return fd;
}

int cc_v4l2_close(int fd) {
    if (cc_uses_lib(fd)) {
        cc_libv4l2_fd[fd] = 0;
        return v4l2_close(fd) == 0 ? 0 : -errno;
    }
    return close(fd) == 0 ? 0 : -errno;
}

int cc_v4l2_querycap(int fd, cc_v4l2_caps *caps) {
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    int rc = cc_xioctl(fd, VIDIOC_QUERYCAP, &cap);
    if (rc) return rc;
    memset(caps, 0, sizeof *caps);
    memcpy(caps->driver, cap.driver, sizeof caps->driver);
    memcpy(caps->card, cap.card, sizeof caps->card);
    memcpy(caps->bus_info, cap.bus_info, sizeof caps->bus_info);
    caps->driver[sizeof caps->driver - 1] = 0;
    caps->card[sizeof caps->card - 1] = 0;
    caps->bus_info[sizeof caps->bus_info - 1] = 0;
    caps->version = cap.version;
    uint32_t c = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    caps->capabilities = c;
    caps->is_capture = (c & V4L2_CAP_VIDEO_CAPTURE) != 0;
    caps->can_stream = (c & V4L2_CAP_STREAMING) != 0;
    return 0;
}

int cc_v4l2_enum_format(int fd, uint32_t index, cc_v4l2_format_desc *desc) {
    struct v4l2_fmtdesc f;
    memset(&f, 0, sizeof f);
    f.index = index;
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    int rc = cc_xioctl(fd, VIDIOC_ENUM_FMT, &f);
    if (rc) return rc;
    desc->fourcc = f.pixelformat;
    desc->flags = f.flags;
    memcpy(desc->description, f.description, sizeof desc->description);
    desc->description[sizeof desc->description - 1] = 0;
    return 0;
}

int cc_v4l2_enum_size(int fd, uint32_t fourcc, uint32_t index, uint32_t *width, uint32_t *height) {
    struct v4l2_frmsizeenum s;
    memset(&s, 0, sizeof s);
    s.index = index;
    s.pixel_format = fourcc;
    int rc = cc_xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &s);
    if (rc) return rc;
    if (s.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
        *width = s.discrete.width;
        *height = s.discrete.height;
    } else {
        *width = s.stepwise.max_width;
        *height = s.stepwise.max_height;
    }
    return 0;
}


int cc_v4l2_set_input(int fd, uint32_t index) {
    int i = (int)index;
    return cc_xioctl(fd, VIDIOC_S_INPUT, &i);
}

int cc_v4l2_set_format(int fd, uint32_t fourcc, uint32_t width, uint32_t height, cc_v4l2_format *applied) {
    struct v4l2_format f;
    memset(&f, 0, sizeof f);
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    f.fmt.pix.pixelformat = fourcc;
    f.fmt.pix.width = width;
    f.fmt.pix.height = height;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    int rc = cc_xioctl(fd, VIDIOC_S_FMT, &f);
    if (rc) return rc;
    memset(&f, 0, sizeof f);
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    rc = cc_xioctl(fd, VIDIOC_G_FMT, &f);
    if (rc) return rc;
    applied->fourcc = f.fmt.pix.pixelformat;
    applied->width = f.fmt.pix.width;
    applied->height = f.fmt.pix.height;
    applied->bytes_per_line = f.fmt.pix.bytesperline;
    applied->size_image = f.fmt.pix.sizeimage;
    return 0;
}

int cc_v4l2_set_interval(int fd, uint32_t numerator, uint32_t denominator, uint32_t *applied_num, uint32_t *applied_den) {
    struct v4l2_streamparm p;
    memset(&p, 0, sizeof p);
    p.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    p.parm.capture.timeperframe.numerator = numerator;
    p.parm.capture.timeperframe.denominator = denominator;
    int rc = cc_xioctl(fd, VIDIOC_S_PARM, &p);
    if (rc) return rc;
    *applied_num = p.parm.capture.timeperframe.numerator;
    *applied_den = p.parm.capture.timeperframe.denominator;
    return 0;
}

int cc_v4l2_enum_interval(int fd, uint32_t fourcc, uint32_t width, uint32_t height, uint32_t index,
                          uint32_t *numerator, uint32_t *denominator) {
    struct v4l2_frmivalenum e;
    memset(&e, 0, sizeof e);
    e.index = index;
    e.pixel_format = fourcc;
    e.width = width;
    e.height = height;
    int rc = cc_xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &e);
    if (rc) return rc;
    if (e.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
        *numerator = e.discrete.numerator;
        *denominator = e.discrete.denominator;
    } else {
        *numerator = e.stepwise.min.numerator;
        *denominator = e.stepwise.min.denominator;
    }
    return 0;
}

int cc_v4l2_stop(int fd, cc_v4l2_ring *ring) {
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    int rc = cc_xioctl(fd, VIDIOC_STREAMOFF, &type);
    for (uint32_t i = 0; i < ring->count; i++) {
        if (ring->start[i] && ring->start[i] != MAP_FAILED) {
            if (cc_uses_lib(fd)) v4l2_munmap(ring->start[i], ring->length[i]);
            else munmap(ring->start[i], ring->length[i]);
        }
        ring->start[i] = NULL;
    }
    ring->count = 0;
    struct v4l2_requestbuffers req;
    memset(&req, 0, sizeof req);
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    req.count = 0;
    (void)cc_xioctl(fd, VIDIOC_REQBUFS, &req);
    return rc;
}

int cc_v4l2_start(int fd, uint32_t count, cc_v4l2_ring *ring) {
    memset(ring, 0, sizeof *ring);
    struct v4l2_requestbuffers req;
    memset(&req, 0, sizeof req);
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    req.count = count > CC_V4L2_MAX_BUFFERS ? CC_V4L2_MAX_BUFFERS : count;
    int rc = cc_xioctl(fd, VIDIOC_REQBUFS, &req);
    if (rc) return rc;
    if (req.count < 2) { cc_v4l2_stop(fd, ring); return -ENOMEM; }
    if (req.count > CC_V4L2_MAX_BUFFERS) req.count = CC_V4L2_MAX_BUFFERS;
    for (uint32_t i = 0; i < req.count; i++) {
        struct v4l2_buffer b;
        memset(&b, 0, sizeof b);
        b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b.memory = V4L2_MEMORY_MMAP;
        b.index = i;
        rc = cc_xioctl(fd, VIDIOC_QUERYBUF, &b);
        if (rc) { cc_v4l2_stop(fd, ring); return rc; }
        void *p = cc_uses_lib(fd) ? v4l2_mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, b.m.offset)
                                  : mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, b.m.offset);
        if (p == MAP_FAILED) { rc = -errno; cc_v4l2_stop(fd, ring); return rc; }
        ring->start[i] = p;
        ring->length[i] = b.length;
        ring->count = i + 1;
        rc = cc_xioctl(fd, VIDIOC_QBUF, &b);
        if (rc) { cc_v4l2_stop(fd, ring); return rc; }
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    rc = cc_xioctl(fd, VIDIOC_STREAMON, &type);
    if (rc) { cc_v4l2_stop(fd, ring); return rc; }
    return 0;
}

int cc_v4l2_wait(int fd, int timeout_ms) {
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    int rc;
    do { rc = poll(&p, 1, timeout_ms); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -errno;
    if (rc == 0) return 0;
    return p.revents ? p.revents : POLLIN;
}

int cc_v4l2_dequeue(int fd, cc_v4l2_buffer *buffer) {
    struct v4l2_buffer b;
    memset(&b, 0, sizeof b);
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    int rc = cc_xioctl(fd, VIDIOC_DQBUF, &b);
    if (rc) return rc;
    buffer->index = b.index;
    buffer->bytes_used = b.bytesused;
    buffer->sequence = b.sequence;
    buffer->flags = b.flags;
    buffer->timestamp_ns = (uint64_t)b.timestamp.tv_sec * 1000000000ull + (uint64_t)b.timestamp.tv_usec * 1000ull;
    return 0;
}

int cc_v4l2_requeue(int fd, uint32_t index) {
    struct v4l2_buffer b;
    memset(&b, 0, sizeof b);
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    b.index = index;
    return cc_xioctl(fd, VIDIOC_QBUF, &b);
}

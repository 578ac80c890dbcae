// V4L2 ioctls: ioctl() is variadic and VIDIOC_* are macros, so Swift cannot call them directly.
// Each call retries EINTR only; every other failure is returned as -errno.
#include "ccapture.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/videodev2.h>

_Static_assert(sizeof(((struct v4l2_capability *)0)->driver) == 16, "v4l2_capability.driver layout");
_Static_assert(sizeof(((struct v4l2_capability *)0)->card) == 32, "v4l2_capability.card layout");
_Static_assert(sizeof(((struct v4l2_fmtdesc *)0)->description) == 32, "v4l2_fmtdesc.description layout");

static int cc_xioctl(int fd, unsigned long request, void *arg) {
    int rc;
    do { rc = ioctl(fd, request, arg); } while (rc == -1 && errno == EINTR);
    return rc == -1 ? -errno : 0;
}

int cc_v4l2_open(const char *path) {
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int cc_v4l2_close(int fd) { return close(fd) == 0 ? 0 : -errno; }

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

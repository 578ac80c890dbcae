// CCapture — the C shim under canthus's Swift capture code.
//
// Only what Swift cannot do lives here: zlib's init macros, variadic ioctl() and the VIDIOC_*
// macros, libjpeg's setjmp-based error handling. Every function returns 0 (or a count) on
// success and -errno (or a negative CC_E* code) on failure. Nothing here logs or exits.
#ifndef CCAPTURE_H
#define CCAPTURE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- errors that are not errno values -------------------------------------------------------
#define CC_ECORRUPT   (-1001)  ///< compressed or encoded data is damaged
#define CC_ETRUNCATED (-1002)  ///< the input ends before the data does
#define CC_ESPACE     (-1003)  ///< the output buffer is too small
#define CC_EJPEG      (-1004)  ///< libjpeg reported an error (message via cc_jpeg_last_error)

// ---- zlib ------------------------------------------------------------------------------------

/// Inflates a gzip file that may hold several concatenated members (CPTV files do).
/// Writes at most `cap` bytes to `out`; returns the number written, CC_ESPACE when `out` is too
/// small (call again with a bigger buffer), CC_ETRUNCATED when the last member is cut short
/// (`*produced` then holds the bytes recovered), CC_ECORRUPT on damaged data.
/// Exists because inflateInit2() is a macro.
long cc_gunzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *produced);

/// A zlib deflater at one level (1..9), kept from buffer to buffer: its state, window and hash
/// tables are allocated once, so recording frame after frame allocates nothing. Exists because
/// deflateInit() is a macro. NULL when out of memory or the level is out of range.
typedef struct cc_deflater cc_deflater;
cc_deflater *cc_deflater_new(int level);
void cc_deflater_free(cc_deflater *deflater);

/// zlib deflate of one buffer into one zlib stream. Returns bytes written or CC_ESPACE (`cap`
/// of at least cc_zlib_bound(in_len) always suffices).
long cc_deflater_run(cc_deflater *deflater, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap);

/// A zlib inflater kept from buffer to buffer: its state and window are allocated once, so
/// decoding a recording frame after frame allocates nothing. Exists because inflateInit() is a
/// macro. NULL when out of memory.
typedef struct cc_inflater cc_inflater;
cc_inflater *cc_inflater_new(void);
void cc_inflater_free(cc_inflater *inflater);

/// zlib inflate of one buffer whose decompressed size is known exactly. Returns bytes written,
/// CC_ECORRUPT or CC_ETRUNCATED.
long cc_inflater_run(cc_inflater *inflater, const uint8_t *in, size_t in_len, uint8_t *out, size_t expected);

/// Upper bound on cc_deflater_run output for `in_len` input bytes.
size_t cc_zlib_bound(size_t in_len);

/// CRC-32 (ISO-HDLC, as zlib and Python's zlib.crc32) of `len` bytes, continuing from `crc`.
uint32_t cc_crc32(uint32_t crc, const uint8_t *buf, size_t len);

// ---- libjpeg(-turbo) -------------------------------------------------------------------------

typedef struct {
    int width;        ///< output width after scaling
    int height;       ///< output height after scaling
    int components;   ///< 1 (grey) or 3 (RGB)
} cc_jpeg_info;

/// Reads a JPEG header and reports the output size at 1/`scale_denom` (1, 2, 4 or 8).
/// Returns 0 or CC_EJPEG. libjpeg's error_exit is replaced so a corrupt file never exits.
int cc_jpeg_info_read(const uint8_t *jpeg, size_t len, int scale_denom, int grey, cc_jpeg_info *info);

/// Decodes a JPEG at 1/`scale_denom` into `out` (rows of width*components bytes).
/// `grey` != 0 decodes luminance only. Returns 0, CC_ESPACE or CC_EJPEG.
int cc_jpeg_decode(const uint8_t *jpeg, size_t len, int scale_denom, int grey,
                   uint8_t *out, size_t cap, cc_jpeg_info *info);

/// Encodes 8-bit RGB (components 3) or grey (1) as a baseline JPEG; with `ycbcr` != 0 the three
/// components are already Y, Cb, Cr (no colour conversion). Returns bytes written, CC_ESPACE or
/// CC_EJPEG.
long cc_jpeg_encode(const uint8_t *pixels, int width, int height, int components, int ycbcr, int quality,
                    uint8_t *out, size_t cap);

/// The message of the last libjpeg error on this thread (empty when none).
const char *cc_jpeg_last_error(void);

// ---- libpng / libtiff ------------------------------------------------------------------------

#define CC_EPNG  (-1005)  ///< libpng reported an error (message via cc_image_last_error)
#define CC_ETIFF (-1006)  ///< libtiff reported an error (message via cc_image_last_error)

/// Decodes a single-channel 8- or 16-bit PNG from memory into `out` (width × height values, the
/// PNG's big-endian samples as host integers). Returns 0, CC_ESPACE (with `*width`/`*height`
/// set) or CC_EPNG. libpng's longjmp error path stays inside this function.
int cc_png_read_gray16(const uint8_t *png, size_t len, uint16_t *out, size_t cap, int *width, int *height);

/// Decodes any PNG from memory to 8-bit RGB rows in `out` (libpng's simplified API). Returns 0,
/// CC_ESPACE (with `*width`/`*height` set) or CC_EPNG.
int cc_png_read_rgb(const uint8_t *png, size_t len, uint8_t *out, size_t cap, int *width, int *height);

/// Writes 8-bit RGB rows as a PNG file at `path`. Returns 0, -errno or CC_EPNG.
int cc_png_write_rgb(const char *path, const uint8_t *rgb, int width, int height);

/// Reads the first image of a single-channel 16-bit TIFF (any compression libtiff knows, e.g.
/// LZW) into `out`. Returns 0, CC_ESPACE (with the size set) or CC_ETIFF. libtiff's warnings
/// and errors are captured, not printed.
int cc_tiff_read_gray16(const char *path, uint16_t *out, size_t cap, int *width, int *height);

/// The message of the last libpng/libtiff error on this thread (empty when none).
const char *cc_image_last_error(void);

// ---- V4L2 ------------------------------------------------------------------------------------

typedef struct {
    char driver[16];
    char card[32];
    char bus_info[32];
    uint32_t version;
    uint32_t capabilities;        ///< device_caps when the driver reports them, else capabilities
    int is_capture;               ///< single-planar video capture
    int can_stream;               ///< V4L2_CAP_STREAMING
} cc_v4l2_caps;

typedef struct {
    uint32_t fourcc;
    uint32_t flags;
    char description[32];
} cc_v4l2_format_desc;

/// open(path, O_RDWR|O_NONBLOCK|O_CLOEXEC). Returns the descriptor or -errno.
int cc_v4l2_open(const char *path);

/// Opens through libv4l2, which adds formats the camera lacks by converting in software (RGB24
/// from MJPEG or YUYV): for visible cameras whose own formats canthus does not read. Every other
/// cc_v4l2_* call on this descriptor then goes through libv4l2 too. Returns the fd or -errno.
int cc_v4l2_open_converting(const char *path);

/// Closes a descriptor opened by cc_v4l2_open or cc_v4l2_open_converting. Returns 0 or -errno.
int cc_v4l2_close(int fd);

/// The corresponding ioctl is VIDIOC_QUERYCAP.
int cc_v4l2_querycap(int fd, cc_v4l2_caps *caps);

/// Format `index` of single-planar capture. Returns 0, -EINVAL past the last one, or -errno.
/// The corresponding ioctl is VIDIOC_ENUM_FMT.
int cc_v4l2_enum_format(int fd, uint32_t index, cc_v4l2_format_desc *desc);

/// Discrete frame size `index` for `fourcc`; stepwise sizes report their maximum.
/// The corresponding ioctl is VIDIOC_ENUM_FRAMESIZES.
int cc_v4l2_enum_size(int fd, uint32_t fourcc, uint32_t index, uint32_t *width, uint32_t *height);

typedef struct {
    uint32_t fourcc;
    uint32_t width;
    uint32_t height;
    uint32_t bytes_per_line;
    uint32_t size_image;
} cc_v4l2_format;

#define CC_V4L2_MAX_BUFFERS 8

/// The mmap'ed buffer ring of a streaming device.
typedef struct {
    uint32_t count;
    void *start[CC_V4L2_MAX_BUFFERS];
    size_t length[CC_V4L2_MAX_BUFFERS];
} cc_v4l2_ring;

/// One dequeued buffer.
typedef struct {
    uint32_t index;
    uint32_t bytes_used;
    uint32_t sequence;
    uint32_t flags;          ///< V4L2_BUF_FLAG_* (bit 6, 0x40, is ERROR)
    uint64_t timestamp_ns;   ///< the driver's timestamp (monotonic for most drivers)
} cc_v4l2_buffer;

/// Selects video input `index`. The corresponding ioctl is VIDIOC_S_INPUT.
int cc_v4l2_set_input(int fd, uint32_t index);

/// Requests a format and reports what the driver applied (it may differ).
/// The corresponding ioctls are VIDIOC_S_FMT then VIDIOC_G_FMT.
int cc_v4l2_set_format(int fd, uint32_t fourcc, uint32_t width, uint32_t height, cc_v4l2_format *applied);

/// Requests a frame interval (1/fps) and reports the applied one; drivers without frame-rate
/// control return -ENOTTY. The corresponding ioctl is VIDIOC_S_PARM.
int cc_v4l2_set_interval(int fd, uint32_t numerator, uint32_t denominator, uint32_t *applied_num, uint32_t *applied_den);

/// Discrete frame interval `index` for a format and size (stepwise: the minimum interval).
/// The corresponding ioctl is VIDIOC_ENUM_FRAMEINTERVALS.
int cc_v4l2_enum_interval(int fd, uint32_t fourcc, uint32_t width, uint32_t height, uint32_t index,
                          uint32_t *numerator, uint32_t *denominator);

/// Allocates `count` mmap buffers (the driver may give fewer), maps and queues them all, and
/// starts streaming. On failure everything done is undone.
/// The corresponding ioctls are VIDIOC_REQBUFS, VIDIOC_QUERYBUF, VIDIOC_QBUF, VIDIOC_STREAMON.
int cc_v4l2_start(int fd, uint32_t count, cc_v4l2_ring *ring);

/// Waits up to `timeout_ms` for a buffer. Returns the poll revents (POLLIN 0x1, POLLERR 0x8,
/// POLLHUP 0x10, POLLNVAL 0x20) when something happened, 0 on timeout, -errno when poll failed.
int cc_v4l2_wait(int fd, int timeout_ms);

/// Dequeues a filled buffer: 0, -EAGAIN when none is ready, -ENODEV when the device is gone,
/// -EIO on a fatal streaming error. The corresponding ioctl is VIDIOC_DQBUF.
int cc_v4l2_dequeue(int fd, cc_v4l2_buffer *buffer);

/// Gives buffer `index` back to the driver. The corresponding ioctl is VIDIOC_QBUF.
int cc_v4l2_requeue(int fd, uint32_t index);

/// Stops streaming, unmaps and frees the buffers. Safe on a device that is gone.
/// The corresponding ioctls are VIDIOC_STREAMOFF and VIDIOC_REQBUFS(0).
int cc_v4l2_stop(int fd, cc_v4l2_ring *ring);

#ifdef __cplusplus
}
#endif
#endif

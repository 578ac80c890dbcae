/*
 * The FLIR ONE over libusb (docs/usb-flir-one.md): one context, the camera found by vendor,
 * product and serial, configuration 3, interfaces 0–2 claimed, the start sequence, and
 * asynchronous bulk transfers on endpoint 0x85 serviced by an event thread of the shim's own.
 * Completed transfers wait in a fixed ring (no allocation while streaming); co_read takes them
 * in order, one transfer at a time (the frame parser uses the boundaries).
 */
#ifndef CFLIRONE_H
#define CFLIRONE_H
#include <stddef.h>
#include <stdint.h>

typedef struct co_camera co_camera;

/* Whether a device vid:pid (with `serial`, when not NULL or empty) is attached: 1 or 0; its
 * serial into serial_out. Negative: libusb could not be initialised. */
int co_find(uint16_t vid, uint16_t pid, const char *serial, char *serial_out, size_t serial_cap);

/* Opens it and starts its frame stream. NULL with `err` filled when it is not there or cannot
 * be opened or started. */
co_camera *co_open(uint16_t vid, uint16_t pid, const char *serial, int transfers, int transfer_bytes, char *err, size_t errlen);

/* The next completed transfer's bytes (at most cap) into buf, waiting up to timeout_ms: its
 * length (≥ 0), CO_TIMEOUT, CO_GONE (unplugged: LIBUSB_ERROR_NO_DEVICE) or CO_IO (another
 * transfer error; the text in co_error). */
enum { CO_TIMEOUT = -1, CO_GONE = -2, CO_IO = -3 };
int co_read(co_camera *c, uint8_t *buf, int cap, int timeout_ms);
const char *co_error(co_camera *c);

/* Transfers completed, and dropped because the ring was full (the reader too slow). */
uint64_t co_completed(co_camera *c);
uint64_t co_overruns(co_camera *c);

/* Stops the stream (best effort: the device may be gone), cancels the transfers, joins the
 * event thread, releases everything. */
void co_close(co_camera *c);
#endif

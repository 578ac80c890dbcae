// libjpeg with an error manager that longjmps back here: libjpeg's default error_exit() calls
// exit(), and a longjmp must never cross into Swift, so every libjpeg call is wrapped here.
#include "ccapture.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

static _Thread_local char cc_jpeg_message[JMSG_LENGTH_MAX];

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} cc_jpeg_error;

static void cc_jpeg_error_exit(j_common_ptr cinfo) {
    cc_jpeg_error *err = (cc_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, cc_jpeg_message);
    longjmp(err->jump, 1);
}

// Warnings (level -1) are counted, not printed: a truncated or damaged JPEG only warns, and
// the decoder treats any warning as damage. (libjpeg's own emit_message does the counting.)
static void cc_jpeg_silent(j_common_ptr cinfo, int level) {
    if (level < 0) cinfo->err->num_warnings++;
}

const char *cc_jpeg_last_error(void) { return cc_jpeg_message; }

static void cc_jpeg_setup(struct jpeg_decompress_struct *d, int scale_denom, int grey) {
    d->scale_num = 1;
    d->scale_denom = (unsigned)(scale_denom == 2 || scale_denom == 4 || scale_denom == 8 ? scale_denom : 1);
    d->out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    d->dct_method = JDCT_ISLOW;
}

int cc_jpeg_info_read(const uint8_t *jpeg, size_t len, int scale_denom, int grey, cc_jpeg_info *info) {
    return cc_jpeg_decode(jpeg, len, scale_denom, grey, NULL, 0, info);
}

int cc_jpeg_decode(const uint8_t *jpeg, size_t len, int scale_denom, int grey,
                   uint8_t *out, size_t cap, cc_jpeg_info *info) {
    struct jpeg_decompress_struct d;
    cc_jpeg_error err;
    cc_jpeg_message[0] = 0;
    memset(&d, 0, sizeof d);
    d.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = cc_jpeg_error_exit;
    err.mgr.emit_message = cc_jpeg_silent;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&d);
        return CC_EJPEG;
    }
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, jpeg, (unsigned long)len);
    jpeg_read_header(&d, TRUE);
    cc_jpeg_setup(&d, scale_denom, grey);
    jpeg_calc_output_dimensions(&d);
    info->width = (int)d.output_width;
    info->height = (int)d.output_height;
    info->components = d.out_color_components;
    if (out == NULL) {
        jpeg_destroy_decompress(&d);
        return 0;
    }
    size_t stride = (size_t)d.output_width * (size_t)d.out_color_components;
    if (stride * d.output_height > cap) {
        jpeg_destroy_decompress(&d);
        return CC_ESPACE;
    }
    jpeg_start_decompress(&d);
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = out + stride * d.output_scanline;
        jpeg_read_scanlines(&d, &row, 1);
    }
    // A JPEG whose data ended early gets a warning, not an error, from libjpeg; treat it as damage.
    int damaged = err.mgr.num_warnings > 0;
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    if (damaged) {
        snprintf(cc_jpeg_message, sizeof cc_jpeg_message, "corrupt or truncated JPEG data");
        return CC_EJPEG;
    }
    return 0;
}

long cc_jpeg_encode(const uint8_t *pixels, int width, int height, int components, int ycbcr, int quality,
                    uint8_t *out, size_t cap) {
    struct jpeg_compress_struct c;
    cc_jpeg_error err;
    unsigned char *buf = NULL;
    unsigned long size = 0;
    cc_jpeg_message[0] = 0;
    memset(&c, 0, sizeof c);
    c.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = cc_jpeg_error_exit;
    err.mgr.emit_message = cc_jpeg_silent;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&c);
        if (buf) free(buf);
        return CC_EJPEG;
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = components;
    c.in_color_space = components == 1 ? JCS_GRAYSCALE : (ycbcr ? JCS_YCbCr : JCS_RGB);
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + stride * c.next_scanline);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    long result;
    if (size > cap) {
        result = CC_ESPACE;
    } else {
        memcpy(out, buf, size);
        result = (long)size;
    }
    free(buf);
    return result;
}

// libpng and libtiff behind 0 / negative-code returns. libpng reports errors by longjmp, which
// must never cross into Swift; libtiff prints warnings and errors unless its handlers are
// replaced. Both are confined here.
#include "ccapture.h"
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include <tiffio.h>

static _Thread_local char cc_image_message[256];

const char *cc_image_last_error(void) { return cc_image_message; }

// ---- PNG -------------------------------------------------------------------------------------

typedef struct { const uint8_t *data; size_t len, at; } cc_png_source;

static void cc_png_read_mem(png_structp png, png_bytep out, png_size_t n) {
    cc_png_source *src = (cc_png_source *)png_get_io_ptr(png);
    if (src->at + n > src->len) png_error(png, "PNG data ends early");
    memcpy(out, src->data + src->at, n);
    src->at += n;
}

static void cc_png_error(png_structp png, png_const_charp msg) {
    snprintf(cc_image_message, sizeof cc_image_message, "%s", msg);
    png_longjmp(png, 1);
}

static void cc_png_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

int cc_png_read_gray16(const uint8_t *data, size_t len, uint16_t *out, size_t cap, int *width, int *height) {
    cc_image_message[0] = 0;
    if (len < 8 || png_sig_cmp((png_const_bytep)data, 0, 8)) {
        snprintf(cc_image_message, sizeof cc_image_message, "not a PNG");
        return CC_EPNG;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, cc_png_error, cc_png_warning);
    if (!png) return CC_EPNG;
    png_infop info = png_create_info_struct(png);
    png_bytep volatile row = NULL;   // volatile: read after a longjmp
    cc_png_source src = { data, len, 0 };
    if (!info) { png_destroy_read_struct(&png, NULL, NULL); return CC_EPNG; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(row);
        return CC_EPNG;
    }
    png_set_read_fn(png, &src, cc_png_read_mem);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    *width = (int)w;
    *height = (int)h;
    if (type != PNG_COLOR_TYPE_GRAY || (depth != 8 && depth != 16)) {
        snprintf(cc_image_message, sizeof cc_image_message, "PNG is not 8- or 16-bit greyscale (type %d, depth %d)", type, depth);
        png_destroy_read_struct(&png, &info, NULL);
        return CC_EPNG;
    }
    if ((size_t)w * h > cap) { png_destroy_read_struct(&png, &info, NULL); return CC_ESPACE; }
    png_read_update_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    row = (png_bytep)malloc(rowbytes);
    if (!row) { png_destroy_read_struct(&png, &info, NULL); return -ENOMEM; }
    for (png_uint_32 y = 0; y < h; y++) {
        png_read_row(png, row, NULL);
        for (png_uint_32 x = 0; x < w; x++) {
            out[(size_t)y * w + x] = depth == 16 ? (uint16_t)((row[2 * x] << 8) | row[2 * x + 1]) : row[x];
        }
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(row);
    return 0;
}

int cc_png_read_rgb(const uint8_t *data, size_t len, uint8_t *out, size_t cap, int *width, int *height) {
    cc_image_message[0] = 0;
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, len)) {
        snprintf(cc_image_message, sizeof cc_image_message, "%s", image.message);
        return CC_EPNG;
    }
    image.format = PNG_FORMAT_RGB;
    *width = (int)image.width;
    *height = (int)image.height;
    if (PNG_IMAGE_SIZE(image) > cap) { png_image_free(&image); return CC_ESPACE; }
    if (!png_image_finish_read(&image, NULL, out, 0, NULL)) {
        snprintf(cc_image_message, sizeof cc_image_message, "%s", image.message);
        png_image_free(&image);
        return CC_EPNG;
    }
    return 0;
}

int cc_png_write_rgb(const char *path, const uint8_t *rgb, int width, int height) {
    cc_image_message[0] = 0;
    FILE *f = fopen(path, "wb");
    if (!f) return -errno;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, cc_png_error, cc_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) { png_destroy_write_struct(&png, NULL); fclose(f); return CC_EPNG; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return CC_EPNG;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * width * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) return -errno;
    return 0;
}

// ---- TIFF ------------------------------------------------------------------------------------

static void cc_tiff_error(const char *module, const char *fmt, va_list ap) {
    int n = snprintf(cc_image_message, sizeof cc_image_message, "%s: ", module ? module : "tiff");
    if (n > 0 && (size_t)n < sizeof cc_image_message) vsnprintf(cc_image_message + n, sizeof cc_image_message - (size_t)n, fmt, ap);
}

static void cc_tiff_warning(const char *module, const char *fmt, va_list ap) { (void)module; (void)fmt; (void)ap; }

int cc_tiff_read_gray16(const char *path, uint16_t *out, size_t cap, int *width, int *height) {
    cc_image_message[0] = 0;
    TIFFSetErrorHandler(cc_tiff_error);
    TIFFSetWarningHandler(cc_tiff_warning);
    TIFF *tif = TIFFOpen(path, "r");
    if (!tif) return CC_ETIFF;
    uint32_t w = 0, h = 0;
    uint16_t bits = 0, spp = 1;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    *width = (int)w;
    *height = (int)h;
    if (bits != 16 || spp != 1) {
        snprintf(cc_image_message, sizeof cc_image_message, "TIFF is not single-channel 16-bit (%u bits, %u samples)", bits, spp);
        TIFFClose(tif);
        return CC_ETIFF;
    }
    if ((size_t)w * h > cap) { TIFFClose(tif); return CC_ESPACE; }
    for (uint32_t y = 0; y < h; y++) {
        if (TIFFReadScanline(tif, out + (size_t)y * w, y, 0) < 0) { TIFFClose(tif); return CC_ETIFF; }
    }
    TIFFClose(tif);
    return 0;
}

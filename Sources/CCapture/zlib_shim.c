// zlib helpers: the init functions are macros, and gzip files may hold several members.
#include "ccapture.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

long cc_gunzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *produced) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    *produced = 0;
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return CC_ECORRUPT;
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    long result = 0;
    for (;;) {
        int rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            // Skip zero padding some writers leave between members, then go on if another starts.
            while (zs.avail_in > 0 && *zs.next_in == 0) { zs.next_in++; zs.avail_in--; }
            if (zs.avail_in == 0) break;
            if (inflateReset(&zs) != Z_OK) { result = CC_ECORRUPT; break; }
            continue;
        }
        if (rc == Z_OK) {
            if (zs.avail_out == 0) { result = CC_ESPACE; break; }
            continue;
        }
        if (rc == Z_BUF_ERROR) {
            result = (zs.avail_out == 0) ? CC_ESPACE : CC_ETRUNCATED;
            break;
        }
        result = CC_ECORRUPT;
        break;
    }
    *produced = cap - zs.avail_out;
    inflateEnd(&zs);
    return result == 0 ? (long)*produced : result;
}

size_t cc_zlib_bound(size_t in_len) { return (size_t)compressBound((uLong)in_len); }

struct cc_deflater {
    z_stream zs;
};

cc_deflater *cc_deflater_new(int level) {
    if (level < 1 || level > 9) return NULL;
    cc_deflater *def = calloc(1, sizeof *def);
    if (def == NULL) return NULL;
    if (deflateInit(&def->zs, level) != Z_OK) { free(def); return NULL; }
    return def;
}

void cc_deflater_free(cc_deflater *def) {
    if (def == NULL) return;
    deflateEnd(&def->zs);
    free(def);
}

long cc_deflater_run(cc_deflater *def, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap) {
    z_stream *zs = &def->zs;
    if (deflateReset(zs) != Z_OK) return CC_ECORRUPT;
    zs->next_in = (Bytef *)in;
    zs->avail_in = (uInt)in_len;
    zs->next_out = out;
    zs->avail_out = (uInt)cap;
    int rc = deflate(zs, Z_FINISH);
    if (rc == Z_STREAM_END) return (long)(cap - zs->avail_out);
    return rc == Z_OK || rc == Z_BUF_ERROR ? CC_ESPACE : CC_ECORRUPT;
}

struct cc_inflater {
    z_stream zs;
};

cc_inflater *cc_inflater_new(void) {
    cc_inflater *inf = calloc(1, sizeof *inf);
    if (inf == NULL) return NULL;
    if (inflateInit(&inf->zs) != Z_OK) { free(inf); return NULL; }
    return inf;
}

void cc_inflater_free(cc_inflater *inf) {
    if (inf == NULL) return;
    inflateEnd(&inf->zs);
    free(inf);
}

long cc_inflater_run(cc_inflater *inf, const uint8_t *in, size_t in_len, uint8_t *out, size_t expected) {
    z_stream *zs = &inf->zs;
    if (inflateReset(zs) != Z_OK) return CC_ECORRUPT;
    zs->next_in = (Bytef *)in;
    zs->avail_in = (uInt)in_len;
    zs->next_out = out;
    zs->avail_out = (uInt)expected;
    int rc = inflate(zs, Z_FINISH);
    size_t produced = expected - zs->avail_out;
    if (rc == Z_STREAM_END) return produced == expected ? (long)produced : CC_ETRUNCATED;
    // Z_BUF_ERROR: the input ended early (truncated) or the output is full with more to come.
    if (rc == Z_BUF_ERROR) return zs->avail_out == 0 ? CC_ECORRUPT : CC_ETRUNCATED;
    return CC_ECORRUPT;
}

uint32_t cc_crc32(uint32_t crc, const uint8_t *buf, size_t len) {
    return (uint32_t)crc32((uLong)crc, buf, (uInt)len);
}

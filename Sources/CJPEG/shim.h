#ifndef FERCORE_CJPEG_SHIM_H
#define FERCORE_CJPEG_SHIM_H
// libjpeg-turbo for FERMedia's JPEG reading: the decoder cv2.imread uses, so that FERCore
// sees the same pixels as the reference packages (islow IDCT, fancy upsampling: the
// library defaults). libjpeg reports errors by longjmp, which Swift cannot catch; the
// whole decode therefore runs here, in C, behind one setjmp.
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

struct fercore_jpeg_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static inline void fercore_jpeg_error_exit(j_common_ptr cinfo) {
    struct fercore_jpeg_error *err = (struct fercore_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static inline void fercore_jpeg_silence(j_common_ptr cinfo) { (void)cinfo; }

// libjpeg reports damaged data as warnings (level -1) and carries on, filling what it could
// not decode with grey: a JPEG cut in half "decodes". Warnings that mean pixels are missing
// or wrong abort the decode like an error; the few about metadata only are ignored.
static inline void fercore_jpeg_emit(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    struct fercore_jpeg_error *err = (struct fercore_jpeg_error *)cinfo->err;
    int code = cinfo->err->msg_code;
    // Metadata only: an unknown JFIF revision, Adobe transform code or a bad ICC profile
    // (FERCore reads no ICC profiles); every pixel is still decoded.
    if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC) return;
    // Junk bytes just before the end-of-image marker: the scan was complete (cameras write this).
    if (code == JWRN_EXTRANEOUS_DATA && cinfo->err->msg_parm.i[1] == 0xD9) return;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

// Shared set-up of both entry points (the setjmp itself must stay in their frames).
static inline void fercore_jpeg_prepare(struct jpeg_decompress_struct *cinfo, struct fercore_jpeg_error *err) {
    memset(cinfo, 0, sizeof *cinfo);
    cinfo->err = jpeg_std_error(&err->base);
    err->base.error_exit = fercore_jpeg_error_exit;
    err->base.output_message = fercore_jpeg_silence;
    err->base.emit_message = fercore_jpeg_emit;
    err->message[0] = 0;
}

static inline int fercore_jpeg_fail(struct jpeg_decompress_struct *cinfo, struct fercore_jpeg_error *err,
                                    char *message, size_t capacity) {
    if (capacity > 0) { strncpy(message, err->message, capacity - 1); message[capacity - 1] = 0; }
    jpeg_destroy_decompress(cinfo);
    return -1;
}

/// Reads the size of a JPEG held in memory. Returns 0 on success, -1 on error
/// (message in `message`, at most `capacity` bytes).
static inline int fercore_jpeg_size(const uint8_t *data, size_t size, int *width, int *height,
                                    int *components, char *message, size_t capacity) {
    struct jpeg_decompress_struct cinfo;
    struct fercore_jpeg_error err;
    fercore_jpeg_prepare(&cinfo, &err);
    if (setjmp(err.jump)) return fercore_jpeg_fail(&cinfo, &err, message, capacity);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    *components = cinfo.num_components;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Decodes a JPEG held in memory into tightly packed RGB (3 bytes per pixel) or
/// gray (1 byte) rows at `out`, which must hold width·height·channels bytes.
/// Returns 0 on success, -1 on error (message in `message`).
static inline int fercore_jpeg_decode(const uint8_t *data, size_t size, uint8_t *out, int channels,
                                      char *message, size_t capacity) {
    struct jpeg_decompress_struct cinfo;
    struct fercore_jpeg_error err;
    fercore_jpeg_prepare(&cinfo, &err);
    if (setjmp(err.jump)) return fercore_jpeg_fail(&cinfo, &err, message, capacity);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)channels;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
#endif

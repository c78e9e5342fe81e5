#ifndef FERCORE_CFFMPEG_SHIM_H
#define FERCORE_CFFMPEG_SHIM_H
// FFmpeg 5.1 (Debian 12: libavformat 59, libavcodec 59, libswscale 6, libavutil 57) and later.
//
// FERMedia does not link FFmpeg: ffmpeg_loader.c opens libavformat, libavcodec, libswscale and
// libavutil with dlopen on first use (fercore_ffmpeg_load) and defines the FFmpeg functions
// FERMedia calls, under their own names, as hidden forwarders to the loaded ones. A program that
// never reads or writes a video (ferdemo detect on a JPEG, a server classifying faces) so never
// maps FFmpeg's ~140 libraries, whose loading and relocation took most of a short run's start-up.
#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/log.h>
#include <libavutil/display.h>
#include <math.h>
#include <stddef.h>

/// Loads FFmpeg's libraries (the major versions these headers declare) and resolves every
/// function FERMedia uses. Returns 1 when they are ready (at once after the first success),
/// 0 with a message in `message` (what failed and the package to install) otherwise.
/// Thread-safe; call it before any other FFmpeg function.
int fercore_ffmpeg_load(char *message, size_t size);

// Function-like and casting macros Swift cannot import.
static inline int fercore_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int fercore_averror_eof(void) { return AVERROR_EOF; }
static inline int fercore_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int fercore_averror_enoent(void) { return AVERROR(ENOENT); }
static inline int fercore_averror_eacces(void) { return AVERROR(EACCES); }
static inline int fercore_averror_enomem(void) { return AVERROR(ENOMEM); }
static inline int64_t fercore_av_nopts_value(void) { return AV_NOPTS_VALUE; }

// av_err2str is a macro around a compound literal; this writes the message into `buf`.
static inline void fercore_av_strerror(int err, char *buf, size_t size) {
    if (av_strerror(err, buf, size) < 0) { snprintf(buf, size, "FFmpeg error %d", err); }
}

// av_opt_set is not variadic, but taking `void *` keeps the Swift side free of casts.
static inline int fercore_av_opt_set(void *obj, const char *name, const char *value) {
    return av_opt_set(obj, name, value, AV_OPT_SEARCH_CHILDREN);
}
// The rotation a player applies to a stream, in degrees clockwise in [0, 360), from its
// display matrix side data (what phones write into MP4/MOV `tkhd`), computed as ffmpeg's
// own autorotation does (fftools/cmdutils.c get_rotation); NAN when the stream has none.
static inline double fercore_stream_display_rotation(const AVStream *st) {
    const int32_t *matrix = NULL;
#if LIBAVFORMAT_VERSION_MAJOR >= 61
    const AVPacketSideData *sd = av_packet_side_data_get(st->codecpar->coded_side_data,
                                                         st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
    if (sd && sd->size >= 9 * sizeof(int32_t)) matrix = (const int32_t *)sd->data;
#else
    size_t size = 0;
    const uint8_t *data = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (data && size >= 9 * sizeof(int32_t)) matrix = (const int32_t *)data;
#endif
    if (!matrix) return NAN;
    double theta = -round(av_display_rotation_get(matrix));
    if (isnan(theta)) return NAN;
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    return theta;
}
#endif

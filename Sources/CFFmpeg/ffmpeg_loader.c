// FFmpeg, loaded on first use instead of linked (see include/shim.h for why).
//
// Every FFmpeg function FERMedia calls is defined here under its own name, with hidden
// visibility (so it is never exported and never interposes on FFmpeg's own calls), as a
// forwarder to the function dlsym found in the loaded library. Swift code calls FFmpeg as if
// it were linked; FERMedia's readers and writers call fercore_ffmpeg_load first and turn a
// failure into MediaError.librariesUnavailable. A forwarder called before a successful load is
// a programming error in FERMedia: it says so on stderr and aborts, rather than jumping to NULL.

#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FER_SONAME(name, major) "lib" name ".so." AV_STRINGIFY(major)

// (return type, name, parameter list, argument list, library index)
// Libraries: 0 avutil, 1 avcodec, 2 avformat, 3 swscale.
#define FER_FFMPEG_FUNCTIONS_COMMON(X) \
    X(void, av_dict_free, (AVDictionary **m), (m), 0) \
    X(AVDictionaryEntry *, av_dict_get, (const AVDictionary *m, const char *key, const AVDictionaryEntry *prev, int flags), (m, key, prev, flags), 0) \
    X(int, av_dict_set, (AVDictionary **pm, const char *key, const char *value, int flags), (pm, key, value, flags), 0) \
    X(double, av_display_rotation_get, (const int32_t matrix[9]), (matrix), 0) \
    X(AVFrame *, av_frame_alloc, (void), (), 0) \
    X(void, av_frame_free, (AVFrame **frame), (frame), 0) \
    X(int, av_frame_get_buffer, (AVFrame *frame, int align), (frame, align), 0) \
    X(int, av_frame_make_writable, (AVFrame *frame), (frame), 0) \
    X(void, av_frame_unref, (AVFrame *frame), (frame), 0) \
    X(void, av_log_set_level, (int level), (level), 0) \
    X(int, av_opt_set, (void *obj, const char *name, const char *val, int search_flags), (obj, name, val, search_flags), 0) \
    X(int, av_strerror, (int errnum, char *errbuf, size_t errbuf_size), (errnum, errbuf, errbuf_size), 0) \
    X(AVPacket *, av_packet_alloc, (void), (), 1) \
    X(void, av_packet_free, (AVPacket **pkt), (pkt), 1) \
    X(void, av_packet_rescale_ts, (AVPacket *pkt, AVRational tb_src, AVRational tb_dst), (pkt, tb_src, tb_dst), 1) \
    X(void, av_packet_unref, (AVPacket *pkt), (pkt), 1) \
    X(AVCodecContext *, avcodec_alloc_context3, (const AVCodec *codec), (codec), 1) \
    X(const AVCodec *, avcodec_find_decoder, (enum AVCodecID id), (id), 1) \
    X(const AVCodec *, avcodec_find_encoder, (enum AVCodecID id), (id), 1) \
    X(const AVCodec *, avcodec_find_encoder_by_name, (const char *name), (name), 1) \
    X(void, avcodec_free_context, (AVCodecContext **avctx), (avctx), 1) \
    X(const char *, avcodec_get_name, (enum AVCodecID id), (id), 1) \
    X(int, avcodec_open2, (AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options), (avctx, codec, options), 1) \
    X(int, avcodec_parameters_from_context, (AVCodecParameters *par, const AVCodecContext *codec), (par, codec), 1) \
    X(int, avcodec_parameters_to_context, (AVCodecContext *codec, const AVCodecParameters *par), (codec, par), 1) \
    X(int, avcodec_receive_frame, (AVCodecContext *avctx, AVFrame *frame), (avctx, frame), 1) \
    X(int, avcodec_receive_packet, (AVCodecContext *avctx, AVPacket *avpkt), (avctx, avpkt), 1) \
    X(int, avcodec_send_frame, (AVCodecContext *avctx, const AVFrame *frame), (avctx, frame), 1) \
    X(int, avcodec_send_packet, (AVCodecContext *avctx, const AVPacket *avpkt), (avctx, avpkt), 1) \
    X(int, av_find_best_stream, (AVFormatContext *ic, enum AVMediaType type, int wanted_stream_nb, int related_stream, const AVCodec **decoder_ret, int flags), (ic, type, wanted_stream_nb, related_stream, decoder_ret, flags), 2) \
    X(AVRational, av_guess_frame_rate, (AVFormatContext *ctx, AVStream *stream, AVFrame *frame), (ctx, stream, frame), 2) \
    X(int, av_interleaved_write_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt), 2) \
    X(int, av_read_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt), 2) \
    X(int, av_write_trailer, (AVFormatContext *s), (s), 2) \
    X(int, avformat_alloc_output_context2, (AVFormatContext **ctx, const AVOutputFormat *oformat, const char *format_name, const char *filename), (ctx, oformat, format_name, filename), 2) \
    X(void, avformat_close_input, (AVFormatContext **s), (s), 2) \
    X(int, avformat_find_stream_info, (AVFormatContext *ic, AVDictionary **options), (ic, options), 2) \
    X(void, avformat_free_context, (AVFormatContext *s), (s), 2) \
    X(AVStream *, avformat_new_stream, (AVFormatContext *s, const AVCodec *c), (s, c), 2) \
    X(int, avformat_open_input, (AVFormatContext **ps, const char *url, const AVInputFormat *fmt, AVDictionary **options), (ps, url, fmt, options), 2) \
    X(int, avformat_write_header, (AVFormatContext *s, AVDictionary **options), (s, options), 2) \
    X(int, avio_close, (AVIOContext *s), (s), 2) \
    X(int, avio_closep, (AVIOContext **s), (s), 2) \
    X(void, avio_flush, (AVIOContext *s), (s), 2) \
    X(int, avio_open, (AVIOContext **s, const char *url, int flags), (s, url, flags), 2) \
    X(void, sws_freeContext, (struct SwsContext *swsContext), (swsContext), 3) \
    X(struct SwsContext *, sws_getCachedContext, (struct SwsContext *context, int srcW, int srcH, enum AVPixelFormat srcFormat, int dstW, int dstH, enum AVPixelFormat dstFormat, int flags, SwsFilter *srcFilter, SwsFilter *dstFilter, const double *param), (context, srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, srcFilter, dstFilter, param), 3) \
    X(struct SwsContext *, sws_getContext, (int srcW, int srcH, enum AVPixelFormat srcFormat, int dstW, int dstH, enum AVPixelFormat dstFormat, int flags, SwsFilter *srcFilter, SwsFilter *dstFilter, const double *param), (srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, srcFilter, dstFilter, param), 3) \
    X(int, sws_scale, (struct SwsContext *c, const uint8_t *const srcSlice[], const int srcStride[], int srcSliceY, int srcSliceH, uint8_t *const dst[], const int dstStride[]), (c, srcSlice, srcStride, srcSliceY, srcSliceH, dst, dstStride), 3)

// The display-matrix lookup moved from the stream to its codec parameters in libavformat 61.
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define FER_FFMPEG_FUNCTIONS_VERSIONED(X) \
    X(const AVPacketSideData *, av_packet_side_data_get, (const AVPacketSideData *sd, int nb_sd, enum AVPacketSideDataType type), (sd, nb_sd, type), 1)
#else
#define FER_FFMPEG_FUNCTIONS_VERSIONED(X) \
    X(uint8_t *, av_stream_get_side_data, (const AVStream *stream, enum AVPacketSideDataType type, size_t *size), (stream, type, size), 2)
#endif

#define FER_FFMPEG_FUNCTIONS(X) FER_FFMPEG_FUNCTIONS_COMMON(X) FER_FFMPEG_FUNCTIONS_VERSIONED(X)

#define FER_POINTER(ret, name, params, args, lib) static ret (*fer_p_##name) params;
FER_FFMPEG_FUNCTIONS(FER_POINTER)

static void fer_ffmpeg_not_loaded(const char *name) {
    fprintf(stderr, "FERMedia: FFmpeg's %s called before fercore_ffmpeg_load succeeded (a bug in FERMedia)\n", name);
    abort();
}

#define FER_FORWARDER(ret, name, params, args, lib) \
    __attribute__((visibility("hidden"))) ret name params { \
        if (__builtin_expect(fer_p_##name == NULL, 0)) fer_ffmpeg_not_loaded(#name); \
        return fer_p_##name args; \
    }
FER_FFMPEG_FUNCTIONS(FER_FORWARDER)

static const char *const fer_sonames[4] = {
    FER_SONAME("avutil", LIBAVUTIL_VERSION_MAJOR),
    FER_SONAME("avcodec", LIBAVCODEC_VERSION_MAJOR),
    FER_SONAME("avformat", LIBAVFORMAT_VERSION_MAJOR),
    FER_SONAME("swscale", LIBSWSCALE_VERSION_MAJOR),
};

static pthread_once_t fer_once = PTHREAD_ONCE_INIT;
static int fer_loaded;
static char fer_error[512];

static void fer_ffmpeg_load_once(void) {
    void *libs[4];
    for (int i = 0; i < 4; i++) {
        libs[i] = dlopen(fer_sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (!libs[i]) {
            const char *why = dlerror();
            snprintf(fer_error, sizeof fer_error,
                     "cannot load FFmpeg's %s (%s); install FFmpeg's libraries with: "
                     "apt-get install libavformat%d libavcodec%d libswscale%d libavutil%d",
                     fer_sonames[i], why ? why : "not found", LIBAVFORMAT_VERSION_MAJOR,
                     LIBAVCODEC_VERSION_MAJOR, LIBSWSCALE_VERSION_MAJOR, LIBAVUTIL_VERSION_MAJOR);
            return;
        }
    }
    // Resolve everything into locals first: the forwarders see either no function or all.
#define FER_RESOLVE(ret, name, params, args, lib) \
    void *name##_symbol = dlsym(libs[lib], #name); \
    if (!name##_symbol) { \
        snprintf(fer_error, sizeof fer_error, "FFmpeg's %s lacks %s (an FFmpeg older than these headers?)", \
                 fer_sonames[lib], #name); \
        return; \
    }
    FER_FFMPEG_FUNCTIONS(FER_RESOLVE)
#define FER_STORE(ret, name, params, args, lib) memcpy(&fer_p_##name, &name##_symbol, sizeof(void *));
    FER_FFMPEG_FUNCTIONS(FER_STORE)
    fer_loaded = 1;
}

int fercore_ffmpeg_load(char *message, size_t size) {
    pthread_once(&fer_once, fer_ffmpeg_load_once);
    if (!fer_loaded && message && size > 0) snprintf(message, size, "%s", fer_error);
    return fer_loaded;
}

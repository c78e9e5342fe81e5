// A fake V4L2 camera for FERCore's tests, loaded with LD_PRELOAD into `ferdemo`.
//
// It sits *below* libv4l2: libv4l2 (and libv4lconvert, which it loads) talk to a device
// through `syscall(SYS_ioctl, …)`, `syscall(SYS_openat, …)`, `syscall(SYS_mmap, …)`, …
// (libv4l2.so imports `syscall`, not open/ioctl/mmap: `nm -D libv4l2.so.0`), so this library
// interposes `syscall` and answers for one fake device path; every other call goes on to the
// kernel. The real libv4l2 then does what it does with a camera: format negotiation, buffer
// mapping, and for an MJPEG camera its own JPEG decoding into RGB24. FERCore's V4L2Camera
// runs unchanged. (The libc wrappers ioctl/mmap/close are deliberately not interposed: they
// would sit on every allocation's path, and libv4l2 does not use them.)
//
// The device is the read end of a pipe: a thread "captures" a frame every 1/fps seconds into a
// queued buffer and writes one byte, so poll() on the descriptor behaves as on a camera;
// unplugging closes the write end (POLLHUP) and every later ioctl fails with ENODEV.
//
// Configuration (environment):
//   FAKE_V4L2_DEVICE   the path to answer for (e.g. /dev/video-fercore-fake)
//   FAKE_V4L2_FORMAT   YUYV (default) or MJPG: the only format the device offers
//   FAKE_V4L2_SIZE     WxH, the only frame size (default 640x480)
//   FAKE_V4L2_FPS      frames per second (default 30)
//   FAKE_V4L2_FRAMES   a folder of frames played in a loop, in name order: raw YUYV files of
//                      exactly W*H*2 bytes, or JPEG files for MJPG (required for MJPG);
//                      without it, YUYV frames are a moving test pattern
//   FAKE_V4L2_FAULTS   comma-separated faults:
//     open=ENOENT|EBUSY|EACCES      open fails with that errno
//     querycap=notcapture           a metadata node, not a video capture device
//     querycap=nostreaming          capture, but no streaming I/O
//     s_fmt=EINVAL|EBUSY            VIDIOC_S_FMT (and TRY_FMT) fail with that errno
//     reqbufs=ENOMEM|EBUSY          VIDIOC_REQBUFS fails;  reqbufs=one: grants a single buffer
//     mmap=ENOMEM                   mmap of the device's buffers fails
//     smallbuf                      buffers are half the size the format needs (a lying driver)
//     streamon=EIO|ENOSPC           VIDIOC_STREAMON fails
//     dqbuf=EIO@N|ENODEV@N          VIDIOC_DQBUF fails once the application has dequeued N frames
//     unplug@N                      unplugged as the application dequeues frame N: re-queueing
//                                   its buffer and every later ioctl fail with ENODEV, poll
//                                   reports POLLHUP (what uvcvideo does on a disconnect)
//     hangup@N                      unplugged once the application has re-queued frame N's
//                                   buffer, while it waits in poll: POLLHUP
//     eagain=K@N                    when frame N is captured, K wake-ups with no frame (DQBUF: EAGAIN)
//     short@N                       captured frame N carries half its bytes (a damaged frame)
//     shortall                      every frame carries half its bytes
//     badindex@N                    captured frame N is dequeued with an out-of-range buffer index
//     stall@N                       no frame is captured after N (the camera stops, still "open")
// Frame numbers count from 0; faults tied to what the application dequeued do not depend on
// how fast it reads.
//   FAKE_V4L2_LOG      a file that receives one line per ioctl (debugging)
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_BUFFERS 8
#define MAX_FRAMES 512

typedef long (*syscall_fn)(long, ...);

struct fault {
    int open_errno, s_fmt_errno, reqbufs_errno, mmap_errno, streamon_errno;
    int notcapture, nostreaming, reqbufs_one, smallbuf, shortall;
    int dqbuf_errno; long dqbuf_at;
    long unplug_at, hangup_at, eagain_at, eagain_count, short_at, badindex_at, stall_at;
};

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    syscall_fn real_syscall;
    char path[512];
    uint32_t fourcc;
    unsigned width, height, fps;
    struct fault fault;
    // Frames to play: each a byte string.
    unsigned char *frame_data[MAX_FRAMES];
    size_t frame_size[MAX_FRAMES];
    int frame_count;
    // The open device.
    int fd, write_fd;
    int streaming, unplugged;
    unsigned buffer_count;
    size_t buffer_length;
    unsigned char *buffers[MAX_BUFFERS];
    uint32_t bytesused[MAX_BUFFERS];
    struct timeval stamp[MAX_BUFFERS];
    uint32_t sequence_of[MAX_BUFFERS];
    int queued[MAX_BUFFERS];          // FIFO of buffer indices queued by the application
    int queued_n;
    int done[MAX_BUFFERS];            // FIFO of filled buffers
    int done_n;
    long delivered;                   // frames put into the done queue so far
    long dequeued;                    // frames the application dequeued so far
    long eagain_left;
    pthread_t thread;
    int thread_running, stop_thread;
    FILE *log;
} fake = { .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .write_fd = -1,
           .fault = { .dqbuf_at = -1, .unplug_at = -1, .hangup_at = -1, .eagain_at = -1, .short_at = -1, .badindex_at = -1, .stall_at = -1 } };

static void logf_(const char *format, ...) {
    if (!fake.log) return;
    va_list ap;
    va_start(ap, format);
    vfprintf(fake.log, format, ap);
    va_end(ap);
    fputc('\n', fake.log);
    fflush(fake.log);
}

static int errno_named(const char *name) {
    static const struct { const char *name; int value; } table[] = {
        {"ENOENT", ENOENT}, {"EBUSY", EBUSY}, {"EACCES", EACCES}, {"EINVAL", EINVAL}, {"ENOMEM", ENOMEM},
        {"EIO", EIO}, {"ENODEV", ENODEV}, {"ENOSPC", ENOSPC}, {"EPERM", EPERM}, {"EAGAIN", EAGAIN},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strncmp(name, table[i].name, strlen(table[i].name)) == 0) return table[i].value;
    return EIO;
}

static long at_frame(const char *spec) {
    const char *at = strchr(spec, '@');
    return at ? atol(at + 1) : 0;
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void load_frames(const char *folder) {
    DIR *dir = opendir(folder);
    if (!dir) return;
    char *names[MAX_FRAMES];
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && n < MAX_FRAMES)
        if (entry->d_name[0] != '.') names[n++] = strdup(entry->d_name);
    closedir(dir);
    qsort(names, (size_t)n, sizeof names[0], compare_names);
    for (int i = 0; i < n; i++) {
        char file[1024];
        snprintf(file, sizeof file, "%s/%s", folder, names[i]);
        free(names[i]);
        FILE *f = fopen(file, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (size <= 0) { fclose(f); continue; }
        unsigned char *data = malloc((size_t)size);
        if (data && fread(data, 1, (size_t)size, f) == (size_t)size) {
            fake.frame_data[fake.frame_count] = data;
            fake.frame_size[fake.frame_count] = (size_t)size;
            fake.frame_count++;
        } else {
            free(data);
        }
        fclose(f);
    }
}

static void initialise(void) {
    fake.real_syscall = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
    const char *path = getenv("FAKE_V4L2_DEVICE");
    snprintf(fake.path, sizeof fake.path, "%s", path ? path : "");
    const char *format = getenv("FAKE_V4L2_FORMAT");
    fake.fourcc = (format && strcmp(format, "MJPG") == 0) ? V4L2_PIX_FMT_MJPEG : V4L2_PIX_FMT_YUYV;
    fake.width = 640;
    fake.height = 480;
    const char *size = getenv("FAKE_V4L2_SIZE");
    if (size) sscanf(size, "%ux%u", &fake.width, &fake.height);
    const char *fps = getenv("FAKE_V4L2_FPS");
    fake.fps = fps ? (unsigned)atoi(fps) : 30;
    if (fake.fps == 0) fake.fps = 30;
    const char *frames = getenv("FAKE_V4L2_FRAMES");
    if (frames) load_frames(frames);
    const char *log = getenv("FAKE_V4L2_LOG");
    if (log) fake.log = fopen(log, "w");
    const char *faults = getenv("FAKE_V4L2_FAULTS");
    if (faults) {
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", faults);
        char *save = NULL;
        for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
            struct fault *x = &fake.fault;
            if (strncmp(f, "open=", 5) == 0) x->open_errno = errno_named(f + 5);
            else if (strcmp(f, "querycap=notcapture") == 0) x->notcapture = 1;
            else if (strcmp(f, "querycap=nostreaming") == 0) x->nostreaming = 1;
            else if (strncmp(f, "s_fmt=", 6) == 0) x->s_fmt_errno = errno_named(f + 6);
            else if (strcmp(f, "reqbufs=one") == 0) x->reqbufs_one = 1;
            else if (strncmp(f, "reqbufs=", 8) == 0) x->reqbufs_errno = errno_named(f + 8);
            else if (strncmp(f, "mmap=", 5) == 0) x->mmap_errno = errno_named(f + 5);
            else if (strcmp(f, "smallbuf") == 0) x->smallbuf = 1;
            else if (strncmp(f, "streamon=", 9) == 0) x->streamon_errno = errno_named(f + 9);
            else if (strncmp(f, "dqbuf=", 6) == 0) { x->dqbuf_errno = errno_named(f + 6); x->dqbuf_at = at_frame(f); }
            else if (strncmp(f, "unplug@", 7) == 0) x->unplug_at = at_frame(f);
            else if (strncmp(f, "hangup@", 7) == 0) x->hangup_at = at_frame(f);
            else if (strncmp(f, "eagain=", 7) == 0) { x->eagain_count = atol(f + 7); x->eagain_at = at_frame(f); }
            else if (strcmp(f, "shortall") == 0) x->shortall = 1;
            else if (strncmp(f, "short@", 6) == 0) x->short_at = at_frame(f);
            else if (strncmp(f, "badindex@", 9) == 0) x->badindex_at = at_frame(f);
            else if (strncmp(f, "stall@", 6) == 0) x->stall_at = at_frame(f);
            else fprintf(stderr, "fake_v4l2: unknown fault '%s'\n", f);
        }
    }
}

static void ensure_initialised(void) { pthread_once(&fake.once, initialise); }

static int is_fake_fd(long fd) { return fake.fd >= 0 && fd == fake.fd; }

// MARK: Frames

static size_t frame_bytes(void) {
    return fake.fourcc == V4L2_PIX_FMT_YUYV ? (size_t)fake.width * fake.height * 2 : (size_t)fake.width * fake.height * 2;
}

// Fills buffer `index` with frame number `n`; returns the bytes used.
static uint32_t fill(int index, long n) {
    unsigned char *dst = fake.buffers[index];
    size_t capacity = fake.buffer_length;
    size_t used;
    if (fake.frame_count > 0) {
        int k = (int)(n % fake.frame_count);
        used = fake.frame_size[k] < capacity ? fake.frame_size[k] : capacity;
        memcpy(dst, fake.frame_data[k], used);
    } else {
        // A YUYV test pattern: a luma ramp moving one pixel per frame, neutral chroma.
        used = (size_t)fake.width * fake.height * 2;
        if (used > capacity) used = capacity;
        for (size_t i = 0; i + 1 < used; i += 2) {
            size_t x = (i / 2) % fake.width;
            dst[i] = (unsigned char)(16 + ((x + (size_t)n) % 220));
            dst[i + 1] = 128;
        }
    }
    if (fake.fault.shortall || n == fake.fault.short_at) used /= 2;
    return (uint32_t)used;
}

// The device disappears: no more wake-ups (the pipe is drained), POLLHUP, ENODEV.
static void unplug_locked(void) {
    fake.unplugged = 1;
    if (fake.write_fd >= 0) { close(fake.write_fd); fake.write_fd = -1; }
    char sink[256];
    while (read(fake.fd, sink, sizeof sink) > 0) {}
}

static void *capture_thread(void *unused) {
    (void)unused;
    const long period = 1000000000L / (long)fake.fps;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        next.tv_nsec += period;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        pthread_mutex_lock(&fake.lock);
        if (fake.stop_thread) { pthread_mutex_unlock(&fake.lock); break; }
        long n = fake.delivered;
        if (fake.unplugged) { pthread_mutex_unlock(&fake.lock); break; }
        if (fake.fault.stall_at >= 0 && n >= fake.fault.stall_at) { pthread_mutex_unlock(&fake.lock); continue; }
        if (fake.queued_n > 0) {
            int index = fake.queued[0];
            memmove(fake.queued, fake.queued + 1, sizeof(int) * (size_t)(--fake.queued_n));
            fake.bytesused[index] = fill(index, n);
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            fake.stamp[index].tv_sec = now.tv_sec;
            fake.stamp[index].tv_usec = now.tv_nsec / 1000;
            fake.sequence_of[index] = (uint32_t)n;
            fake.done[fake.done_n++] = index;
            fake.delivered++;
            int wakeups = 1;
            if (n == fake.fault.eagain_at) { fake.eagain_left = fake.fault.eagain_count; wakeups += (int)fake.fault.eagain_count; }
            for (int i = 0; i < wakeups; i++) {
                char byte = 1;
                if (write(fake.write_fd, &byte, 1) != 1) break;
            }
        }
        pthread_mutex_unlock(&fake.lock);
    }
    return NULL;
}

static void stop_streaming_locked(void) {
    if (fake.thread_running) {
        fake.stop_thread = 1;
        pthread_mutex_unlock(&fake.lock);
        pthread_join(fake.thread, NULL);
        pthread_mutex_lock(&fake.lock);
        fake.thread_running = 0;
        fake.stop_thread = 0;
    }
    fake.streaming = 0;
    fake.queued_n = 0;
    fake.done_n = 0;
    // Drain the wake-up bytes.
    char sink[256];
    while (read(fake.fd, sink, sizeof sink) > 0) {}
}

// MARK: The device

static long fake_open(const char *path) {
    ensure_initialised();
    if (fake.fault.open_errno) { errno = fake.fault.open_errno; return -1; }
    pthread_mutex_lock(&fake.lock);
    if (fake.fd >= 0) { pthread_mutex_unlock(&fake.lock); errno = EBUSY; return -1; }
    if (fake.fourcc == V4L2_PIX_FMT_MJPEG && fake.frame_count == 0) {
        fprintf(stderr, "fake_v4l2: MJPG needs FAKE_V4L2_FRAMES (a folder of JPEG files)\n");
        pthread_mutex_unlock(&fake.lock);
        errno = EIO;
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) { pthread_mutex_unlock(&fake.lock); return -1; }
    fake.fd = fds[0];
    fake.write_fd = fds[1];
    fake.unplugged = 0;
    fake.delivered = 0;
    fake.dequeued = 0;
    logf_("open %s -> %d", path, fake.fd);
    pthread_mutex_unlock(&fake.lock);
    return fds[0];
}

static void describe_format(struct v4l2_pix_format *pix) {
    memset(pix, 0, sizeof *pix);
    pix->width = fake.width;
    pix->height = fake.height;
    pix->pixelformat = fake.fourcc;
    pix->field = V4L2_FIELD_NONE;
    pix->bytesperline = fake.fourcc == V4L2_PIX_FMT_YUYV ? fake.width * 2 : 0;
    pix->sizeimage = (uint32_t)frame_bytes();
    pix->colorspace = fake.fourcc == V4L2_PIX_FMT_YUYV ? V4L2_COLORSPACE_SRGB : V4L2_COLORSPACE_JPEG;
}

static long fake_ioctl_locked(unsigned long request, void *arg) {
    if (fake.unplugged && request != VIDIOC_STREAMOFF && request != VIDIOC_REQBUFS) { errno = ENODEV; return -1; }
    switch (request) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *cap = arg;
        memset(cap, 0, sizeof *cap);
        snprintf((char *)cap->driver, sizeof cap->driver, "fake_v4l2");
        snprintf((char *)cap->card, sizeof cap->card, "FERCore fake camera (%s)", fake.fourcc == V4L2_PIX_FMT_MJPEG ? "MJPG" : "YUYV");
        snprintf((char *)cap->bus_info, sizeof cap->bus_info, "platform:fake_v4l2");
        cap->version = 0x060100;
        uint32_t caps = fake.fault.notcapture ? V4L2_CAP_META_CAPTURE : V4L2_CAP_VIDEO_CAPTURE;
        if (!fake.fault.nostreaming) caps |= V4L2_CAP_STREAMING;
        cap->device_caps = caps;
        cap->capabilities = caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index != 0 || fake.fault.notcapture) { errno = EINVAL; return -1; }
        uint32_t index = d->index, type = d->type;
        memset(d, 0, sizeof *d);
        d->index = index;
        d->type = type;
        d->pixelformat = fake.fourcc;
        d->flags = fake.fourcc == V4L2_PIX_FMT_MJPEG ? V4L2_FMT_FLAG_COMPRESSED : 0;
        snprintf((char *)d->description, sizeof d->description, fake.fourcc == V4L2_PIX_FMT_MJPEG ? "Motion-JPEG" : "YUYV 4:2:2");
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        if (s->index != 0 || s->pixel_format != fake.fourcc) { errno = EINVAL; return -1; }
        s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        s->discrete.width = fake.width;
        s->discrete.height = fake.height;
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *f = arg;
        if (f->index != 0 || f->pixel_format != fake.fourcc || f->width != fake.width || f->height != fake.height) { errno = EINVAL; return -1; }
        f->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        f->discrete.numerator = 1;
        f->discrete.denominator = fake.fps;
        return 0;
    }
    case VIDIOC_G_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; return -1; }
        describe_format(&f->fmt.pix);
        return 0;
    }
    case VIDIOC_TRY_FMT:
    case VIDIOC_S_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; return -1; }
        if (fake.fault.s_fmt_errno) { errno = fake.fault.s_fmt_errno; return -1; }
        if (request == VIDIOC_S_FMT && fake.streaming) { errno = EBUSY; return -1; }
        // Like a real driver: the one format and size the device has, whatever was asked.
        describe_format(&f->fmt.pix);
        return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
        struct v4l2_streamparm *p = arg;
        if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; return -1; }
        memset(&p->parm.capture, 0, sizeof p->parm.capture);
        p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        p->parm.capture.timeperframe.numerator = 1;
        p->parm.capture.timeperframe.denominator = fake.fps;
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || r->memory != V4L2_MEMORY_MMAP) { errno = EINVAL; return -1; }
        if (fake.fault.reqbufs_errno && r->count > 0) { errno = fake.fault.reqbufs_errno; return -1; }
        if (fake.streaming) { errno = EBUSY; return -1; }
        for (unsigned i = 0; i < fake.buffer_count; i++) { munmap(fake.buffers[i], fake.buffer_length); fake.buffers[i] = NULL; }
        fake.buffer_count = 0;
        if (r->count == 0) return 0;
        unsigned count = r->count > MAX_BUFFERS ? MAX_BUFFERS : r->count;
        if (fake.fault.reqbufs_one) count = 1;
        size_t length = frame_bytes();
        if (fake.fault.smallbuf) length /= 2;
        length = (length + 4095) & ~(size_t)4095;
        for (unsigned i = 0; i < count; i++) {
            void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) { errno = ENOMEM; return -1; }
            fake.buffers[i] = p;
        }
        fake.buffer_count = count;
        fake.buffer_length = length;
        r->count = count;
        r->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP;
        return 0;
    }
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *b = arg;
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->index >= fake.buffer_count) { errno = EINVAL; return -1; }
        uint32_t index = b->index;
        memset(b, 0, sizeof *b);
        b->index = index;
        b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b->memory = V4L2_MEMORY_MMAP;
        b->length = (uint32_t)fake.buffer_length;
        b->m.offset = index * (uint32_t)fake.buffer_length;
        b->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
        return 0;
    }
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->index >= fake.buffer_count) { errno = EINVAL; return -1; }
        for (int i = 0; i < fake.queued_n; i++) if (fake.queued[i] == (int)b->index) { errno = EINVAL; return -1; }
        fake.queued[fake.queued_n++] = (int)b->index;
        if (fake.fault.hangup_at >= 0 && fake.dequeued >= fake.fault.hangup_at) {
            logf_("hang-up after %ld frames dequeued and re-queued", fake.dequeued);
            unplug_locked();
        }
        return 0;
    }
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; return -1; }
        if (!fake.streaming) { errno = EINVAL; return -1; }
        if (fake.fault.dqbuf_errno && fake.fault.dqbuf_at >= 0 && fake.dequeued >= fake.fault.dqbuf_at) {
            errno = fake.fault.dqbuf_errno;
            return -1;
        }
        char byte;
        if (fake.eagain_left > 0) {
            fake.eagain_left--;
            if (read(fake.fd, &byte, 1) != 1) {}
            errno = EAGAIN;
            return -1;
        }
        if (fake.done_n == 0) { errno = EAGAIN; return -1; }
        if (read(fake.fd, &byte, 1) != 1) {}
        int index = fake.done[0];
        memmove(fake.done, fake.done + 1, sizeof(int) * (size_t)(--fake.done_n));
        memset(b, 0, sizeof *b);
        b->index = (uint32_t)index;
        if ((long)fake.sequence_of[index] == fake.fault.badindex_at) b->index = 1000;
        b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b->memory = V4L2_MEMORY_MMAP;
        b->bytesused = fake.bytesused[index];
        b->length = (uint32_t)fake.buffer_length;
        b->m.offset = (uint32_t)index * (uint32_t)fake.buffer_length;
        b->field = V4L2_FIELD_NONE;
        b->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
        b->timestamp = fake.stamp[index];
        b->sequence = fake.sequence_of[index];
        fake.dequeued++;
        if (fake.fault.unplug_at >= 0 && fake.dequeued >= fake.fault.unplug_at) {
            logf_("unplug after %ld frames dequeued", fake.dequeued);
            unplug_locked();
        }
        return 0;
    }
    case VIDIOC_STREAMON: {
        if (fake.fault.streamon_errno) { errno = fake.fault.streamon_errno; return -1; }
        if (fake.buffer_count == 0) { errno = EINVAL; return -1; }
        if (fake.streaming) return 0;
        fake.streaming = 1;
        fake.stop_thread = 0;
        if (pthread_create(&fake.thread, NULL, capture_thread, NULL) == 0) fake.thread_running = 1;
        return 0;
    }
    case VIDIOC_STREAMOFF:
        stop_streaming_locked();
        return 0;
    default:
        // Controls, inputs, standards…: a camera with none of them.
        errno = ENOTTY;
        return -1;
    }
}

static long fake_ioctl(unsigned long request, void *arg) {
    pthread_mutex_lock(&fake.lock);
    long r = fake_ioctl_locked((unsigned int)request, arg);
    int e = errno;
    logf_("ioctl %08lx -> %ld (errno %d)", request, r, r < 0 ? e : 0);
    pthread_mutex_unlock(&fake.lock);
    errno = e;
    return r;
}

static void *fake_mmap(size_t length, off_t offset) {
    pthread_mutex_lock(&fake.lock);
    void *result = MAP_FAILED;
    if (fake.unplugged) errno = ENODEV;
    else if (fake.fault.mmap_errno) errno = fake.fault.mmap_errno;
    else {
        size_t index = fake.buffer_length ? (size_t)offset / fake.buffer_length : 0;
        if (index < fake.buffer_count && length <= fake.buffer_length && (size_t)offset % fake.buffer_length == 0)
            result = fake.buffers[index];
        else
            errno = EINVAL;
    }
    int e = errno;
    logf_("mmap len %zu off %ld -> %p", length, (long)offset, result);
    pthread_mutex_unlock(&fake.lock);
    errno = e;
    return result;
}

static int is_fake_buffer(const void *address) {
    for (unsigned i = 0; i < fake.buffer_count; i++) if (fake.buffers[i] == address) return 1;
    return 0;
}

static long fake_close(void) {
    pthread_mutex_lock(&fake.lock);
    stop_streaming_locked();
    for (unsigned i = 0; i < fake.buffer_count; i++) { munmap(fake.buffers[i], fake.buffer_length); fake.buffers[i] = NULL; }
    fake.buffer_count = 0;
    int fd = fake.fd;
    if (fake.write_fd >= 0) close(fake.write_fd);
    fake.write_fd = -1;
    fake.fd = -1;
    logf_("close %d", fd);
    pthread_mutex_unlock(&fake.lock);
    return fake.real_syscall(SYS_close, fd);
}

static int is_fake_path(const char *path) {
    ensure_initialised();
    return path && fake.path[0] && strcmp(path, fake.path) == 0;
}

// MARK: Interposed entry points

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    ensure_initialised();
    switch (number) {
    case SYS_open:
        if (is_fake_path((const char *)a[0])) return fake_open((const char *)a[0]);
        break;
    case SYS_openat:
        if (is_fake_path((const char *)a[1])) return fake_open((const char *)a[1]);
        break;
    case SYS_ioctl:
        if (is_fake_fd(a[0])) return fake_ioctl((unsigned long)a[1], (void *)a[2]);
        break;
    case SYS_mmap:
        if (is_fake_fd(a[4])) {
            void *p = fake_mmap((size_t)a[1], (off_t)a[5]);
            return p == MAP_FAILED ? -1 : (long)p;
        }
        break;
    case SYS_munmap:
        if (fake.fd >= 0 && is_fake_buffer((void *)a[0])) return 0;   // freed with the buffers
        break;
    case SYS_close:
        if (is_fake_fd(a[0])) return fake_close();
        break;
    default:
        break;
    }
    return fake.real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

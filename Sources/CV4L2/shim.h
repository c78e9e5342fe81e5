#ifndef FERCORE_CV4L2_SHIM_H
#define FERCORE_CV4L2_SHIM_H
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

// The VIDIOC_* request codes and v4l2_fourcc are function-like macros that Swift cannot
// import; these wrappers expose the ones FERCore needs.
static inline unsigned long fercore_vidioc_querycap(void) { return VIDIOC_QUERYCAP; }
static inline unsigned long fercore_vidioc_enum_fmt(void) { return VIDIOC_ENUM_FMT; }
static inline unsigned long fercore_vidioc_enum_framesizes(void) { return VIDIOC_ENUM_FRAMESIZES; }
static inline unsigned long fercore_vidioc_enum_frameintervals(void) { return VIDIOC_ENUM_FRAMEINTERVALS; }
static inline unsigned long fercore_vidioc_s_fmt(void) { return VIDIOC_S_FMT; }
static inline unsigned long fercore_vidioc_s_parm(void) { return VIDIOC_S_PARM; }
static inline unsigned long fercore_vidioc_reqbufs(void) { return VIDIOC_REQBUFS; }
static inline unsigned long fercore_vidioc_querybuf(void) { return VIDIOC_QUERYBUF; }
static inline unsigned long fercore_vidioc_qbuf(void) { return VIDIOC_QBUF; }
static inline unsigned long fercore_vidioc_dqbuf(void) { return VIDIOC_DQBUF; }
static inline unsigned long fercore_vidioc_streamon(void) { return VIDIOC_STREAMON; }
static inline unsigned long fercore_vidioc_streamoff(void) { return VIDIOC_STREAMOFF; }

static inline unsigned int fercore_pix_fmt_rgb24(void) { return V4L2_PIX_FMT_RGB24; }
static inline unsigned int fercore_pix_fmt_yuyv(void) { return V4L2_PIX_FMT_YUYV; }

// libv4l2's v4l2_ioctl and v4l2_open are variadic; Swift cannot call variadic C functions.
static inline int fercore_v4l2_ioctl_ptr(int fd, unsigned long request, void *arg) {
    int r;
    do { r = v4l2_ioctl(fd, request, arg); } while (r == -1 && errno == EINTR);
    return r;
}
static inline int fercore_v4l2_open(const char *path) {
    return v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}
static inline void *fercore_map_failed(void) { return MAP_FAILED; }

// libv4l2 prints its own error lines ("libv4l2: error dequeuing buf: …") on stderr unless
// v4l2_log_file is set; V4L2Camera's errors already say what failed, and a camera that
// delivers a damaged JPEG now and then would fill the terminal. Send them to /dev/null unless
// the user asked for libv4l2's log with its own LIBV4L2_LOG_FILENAME.
static pthread_once_t fercore_v4l2_log_once = PTHREAD_ONCE_INIT;
static inline void fercore_v4l2_quiet_log_once(void) {
    if (!v4l2_log_file && !getenv("LIBV4L2_LOG_FILENAME")) v4l2_log_file = fopen("/dev/null", "we");
}
static inline void fercore_v4l2_quiet_log(void) { pthread_once(&fercore_v4l2_log_once, fercore_v4l2_quiet_log_once); }
#endif

#ifndef FERCORE_CV4L2_SHIM_H
#define FERCORE_CV4L2_SHIM_H
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

// The VIDIOC_* request codes are function-like macros that Swift cannot import;
// these wrappers expose the ones FERCore needs (the capture code grows this list).
static inline unsigned long fercore_vidioc_querycap(void) { return VIDIOC_QUERYCAP; }

// libv4l2's v4l2_ioctl is variadic; Swift cannot call variadic C functions.
static inline int fercore_v4l2_ioctl_ptr(int fd, unsigned long request, void *arg) {
    return v4l2_ioctl(fd, request, arg);
}
#endif

# syntax=docker/dockerfile:1
#
# `ferdemo serve` in a container: the HTTP/WebSocket API of Docs/Serving.md on port 8080.
#
#   docker build -t ferdemo .
#   docker run --rm -p 8080:8080 ferdemo
#   docker run --rm -p 8080:8080 -e FERCORE_TOKEN="$TOKEN" ferdemo \
#       ferdemo serve --host 0.0.0.0 --port 8080 --threads 2     # token from the environment, not argv
#
# Two stages: the build stage has the Swift toolchain and the -dev packages; the runtime stage
# is debian:bookworm-slim with the shared libraries ferdemo loads, the binary, the weights and
# the sample clip, run as a non-root user. Docs/Serving.md ("What was checked") says what of
# this file was verified without a Docker engine and what was not.

# ---- build ---------------------------------------------------------------------------------
# swift:6.3-bookworm: the official Swift image for Swift 6.3 on Debian 12 (swiftlang/swift-docker
# 6.3/debian/12), the same Swift minor and the same Debian release as the machines this project
# is developed and tested on (README: Debian 12 + Swift 6.3), so the -dev packages below are the
# very ones Tools/setup_system.sh installs and the FFmpeg headers match the runtime's sonames.
# The tag follows 6.3.x patch releases; pin a digest (swift:6.3-bookworm@sha256:...) to build
# with the same toolchain every time.
ARG SWIFT_IMAGE=swift:6.3-bookworm
FROM ${SWIFT_IMAGE} AS build

# The Debian packages FERCore builds against (Tools/setup_system.sh, less the window test's
# xvfb/x11-apps): V4L2 and libjpeg-turbo are linked; FFmpeg's and SDL2's headers are needed
# at build time only (both libraries are opened with dlopen at run time: Sources/CFFmpeg,
# Sources/CSDL2). Versions are not pinned (hadolint DL3008): bookworm's point releases replace
# a package's version (security fixes) and the old one leaves the mirror, which would break
# the build; the Debian release and the FFmpeg sonames are what is pinned.
# hadolint ignore=DL3008
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        pkg-config \
        libv4l-dev \
        libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
        libjpeg62-turbo-dev \
        libsdl2-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Dependencies first, in a layer of their own that a source change does not invalidate.
# Package.resolved is copied when there is one (the glob matches Package.swift alone otherwise).
COPY Package.* ./
RUN swift package resolve
# SwiftPM loads every target of Package.swift, the test targets too, so Tests/ comes along
# (without its fixtures: .dockerignore); only ferdemo is built.
COPY Sources ./Sources
COPY Tests ./Tests
# --static-swift-stdlib: the Swift runtime, Foundation (with its ICU data) and Dispatch are
# linked into the binary, so the runtime stage needs no /usr/lib/swift: one file to copy, no
# rpath or LD_LIBRARY_PATH, and it cannot pick up a different toolchain's libraries. What stays
# dynamic is the C library, libstdc++/libgcc_s, libv4l2 and libjpeg (ldd; Docs/Serving.md).
# No CPU flags: the kernels pick AVX2+FMA or AVX-512 at run time.
RUN swift build -c release --product ferdemo --static-swift-stdlib \
    && mkdir -p /staging/bin \
    && cp "$(swift build -c release --show-bin-path)/ferdemo" /staging/bin/ \
    && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/bin/

# ---- runtime -------------------------------------------------------------------------------
FROM debian:bookworm-slim

# Run-time libraries only (Debian 12 package names):
#   libv4l-0, libjpeg62-turbo            linked (libv4l2.so.0, libjpeg.so.62)
#   libavformat59 libavcodec59            dlopen'ed by Sources/CFFmpeg: libavutil.so.57,
#   libswscale6 libavutil57               libavcodec.so.59, libavformat.so.59, libswscale.so.6
#                                         (the majors of the headers the build stage compiled
#                                         against); FFmpeg decodes PNG, BMP, WebP, GIF and TIFF
#                                         bodies and the sample clip
#   libstdc++6                            the Swift runtime's C++ dependency (already in the
#                                         slim image through apt; listed so it stays)
#   curl                                  the HEALTHCHECK below
#   ca-certificates, tzdata               none needed by ferdemo today; kept out on purpose
# Not installed: SDL2 (ferdemo opens it only for `ferdemo live`'s window; a container has no
# display), V4L2 devices (a camera is the live command's, not the server's). Unpinned
# versions: see the build stage.
# hadolint ignore=DL3008
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        libv4l-0 \
        libjpeg62-turbo \
        libavformat59 libavcodec59 libswscale6 libavutil57 \
        libstdc++6 \
        curl \
    && rm -rf /var/lib/apt/lists/*

# A user with a fixed numeric UID/GID (Kubernetes' runAsNonRoot can check a number, not a
# name), no home directory, no login shell. (Not --system: useradd warns for a system UID
# above 999, and a fixed 10001 stays clear of the image's own system users.)
RUN groupadd --gid 10001 ferdemo \
    && useradd --uid 10001 --gid ferdemo --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin ferdemo

COPY --from=build /staging/bin/ferdemo /usr/local/bin/ferdemo
COPY --from=build /staging/bin/swift-backtrace-static /usr/local/libexec/swift-backtrace-static
# The networks and the live page's fallback clip. Files are root-owned and read-only to the
# server's user: it reads them, never writes them.
WORKDIR /app
COPY Weights ./Weights
COPY Samples/astronaut_pan.mp4 ./Samples/astronaut_pan.mp4

# FERCORE_WEIGHTS: where FERCore's ModelFile.defaultDirectory() looks first (--weights overrides).
# SWIFT_BACKTRACE: a crash prints a symbolicated backtrace of every thread to stderr (the static
# binary cannot find the backtracer next to a libswiftCore.so, so it is named here).
# TMPDIR: FFmpeg decodes non-JPEG bodies from a private temporary file (mode 0600, removed at
# once); /tmp must be writable (mount an emptyDir there under readOnlyRootFilesystem).
ENV FERCORE_WEIGHTS=/app/Weights \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/libexec/swift-backtrace-static \
    TMPDIR=/tmp

USER 10001:10001
EXPOSE 8080

# /healthz needs no token. The port is the CMD's: a CMD with another --port needs
# `--health-cmd` (docker run) or a HEALTHCHECK of its own.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "2", "--output", "/dev/null", "http://127.0.0.1:8080/healthz"]

# --host 0.0.0.0: inside a container the loopback address is the container's own, so
# ferdemo's default (127.0.0.1) would be unreachable even through `-p 8080:8080`; the port is
# exposed only where `docker run -p` or a Kubernetes Service publishes it. Exec form: ferdemo
# is PID 1 and receives `docker stop`'s SIGTERM itself.
CMD ["ferdemo", "serve", "--host", "0.0.0.0", "--port", "8080"]

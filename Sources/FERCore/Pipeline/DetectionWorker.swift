import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a ``FaceDetector`` on a thread of its own, on a private copy of the frame, so that the
/// frame path never waits for a detection.
///
/// A single-slot mailbox: the frame path ``submit(_:frameIndex:)``s a frame when the worker is
/// idle (a copy into a buffer the worker owns, then a condition-variable signal), and later
/// ``take(into:)``s the faces once they are ready (an atomic load; no lock on the frame path
/// while the detector runs). Nothing is allocated per detection after the first of a frame size.
final class DetectionWorker {
    private let shared: Shared
    private var thread = pthread_t()
    private var started = false

    /// The state machine, in `Shared.phase`.
    private enum Phase {
        static let idle = 0 // the frame path may submit
        static let requested = 1 // a frame waits for the worker (the worker owns the buffers)
        static let done = 2 // faces ready (the frame path owns the buffers again)
    }

    /// What the two threads share. The phase decides who may touch the buffers: the worker
    /// between `requested` and `done`, the frame path otherwise; the atomic's
    /// acquire/release orders those accesses.
    private final class Shared: @unchecked Sendable {
        let detector: FaceDetector
        let frame: ImageBuffer
        var faces: [FaceDetection] = []
        var frameIndex = -1
        var seconds = 0.0
        var failure: DetectionError?
        let phase = Atomic<Int>(Phase.idle)
        let stopping = Atomic<Bool>(false)
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

        init(detector: FaceDetector, frame: ImageBuffer) {
            self.detector = detector
            self.frame = frame
            faces.reserveCapacity(64)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(wake, nil)
        }

        deinit {
            pthread_cond_destroy(wake)
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
            wake.deallocate()
        }

        func loop() {
            while true {
                pthread_mutex_lock(mutex)
                while phase.load(ordering: .acquiring) != Phase.requested, !stopping.load(ordering: .acquiring) {
                    pthread_cond_wait(wake, mutex)
                }
                pthread_mutex_unlock(mutex)
                if stopping.load(ordering: .acquiring) { return }
                let start = MonotonicClock.seconds()
                do {
                    try detector.detect(frame.view, into: &faces)
                    failure = nil
                } catch {
                    faces.removeAll(keepingCapacity: true)
                    failure = error
                }
                seconds = MonotonicClock.seconds() - start
                phase.store(Phase.done, ordering: .releasing)
            }
        }
    }

    /// Starts the thread. The worker owns `detector` from now on.
    init(detector: FaceDetector) throws(PipelineError) {
        let frame: ImageBuffer
        do { frame = try ImageBuffer(width: 1, height: 1, format: .rgb8) } catch { throw .badFrame(width: 1, height: 1, reason: "\(error)") }
        shared = Shared(detector: detector, frame: frame)
        let box = Unmanaged.passRetained(shared)
        let rc = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                let shared = Unmanaged<Shared>.fromOpaque(raw).takeRetainedValue()
                shared.loop()
                return nil
            }, box.toOpaque())
        if rc == 0 {
            started = true
        } else {
            box.release()
            throw .threadStartFailed(code: rc)
        }
    }

    deinit {
        shared.stopping.store(true, ordering: .releasing)
        pthread_mutex_lock(shared.mutex)
        pthread_cond_broadcast(shared.wake)
        pthread_mutex_unlock(shared.mutex)
        if started { pthread_join(thread, nil) }
    }

    /// True when no detection is pending or waiting to be taken.
    var isIdle: Bool { shared.phase.load(ordering: .acquiring) == Phase.idle }

    /// The frame copy the last detection ran on. Valid while ``isIdle`` (until the next
    /// ``submit(_:frameIndex:)``), so tracks can start on the exact frame their faces came from.
    var lastFrame: ImageView { shared.frame.view }

    /// True while a submitted detection has not been taken yet.
    var isBusy: Bool { !isIdle }

    /// Copies `frame` and starts a detection on it. Only call when ``isIdle``.
    func submit(_ frame: ImageView, frameIndex: Int) throws(PipelineError) {
        precondition(isIdle, "DetectionWorker.submit while a detection is pending")
        do { try shared.frame.reshape(width: frame.width, height: frame.height, format: frame.format) } catch {
            throw .badFrame(width: frame.width, height: frame.height, reason: "\(error)")
        }
        let dst = shared.frame.mutableView
        let rowBytes = frame.width * frame.channels
        for y in 0..<frame.height {
            UnsafeMutableRawPointer(dst.row(y)).copyMemory(from: frame.row(y), byteCount: rowBytes)
        }
        shared.frameIndex = frameIndex
        pthread_mutex_lock(shared.mutex)
        shared.phase.store(Phase.requested, ordering: .releasing)
        pthread_cond_signal(shared.wake)
        pthread_mutex_unlock(shared.mutex)
    }

    /// When a detection has finished: copies its faces into `faces` (keeping its capacity),
    /// frees the worker for the next frame and returns the frame index it ran on and its run time.
    /// Returns nil while it is still running or when nothing was submitted.
    /// - Throws: the detector's error, if it failed.
    func take(into faces: inout [FaceDetection]) throws(PipelineError) -> (frameIndex: Int, seconds: Double)? {
        guard shared.phase.load(ordering: .acquiring) == Phase.done else { return nil }
        faces.removeAll(keepingCapacity: true)
        faces.append(contentsOf: shared.faces)
        let result = (shared.frameIndex, shared.seconds)
        let failure = shared.failure
        shared.phase.store(Phase.idle, ordering: .releasing)
        if let failure { throw .detection(failure) }
        return result
    }

    /// Waits (spinning politely) until a pending detection has finished, then takes it like
    /// ``take(into:)``. Returns nil when nothing was pending. For the end of a stream and tests.
    func wait(into faces: inout [FaceDetection]) throws(PipelineError) -> (frameIndex: Int, seconds: Double)? {
        while shared.phase.load(ordering: .acquiring) == Phase.requested { sched_yield() }
        return try take(into: &faces)
    }
}

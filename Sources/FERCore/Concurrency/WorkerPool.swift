#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of worker threads that runs fork–join loops without allocating.
///
/// `parallelFor` splits `0..<count` into at most `threads` contiguous chunks
/// (chunk `i` always covers the same range for a given count) and returns when
/// every chunk has run. Chunks write disjoint outputs, so results do not depend
/// on how the OS schedules the threads; with `threads == 1` the body runs inline.
///
/// Threads are started once, in `init`; a call hands work over through a mutex
/// and a condition variable, so the per-frame path allocates nothing. The pool
/// runs one loop at a time: a loop started while another runs (from a second
/// thread, or nested inside a body) runs inline on its caller's thread.
public final class WorkerPool: @unchecked Sendable {
    /// Number of threads that share a loop, the caller's included.
    public let threads: Int
    private let state: PoolState
    private var workers: [pthread_t] = []

    /// A one-thread pool: loops run inline on the caller's thread.
    public static let serial = WorkerPool(threads: 1)

    /// Starts `threads - 1` worker threads (values below 1 are treated as 1).
    public init(threads: Int) {
        self.threads = max(1, threads)
        state = PoolState()
        guard self.threads > 1 else { return }
        for slot in 1..<self.threads {
            let box = Unmanaged.passRetained(WorkerStart(state: state, slot: slot))
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                let start = Unmanaged<WorkerStart>.fromOpaque(raw).takeRetainedValue()
                start.state.workerLoop(slot: start.slot)
                return nil
            }, box.toOpaque())
            if rc == 0 { workers.append(thread) } else { box.release() }
        }
        state.workerCount = workers.count
    }

    deinit {
        state.shutDown()
        for thread in workers { pthread_join(thread, nil) }
    }

    /// Runs `body(range)` over contiguous, disjoint ranges covering `0..<count`,
    /// in parallel, and returns when all have finished.
    ///
    /// - Parameters:
    ///   - count: the number of loop iterations.
    ///   - minimumPerThread: the smallest number of iterations worth a thread of
    ///     its own; short loops run on fewer threads, or inline.
    ///   - body: the loop body for one range; must only write state that no
    ///     other range touches.
    public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(workers.count + 1, max(1, count / max(1, minimumPerThread)))
        if parts <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        // One loop at a time: a second caller (another thread, or a nested loop)
        // runs its loop inline. Every kernel computes each index independently
        // of how the range is split, so the result is the same either way.
        guard state.tryAcquire() else {
            body(0..<count)
            return
        }
        defer { state.release() }
        withoutActuallyEscaping(body) { escaping in
            state.run(parts: parts, count: count, body: escaping)
        }
    }
}

private final class WorkerStart {
    let state: PoolState
    let slot: Int
    init(state: PoolState, slot: Int) {
        self.state = state
        self.slot = slot
    }
}

/// The shared state between the caller and the workers, guarded by `mutex`.
private final class PoolState: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let owner = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    var workerCount = 0
    private var generation = 0
    private var pending = 0
    private var shuttingDown = false
    private var parts = 0
    private var count = 0
    private var body: ((Range<Int>) -> Void)?

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_mutex_init(owner, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(done, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_cond_destroy(done)
        pthread_mutex_destroy(mutex)
        pthread_mutex_destroy(owner)
        mutex.deallocate()
        owner.deallocate()
        wake.deallocate()
        done.deallocate()
    }

    private func runSlot(_ slot: Int, parts: Int, count: Int, body: (Range<Int>) -> Void) {
        guard slot < parts else { return }
        let lo = count * slot / parts
        let hi = count * (slot + 1) / parts
        if lo < hi { body(lo..<hi) }
    }

    func run(parts: Int, count: Int, body: @escaping (Range<Int>) -> Void) {
        pthread_mutex_lock(mutex)
        self.parts = parts
        self.count = count
        self.body = body
        pending = workerCount
        generation &+= 1
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)

        runSlot(0, parts: parts, count: count, body: body)

        pthread_mutex_lock(mutex)
        while pending > 0 { pthread_cond_wait(done, mutex) }
        self.body = nil
        pthread_mutex_unlock(mutex)
    }

    func tryAcquire() -> Bool { pthread_mutex_trylock(owner) == 0 }
    func release() { pthread_mutex_unlock(owner) }

    func shutDown() {
        pthread_mutex_lock(mutex)
        shuttingDown = true
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    func workerLoop(slot: Int) {
        var seen = 0
        pthread_mutex_lock(mutex)
        while true {
            while generation == seen && !shuttingDown { pthread_cond_wait(wake, mutex) }
            if shuttingDown { break }
            seen = generation
            let work = body
            let parts = self.parts
            let count = self.count
            pthread_mutex_unlock(mutex)
            if let work { runSlot(slot, parts: parts, count: count, body: work) }
            pthread_mutex_lock(mutex)
            pending -= 1
            if pending == 0 { pthread_cond_signal(done) }
        }
        pthread_mutex_unlock(mutex)
    }
}

import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fixed set of worker threads that runs fork–join loops without allocating.
///
/// `parallelFor` splits `0..<count` into contiguous chunks, one per thread unless the
/// caller asks for more (chunk `i` always covers the same range for a given count,
/// minimum, chunk count and pool size), and returns when every chunk has run. Threads
/// claim chunks in order from a shared counter, so with several chunks per thread a
/// thread slowed down by other load on its core does less of the work instead of
/// holding everyone up. Chunks write
/// disjoint outputs and every body computes each index independently of the split,
/// so results do not depend on which thread ran which chunk; with `threads == 1` the
/// body runs inline.
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
        for worker in 1..<self.threads {
            let box = Unmanaged.passRetained(WorkerStart(state: state, worker: worker))
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { raw in
                    guard let raw else { return nil }
                    let start = Unmanaged<WorkerStart>.fromOpaque(raw).takeRetainedValue()
                    start.state.workerLoop(worker: start.worker)
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

    /// Runs `body.run(range)` over contiguous, disjoint ranges covering
    /// `0..<count`, in parallel, and returns when all have finished. Allocates nothing.
    ///
    /// Ranges never change for a given `count` and pool size, so any per-range
    /// computation is deterministic.
    ///
    /// - Parameters:
    ///   - count: the number of loop iterations.
    ///   - minimumPerThread: the smallest number of iterations worth a thread of
    ///     its own; short loops run on fewer threads, or inline.
    ///   - chunksPerThread: chunks per running thread (at most one per `minimumPerThread`
    ///     iterations). 1, the default, suits loops of even iterations; more even out
    ///     uneven iterations (e.g. pyramid levels of falling size) and a busy core, at
    ///     the cost of an atomic add per chunk and less contiguous work per thread.
    ///   - body: the loop body; must only write state that no other range touches.
    public func parallelFor<Body: ParallelBody>(
        _ count: Int, minimumPerThread: Int = 1, chunksPerThread: Int = 1,
        _ body: Body
    ) {
        let worthwhile = max(1, count / max(1, minimumPerThread))
        let parts = min(workers.count + 1, worthwhile)
        if parts <= 1 {
            if count > 0 { body.run(0..<count, worker: 0) }
            return
        }
        // One loop at a time: a second caller (another thread, or a nested loop)
        // runs its loop inline. Every kernel computes each index independently
        // of how the range is split, so the result is the same either way.
        guard state.tryAcquire() else {
            body.run(0..<count, worker: 0)
            return
        }
        defer { state.release() }
        // The workers get a pointer to `body` and its type (an existential
        // metatype, two words): no closure is formed, so nothing is allocated.
        let chunks = min(worthwhile, parts * max(1, chunksPerThread))
        withUnsafePointer(to: body) { pointer in
            state.run(chunks: chunks, count: count, body: UnsafeRawPointer(pointer), type: Body.self)
        }
    }

    /// Closure form of the ``ParallelBody`` overload of `parallelFor`, for code
    /// off the hot path: when it runs on more than one thread, Swift's
    /// `withoutActuallyEscaping` allocates a small object per call. Per-frame code
    /// uses a ``ParallelBody`` struct instead.
    public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(workers.count + 1, max(1, count / max(1, minimumPerThread)))
        if parts <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            parallelFor(count, minimumPerThread: minimumPerThread, ClosureBody(body: escaping))
        }
    }
}

/// A loop body that a ``WorkerPool`` can run on several threads without allocating.
///
/// Write the loop's inputs as stored properties (pointers, sizes) and the loop in
/// `run(_:)`, which must only write memory that no other range touches.
public protocol ParallelBody {
    /// Runs the loop over `range`.
    func run(_ range: Range<Int>)
    /// Runs the loop over `range` as part `worker` (0 ..< the pool's `threads`): no two
    /// ranges of one loop run with the same worker at the same time, so a body can give
    /// each worker its own scratch memory. The default calls ``run(_:)``.
    func run(_ range: Range<Int>, worker: Int)
    /// Calls `run` on the value `pointer` points at (the pool's type-erased entry point).
    static func invoke(_ pointer: UnsafeRawPointer, _ range: Range<Int>, worker: Int)
}

extension ParallelBody {
    /// Runs the loop over `range`, ignoring the worker.
    public func run(_ range: Range<Int>, worker: Int) { run(range) }

    /// Calls `run(_:worker:)` on the value `pointer` points at.
    public static func invoke(_ pointer: UnsafeRawPointer, _ range: Range<Int>, worker: Int) {
        pointer.assumingMemoryBound(to: Self.self).pointee.run(range, worker: worker)
    }
}

private struct ClosureBody: ParallelBody {
    let body: (Range<Int>) -> Void
    func run(_ range: Range<Int>) { body(range) }
}

private final class WorkerStart {
    let state: PoolState
    let worker: Int
    init(state: PoolState, worker: Int) {
        self.state = state
        self.worker = worker
    }
}

/// The shared state between the caller and the workers.
///
/// A job is published in one atomic word, `claim`: the job's number, its chunk count and
/// the next unclaimed chunk. Anyone (the caller or a worker) takes a chunk by
/// compare-and-swap on that word, and only then reads the job's body and size, which the
/// caller wrote before publishing the word (release/acquire). The caller returns when
/// `completed` reaches the chunk count. A worker that wakes late finds every chunk of
/// its job taken, or a newer job number, and does nothing: the caller never waits for a
/// sleeping worker to wake up. It runs the chunks nobody has taken itself.
///
/// Between jobs a worker spins on the job counter for about 50 µs before it sleeps on the
/// condition variable, so the dozens of short loops of one forward pass do not each pay a
/// futex wake-up. The caller wakes sleepers under the mutex after publishing a job, and a
/// worker re-checks the counter under the same mutex before it waits, so no wake-up is lost.
private final class PoolState: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let owner = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    var workerCount = 0
    /// The number of the latest job (what waiting workers watch).
    private let generation = Atomic<Int>(0)
    /// Job number (bits 32–63), chunk count (16–31), next chunk (0–15).
    private let claim = Atomic<UInt64>(0)
    private let completed = Atomic<Int>(0)
    private let shuttingDown = Atomic<Bool>(false)
    // Written by the caller before `claim` publishes the job; read after a chunk is claimed.
    private var count = 0
    private var body: UnsafeRawPointer? // points at a ParallelBody value on the caller's stack
    private var bodyType: (any ParallelBody.Type)?
    private var job: UInt64 = 0

    /// The most chunks one job can have (16 bits of the claim word).
    static let maximumChunks = 0xFFFF
    /// Spins a waiting worker makes before it sleeps (about 50 µs of atomic loads).
    private static let spinLimit = 50_000

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_mutex_init(owner, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        pthread_mutex_destroy(owner)
        mutex.deallocate()
        owner.deallocate()
        wake.deallocate()
    }

    /// Claims chunks of job `job` until none is left (or a newer job is published), running
    /// each as `worker`.
    private func runChunks(_ worker: Int, job: UInt64) {
        var word = claim.load(ordering: .acquiring)
        while true {
            let chunks = Int((word >> 16) & 0xFFFF), next = Int(word & 0xFFFF)
            guard word >> 32 == job, next < chunks else { return }
            let (exchanged, current) = claim.compareExchange(expected: word, desired: word + 1, ordering: .acquiringAndReleasing)
            guard exchanged else {
                word = current
                continue
            }
            // The chunk is ours: the caller waits for it, so the job's fields stay valid.
            if let work = body, let type = bodyType {
                let lo = count * next / chunks
                let hi = count * (next + 1) / chunks
                if lo < hi { type.invoke(work, lo..<hi, worker: worker) }
            }
            completed.wrappingAdd(1, ordering: .releasing)
            word = claim.load(ordering: .acquiring)
        }
    }

    func run(chunks: Int, count: Int, body: UnsafeRawPointer, type: any ParallelBody.Type) {
        let chunks = min(chunks, Self.maximumChunks)
        job = (job + 1) & 0xFFFF_FFFF
        self.count = count
        self.body = body
        self.bodyType = type
        completed.store(0, ordering: .relaxed)
        claim.store(job << 32 | UInt64(chunks) << 16, ordering: .releasing)
        generation.wrappingAdd(1, ordering: .releasing)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)

        runChunks(0, job: job)

        var spins = 0
        while completed.load(ordering: .acquiring) < chunks {
            spins += 1
            if spins > 1_000 { sched_yield() }
        }
        self.body = nil
        self.bodyType = nil
    }

    func tryAcquire() -> Bool { pthread_mutex_trylock(owner) == 0 }
    func release() { pthread_mutex_unlock(owner) }

    func shutDown() {
        shuttingDown.store(true, ordering: .releasing)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    func workerLoop(worker: Int) {
        var seen = 0
        while true {
            var current = generation.load(ordering: .acquiring)
            var spins = 0
            while current == seen && spins < Self.spinLimit && !shuttingDown.load(ordering: .relaxed) {
                spins += 1
                current = generation.load(ordering: .acquiring)
            }
            if current == seen {
                pthread_mutex_lock(mutex)
                while generation.load(ordering: .acquiring) == seen && !shuttingDown.load(ordering: .acquiring) {
                    pthread_cond_wait(wake, mutex)
                }
                pthread_mutex_unlock(mutex)
                if shuttingDown.load(ordering: .acquiring) { return }
                current = generation.load(ordering: .acquiring)
            }
            if shuttingDown.load(ordering: .acquiring) { return }
            seen = current
            // Whatever job is published now: its number is in the claim word.
            runChunks(worker, job: claim.load(ordering: .acquiring) >> 32)
        }
    }
}

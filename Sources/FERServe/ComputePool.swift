import Foundation
import Synchronization

/// The server's compute threads: a fixed number of threads of its own that run the analyses,
/// so that the event loops and Swift's cooperative threads never block on a 20 ms network
/// run, and `--threads` says exactly how many cores the analyses use.
///
/// Each thread owns a ``ComputeWorker`` (its detectors, classifiers and buffers), which only
/// that thread touches: no locks in the analysis itself. Jobs wait in one FIFO queue.
///
/// Admission: ``submit(admit:_:)`` with `admit: true` (HTTP requests) refuses a job when
/// ``limit`` jobs are already running or waiting, so a flood gets fast 503s rather than an
/// unbounded queue; stream frames (`admit: false`) always queue, but each stream has at most
/// one frame in the pool and streams are limited in number.
package final class ComputePool: Sendable {
    /// Jobs running or waiting beyond which admitted submissions are refused.
    package let limit: Int
    /// The number of compute threads.
    package let threads: Int

    private struct State {
        var queue: [@Sendable (ComputeWorker) -> Void] = []
        var head = 0
        var active = 0
        var stopping = false
    }

    private let state = Mutex(State())
    private let condition = NSCondition()

    /// Starts `threads` compute threads, each with a worker made by `makeWorker`.
    package init(threads: Int, limit: Int, makeWorker: @escaping @Sendable (Int) -> ComputeWorker) {
        self.threads = threads
        self.limit = limit
        for index in 0..<threads {
            let thread = Thread { [self] in
                let worker = makeWorker(index)
                self.loop(worker)
            }
            thread.name = "fercore-compute-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Jobs running or waiting now.
    package var load: Int { state.withLock { $0.active } }

    /// Runs `job` on a compute thread and returns its result.
    /// - Throws: ``ComputePoolError/overloaded`` when `admit` is true and ``limit`` jobs are
    ///   running or waiting; ``ComputePoolError/stopped`` after ``stop()``.
    package func submit<T: Sendable>(admit: Bool, _ job: @escaping @Sendable (ComputeWorker) -> T) async throws(ComputePoolError) -> T {
        let admitted: ComputePoolError? = state.withLock { s in
            if s.stopping { return .stopped }
            if admit, s.active >= limit { return .overloaded }
            s.active += 1
            return nil
        }
        if let admitted { throw admitted }
        return await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            enqueue { worker in
                let result = job(worker)
                // The place is given back before the caller resumes: a client that sends its next
                // request as soon as it has this answer must find the place free (otherwise a
                // client with exactly `limit` keep-alive connections gets 503s).
                self.state.withLock { $0.active -= 1 }
                continuation.resume(returning: result)
            }
        }
    }

    private func enqueue(_ job: @escaping @Sendable (ComputeWorker) -> Void) {
        condition.lock()
        state.withLock { $0.queue.append(job) }
        condition.signal()
        condition.unlock()
    }

    private func loop(_ worker: ComputeWorker) {
        while true {
            condition.lock()
            var job: (@Sendable (ComputeWorker) -> Void)?
            while job == nil {
                let (next, stop) = state.withLock { s -> ((@Sendable (ComputeWorker) -> Void)?, Bool) in
                    guard s.head < s.queue.count else { return (nil, s.stopping) }
                    let j = s.queue[s.head]
                    s.head += 1
                    if s.head > 64, s.head * 2 > s.queue.count {
                        s.queue.removeFirst(s.head)
                        s.head = 0
                    }
                    return (j, false)
                }
                if let next {
                    job = next
                } else if stop {
                    condition.unlock()
                    return
                } else {
                    condition.wait()
                }
            }
            condition.unlock()
            job?(worker)
        }
    }

    /// Lets the threads finish the queued jobs and end.
    package func stop() {
        condition.lock()
        state.withLock { $0.stopping = true }
        condition.broadcast()
        condition.unlock()
    }
}

/// Why ``ComputePool/submit(admit:_:)`` did not run a job.
package enum ComputePoolError: Error, Sendable {
    /// ``ComputePool/limit`` jobs were running or waiting.
    case overloaded
    /// The pool is stopping.
    case stopped
}

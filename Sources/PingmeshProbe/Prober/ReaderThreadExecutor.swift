import CPingmeshLinux
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A task executor whose jobs run on a prober's reader thread (UDP, ICMP, TCP), between its reads.
///
/// A probe loop that prefers it (`withTaskExecutorPreference`, `addTask(executorPreference:)`)
/// is resumed by the reader right where the reply was read, and sends its next probe from that
/// same thread, as a hand-written poll loop does. Without it every reply costs two thread
/// hand-offs: the reader wakes a pool thread to resume the task, and the reader sleeps again.
///
/// While no reader is attached (before the first socket, after the prober stops) jobs go to the
/// global executor, so a task that prefers this executor never waits on a thread that is gone.
public final class ReaderThreadExecutor: TaskExecutor, Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var reader: pthread_t?
    }

    private let queue = Mutex(Queue())
    /// Signalled once the reader has attached (`waitUntilAttached`).
    private let attached = DispatchSemaphore(value: 0)
    /// The batch being run; only the reader thread touches it. Swapped with the queue's array,
    /// so a batch allocates nothing.
    private nonisolated(unsafe) var running: [UnownedJob] = []
    /// Written when a job arrives from another thread while the reader may be waiting; the
    /// reader polls it beside its sockets.
    let wakeup: Int32

    init() {
        wakeup = pm_eventfd()
    }

    deinit {
        if wakeup >= 0 { close(wakeup) }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let placement: Placement = queue.withLock { queue in
            guard let reader = queue.reader else { return .elsewhere }
            queue.jobs.append(job)
            // The reader runs its queue after every wait, so a job it enqueued itself (a reply
            // resuming a probe) needs no signal; one from elsewhere wakes it once per batch.
            if pthread_equal(reader, pthread_self()) != 0 { return .queued }
            return queue.jobs.count == 1 ? .queuedAndSignal : .queued
        }
        switch placement {
        case .elsewhere: globalConcurrentExecutor.enqueue(job)
        case .queuedAndSignal: _ = pm_eventfd_signal(wakeup)
        case .queued: break
        }
    }

    private enum Placement {
        case elsewhere
        case queued
        case queuedAndSignal
    }

    /// Whether the caller is on the attached reader thread, where the reader's own state may be
    /// touched directly.
    /// Whether jobs wait to be run: a reader that queued some itself (a probe it ended resumes
    /// its task here, unsignalled) must not then wait for events without a timeout.
    var hasQueuedJobs: Bool { queue.withLock { !$0.jobs.isEmpty } }

    var isReaderThread: Bool {
        queue.withLock { queue in queue.reader.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Called on the reader thread when it starts: jobs run there from now on.
    func attach() {
        queue.withLock { $0.reader = pthread_self() }
        attached.signal()
    }

    /// Waits, once, for the reader thread just started to attach. A task that prefers this
    /// executor and starts later then runs on the reader from its first probe: a task started
    /// elsewhere can see its reply before it suspends (loopback ICMP is answered inside the
    /// send), and then simply goes on where it is.
    func waitUntilAttached() {
        attached.wait()
    }

    /// Called on the reader thread as it ends: queued and later jobs go to the global executor.
    func detach() {
        let left = queue.withLock { queue in
            queue.reader = nil
            defer { queue.jobs.removeAll() }
            return queue.jobs
        }
        for job in left { globalConcurrentExecutor.enqueue(job) }
    }

    /// Runs the jobs queued so far, on the reader thread, and says whether more were queued
    /// meanwhile: the reader must not then wait. Jobs they enqueue wait for the next call, so a
    /// busy loop of probes cannot starve the reads.
    func runQueued() -> Bool {
        queue.withLock { swap(&$0.jobs, &running) }
        for job in running { job.runSynchronously(on: asUnownedTaskExecutor()) }
        running.removeAll(keepingCapacity: true)
        return queue.withLock { !$0.jobs.isEmpty }
    }

    /// Clears the wake-up signal, once the reader saw it ready.
    func clearWakeup() {
        pm_eventfd_drain(wakeup)
    }
}

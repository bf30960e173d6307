import NIOCore

/// Runs the jobs of the tasks that prefer it on one event loop's thread: a handler started by a connection's read
/// and its answers written to that connection then never cross threads.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// The waiting queue: an FCFS deque or a priority heap ordered by `(priority, arrival, request id)`.
///
/// The scheduler peeks the head, pops it on admission, and puts preempted requests back at the front
/// (`prepend`; for the priority heap that is just an insert, the order decides). Removing from the middle
/// (aborts) is O(n), as in vLLM.
public final class RequestQueue {
    public let policy: SchedulingPolicy
    private var ring: RingBuffer = RingBuffer()
    private var heap: [Request] = []

    public init(policy: SchedulingPolicy) {
        self.policy = policy
    }

    public var count: Int { policy == .fcfs ? ring.count : heap.count }
    public var isEmpty: Bool { count == 0 }

    /// Adds a newly arrived request at the back (FCFS) or into the heap (priority).
    public func add(_ request: Request) {
        switch policy {
        case .fcfs: ring.pushBack(request)
        case .priority: heapPush(request)
        }
    }

    /// Puts a preempted request back at the front (FCFS) or into the heap (priority).
    public func prepend(_ request: Request) {
        switch policy {
        case .fcfs: ring.pushFront(request)
        case .priority: heapPush(request)
        }
    }

    /// The next request to admit.
    public func peek() -> Request? {
        switch policy {
        case .fcfs: ring.first
        case .priority: heap.first
        }
    }

    /// Removes and returns the next request to admit.
    @discardableResult
    public func pop() -> Request? {
        switch policy {
        case .fcfs: return ring.popFront()
        case .priority: return heapPop()
        }
    }

    /// Removes one request wherever it sits; false when it is not queued.
    @discardableResult
    public func remove(_ request: Request) -> Bool {
        switch policy {
        case .fcfs:
            return ring.remove(request)
        case .priority:
            guard let i = heap.firstIndex(where: { $0 === request }) else { return false }
            heap.swapAt(i, heap.count - 1)
            heap.removeLast()
            if i < heap.count {
                siftDown(i)
                siftUp(i)
            }
            return true
        }
    }

    /// Calls `body` on every queued request in storage order: no copy and no sort (per-step stats).
    func forEachUnordered(_ body: (Request) -> Void) {
        switch policy {
        case .fcfs: ring.forEach(body)
        case .priority: heap.forEach(body)
        }
    }

    /// The queued requests in admission order (allocates; for tests, stats and the simulator).
    public var requests: [Request] {
        switch policy {
        case .fcfs: ring.elements
        case .priority: heap.sorted(by: Self.precedes)
        }
    }

    /// `(priority, arrival, request id)` ascending.
    static func precedes(_ a: Request, _ b: Request) -> Bool {
        if a.priority != b.priority { return a.priority < b.priority }
        if a.arrival != b.arrival { return a.arrival < b.arrival }
        return a.requestID < b.requestID
    }

    private func heapPush(_ r: Request) {
        heap.append(r)
        siftUp(heap.count - 1)
    }

    private func heapPop() -> Request? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
        return top
    }

    private func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.precedes(heap[i], heap[parent]) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var best = i
            if l < heap.count && Self.precedes(heap[l], heap[best]) { best = l }
            if r < heap.count && Self.precedes(heap[r], heap[best]) { best = r }
            if best == i { return }
            heap.swapAt(i, best)
            i = best
        }
    }
}

/// A growable ring buffer of requests: O(1) at both ends.
struct RingBuffer {
    private var storage: [Request?] = Array(repeating: nil, count: 16)
    private var head = 0
    private(set) var count = 0

    var first: Request? { count == 0 ? nil : storage[head] }

    var elements: [Request] { (0..<count).map { storage[(head + $0) & (storage.count - 1)]! } }

    func forEach(_ body: (Request) -> Void) {
        for i in 0..<count { body(storage[(head + i) & (storage.count - 1)]!) }
    }

    mutating func pushBack(_ r: Request) {
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = r
        count += 1
    }

    mutating func pushFront(_ r: Request) {
        if count == storage.count { grow() }
        head = (head - 1) & (storage.count - 1)
        storage[head] = r
        count += 1
    }

    mutating func popFront() -> Request? {
        guard count > 0 else { return nil }
        let r = storage[head]
        storage[head] = nil
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return r
    }

    mutating func remove(_ r: Request) -> Bool {
        let mask = storage.count - 1
        guard let k = (0..<count).first(where: { storage[(head + $0) & mask] === r }) else { return false }
        for j in k..<(count - 1) { storage[(head + j) & mask] = storage[(head + j + 1) & mask] }
        storage[(head + count - 1) & mask] = nil
        count -= 1
        return true
    }

    private mutating func grow() {
        let old = elements
        storage = Array(repeating: nil, count: storage.count * 2)
        for (i, r) in old.enumerated() { storage[i] = r }
        head = 0
    }
}

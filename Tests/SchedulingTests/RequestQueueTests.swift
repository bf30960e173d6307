import Testing

@testable import Scheduling

@Suite("Request queue")
struct RequestQueueTests {
    func request(_ id: String, priority: Int = 0, arrival: Int) -> Request {
        Request(
            requestID: id, promptTokenIDs: [1], priority: priority, arrival: arrival, blockHasher: nil)
    }

    @Test("FCFS pops in arrival order, puts preempted requests in front, and removes from the middle")
    func fcfs() {
        let q = RequestQueue(policy: .fcfs)
        let rs = (0..<40).map { request("\($0)", arrival: $0) }
        for r in rs { q.add(r) }
        #expect(q.pop() === rs[0])
        q.prepend(rs[0])
        #expect(q.peek() === rs[0])
        #expect(q.remove(rs[20]))
        #expect(!q.remove(rs[20]))
        #expect(q.requests.map(\.requestID) == rs.map(\.requestID).filter { $0 != "20" })
        #expect(q.count == 39)
        while q.pop() != nil {}
        #expect(q.isEmpty)
    }

    @Test("the priority heap orders by (priority, arrival, id) and stays ordered after removals")
    func priority() {
        let q = RequestQueue(policy: .priority)
        let rs = (0..<30).map { request("r\($0)", priority: ($0 * 7) % 4, arrival: 30 - $0) }
        for r in rs { q.add(r) }
        #expect(q.remove(rs[5]) && q.remove(rs[17]))
        let expected = rs.filter { $0 !== rs[5] && $0 !== rs[17] }.sorted {
            ($0.priority, $0.arrival) < ($1.priority, $1.arrival)
        }
        #expect(q.requests.map(\.requestID) == expected.map(\.requestID))
        var popped: [String] = []
        while let r = q.pop() { popped.append(r.requestID) }
        #expect(popped == expected.map(\.requestID))
    }
}

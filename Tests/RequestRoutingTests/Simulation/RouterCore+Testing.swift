import RequestRouting

extension RouterCore {
    /// `route`, with "no engine" (or a duplicate id) as nil, so tests read `#expect(router.routed(r) == "e2")`.
    mutating func routed(_ request: RoutingRequest, now: UInt64) -> EngineID? {
        try? route(request, now: now)
    }
}

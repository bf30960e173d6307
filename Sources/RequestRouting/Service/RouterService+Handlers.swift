import Wire

extension RouterService {
    /// The router's RPC table: `apus.v1.Engine`, `apus.v1.Router` (admin) and `Health`.
    public var handlers: RPCHandlers {
        var h = RPCHandlers()
        // Generate and Abort run on their connection's event loop, which the engine connections share
        // (`RouterServiceConfig.eventLoopGroup`): no thread hop between a request, its engine and its answers.
        h.serverStreamingEncoded(Method.generate, onEventLoop: true) {
            [self] (bytes: [UInt8], context, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            let request: ForwardedRequest
            do {
                request = try ForwardedRequest(bytes, readPrompt: usesPrefix)
            } catch {
                throw RPCError(.invalidArgument, "malformed apus.v1.GenerateRequest: \(error)")
            }
            try await generate(request, metadata: context.metadata, writer: writer)
        }
        h.unary(Method.abort, onEventLoop: true) { [self] (request: ApusV1.AbortRequest, _) in
            ApusV1.AbortResponse(numAborted: await abort(request.requestIDs))
        }
        h.unary(Method.getLoad) { [self] (_: ApusV1.GetLoadRequest, _) in aggregateLoad() }
        h.serverStreaming(Method.watchLoad) {
            [self] (request: ApusV1.WatchLoadRequest, _, writer: RPCStreamWriter<ApusV1.LoadReport>) in
            let interval = Duration.microseconds(Int64(max(request.intervalUS, 50_000)))
            while true {
                try writer.send(aggregateLoad())
                try await Task.sleep(for: interval)
            }
        }
        h.unary(Method.getModelInfo) { [self] (_: ApusV1.GetModelInfoRequest, _) in
            guard var info = model.withLock({ $0.info }) else {
                throw RPCError(.unavailable, "no engine-core has reported its model yet")
            }
            info.engineID = config.routerID
            return info
        }
        h.unary(Method.addBackend) { [self] (request: ApusV1.AddBackendRequest, _) in
            let (service, address) = try admin(request.address, adding: true)
            try await service.addEngine(address)
            return backendList()
        }
        h.unary(Method.removeBackend) { [self] (request: ApusV1.RemoveBackendRequest, _) in
            let (service, address) = try admin(request.address, adding: false)
            try service.removeEngine(address)
            return backendList()
        }
        h.unary(Method.listBackends) { [self] (_: ApusV1.ListBackendsRequest, _) in backendList() }
        h.unary(Method.drain) { [self] (request: ApusV1.DrainRequest, _) in
            let (service, address) = try admin(request.address, adding: false)
            try service.drainEngine(address)
            return backendList()
        }
        h.merge(health.handlers)
        return h
    }

    /// Aborts requests on the engines that own them; unknown ids are not an error. Aborted requests are never
    /// retried. Returns how many the engines aborted.
    /// In PD mode the prefill pool's legs are aborted too.
    func abort(_ requestIDs: [String]) async -> UInt32 {
        var byEngine: [EngineID: [String]] = [:]
        for id in requestIDs {
            active[id]?.markClientAborted()
            if let owner = core.withCore({ $0.owner(of: id) }) { byEngine[owner, default: []].append(id) }
        }
        return await withTaskGroup(of: UInt32.self) { group in
            for (engine, ids) in byEngine { group.addTask { await self.abort(ids, on: engine) } }
            if let prefill = pd?.prefill { group.addTask { await prefill.abort(requestIDs) } }
            return await group.reduce(0, +)
        }
    }

    /// The pool service an admin call about `text` goes to, and the address in it. An ordinary router takes plain
    /// addresses. A PD router takes `prefill=HOST:PORT` or `decode=HOST:PORT`; to remove or drain, a plain address
    /// names whichever pool has it.
    func admin(_ text: String, adding: Bool) throws -> (RouterService, String) {
        let (pool, address) = EnginePool.split(text)
        guard let pd else {
            guard pool == nil else {
                throw RPCError(.invalidArgument, "\(text): this router has no pools (no PD mode)")
            }
            return (self, text)
        }
        switch pool {
        case .prefill: return (pd.prefill, address)
        case .decode: return (self, address)
        case nil:
            guard !adding else {
                throw RPCError(.invalidArgument, "a PD router needs the pool: prefill=\(text) or decode=\(text)")
            }
            let inPrefill = pd.prefill.backendList().backends.contains { $0.address == text }
            return (inPrefill ? pd.prefill : self, text)
        }
    }

    /// The fleet's load as one report (both pools in PD mode): sums of the members' last reports, KV usage over all
    /// their blocks, and the router's own in-flight count as `num_streams`.
    func aggregateLoad() -> ApusV1.LoadReport {
        var total = ApusV1.LoadReport(engineID: config.routerID, numStreams: UInt32(active.count))
        var usedBlocks: Double = 0
        for report in memberLoads() + (pd?.prefill.memberLoads() ?? []) {
            total.numRunning += report.numRunning
            total.numWaiting += report.numWaiting
            total.prefixCacheQueries += report.prefixCacheQueries
            total.prefixCacheHits += report.prefixCacheHits
            total.numPreemptions += report.numPreemptions
            total.stepCounter += report.stepCounter
            total.lastStepTimeUS = max(total.lastStepTimeUS, report.lastStepTimeUS)
            total.numGPUBlocks += report.numGPUBlocks
            total.numFreeBlocks += report.numFreeBlocks
            usedBlocks += Double(report.kvCacheUsage) * Double(report.numGPUBlocks)
        }
        if total.numGPUBlocks > 0 { total.kvCacheUsage = Float(usedBlocks / Double(total.numGPUBlocks)) }
        return total
    }

    /// The last load report of each member of this service's pool.
    func memberLoads() -> [ApusV1.LoadReport] {
        let members = Set(core.withCore { $0.backends.ids })
        return monitors.withLock { table in table.values.filter { members.contains($0.id) }.compactMap(\.load) }
    }
}

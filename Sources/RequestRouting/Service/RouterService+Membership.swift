import Wire

extension RouterService {
    /// Adds an engine by `host:port`. An IP address is one backend; a DNS name adds every address it resolves
    /// to and is re-resolved every `dnsRefreshInterval` (a name that does not resolve yet is kept and retried).
    public func addEngine(_ text: String) async throws {
        guard let address = EngineAddress(text) else {
            throw RPCError(.invalidArgument, "expected HOST:PORT, got \"\(text)\"")
        }
        if address.isIPLiteral {
            if try addBackend(address.engineID, origin: nil) { dial(address.engineID) }
            return
        }
        origins.withLock { _ = $0.insert(address.description) }
        await refresh(origin: address.description)
    }

    /// Adds an engine reached through `client` (one in this process, or one the caller connected), named `name` in
    /// listings, logs and admin calls, and used like an engine added by address. The router owns the client from
    /// now on and closes it when the engine leaves. A name already in use is ALREADY_EXISTS. `caller`, a call path
    /// to the same engine, carries what `EngineClient` does not (the RELEASE of a PD producer's blocks).
    /// In PD mode `pool` picks the pool; an ordinary router has only `.decode`.
    public func addEngine(
        named name: String, client: any EngineClient, caller: (any RPCCaller)? = nil, pool: EnginePool = .decode
    ) throws {
        guard pool == .decode else {
            try prefillPool().addEngine(named: name, client: client, caller: caller)
            return
        }
        let id = EngineID(name)
        guard try addBackend(id, origin: nil) else {
            throw RPCError(.alreadyExists, "engine \(name) is already a member of this router")
        }
        startMonitor(id, client: client, caller: caller)
    }

    /// Adds an engine by `host:port` to `pool` (PD mode); an ordinary router has only `.decode`.
    public func addEngine(_ text: String, to pool: EnginePool) async throws {
        try await (pool == .prefill ? prefillPool() : self).addEngine(text)
    }

    private func prefillPool() throws -> RouterService {
        guard let pd else { throw RPCError(.invalidArgument, "this router has no prefill pool (no PD mode)") }
        return pd.prefill
    }

    /// Removes an engine (or every engine of a DNS name) at once; its requests fail over or fail.
    public func removeEngine(_ text: String) throws {
        let ids = try members(named: text)
        origins.withLock { _ = $0.remove(text) }
        ids.forEach(removeBackend)
    }

    /// Stops new requests to an engine (or every engine of a DNS name); it leaves once its requests finish.
    public func drainEngine(_ text: String) throws {
        let now = core.now()
        for id in try members(named: text) {
            handle(core.withCore { $0.drain(id, now: now) }, for: id)
        }
    }

    /// The members `text` names: the engine with that name or address, or those resolved from that DNS name.
    private func members(named text: String) throws -> [EngineID] {
        if core.withCore({ $0.backends.contains(EngineID(text)) }) { return [EngineID(text)] }
        guard let address = EngineAddress(text) else {
            throw RPCError(.invalidArgument, "expected HOST:PORT, got \"\(text)\"")
        }
        let origin = address.description
        let ids = core.withCore { core in
            core.backends.backends.filter { $0.id == address.engineID || $0.origin == origin }.map(\.id)
        }
        guard !ids.isEmpty || origins.withLock({ $0.contains(origin) }) else {
            throw RPCError(.notFound, "no engine \(text) in this router")
        }
        return ids
    }

    /// Adds one backend as pending; false when it was a member already (then it is left alone).
    private func addBackend(_ id: EngineID, origin: String?) throws -> Bool {
        let now = core.now()
        let added = core.withCore { core in
            Result { () throws(RouterConfigError) in try core.addBackend(id, origin: origin, now: now) }
        }
        switch added {
        case .failure(let error): throw RPCError(.resourceExhausted, error.description)
        case .success(let actions): return actions.contains(.startProbing)
        }
    }

    /// Removes one backend now: its detached requests are killed so their handlers retry or fail them.
    func removeBackend(_ id: EngineID) {
        let detached = core.withCore { $0.removeBackend(id) }
        let error = RPCError(.unavailable, "connection to engine \(id) closed: it was removed from the router")
        for requestID in detached { active[requestID]?.kill(.transportError, error, onlyOn: id) }
        monitors.withLock { $0.removeValue(forKey: id) }?.stop()
        metrics.forget(id)
        updateReadiness()
    }

    /// Watches a member added by address, over a connection of its own.
    private func dial(_ id: EngineID) {
        guard let address = EngineAddress(id.rawValue) else { return }
        let client = RPCClient(
            host: address.host, port: address.port, configuration: config.clientConfiguration,
            group: config.eventLoopGroup)
        startMonitor(id, client: RPCEngineClient(client), caller: client)
    }

    private func startMonitor(_ id: EngineID, client: any EngineClient, caller: (any RPCCaller)?) {
        let monitor = EngineMonitor(id: id, client: client, caller: caller)
        monitors.withLock { $0.updateValue(monitor, forKey: id) }?.stop()
        monitor.start { [self] in await watch(monitor) }
        logger.info("watching engine \(id)")
    }

    /// Re-resolves one DNS name: new addresses are added, vanished ones drain, returning ones come back.
    func refresh(origin: String) async {
        guard let address = EngineAddress(origin) else { return }
        let ips: [String]
        do {
            ips = try await resolver.resolve(host: address.host)
        } catch {
            logger.warning("\(error); keeping the members of \(origin) as they are")
            return
        }
        let resolved = ips.map { EngineAddress(host: $0, port: address.port).engineID }
        let now = core.now()
        let change = core.withCore { core in
            Result { () throws(RouterConfigError) in try core.reconcile(origin: origin, resolved: resolved, now: now) }
        }
        switch change {
        case .failure(let error): logger.error("cannot add the engines of \(origin): \(error)")
        case .success(let change):
            for id in change.added { dial(id) }
            if change != MembershipChange() {
                logger.info("\(origin): added \(change.added), draining \(change.drained), back \(change.restored)")
            }
        }
    }

    func dnsLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.dnsRefreshInterval)
            for origin in origins.withLock({ $0 }) { await refresh(origin: origin) }
        }
    }
}

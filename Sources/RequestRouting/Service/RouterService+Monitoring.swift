import Wire

extension RouterService {
    /// Watches one engine until it leaves: first its model info (which must agree with the other engines'),
    /// then Health.Watch, periodic Health.Check, WatchLoad and (for `prefix_aware`) SubscribeKVEvents at once.
    func watch(_ monitor: EngineMonitor) async {
        guard await fetchModelInfo(monitor) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchHealth(monitor) }
            group.addTask { await self.probeHealth(monitor) }
            group.addTask { await self.watchLoad(monitor) }
            if usesPrefix { group.addTask { await self.followKVEvents(monitor) } }
        }
    }

    /// Asks for the engine's model info until it answers; false when cancelled. An engine serving another
    /// model (or another block size or hash seed) is never probed, so it stays pending.
    private func fetchModelInfo(_ monitor: EngineMonitor) async -> Bool {
        var reported = false
        while !Task.isCancelled {
            do {
                let info = try await monitor.client.modelInfo(
                    timeout: config.healthCheckTimeout * 4, waitForReady: false)
                if let problem = agree(info) {
                    if !reported { logger.error("engine \(monitor.id) is not used: \(problem)") }
                    reported = true
                } else {
                    monitor.info = info
                    return true
                }
            } catch {
                if Task.isCancelled { return false }
                let timedOut = (error as? RPCError)?.code == .deadlineExceeded
                feed(timedOut ? .checkTimedOut : .checkFailed, for: monitor.id)
            }
            try? await Task.sleep(for: config.healthCheckInterval)
        }
        return false
    }

    /// nil when `info` agrees with the model the router serves (the first engine's sets it); else why not.
    private func agree(_ info: ApusV1.ModelInfo) -> String? {
        model.withLock { model in
            guard let agreed = model.info else {
                model.info = info
                model.hasher = PromptHasher(modelInfo: info)
                return nil
            }
            if agreed.model != info.model { return "it serves \(info.model), the others \(agreed.model)" }
            if agreed.blockSize != info.blockSize || agreed.blockHashSeed != info.blockHashSeed {
                return "block size \(info.blockSize) / hash seed \(info.blockHashSeed) differ from "
                    + "\(agreed.blockSize) / \(agreed.blockHashSeed)"
            }
            return nil
        }
    }

    /// Health.Watch: every status change reaches the core at once. A broken watch counts as NOT_SERVING until
    /// the watch is back (its first message is the current status). Each time the watch opens, the engine's
    /// hello instance id is compared with the last one: a new id (a restarted process) reaches the core as
    /// `.restarted` before the first status, so a SERVING status ends a passive ejection the old process earned.
    private func watchHealth(_ monitor: EngineMonitor) async {
        while !Task.isCancelled {
            do {
                let statuses = try await monitor.client.watchHealth()
                if let instance = try? await monitor.client.instanceID(), monitor.noteInstance(instance) {
                    logger.info("engine \(monitor.id) restarted (new instance \(instance))")
                    feed(.restarted, for: monitor.id)
                }
                for try await response in statuses { feed(.watch(ServingStatus(response.status)), for: monitor.id) }
            } catch {}
            if Task.isCancelled { return }
            feed(.watch(.notServing), for: monitor.id)
            try? await Task.sleep(for: config.streamRetryDelay)
        }
    }

    /// Health.Check every `healthCheckInterval` with a `healthCheckTimeout` deadline.
    private func probeHealth(_ monitor: EngineMonitor) async {
        while !Task.isCancelled {
            let event: HealthEvent
            do {
                let status = try await monitor.client.checkHealth(timeout: config.healthCheckTimeout)
                event = status == .serving ? .checkSucceeded : .checkFailed
            } catch {
                if Task.isCancelled { return }
                event = (error as? RPCError)?.code == .deadlineExceeded ? .checkTimedOut : .checkFailed
            }
            feed(event, for: monitor.id)
            try? await Task.sleep(for: config.healthCheckInterval)
        }
    }

    /// WatchLoad: each report updates the engine's load, its step counter and step times (hung-engine detection).
    private func watchLoad(_ monitor: EngineMonitor) async {
        let request = ApusV1.WatchLoadRequest(
            intervalUS: config.loadReportInterval.nanoseconds / 1_000,
            heartbeatUS: config.loadHeartbeat.nanoseconds / 1_000)
        while !Task.isCancelled {
            do {
                let reports = try await monitor.client.watchLoad(request)
                for try await report in reports {
                    monitor.load = report
                    let now = core.now()
                    handle(core.withCore { $0.updateLoad(EngineLoad(report), for: monitor.id, now: now) }, for: monitor.id)
                }
            } catch {}
            try? await Task.sleep(for: config.streamRetryDelay)
        }
    }

    /// SubscribeKVEvents from sequence 0; a gap or a reconnect clears the engine's index entries and
    /// subscribes again from 0.
    private func followKVEvents(_ monitor: EngineMonitor) async {
        while !Task.isCancelled {
            guard core.withCore({ $0.kvStreamReconnected(monitor.id) }) != nil else { return }
            do {
                let batches = try await monitor.client.subscribeKVEvents(fromSeq: 0)
                for try await batch in batches {
                    let action = core.withCore { $0.apply(KVEventBatch(batch), from: monitor.id) }
                    guard let action else { return }
                    if case .resubscribe = action { break }
                }
            } catch {}
            try? await Task.sleep(for: config.streamRetryDelay)
        }
    }
}

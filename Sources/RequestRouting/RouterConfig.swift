/// The routing policies, by their flag names.
public enum PolicyKind: String, Sendable, CaseIterable {
    case roundRobin = "round_robin"
    case leastLoaded = "least_loaded"
    case powerOfTwo = "power_of_two"
    case prefixAware = "prefix_aware"
    case session

    /// Builds a fresh policy of this kind from `config`.
    public func makePolicy(config: RouterConfig) -> any RoutingPolicy {
        switch self {
        case .roundRobin: RoundRobinPolicy()
        case .leastLoaded: LeastLoadedPolicy()
        case .powerOfTwo: PowerOfTwoPolicy(seed: config.seed)
        case .prefixAware: PrefixAwarePolicy(config: config.prefixAware)
        case .session: SessionPolicy(balanceFactor: config.sessionBalanceFactor)
        }
    }
}

/// Configuration of the router core; checked up front by `validate()`.
public struct RouterConfig: Sendable, Equatable {
    /// The routing policy; `prefix_aware` by default.
    public var policy: PolicyKind = .prefixAware
    public var health = HealthConfig()
    public var prefixAware = PrefixAwareConfig()
    /// LoRA adapter affinity around `policy` (on, 4 adapters per engine); bounded by `prefixAware`'s ε and s.
    public var loraAffinity = AdapterAffinityConfig()
    /// ε of the session policy's bounded load (1.25× the mean).
    public var sessionBalanceFactor: Double = 0.25
    /// Attempts per request including the first; retries happen only before the first token.
    public var maxAttempts: Int = 3
    /// How many retries may be in flight at once (Envoy's retry budget: 20% of requests, at least 3).
    public var retryBudget = RetryBudget()
    /// Seed of `power_of_two`'s generator and of the ejection jitter.
    public var seed: UInt64 = 0

    public init(policy: PolicyKind = .prefixAware) {
        self.policy = policy
    }

    public func validate() throws(RouterConfigError) {
        try health.validate()
        try prefixAware.validate()
        try loraAffinity.validate()
        try retryBudget.validate()
        guard sessionBalanceFactor >= 0, sessionBalanceFactor.isFinite else {
            throw .invalid("sessionBalanceFactor must be >= 0, got \(sessionBalanceFactor)")
        }
        guard (1...16).contains(maxAttempts) else {
            throw .invalid("maxAttempts must be in 1...16, got \(maxAttempts)")
        }
    }
}

import Foundation

extension PEFTLoRAConfig {
    /// The projections of a model of `numLayers` decoder layers this config adapts, with each one's rank and
    /// scaling, matched as PEFT's `check_target_module_exists` and `get_pattern_key` match module keys
    /// (`model.layers.N.self_attn.q_proj` …). Targets the model lacks, or that LoRA does not apply to here
    /// (embed_tokens, lm_head), are refused rather than skipped, as are layer indices past the model's.
    func targets(numLayers: Int, maxRank: Int, file: String) throws(LoRALoadError) -> [LoRAAdapterInfo.Target] {
        let keys = (0..<numLayers).flatMap { l in LoRAModule.allCases.map { (l, $0, $0.key(layer: l)) } }
        for layer in layersToTransform ?? [] where !(0..<numLayers).contains(layer) {
            throw .layerOutOfRange(file: file, name: "layers_to_transform", layer: layer, numLayers: numLayers)
        }
        try checkSelector(targetModules, keys: keys.map(\.2), numLayers: numLayers, file: file)
        let exclude = try excludeModules.map { s throws(LoRALoadError) in
            try Matcher(s, field: "exclude_modules", file: file)
        }
        let target = try Matcher(targetModules, field: "target_modules", file: file)
        let layerNames: [String?] = layersPattern?.isEmpty == false ? layersPattern!.map { $0 } : [nil]
        let layerPatterns = try layerNames.map { p throws(LoRALoadError) in
            try Self.regex(p.map { #"(?:^|.*?\.)\#($0)\.(\d+)\."# } ?? #".*?\.[^.]*\.(\d+)\."#, "layers_pattern", file)
        }
        let ranks = try Self.compile(rankPattern, field: "rank_pattern", file: file)
        let alphas = try Self.compile(alphaPattern, field: "alpha_pattern", file: file)
        var found: [LoRAAdapterInfo.Target] = []
        for (layer, module, key) in keys {
            if exclude?.matches(key) == true || !target.matches(key) { continue }
            // PEFT filters by layer index only for a list of names, and reads the index with layers_pattern.
            if case .names = targetModules, let wanted = layersToTransform, !wanted.isEmpty {
                let index = layerPatterns.lazy.compactMap { Self.firstGroup($0, key) }.first
                guard let index, wanted.contains(index) else { continue }
            }
            let rank = try Self.patternValue(ranks, key: key, field: "rank_pattern", file: file) ?? r
            let alpha = try Self.patternValue(alphas, key: key, field: "alpha_pattern", file: file) ?? loraAlpha
            guard (1...maxRank).contains(rank) else {
                throw .badRank(file: file, module: key, rank: rank, maxRank: maxRank)
            }
            found.append(.init(layer: layer, module: module, rank: rank, scaling: scaling(alpha: alpha, rank: rank)))
        }
        guard !found.isEmpty else { throw .noTargetModules(file: file) }
        return found
    }

    /// PEFT's `scaling`: alpha / r, or alpha / √r with rsLoRA.
    func scaling(alpha: Double, rank: Int) -> Double {
        useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank)
    }

    /// Every name of a target list must name projections of this model; no target may reach the embedding or the
    /// LM head (PEFT would wrap them; the runner does not apply LoRA there).
    private func checkSelector(
        _ selector: ModuleSelector, keys: [String], numLayers: Int, file: String
    ) throws(LoRALoadError) {
        let unsupported = ["model.embed_tokens", "lm_head"]
        let why = "is not supported: LoRA applies to \(LoRAModule.names) here, not to embed_tokens or lm_head"
        switch selector {
        case .allLinear: return
        case .pattern(let p):
            let matcher = try Matcher(selector, field: "target_modules", file: file)
            if let hit = unsupported.first(where: matcher.matches) {
                throw .unsupportedTargetModule(file: file, module: hit, reason: "(matched by '\(p)') " + why)
            }
        case .names(let names):
            for name in names {
                if unsupported.contains(where: { Matcher.suffixMatch($0, name) }) {
                    throw .unsupportedTargetModule(file: file, module: name, reason: why)
                }
                guard keys.contains(where: { Matcher.suffixMatch($0, name) }) else {
                    let layer = Self.firstGroup(
                        try Self.regex(#"^model\.layers\.(\d+)\."#, "target_modules", file), name)
                    if let layer, layer >= numLayers {
                        throw .layerOutOfRange(
                            file: file, name: "target module '\(name)'", layer: layer, numLayers: numLayers)
                    }
                    throw .unsupportedTargetModule(
                        file: file, module: name, reason: "is not a projection of this model (\(LoRAModule.names))")
                }
            }
        }
    }

    /// Each key of `rank_pattern` or `alpha_pattern` with its value, compiled as PEFT's `get_pattern_key` matches
    /// it: `(.*\.)?(key)$` from the start of a module key.
    private static func compile<V>(
        _ patterns: [(key: String, value: V)], field: String, file: String
    ) throws(LoRALoadError) -> [(key: String, regex: NSRegularExpression, value: V)] {
        try patterns.map { p throws(LoRALoadError) in (p.key, try regex(#"^(.*\.)?(\#(p.key))$"#, field, file), p.value)
        }
    }

    /// The value of the first key (in key order) that matches `key`; nil when none does. Two matching keys with
    /// different values are refused: PEFT would take the first in the file's order, which a JSON object need not
    /// keep.
    private static func patternValue<V: Equatable>(
        _ patterns: [(key: String, regex: NSRegularExpression, value: V)], key: String, field: String, file: String
    ) throws(LoRALoadError) -> V? {
        var hit: (key: String, value: V)?
        for p in patterns where p.regex.firstMatch(key) != nil {
            if let first = hit, first.value != p.value {
                throw .badConfig(
                    file: file,
                    reason: "\(field) keys '\(first.key)' and '\(p.key)' both match \(key) with different values")
            }
            hit = hit ?? (p.key, p.value)
        }
        return hit?.value
    }

    static func regex(_ pattern: String, _ field: String, _ file: String) throws(LoRALoadError) -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            throw .badConfig(
                file: file, reason: "\(field): '\(pattern)' is not a regular expression this runtime reads")
        }
    }

    /// The first capture group of `regex` matched at the start of `key`, as an integer.
    static func firstGroup(_ regex: NSRegularExpression, _ key: String) -> Int? {
        guard let m = regex.firstMatch(key), m.range.location == 0, let r = Range(m.range(at: 1), in: key) else {
            return nil
        }
        return Int(key[r])
    }
}

/// PEFT's module matching: a list matches a key equal to a name or ending in "." + name; a string is a regular
/// expression matched against the whole key; "all-linear" matches every projection.
private struct Matcher {
    let selector: PEFTLoRAConfig.ModuleSelector
    let regex: NSRegularExpression?

    init(_ selector: PEFTLoRAConfig.ModuleSelector, field: String, file: String) throws(LoRALoadError) {
        self.selector = selector
        if case .pattern(let p) = selector {
            regex = try PEFTLoRAConfig.regex(#"\A(?:\#(p))\z"#, field, file)
        } else {
            regex = nil
        }
    }

    func matches(_ key: String) -> Bool {
        switch selector {
        case .allLinear: key.hasPrefix("model.layers.")
        case .names(let names): names.contains { Self.suffixMatch(key, $0) }
        case .pattern: regex!.firstMatch(key) != nil
        }
    }

    static func suffixMatch(_ key: String, _ name: String) -> Bool { key == name || key.hasSuffix("." + name) }
}

extension NSRegularExpression {
    func firstMatch(_ s: String) -> NSTextCheckingResult? {
        firstMatch(in: s, range: NSRange(s.startIndex..., in: s))
    }
}

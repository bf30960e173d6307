/// Jinja's `loop` object for one iteration: `index`, `index0`, `revindex`, `revindex0`, `first`, `last`,
/// `length`, `previtem`, `nextitem`, `depth`, `depth0` and `cycle(...)`, computed on access.
final class TemplateLoopContext {
    let index: Int
    let items: [TemplateValue]

    init(index: Int, items: [TemplateValue]) {
        self.index = index
        self.items = items
    }

    func attribute(_ name: String) -> TemplateValue? {
        let length = items.count
        switch name {
        case "index": return .int(index + 1)
        case "index0": return .int(index)
        case "revindex": return .int(length - index)
        case "revindex0": return .int(length - index - 1)
        case "first": return .bool(index == 0)
        case "last": return .bool(index == length - 1)
        case "length": return .int(length)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem": return index > 0 ? items[index - 1] : .undefined(hint: "there is no previous item")
        case "nextitem": return index + 1 < length ? items[index + 1] : .undefined(hint: "there is no next item")
        case "cycle":
            let index = self.index
            return .function(
                TemplateFunction("cycle") { arguments in
                    guard !arguments.positional.isEmpty else {
                        throw ChatTemplateError(.runtime, "no items for cycling given")
                    }
                    return arguments.positional[index % arguments.positional.count]
                })
        default: return nil
        }
    }
}

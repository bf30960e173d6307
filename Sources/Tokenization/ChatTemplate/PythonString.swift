/// Python `str` operations on Unicode scalars (Python strings are sequences of code points).
enum PythonString {
    enum Side { case leading, trailing, both }

    /// `str.strip/lstrip/rstrip(chars)`; nil chars strips whitespace.
    static func strip(_ text: String, _ chars: String?, _ side: Side) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let strips: (Unicode.Scalar) -> Bool = { scalar in set?.contains(scalar) ?? scalar.properties.isWhitespace }
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        if side != .trailing { while start < end, strips(scalars[start]) { scalars.formIndex(after: &start) } }
        if side != .leading {
            while start < end, strips(scalars[scalars.index(before: end)]) { scalars.formIndex(before: &end) }
        }
        if start == scalars.startIndex && end == scalars.endIndex { return text }
        return String(Substring(scalars[start..<end]))
    }

    private static func mapped(_ scalar: Unicode.Scalar, upper: Bool) -> String {
        upper ? scalar.properties.titlecaseMapping : scalar.properties.lowercaseMapping
    }

    /// `str.title()`: a cased character after an uncased one is title-cased, the others lower-cased.
    static func title(_ text: String) -> String {
        var result = ""
        var previousCased = false
        for scalar in text.unicodeScalars {
            let cased = scalar.properties.isCased
            result += cased ? mapped(scalar, upper: !previousCased) : String(scalar)
            previousCased = cased
        }
        return result
    }

    /// `str.isupper()` / `str.islower()`: at least one cased character and none of the other case.
    static func isCased(_ text: String, upper: Bool) -> Bool {
        var sawCased = false
        for scalar in text.unicodeScalars where scalar.properties.isCased {
            sawCased = true
            if upper ? scalar.properties.isLowercase : scalar.properties.isUppercase { return false }
        }
        return sawCased
    }

    /// `str.capitalize()`: first character title-cased, the rest lower-cased.
    static func capitalize(_ text: String) -> String {
        var result = ""
        for (index, scalar) in text.unicodeScalars.enumerated() { result += mapped(scalar, upper: index == 0) }
        return result
    }

    /// Jinja's `title` filter: words start after whitespace, `-`, or an opening bracket.
    static func jinjaTitle(_ text: String) -> String {
        var result = ""
        var atWordStart = true
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || "-({[<".unicodeScalars.contains(scalar) {
                result.unicodeScalars.append(scalar)
                atWordStart = true
            } else {
                result += mapped(scalar, upper: atWordStart)
                atWordStart = false
            }
        }
        return result
    }

    /// `str.split(sep, maxsplit)` and `str.rsplit`.
    static func split(_ text: String, _ separator: String?, maxSplit: Int, fromRight: Bool) throws -> [String] {
        var scalars = Array(text.unicodeScalars)
        guard let separator else {
            if fromRight { scalars.reverse() }
            var parts: [[Unicode.Scalar]] = []
            var index = 0
            while index < scalars.count {
                while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
                guard index < scalars.count else { break }
                if maxSplit >= 0 && parts.count == maxSplit {
                    var rest = Array(scalars[index...])
                    while let last = rest.last, last.properties.isWhitespace { rest.removeLast() }
                    parts.append(rest)
                    break
                }
                let start = index
                while index < scalars.count, !scalars[index].properties.isWhitespace { index += 1 }
                parts.append(Array(scalars[start..<index]))
            }
            if fromRight { parts = parts.reversed().map { $0.reversed() } }
            return parts.map(string)
        }
        var needle = Array(separator.unicodeScalars)
        guard !needle.isEmpty else { throw ChatTemplateError(.runtime, "empty separator") }
        if fromRight {
            scalars.reverse()
            needle.reverse()
        }
        var parts: [[Unicode.Scalar]] = []
        var start = 0
        var index = 0
        while index + needle.count <= scalars.count, maxSplit < 0 || parts.count < maxSplit {
            if scalars[index..<index + needle.count].elementsEqual(needle) {
                parts.append(Array(scalars[start..<index]))
                index += needle.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(Array(scalars[start...]))
        if fromRight { parts = parts.reversed().map { $0.reversed() } }
        return parts.map(string)
    }

    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previousWasReturn = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && previousWasReturn {
                previousWasReturn = false
                continue
            }
            previousWasReturn = scalar == "\r"
            if "\n\r\u{0B}\u{0C}\u{1C}\u{1D}\u{1E}\u{85}\u{2028}\u{2029}".unicodeScalars.contains(scalar) {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    private static func string(_ scalars: [Unicode.Scalar]) -> String {
        String(String.UnicodeScalarView(scalars))
    }

    /// `str.replace(old, new, count)`; count < 0 replaces all.
    static func replace(_ text: String, _ old: String, _ new: String, count: Int) -> String {
        let scalars = Array(text.unicodeScalars)
        let needle = Array(old.unicodeScalars)
        var result = String.UnicodeScalarView()
        var replaced = 0
        var index = 0
        if needle.isEmpty {
            for scalar in scalars {
                if count < 0 || replaced < count {
                    result.append(contentsOf: new.unicodeScalars)
                    replaced += 1
                }
                result.append(scalar)
            }
            if count < 0 || replaced < count { result.append(contentsOf: new.unicodeScalars) }
            return String(result)
        }
        while index < scalars.count {
            if count < 0 || replaced < count, index + needle.count <= scalars.count,
                scalars[index..<index + needle.count].elementsEqual(needle)
            {
                result.append(contentsOf: new.unicodeScalars)
                index += needle.count
                replaced += 1
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return String(result)
    }

    /// `str.find(needle)`: the code-point index of the first occurrence, or -1. Searches UTF-8 bytes, which
    /// match exactly where the code points match.
    static func find(_ text: String, _ needle: String) -> Int {
        let haystack = Array(text.utf8)
        let target = Array(needle.utf8)
        guard !target.isEmpty else { return 0 }
        guard target.count <= haystack.count else { return -1 }
        let first = target[0]
        var index = 0
        let last = haystack.count - target.count
        while index <= last {
            if haystack[index] == first, haystack[index..<index + target.count].elementsEqual(target) {
                return haystack[..<index].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
            }
            index += 1
        }
        return -1
    }

    static func count(_ text: String, _ needle: String) -> Int {
        let scalars = Array(text.unicodeScalars)
        let target = Array(needle.unicodeScalars)
        guard !target.isEmpty else { return scalars.count + 1 }
        var total = 0
        var index = 0
        while index + target.count <= scalars.count {
            if scalars[index..<index + target.count].elementsEqual(target) {
                total += 1
                index += target.count
            } else {
                index += 1
            }
        }
        return total
    }

    /// `str.format(*args, **kwargs)` for plain `{}`, `{0}` and `{name}` fields (no format specs).
    static func format(_ text: String, _ arguments: TemplateCallArguments) throws -> String {
        var result = ""
        var autoIndex = 0
        var iterator = Array(text).makeIterator()
        while let character = iterator.next() {
            if character == "}" {
                guard iterator.next() == "}" else { throw ChatTemplateError(.runtime, "Single '}' in format string") }
                result += "}"
                continue
            }
            guard character == "{" else {
                result.append(character)
                continue
            }
            var field = ""
            var closed = false
            while let next = iterator.next() {
                if next == "{" && field.isEmpty {
                    result += "{"
                    closed = true
                    field = "{"
                    break
                }
                if next == "}" {
                    closed = true
                    break
                }
                field.append(next)
            }
            guard closed else { throw ChatTemplateError(.runtime, "Single '{' in format string") }
            if field == "{" { continue }
            guard !field.contains(":"), !field.contains("!") else {
                throw ChatTemplateError(.unsupported, "format specs in str.format ('{\(field)}')")
            }
            let value: TemplateValue?
            if field.isEmpty {
                value = autoIndex < arguments.positional.count ? arguments.positional[autoIndex] : nil
                autoIndex += 1
            } else if let position = Int(field) {
                value = position < arguments.positional.count ? arguments.positional[position] : nil
            } else {
                value = arguments.keyword.first { $0.0 == field }?.1
            }
            guard let value else { throw ChatTemplateError(.runtime, "missing argument for format field '{\(field)}'") }
            result += value.str
        }
        return result
    }
}

/// Comparison of secrets (API keys, shared tokens) whose time does not depend on where they first differ, so a
/// client cannot find a key byte by byte by timing its refusals.
public enum ConstantTime {
    /// Whether `given` equals `secret`; it reads every byte of the longer of the two.
    public static func equals(_ given: String, _ secret: String) -> Bool {
        let (a, b) = (Array(given.utf8), Array(secret.utf8))
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

import ServingCore
import Testing

@Suite("Constant-time comparison of secrets")
struct ConstantTimeTests {
    @Test(
        "equal only when every byte and the length agree",
        arguments: [
            ("Bearer k3y", "Bearer k3y", true), ("Bearer k3y", "Bearer k3z", false), ("", "", true),
            ("Bearer k3y", "Bearer k3", false), ("Bearer k3", "Bearer k3y", false), ("", "x", false),
            ("Bearer k3y\u{0}", "Bearer k3y", false), ("é", "e\u{301}", false),
        ])
    func equality(given: String, secret: String, equal: Bool) {
        #expect(ConstantTime.equals(given, secret) == equal)
    }
}

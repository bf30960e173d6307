import APIServer
import Testing

@Suite("--lora-modules entries in vLLM's two forms")
struct LoRAModuleTests {
    @Test("name=path and the JSON form with base_model_name parse; the path may contain '='")
    func forms() throws {
        #expect(try LoRAModule(parsing: "sql=/adapters/sql") == LoRAModule(name: "sql", path: "/adapters/sql"))
        #expect(try LoRAModule(parsing: "x=/a=b") == LoRAModule(name: "x", path: "/a=b"))
        let json = try LoRAModule(parsing: #"{"name": "sql", "path": "/adapters/sql", "base_model_name": "smol"}"#)
        #expect(json == LoRAModule(name: "sql", path: "/adapters/sql", baseModelName: "smol"))
    }

    @Test("entries in neither form are refused with the expected forms", arguments: [
        "sql", "=/p", "sql=", #"{"name": "sql"}"#, #"{"path": "/p"}"#, "{not json",
    ])
    func refused(text: String) {
        #expect(throws: LoRAModuleError.self) { try LoRAModule(parsing: text) }
    }
}

import Foundation
import ModelFiles

/// The safetensors files of one model directory, addressed by tensor name.
///
/// Uses `model.safetensors.index.json` (`weight_map: name → shard`) when present, otherwise every top-level
/// `*.safetensors` file (as vLLM does; goldens and extras must live in subfolders). Headers are validated on open.
public final class Checkpoint: @unchecked Sendable {
    public let directory: String
    private var files: [SafetensorsFile] = []
    private var location: [String: SafetensorsFile] = [:]

    public init(directory: String) throws(ModelLoadError) {
        self.directory = directory
        let fm = FileManager.default
        let indexPath = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        var shardNames: [String]
        var weightMap: [String: String]? = nil
        if fm.fileExists(atPath: indexPath) {
            guard let data = fm.contents(atPath: indexPath),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let map = json["weight_map"] as? [String: String]
            else { throw .badConfig(path: indexPath, reason: "needs a weight_map object of name → file") }
            weightMap = map
            shardNames = Array(Set(map.values)).sorted()
        } else {
            let listing = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            shardNames = listing.filter { $0.hasSuffix(".safetensors") }.sorted()
            guard !shardNames.isEmpty else {
                throw .io(path: directory, reason: "no *.safetensors file in the directory")
            }
        }
        var byName: [String: SafetensorsFile] = [:]
        for shard in shardNames {
            let file = try SafetensorsFile(path: (directory as NSString).appendingPathComponent(shard))
            files.append(file)
            byName[shard] = file
            for name in file.entries.keys where weightMap == nil { location[name] = file }
        }
        if let map = weightMap {
            for (name, shard) in map {
                guard let file = byName[shard], file.entries[name] != nil else {
                    throw .missingTensor(tensor: name, directory: (directory as NSString).appendingPathComponent(shard))
                }
                location[name] = file
            }
        }
    }

    public var tensorNames: [String] { location.keys.sorted() }

    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// Reads `name` as f32 into `out`, after checking its shape is `shape`.
    public func read(_ name: String, shape: [Int], into out: UnsafeMutablePointer<Float>) throws(ModelLoadError) {
        guard let file = location[name] else { throw .missingTensor(tensor: name, directory: directory) }
        let found = file.entries[name]!.shape
        guard found == shape else { throw .wrongShape(file: file.path, tensor: name, expected: shape, found: found) }
        try file.read(name, into: out)
    }

    /// Tensor `name` kept as stored when it is a 2-D F16 or BF16 weight (used in place from the mapping); nil for
    /// other dtypes, which `read` converts.
    func stored(_ name: String, shape: [Int]) throws(ModelLoadError) -> QuantizedMatrix? {
        guard let file = location[name] else { throw .missingTensor(tensor: name, directory: directory) }
        let entry = file.entries[name]!
        guard entry.shape == shape else {
            throw .wrongShape(file: file.path, tensor: name, expected: shape, found: entry.shape)
        }
        let type: GGMLType
        switch entry.dtype {
        case "F16": type = .f16
        case "BF16": type = .bf16
        default: return nil
        }
        guard shape.count == 2 else { return nil }
        return QuantizedMatrix(type: type, outDim: shape[0], inDim: shape[1], bytes: file.bytes(of: entry), owner: file)
    }
}

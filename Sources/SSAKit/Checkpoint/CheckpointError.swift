/// Why a Hugging Face checkpoint could not be read.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
  case notADirectory(String)
  case missingFile(String)
  case unreadable(path: String, reason: String)
  case badJSON(path: String, reason: String)
  case missingConfigKey(String)
  case badConfigValue(key: String, reason: String)
  case unknownArchitecture(String)
  case missingShard(file: String, tensor: String)
  case missingTensor(String)
  case wrongShape(tensor: String, expected: [Int], found: [Int])
  case unsupportedDType(tensor: String, dtype: String)
  case badSafetensorsHeader(path: String, reason: String)
  case tensorOutOfBounds(path: String, tensor: String, reason: String)

  public var description: String {
    switch self {
    case .notADirectory(let p): return "\(p) is not a checkpoint folder"
    case .missingFile(let p): return "missing \(p)"
    case .unreadable(let p, let r): return "cannot read \(p): \(r)"
    case .badJSON(let p, let r): return "\(p) is not valid JSON: \(r)"
    case .missingConfigKey(let k): return "config.json lacks \"\(k)\""
    case .badConfigValue(let k, let r): return "config.json \"\(k)\": \(r)"
    case .unknownArchitecture(let a): return "unknown architecture \"\(a)\" (supported: Qwen2ForCausalLM, model_type qwen2)"
    case .missingShard(let f, let t): return "shard \(f) (holding \(t)) is missing"
    case .missingTensor(let t): return "checkpoint lacks tensor \"\(t)\""
    case .wrongShape(let t, let e, let f): return "tensor \"\(t)\" has shape \(f), expected \(e)"
    case .unsupportedDType(let t, let d): return "tensor \"\(t)\" has dtype \(d) (supported: F32, F16, BF16)"
    case .badSafetensorsHeader(let p, let r): return "\(p): bad safetensors header: \(r)"
    case .tensorOutOfBounds(let p, let t, let r): return "\(p): tensor \"\(t)\" \(r)"
    }
  }
}

import Foundation

/// The parts of an HF `config.json` a Qwen2 conversion needs. Both the transformers 4.x form (top-level
/// `rope_theta`) and the 5.x form (`rope_parameters: {rope_theta, rope_type}`) are read.
public struct HFConfig: Equatable, Sendable {
  public var architecture: String
  public var vocabularySize: Int
  public var hiddenSize: Int
  public var layerCount: Int
  public var headCount: Int
  public var kvHeadCount: Int
  public var headDim: Int
  public var intermediateSize: Int
  public var ropeTheta: Double
  public var rmsEpsilon: Double
  public var contextLength: Int
  public var tieWordEmbeddings: Bool
  public var bosTokenId: Int?
  public var eosTokenId: Int?
  /// `config.json`'s `_name_or_path`, when present (e.g. the base model a checkpoint was trained from).
  public var nameOrPath: String?

  public init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else { throw CheckpointError.missingFile(path) }
    let object: [String: Any]
    do {
      guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw CheckpointError.badJSON(path: path, reason: "not an object")
      }
      object = o
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError.badJSON(path: path, reason: error.localizedDescription)
    }
    try self.init(object: object)
  }

  public init(object: [String: Any]) throws {
    func int(_ key: String) throws -> Int {
      guard let v = object[key], !(v is NSNull) else { throw CheckpointError.missingConfigKey(key) }
      return try HFConfig.integer(v, key: key)
    }
    func float(_ key: String, in object: [String: Any], prefix: String = "") throws -> Double {
      guard let v = object[key], !(v is NSNull) else { throw CheckpointError.missingConfigKey(prefix + key) }
      return try HFConfig.float32(v, key: prefix + key)
    }

    let architectures = object["architectures"] as? [String] ?? []
    let modelType = object["model_type"] as? String
    guard architectures.contains("Qwen2ForCausalLM") || modelType == "qwen2" else {
      throw CheckpointError.unknownArchitecture(architectures.first ?? modelType ?? "(none given)")
    }
    architecture = "qwen2"
    vocabularySize = try int("vocab_size")
    hiddenSize = try int("hidden_size")
    layerCount = try int("num_hidden_layers")
    headCount = try int("num_attention_heads")
    kvHeadCount = HFConfig.isAbsent(object["num_key_value_heads"]) ? headCount : try int("num_key_value_heads")
    intermediateSize = try int("intermediate_size")
    contextLength = try int("max_position_embeddings")
    rmsEpsilon = try float("rms_norm_eps", in: object)
    if !HFConfig.isAbsent(object["rope_theta"]) {
      ropeTheta = try float("rope_theta", in: object)
    } else if let parameters = object["rope_parameters"] as? [String: Any] {
      if let type = parameters["rope_type"] as? String, type != "default" {
        throw CheckpointError.badConfigValue(key: "rope_parameters.rope_type", reason: "\"\(type)\" scaling is not supported")
      }
      ropeTheta = try float("rope_theta", in: parameters, prefix: "rope_parameters.")
    } else {
      throw CheckpointError.missingConfigKey("rope_theta (or rope_parameters.rope_theta)")
    }
    if let scaling = object["rope_scaling"], !(scaling is NSNull) {
      throw CheckpointError.badConfigValue(key: "rope_scaling", reason: "RoPE scaling is not supported")
    }
    // transformers: `head_dim`, else hidden_size // num_attention_heads.
    headDim = HFConfig.isAbsent(object["head_dim"]) ? hiddenSize / headCount : try int("head_dim")
    guard headDim > 0 else {
      throw CheckpointError.badConfigValue(
        key: "num_attention_heads", reason: "\(headCount) heads leave no head size in hidden_size \(hiddenSize)")
    }
    // The query projection's rows; the key/value ones are fewer (kvHeadCount divides headCount).
    let (qDim, overflow) = headCount.multipliedReportingOverflow(by: headDim)
    guard !overflow, qDim <= HFConfig.maxInt else {
      throw CheckpointError.badConfigValue(
        key: "head_dim",
        reason: "\(headDim) x \(headCount) heads (num_attention_heads) out of range (at most \(HFConfig.maxInt))")
    }
    guard headCount % kvHeadCount == 0 else {
      throw CheckpointError.badConfigValue(key: "num_key_value_heads", reason: "\(kvHeadCount) does not divide \(headCount)")
    }
    if let v = object["tie_word_embeddings"], !(v is NSNull) {
      guard HFConfig.isBool(v), let tied = v as? Bool else {
        throw CheckpointError.badConfigValue(
          key: "tie_word_embeddings", reason: "expected true or false, got \(HFConfig.describe(v))")
      }
      tieWordEmbeddings = tied
    } else {
      tieWordEmbeddings = false
    }
    bosTokenId = try HFConfig.tokenID(object["bos_token_id"], key: "bos_token_id")
    eosTokenId = try HFConfig.tokenID(object["eos_token_id"], key: "eos_token_id")
    nameOrPath = object["_name_or_path"] as? String
  }

  /// The largest count or size accepted: GGUF stores them as uint32, and the runtime (`ModelConfig`),
  /// safetensors shapes and GGUF dimensions all take them below 2^31.
  static let maxInt = Int(Int32.max)

  static func isAbsent(_ v: Any?) -> Bool { v == nil || v is NSNull }

  /// JSON true and false, which JSONSerialization gives as NSNumbers of type "c".
  static func isBool(_ v: Any) -> Bool {
    if v is Bool && !(v is NSNumber) { return true }
    guard let n = v as? NSNumber else { return false }
    return String(cString: n.objCType) == "c"
  }

  /// A JSON value as an error message shows it: numbers as written, anything else by its kind.
  static func describe(_ v: Any) -> String {
    if isBool(v) { return "a boolean (\((v as? Bool) ?? false))" }
    switch v {
    case let n as NSNumber: return "\(n)"
    case let s as String: return "a string (\"\(s.count > 40 ? String(s.prefix(40)) + "..." : s)\")"
    case is NSNull: return "null"
    case is [Any]: return "an array"
    case is [String: Any]: return "an object"
    default: return "\(v)"
    }
  }

  /// An integer in `range` (by default a positive one that fits a GGUF count).
  static func integer(_ v: Any, key: String, range: ClosedRange<Int> = 1...maxInt) throws -> Int {
    let kind = range.lowerBound == 1 ? "a positive integer" : "a non-negative integer"
    guard !isBool(v), let n = v as? NSNumber, n.doubleValue.isFinite, n.doubleValue.rounded() == n.doubleValue else {
      throw CheckpointError.badConfigValue(key: key, reason: "expected \(kind), got \(describe(v))")
    }
    // Compared as a Double first: a huge value (2^64) does not fit an Int.
    let d = n.doubleValue
    guard d >= Double(range.lowerBound), d <= Double(range.upperBound), let i = Int(exactly: d) else {
      throw CheckpointError.badConfigValue(key: key, reason: "\(n) out of range (\(range.lowerBound)...\(range.upperBound))")
    }
    return i
  }

  /// A positive number that GGUF's float32 holds as a normal number (not 0, subnormal or infinite).
  static func float32(_ v: Any, key: String) throws -> Double {
    guard !isBool(v), let n = v as? NSNumber else {
      throw CheckpointError.badConfigValue(key: key, reason: "expected a positive number, got \(describe(v))")
    }
    let d = n.doubleValue, f = Float(d)
    guard d > 0, f.isFinite, f.isNormal else {
      throw CheckpointError.badConfigValue(
        key: key,
        reason: "\(n) out of range (a positive float32, \(Float.leastNormalMagnitude)...\(Float.greatestFiniteMagnitude))")
    }
    return d
  }

  /// An optional special token id: a list (several EOS ids) or null is taken as none given.
  static func tokenID(_ v: Any?, key: String) throws -> Int? {
    guard let v, !(v is NSNull), !(v is [Any]) else { return nil }
    return try integer(v, key: key, range: 0...maxInt)
  }
}

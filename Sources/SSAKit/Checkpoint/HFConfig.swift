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
      guard let v = object[key] else { throw CheckpointError.missingConfigKey(key) }
      guard let n = v as? NSNumber, String(cString: n.objCType) != "c", n.doubleValue == Double(n.intValue),
        n.intValue > 0
      else { throw CheckpointError.badConfigValue(key: key, reason: "expected a positive integer, got \(v)") }
      return n.intValue
    }
    func optionalInt(_ key: String) -> Int? { (object[key] as? NSNumber)?.intValue }
    func double(_ v: Any?, _ key: String) throws -> Double {
      guard let v else { throw CheckpointError.missingConfigKey(key) }
      guard let n = v as? NSNumber, n.doubleValue.isFinite, n.doubleValue > 0 else {
        throw CheckpointError.badConfigValue(key: key, reason: "expected a positive number, got \(v)")
      }
      return n.doubleValue
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
    kvHeadCount = object["num_key_value_heads"] == nil ? headCount : try int("num_key_value_heads")
    intermediateSize = try int("intermediate_size")
    contextLength = try int("max_position_embeddings")
    rmsEpsilon = try double(object["rms_norm_eps"], "rms_norm_eps")
    if let theta = object["rope_theta"] {
      ropeTheta = try double(theta, "rope_theta")
    } else if let parameters = object["rope_parameters"] as? [String: Any] {
      if let type = parameters["rope_type"] as? String, type != "default" {
        throw CheckpointError.badConfigValue(key: "rope_parameters.rope_type", reason: "\"\(type)\" scaling is not supported")
      }
      ropeTheta = try double(parameters["rope_theta"], "rope_parameters.rope_theta")
    } else {
      throw CheckpointError.missingConfigKey("rope_theta (or rope_parameters.rope_theta)")
    }
    if let scaling = object["rope_scaling"], !(scaling is NSNull) {
      throw CheckpointError.badConfigValue(key: "rope_scaling", reason: "RoPE scaling is not supported")
    }
    headDim = optionalInt("head_dim") ?? hiddenSize / headCount
    guard headCount % kvHeadCount == 0 else {
      throw CheckpointError.badConfigValue(key: "num_key_value_heads", reason: "\(kvHeadCount) does not divide \(headCount)")
    }
    tieWordEmbeddings = (object["tie_word_embeddings"] as? Bool) ?? false
    bosTokenId = optionalInt("bos_token_id")
    eosTokenId = optionalInt("eos_token_id")
    nameOrPath = object["_name_or_path"] as? String
  }
}

/// The shapes and constants of a Qwen2 model, read from GGUF metadata (`qwen2.*` keys, as llama.cpp
/// writes them). Any size works: 0.5B, 1.5B, 3B, 7B.
public struct ModelConfig: Equatable, Sendable {
  public var architecture: String
  public var vocabularySize: Int
  public var hiddenSize: Int          // embedding_length
  public var layerCount: Int          // block_count
  public var headCount: Int           // attention.head_count
  public var kvHeadCount: Int         // attention.head_count_kv
  public var headDim: Int             // attention.key_length, else hidden / heads
  public var intermediateSize: Int    // feed_forward_length
  public var ropeTheta: Float         // rope.freq_base
  public var rmsEpsilon: Float        // attention.layer_norm_rms_epsilon
  public var contextLength: Int       // context_length
  /// The prompt format recorded by `ssa convert` (`ssa.prompt_format`), if any.
  public var promptFormat: String?

  public var qDim: Int { headCount * headDim }
  public var kvDim: Int { kvHeadCount * headDim }

  public static let supportedArchitectures = ["qwen2"]

  public init(gguf: GGUFFile) throws {
    guard let arch = gguf.architecture else { throw ModelError.missingMetadata("general.architecture") }
    guard ModelConfig.supportedArchitectures.contains(arch) else { throw ModelError.unsupportedArchitecture(arch) }
    architecture = arch

    func int(_ key: String) throws -> Int {
      guard let value = gguf["\(arch).\(key)"] else { throw ModelError.missingMetadata("\(arch).\(key)") }
      guard let v = value.int else {
        throw ModelError.badMetadata(key: "\(arch).\(key)", reason: "expected a positive integer, got \(value)")
      }
      guard v > 0, v < 1 << 31 else {
        throw ModelError.badMetadata(key: "\(arch).\(key)", reason: "\(v) is out of the supported range 1...\((1 << 31) - 1)")
      }
      return v
    }
    func float(_ key: String, default fallback: Float? = nil) throws -> Float {
      guard let value = gguf["\(arch).\(key)"] else {
        if let fallback { return fallback }
        throw ModelError.missingMetadata("\(arch).\(key)")
      }
      guard let v = value.double, v.isFinite, v > 0 else {
        throw ModelError.badMetadata(key: "\(arch).\(key)", reason: "expected a positive number, got \(value)")
      }
      return Float(v)
    }

    hiddenSize = try int("embedding_length")
    layerCount = try int("block_count")
    headCount = try int("attention.head_count")
    kvHeadCount = try int("attention.head_count_kv")
    intermediateSize = try int("feed_forward_length")
    contextLength = try int("context_length")
    ropeTheta = try float("rope.freq_base", default: 10_000)
    rmsEpsilon = try float("attention.layer_norm_rms_epsilon")
    if gguf["\(arch).attention.key_length"] != nil {
      headDim = try int("attention.key_length")
    } else {
      guard hiddenSize % headCount == 0 else {
        throw ModelError.badMetadata(key: "\(arch).attention.head_count", reason: "\(headCount) does not divide \(hiddenSize)")
      }
      headDim = hiddenSize / headCount
    }
    guard headCount % kvHeadCount == 0 else {
      throw ModelError.badMetadata(
        key: "\(arch).attention.head_count_kv", reason: "\(kvHeadCount) does not divide the \(headCount) query heads")
    }
    guard headDim % 2 == 0, headDim <= 256 else {
      throw ModelError.badMetadata(key: "\(arch).attention.key_length", reason: "head size \(headDim) must be even and at most 256")
    }
    guard let embedding = gguf.tensor(named: "token_embd.weight"), embedding.shape.count == 2 else {
      throw ModelError.missingTensor("token_embd.weight")
    }
    vocabularySize = embedding.shape[1]
    promptFormat = gguf["ssa.prompt_format"]?.string
  }
}

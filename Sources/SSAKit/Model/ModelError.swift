/// Why a model could not be loaded or run.
public enum ModelError: Error, Equatable, CustomStringConvertible {
  case unsupportedArchitecture(String)
  case missingMetadata(String)
  case badMetadata(key: String, reason: String)
  case missingTensor(String)
  case wrongShape(tensor: String, expected: [Int], found: [Int])
  case unsupportedTensorType(tensor: String, type: String)
  case tokenOutOfRange(token: Int, vocabularySize: Int)
  case contextOverflow(needed: Int, capacity: Int)
  case emptyPrompt
  case noSuchLayer(Int, layerCount: Int)

  public var description: String {
    switch self {
    case .unsupportedArchitecture(let arch):
      return "unsupported model architecture \"\(arch)\" (supported: qwen2)"
    case .missingMetadata(let key):
      return "model file lacks metadata key \"\(key)\""
    case .badMetadata(let key, let reason):
      return "bad metadata \"\(key)\": \(reason)"
    case .missingTensor(let name):
      return "model file lacks tensor \"\(name)\""
    case .wrongShape(let name, let expected, let found):
      return "tensor \"\(name)\" has shape \(found), expected \(expected)"
    case .unsupportedTensorType(let name, let type):
      return "tensor \"\(name)\" has type \(type), which this runtime cannot decode"
    case .tokenOutOfRange(let token, let vocab):
      return "token id \(token) is outside the vocabulary (0..<\(vocab))"
    case .contextOverflow(let needed, let capacity):
      return "sequence of \(needed) tokens exceeds the context of \(capacity) tokens"
    case .emptyPrompt:
      return "the prompt has no tokens"
    case .noSuchLayer(let l, let count):
      return "layer \(l) is not a layer of this model (0..<\(count))"
    }
  }
}

/// A model file that cannot be loaded, and why.
public struct ModelFileError: Error, Equatable, CustomStringConvertible {
  public let path: String
  public let error: ModelError

  public init(path: String, error: ModelError) {
    self.path = path
    self.error = error
  }

  public var description: String { "\(path): \(error)" }
}

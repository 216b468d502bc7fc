/// Why a conversion could not be done.
public enum ConvertError: Error, Equatable, CustomStringConvertible {
  case unsupportedOutputType(String)
  case unsupportedInput(String)
  case badPromptFormat(String)
  case shapeNotQuantizable(tensor: String, type: String, cols: Int)
  case unsupportedTensorType(tensor: String, type: String)
  case interrupted

  public var description: String {
    switch self {
    case .unsupportedOutputType(let t): return "cannot write \(t) (output types: F32, F16, BF16, Q8_0, Q4_0)"
    case .unsupportedInput(let p): return "\(p) is neither a checkpoint folder nor a GGUF file"
    case .badPromptFormat(let f): return "unknown prompt format \"\(f)\" (ssa, chat, answer)"
    case .shapeNotQuantizable(let t, let type, let cols):
      return "tensor \"\(t)\" rows of \(cols) values cannot be stored as \(type) (needs a multiple of 32)"
    case .unsupportedTensorType(let t, let type): return "tensor \"\(t)\" has type \(type), which cannot be decoded"
    case .interrupted: return "interrupted; no output file was left behind"
    }
  }
}

/// Why a conversion could not be done.
public enum ConvertError: Error, Equatable, CustomStringConvertible {
  case unsupportedOutputType(String)
  case unsupportedInput(String)
  case badPromptFormat(String)
  case shapeNotQuantizable(tensor: String, type: String, cols: Int)
  case unsupportedTensorType(tensor: String, type: String)
  /// The runtime would refuse the converted file; `reason` is the runtime's own error.
  case notLoadable(input: String, reason: String)
  case emptyOutputPath
  case outputIsDirectory(String)
  /// The output path names a file of the checkpoint being read, which writing would replace.
  case outputIsInput(output: String, input: String)
  case interrupted

  public var description: String {
    switch self {
    case .unsupportedOutputType(let t): return "cannot write \(t) (output types: F32, F16, BF16, Q8_0, Q4_0)"
    case .unsupportedInput(let p): return "\(p) is neither a checkpoint folder nor a GGUF file"
    case .badPromptFormat(let f): return "unknown prompt format \"\(f)\" (ssa, chat, answer)"
    case .shapeNotQuantizable(let t, let type, let cols):
      return "tensor \"\(t)\" rows of \(cols) values cannot be stored as \(type) (needs a multiple of 32)"
    case .unsupportedTensorType(let t, let type): return "tensor \"\(t)\" has type \(type), which cannot be decoded"
    case .notLoadable(let input, let reason): return "\(input) is not a loadable Qwen2 model: \(reason)"
    case .emptyOutputPath: return "the output path is empty"
    case .outputIsDirectory(let p): return "the output \(p) is a directory (give a file name)"
    case .outputIsInput(let output, let input):
      return "the output \(output) is the input file \(input); writing it would destroy the checkpoint "
        + "(choose another output)"
    case .interrupted: return "interrupted; no output file was left behind"
    }
  }

  /// A bad output path: a usage error rather than bad input.
  public var isOutputPathError: Bool {
    switch self {
    case .emptyOutputPath, .outputIsDirectory, .outputIsInput: return true
    default: return false
    }
  }
}

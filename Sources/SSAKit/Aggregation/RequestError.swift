/// Why an input line is not a request. Written as the line's error record; the run goes on.
public enum RequestError: Error, Equatable, CustomStringConvertible {
  case emptyLine
  case lineTooLong(bytes: Int, limit: Int)
  case invalidUTF8(offset: Int)
  case notJSON(String)
  case notAnObject(found: String)
  case missingField(String)
  case wrongType(field: String, expected: String, found: String)
  case noSamples
  case emptyInput
  /// Plain text: nothing before the first `---` line.
  case emptyQuestion
  /// Plain text: a question and no sample after it.
  case noPlainTextSamples
  /// Plain text: the offset is into the whole input.
  case invalidUTF8InInput(offset: Int)

  public var description: String {
    switch self {
    case .emptyLine:
      return "empty line"
    case .lineTooLong(let bytes, let limit):
      return "line of \(bytes) bytes is longer than the limit of \(limit) bytes (--max-line-bytes)"
    case .invalidUTF8(let offset):
      return "invalid UTF-8 at byte \(offset) of the line"
    case .notJSON(let why):
      return "not JSON: \(why)"
    case .notAnObject(let found):
      return "expected a JSON object, found \(found)"
    case .missingField(let name):
      return "missing field \"\(name)\""
    case .wrongType(let field, let expected, let found):
      return "field \"\(field)\" must be \(expected), found \(found)"
    case .noSamples:
      return "no samples: \"samples\" is empty"
    case .emptyInput:
      return "empty input: expected a question, then samples separated by lines holding only ---"
    case .emptyQuestion:
      return "no question: the text before the first line holding only --- is empty"
    case .noPlainTextSamples:
      return "no samples: after the question, each sample follows a line holding only ---"
    case .invalidUTF8InInput(let offset):
      return "invalid UTF-8 at byte \(offset) of the input"
    }
  }
}

/// A request that failed to parse, with whatever id it had (null when none could be read).
public struct RequestFailure: Error, CustomStringConvertible {
  public let id: JSON
  public let error: RequestError

  public init(id: JSON, error: RequestError) {
    self.id = id
    self.error = error
  }

  public var description: String { error.description }
}

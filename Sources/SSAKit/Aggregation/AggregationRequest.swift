/// One request: a question, its candidate solutions, and optionally the gold answer (for `ssa eval`).
public struct AggregationRequest: Equatable, Sendable {
  /// Any JSON value, echoed back in the output record (null when the input has none).
  public var id: JSON
  public var question: String
  public var samples: [String]
  public var gold: String?

  public init(id: JSON = .null, question: String, samples: [String], gold: String? = nil) {
    self.id = id
    self.question = question
    self.samples = samples
    self.gold = gold
  }

  /// Parses one JSON line `{"id": any, "question": str, "samples": [str, ...], "gold"?: str}`.
  /// `gold` may also be a number (GSM8K-style data often stores it so). Throws `RequestFailure`.
  public static func parse(line: [UInt8]) throws -> AggregationRequest {
    func fail(_ error: RequestError, id: JSON = .null) -> RequestFailure { RequestFailure(id: id, error: error) }
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { throw fail(.emptyLine) }
    if let bad = UTF8Validation.firstInvalidOffset(line) { throw fail(.invalidUTF8(offset: bad)) }
    let json: JSON
    do {
      json = try JSON.parse(line)
    } catch {
      throw fail(.notJSON(JSONErrorText.describe(error)))
    }
    guard case .object = json else { throw fail(.notAnObject(found: json.typeName)) }
    let id = json["id"] ?? .null
    guard let question = json["question"] else { throw fail(.missingField("question"), id: id) }
    guard case .string(let q) = question else {
      throw fail(.wrongType(field: "question", expected: "a string", found: question.typeName), id: id)
    }
    guard let samplesValue = json["samples"] else { throw fail(.missingField("samples"), id: id) }
    guard case .array(let items) = samplesValue else {
      throw fail(.wrongType(field: "samples", expected: "an array of strings", found: samplesValue.typeName), id: id)
    }
    var samples: [String] = []
    samples.reserveCapacity(items.count)
    for (i, item) in items.enumerated() {
      guard case .string(let s) = item else {
        throw fail(.wrongType(field: "samples[\(i)]", expected: "a string", found: item.typeName), id: id)
      }
      samples.append(s)
    }
    guard !samples.isEmpty else { throw fail(.noSamples, id: id) }
    var gold: String?
    switch json["gold"] {
    case nil, .null?: gold = nil
    case .string(let g)?: gold = g
    case .int(let g)?: gold = String(g)
    case .double(let g)?: gold = JSON.double(g).serialized
    case let other?:
      throw fail(.wrongType(field: "gold", expected: "a string", found: other.typeName), id: id)
    }
    return AggregationRequest(id: id, question: q, samples: samples, gold: gold)
  }

  /// Parses the plain-text form: the question, then each sample, separated by lines holding only
  /// `---`. Each part is trimmed of surrounding blank space. The id is null.
  public static func parse(plainText bytes: [UInt8]) throws -> AggregationRequest {
    if let bad = UTF8Validation.firstInvalidOffset(bytes) {
      throw RequestFailure(id: .null, error: .invalidUTF8InInput(offset: bad))
    }
    let text = String(decoding: bytes, as: UTF8.self)
    var parts: [[Substring]] = [[]]
    // "\r\n" is one Character in Swift, so split on it explicitly.
    for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      if line == "---" {
        parts.append([])
      } else {
        parts[parts.count - 1].append(line)
      }
    }
    let texts = parts.map { AnswerExtractor.trimmed($0.joined(separator: "\n")) }
    guard let question = texts.first, !question.isEmpty else {
      throw RequestFailure(id: .null, error: texts.contains { !$0.isEmpty } ? .emptyQuestion : .emptyInput)
    }
    let samples = texts.dropFirst().filter { !$0.isEmpty }
    guard !samples.isEmpty else { throw RequestFailure(id: .null, error: .noPlainTextSamples) }
    return AggregationRequest(question: question, samples: Array(samples))
  }
}

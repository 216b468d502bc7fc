import Foundation

/// One labeled sample set as `ssa calibrate` learns from it: the model's order-free evidence on each
/// candidate answer and whether the candidate is the gold answer. Saved as one JSON line per record
/// (`--features`), so that fits can be repeated without running the model again.
public struct LabeledEvidence: Sendable {
  public var id: JSON
  public var gold: String
  public var evidence: CandidateEvidence
  /// The layers of `evidence.hidden`, in order.
  public var layers: [Int]
  /// Parallel to the candidates: the candidate is the gold answer.
  public var correct: [Bool]
  /// Model time spent on the record.
  public var seconds: Double

  public init(id: JSON, gold: String, evidence: CandidateEvidence, layers: [Int], seconds: Double) {
    self.id = id
    self.gold = gold
    self.evidence = evidence
    self.layers = layers
    self.seconds = seconds
    correct = evidence.candidates.map { Answer.isCorrect($0.text, gold: gold) }
  }

  /// Whether some candidate is right (only such records teach which candidate to pick).
  public var hasGold: Bool { correct.contains(true) }

  public var json: JSON {
    func floats(_ v: [Float]) -> JSON { .array(v.map { .double(Double("\($0)") ?? Double($0)) }) }
    let e = evidence
    return .object([
      ("id", id), ("gold", .string(gold)), ("k", .int(e.sampleCount)),
      ("candidates", .array(e.candidates.map { .string($0.text) })),
      ("counts", .array(e.counts.map(JSON.int))),
      ("correct", .array(correct.map(JSON.bool))),
      ("offsets", .array(e.offsets.map(JSON.int))),
      ("log_probabilities", .array(e.orderLogProbabilities.map { .array($0.map(JSON.double)) })),
      ("token_counts", .array(e.tokenCounts.map(JSON.int))),
      ("layers", .array(layers.map(JSON.int))),
      ("hidden", .array(e.hidden.map { .array($0.map(floats)) })),
      ("prompt_tokens", .int(e.promptTokens)),
      ("seconds", .double((seconds * 1e4).rounded() / 1e4)),
    ])
  }

  /// Reads a record written by `json`; nil when a field is missing or malformed.
  public init?(json: JSON) {
    func ints(_ key: String) -> [Int]? {
      guard case .array(let a)? = json[key] else { return nil }
      return a.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
    }
    func number(_ j: JSON) -> Double? {
      switch j {
      case .int(let i): return Double(i)
      case .double(let d): return d
      default: return nil
      }
    }
    guard case .string(let gold)? = json["gold"], case .array(let names)? = json["candidates"],
          let counts = ints("counts"), let offsets = ints("offsets"), let tokenCounts = ints("token_counts"),
          let layers = ints("layers"), case .int(let k)? = json["k"],
          case .array(let orders)? = json["log_probabilities"], case .array(let hiddenJSON)? = json["hidden"]
    else { return nil }
    let candidates = names.compactMap { j -> Answer? in if case .string(let s) = j { return Answer(s) } else { return nil } }
    let orderScores = orders.map { o -> [Double] in if case .array(let a) = o { return a.compactMap(number) } else { return [] } }
    let hidden = hiddenJSON.map { c -> [[Float]] in
      guard case .array(let perLayer) = c else { return [] }
      return perLayer.map { l in if case .array(let v) = l { return v.compactMap(number).map(Float.init) } else { return [] } }
    }
    let n = candidates.count
    guard n == names.count, counts.count == n, tokenCounts.count == n, hidden.count == n,
          orderScores.allSatisfy({ $0.count == n }), hidden.allSatisfy({ $0.count == layers.count })
    else { return nil }
    let promptTokens = json["prompt_tokens"].flatMap(number).map(Int.init) ?? 0
    let evidence = CandidateEvidence(candidates: candidates, counts: counts, sampleCount: k, offsets: offsets,
                                     orderLogProbabilities: orderScores, tokenCounts: tokenCounts, hidden: hidden,
                                     promptTokens: promptTokens)
    self.init(id: json["id"] ?? .null, gold: gold, evidence: evidence, layers: layers,
              seconds: json["seconds"].flatMap(number) ?? 0)
  }
}

import Foundation

/// The accuracy table of `ssa eval`: the baselines (pass@1 as the mean over samples, majority vote,
/// oracle pass@k) and, when a model ran, the aggregator with and without `--skip-unanimous`.
public struct EvalSummary: Equatable, Sendable {
  /// One aggregator row.
  public struct Row: Equatable, Sendable {
    public var correct = 0
    public var noAnswer = 0
    public var promptTokens = 0
    public var generatedTokens = 0
    public var seconds = 0.0
  }

  /// Records graded (those with a gold answer).
  public var records = 0
  public var withoutGold = 0
  /// Input lines that produced error records (bad lines, and records the model failed on).
  public var failed = 0
  public var minK = Int.max
  public var maxK = 0
  public var pass1Sum = 0.0
  public var majorityCorrect = 0
  public var majorityNoAnswer = 0
  public var oracleCorrect = 0
  public var unanimous = 0
  /// nil when no model ran (`--no-model`).
  public var model: Row?
  public var skipUnanimous: Row?
  public var format: PromptFormat?
  public var wallSeconds = 0.0

  public init() {}

  static func percent(_ n: Int, of d: Int) -> Double { d == 0 ? 0 : 100 * Double(n) / Double(d) }

  public var pass1: Double { records == 0 ? 0 : 100 * pass1Sum / Double(records) }
  public var majority: Double { EvalSummary.percent(majorityCorrect, of: records) }
  public var oracle: Double { EvalSummary.percent(oracleCorrect, of: records) }

  var kText: String {
    if records == 0 { return "?" }
    return minK == maxK ? "\(minK)" : "\(minK)-\(maxK)"
  }

  /// The table as text, for the terminal and the README.
  public var table: String {
    var lines: [String] = []
    lines.append("\(records) records with gold (k = \(kText)); \(withoutGold) without gold; \(failed) failed")
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
    func pct(_ x: Double) -> String { String(format: "%.1f%%", x) }
    lines.append(pad("method", 34) + lpad("accuracy", 9) + lpad("no answer", 11) + lpad("prompt tok", 12)
                 + lpad("gen tok", 9) + lpad("seconds", 10))
    lines.append(pad("pass@1 (mean over samples)", 34) + lpad(pct(pass1), 9))
    lines.append(pad("majority vote", 34) + lpad(pct(majority), 9)
                 + lpad(pct(EvalSummary.percent(majorityNoAnswer, of: records)), 11))
    lines.append(pad("oracle pass@\(kText)", 34) + lpad(pct(oracle), 9))
    let name = format.map { "model (\($0.rawValue))" } ?? "model"
    for (label, row) in [(name, model), (name + ", --skip-unanimous", skipUnanimous)] {
      guard let row else { continue }
      lines.append(pad(label, 34) + lpad(pct(EvalSummary.percent(row.correct, of: records)), 9)
                   + lpad(pct(EvalSummary.percent(row.noAnswer, of: records)), 11)
                   + lpad("\(row.promptTokens)", 12) + lpad("\(row.generatedTokens)", 9)
                   + lpad(String(format: "%.1f", row.seconds), 10))
    }
    if let model {
      let seconds = max(model.seconds, 1e-9)
      // Prompt and generated tokens share the model's time; their sum over it is the throughput.
      lines.append(String(format: "model: %.1f tokens/s (prompt + generated over %.1f s of model time); %d unanimous sets skipped with --skip-unanimous",
                          Double(model.promptTokens + model.generatedTokens) / seconds, model.seconds, unanimous))
    }
    lines.append(String(format: "wall time %.1f s, %.2f records/s", wallSeconds,
                        Double(records) / max(wallSeconds, 1e-9)))
    return lines.joined(separator: "\n")
  }

  /// The summary as one JSON object (`ssa eval --json`). Accuracies are percentages.
  public var json: JSON {
    func row(_ r: Row) -> JSON {
      .object([
        ("accuracy", .double(EvalSummary.percent(r.correct, of: records))),
        ("no_answer", .double(EvalSummary.percent(r.noAnswer, of: records))),
        ("correct", .int(r.correct)),
        ("prompt_tokens", .int(r.promptTokens)),
        ("generated_tokens", .int(r.generatedTokens)),
        ("seconds", .double(r.seconds)),
      ])
    }
    var fields: [(String, JSON)] = [
      ("records", .int(records)), ("without_gold", .int(withoutGold)), ("failed", .int(failed)),
      ("k", records == 0 ? .null : (minK == maxK ? .int(minK) : .string(kText))),
      ("pass1", .double(pass1)), ("majority", .double(majority)),
      ("majority_correct", .int(majorityCorrect)), ("majority_no_answer", .double(EvalSummary.percent(majorityNoAnswer, of: records))),
      ("oracle", .double(oracle)), ("oracle_correct", .int(oracleCorrect)), ("unanimous", .int(unanimous)),
    ]
    if let model {
      fields.append(("format", format.map { .string($0.rawValue) } ?? .null))
      fields.append(("model", row(model)))
    }
    if let skipUnanimous { fields.append(("skip_unanimous", row(skipUnanimous))) }
    fields.append(("wall_seconds", .double(wallSeconds)))
    fields.append(("records_per_second", .double(Double(records) / max(wallSeconds, 1e-9))))
    return .object(fields)
  }
}

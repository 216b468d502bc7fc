import ArgumentParser
import SSAKit

extension PromptFormat: ExpressibleByArgument {}
extension AggregationMethod: ExpressibleByArgument {}
extension EvidenceKind: ExpressibleByArgument {}

/// What to do when the model writes no answer.
enum FallbackPolicy: String, CaseIterable, ExpressibleByArgument {
  case none
  case majority
}

/// The model aggregator's options, shared by `ssa aggregate` and `ssa eval`.
struct AggregationOptionGroup: ParsableArguments {
  @Option(parsing: .unconditional, help: "Use the first N samples of each request (default: all); ssa eval takes a list (1,2,3,4) to sweep k.")
  var k: KValues?

  @Option(help: "Prompt format (default: the one recorded in the model file, else 'answer').")
  var promptFormat: PromptFormat?

  @Option(parsing: .unconditional, help: "Generate at most N new tokens.")
  var maxTokens = 512

  @Option(parsing: .unconditional, help: "Sampling temperature; 0 is greedy decoding.")
  var temperature = 0.0

  @Option(parsing: .unconditional, help: "Sample among the K most likely tokens (0: no limit; only with --temperature > 0).")
  var topK = 0

  @Option(parsing: .unconditional, help: "Random seed for sampling (each request is sampled with this seed).")
  var seed: UInt64 = 0

  @Flag(help: "Add the model's text before its answer to each record as 'reasoning'.")
  var reasoning = false

  /// The default method: the model writes the answer where it is a trained SSA (the `ssa` format);
  /// a zero-shot instruct model copies the last sample it reads (281 of 300 dev records), so with the
  /// other formats majority vote decides and the model only breaks ties.
  static func defaultMethod(_ format: PromptFormat) -> AggregationMethod { format == .ssa ? .generate : .tiebreak }

  @Option(help: ArgumentHelp(
    "How the answer is reached (default: generate for a trained SSA checkpoint, whose format is ssa; tiebreak otherwise): generate (the model writes it), choose (the likeliest of the samples' answers, read in the given order), debiased (choose, averaged over rotations of the samples), ensemble (one written answer per rotation, then a vote), tiebreak (majority vote, debiased among tied answers), calibrated (votes and model scores weighted by ssa calibrate), majority (no model).",
    valueName: "method"))
  var method: AggregationMethod?

  @Flag(help: "Same as --method choose.")
  var choose = false

  @OptionGroup var reading: EvidenceOptions

  @Option(help: "When the model writes no answer: 'none' (answer null) or 'majority' (answer the majority, source 'fallback').")
  var fallback: FallbackPolicy = .none

  // On by default: on the dev data it answered the same (55.7% either way) in 10% less time (README).
  @Flag(inversion: .prefixedNo, help: "When every sample's answer agrees, answer it without running the model (source 'unanimous').")
  var skipUnanimous = true

  @Flag(help: "Shorten the middle of the samples when the prompt does not fit the context, instead of an error record.")
  var truncate = false

  @Option(parsing: .unconditional, help: "Aggregate groups of G samples, then the groups' winners (for k beyond what the model handles well).")
  var group: Int?

  func validate() throws {
    if let k, k.values.contains(where: { $0 < 1 }) { throw ValidationError("--k must be 1 or more") }
    if choose, let method, method != .choose { throw ValidationError("--choose contradicts --method \(method.rawValue)") }
    if let group, group < 1 { throw ValidationError("--group must be 1 or more") }
    guard (1...maxTokensLimit).contains(maxTokens) else {
      throw ValidationError("--max-tokens must be between 1 and \(maxTokensLimit), got \(maxTokens)")
    }
    guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be a finite number, 0 or more") }
    guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more") }
  }

  /// The library options, with the prompt format resolved against the model file's record and the
  /// method against the format.
  func options(recordedFormat: PromptFormat?) -> AggregationOptions {
    let format = promptFormat ?? recordedFormat ?? .answer
    return AggregationOptions(
      format: format, k: k?.values.last, maxTokens: maxTokens, temperature: temperature,
      topK: topK, seed: seed, reasoning: reasoning, method: choose ? .choose : (method ?? AggregationOptionGroup.defaultMethod(format)),
      rotations: reading.rotations, evidence: reading.evidence, fallbackMajority: fallback == .majority,
      skipUnanimous: skipUnanimous, truncate: truncate, group: group)
  }
}

/// `--k N`, or a comma-separated list for `ssa eval`'s sweep.
struct KValues: ExpressibleByArgument {
  let values: [Int]

  init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.count == parts.count else { return nil }
    self.values = values
  }
}

/// How the scoring methods read a sample set (`ssa aggregate`, `ssa eval`, `ssa calibrate`).
struct EvidenceOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "Orders of the samples read by debiased, ensemble, tiebreak and calibrated: evenly spaced rotations (default: k, each sample in each position once).")
  var rotations: Int?

  @Option(help: "How debiased, tiebreak and ssa calibrate read the samples: rotations (all samples in one prompt, in each order) or pointwise (each sample alone, scored on its own answer). calibrated reads them as its weights were fitted.")
  var evidence: EvidenceKind = .rotations

  func validate() throws {
    if let rotations, rotations < 1 { throw ValidationError("--rotations must be 1 or more") }
  }
}

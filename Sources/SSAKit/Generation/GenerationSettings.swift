/// How to generate, from the request to the sampler: the one settings type of the generation path
/// (`AggregationOptions` makes it once; engines resolve the stop tokens to ids and hand `sampling` to
/// the sampler).
public struct GenerationSettings: Equatable, Sendable {
  /// New tokens at most (the pipeline caps it to the context left after the prompt).
  public var maxTokens: Int
  /// Temperature, top-k, top-p and seed: greedy when the temperature is 0.
  public var sampling: SamplingSettings
  /// Stop once the generated text ends with one of these (kept in the output): `</answer>`.
  public var stopSequences: [String]
  /// Special tokens that end generation (not part of the output): `<|endoftext|>`, and `<|im_end|>`
  /// for the chat format. Texts the tokenizer does not know are ignored.
  public var stopTokens: [String]

  public init(maxTokens: Int = 512, sampling: SamplingSettings = .greedy,
              stopSequences: [String] = [PromptFormat.stopSequence], stopTokens: [String] = ["<|endoftext|>"]) {
    self.maxTokens = maxTokens
    self.sampling = sampling
    self.stopSequences = stopSequences
    self.stopTokens = stopTokens
  }

  public var temperature: Double { Double(sampling.temperature) }
  public var topK: Int { sampling.topK }
  public var seed: UInt64 { sampling.seed }
}

/// Why generation ended: the one stop reason of the generation path (`ssa generate` prints the raw
/// value, the OpenAI-style API maps it to `finish_reason`).
public enum StopReason: String, Equatable, Sendable {
  /// An end-of-text token (not part of the output).
  case endOfText = "eos"
  /// A stop sequence, included at the end of the text.
  case stopSequence = "stop"
  /// The token limit.
  case maxTokens = "length"
  /// The sequence filled the context.
  case contextFull = "context"
  /// The caller stopped it (Ctrl-C, a closed output, a client gone).
  case cancelled
}

/// What a generation produced.
public struct Completion: Equatable, Sendable {
  public typealias StopReason = SSAKit.StopReason

  public var text: String
  public var promptTokens: Int
  public var generatedTokens: Int
  public var stopReason: StopReason

  public init(text: String, promptTokens: Int, generatedTokens: Int, stopReason: StopReason) {
    self.text = text
    self.promptTokens = promptTokens
    self.generatedTokens = generatedTokens
    self.stopReason = stopReason
  }
}

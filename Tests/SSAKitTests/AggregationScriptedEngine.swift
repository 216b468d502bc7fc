import Foundation
@testable import SSAKit

/// TEST DOUBLE: a deterministic stand-in for the model, scripted by each test. It never runs a model;
/// it counts tokens with a fixed toy rule and answers with whatever the test's closures say, and it
/// records every call so tests can check what the pipeline asked for.
final class ScriptedEngine: AggregationEngine {
  var contextLength: Int
  var recordedPromptFormat: PromptFormat?
  /// The generated text and why it stopped, for a prompt.
  var script: (Prompt, GenerationSettings) throws -> (String, Completion.StopReason)
  /// Log-probabilities for continuations (default: all equal).
  var scorer: ([Prompt], Prompt) throws -> [Double]

  private(set) var completions: [(prompt: Prompt, settings: GenerationSettings)] = []
  private(set) var scorings: [(prompt: Prompt, continuations: [Prompt])] = []

  init(contextLength: Int = 32768,
       script: @escaping (Prompt, GenerationSettings) throws -> (String, Completion.StopReason) = { _, _ in ("", .endOfText) },
       scorer: @escaping ([Prompt], Prompt) throws -> [Double] = { c, _ in Array(repeating: -1, count: c.count) }) {
    self.contextLength = contextLength
    self.script = script
    self.scorer = scorer
  }

  /// Toy tokenization: each special token is one token, plain text one token per 4 UTF-8 bytes
  /// (rounded up), so counts grow with length the way real ones do.
  static func toyCount(_ prompt: Prompt) -> Int {
    prompt.pieces(specialTokens: PromptFormat.chatSpecialTokens).reduce(0) { total, piece in
      switch piece {
      case .special: return total + 1
      case .text(let t): return total + (t.utf8.count + 3) / 4
      }
    }
  }

  func encode(_ prompt: Prompt) throws -> EncodedPrompt {
    EncodedPrompt(prompt: prompt, ids: Array(0..<ScriptedEngine.toyCount(prompt)))
  }

  func complete(_ encoded: EncodedPrompt, settings: GenerationSettings) throws -> Completion {
    let prompt = encoded.prompt
    completions.append((prompt, settings))
    let (text, stop) = try script(prompt, settings)
    return Completion(text: text, promptTokens: ScriptedEngine.toyCount(prompt),
                      generatedTokens: ScriptedEngine.toyCount(Prompt([.init(.user, text)])), stopReason: stop)
  }

  func score(_ continuations: [Prompt], after encoded: EncodedPrompt, hiddenLayers: [Int]) throws -> [ContinuationScore] {
    let prompt = encoded.prompt
    scorings.append((prompt, continuations))
    return try zip(continuations, scorer(continuations, prompt)).map { c, lp in
      ContinuationScore(logProbability: lp, tokenCount: ScriptedEngine.toyCount(c),
                        hidden: hiddenLayers.map { _ in [Float(lp)] })
    }
  }
}

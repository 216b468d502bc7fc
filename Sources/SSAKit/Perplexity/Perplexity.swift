import Foundation

/// Chunked perplexity as llama.cpp's `llama-perplexity` computes it: the token stream is cut into
/// windows of `context` tokens; each window is run from an empty cache and only its second half is
/// scored (every position sees at least context/2 tokens before it), so figures compare with
/// llama.cpp's on the same file and tokenization.
public struct PerplexityResult: Sendable {
  public var chunks: Int
  public var scoredTokens: Int
  public var negativeLogLikelihood: Double
  /// Running estimate after each chunk.
  public var perChunk: [Double]
  public var seconds: Double

  public var perplexity: Double { exp(negativeLogLikelihood / Double(max(1, scoredTokens))) }
}

public enum Perplexity {
  public static func evaluate(model: Qwen2Model, tokens: [Int], context: Int, maxChunks: Int? = nil,
                              addBOS: Int? = nil, cacheType: GGMLType = .f16, onChunk: ((Int, Double) -> Void)? = nil) throws -> PerplexityResult {
    precondition(context >= 2)
    var chunks = tokens.count / context
    if let maxChunks { chunks = min(chunks, maxChunks) }
    let session = try Session(model: model, capacity: context, chunk: min(context, 512), cacheType: cacheType)
    let first = context / 2
    var nll = 0.0
    var count = 0
    var perChunk: [Double] = []
    let start = Date()
    for c in 0..<chunks {
      var window = Array(tokens[(c * context)..<((c + 1) * context)])
      if let bos = addBOS { window[0] = bos }
      session.rewind(to: 0)
      try session.forward(window, logits: .all({ position, logits in
        guard position >= first, position < context - 1 else { return }
        nll -= logSoftmax(logits, at: window[position + 1])
        count += 1
      }))
      let estimate = exp(nll / Double(count))
      perChunk.append(estimate)
      onChunk?(c + 1, estimate)
    }
    return PerplexityResult(chunks: chunks, scoredTokens: count, negativeLogLikelihood: nll, perChunk: perChunk,
                            seconds: Date().timeIntervalSince(start))
  }

  /// log softmax(logits)[target], accumulated in Double.
  static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, at target: Int) -> Double {
    var maxLogit = -Float.infinity
    for l in logits where l > maxLogit { maxLogit = l }
    var sum = 0.0
    for l in logits { sum += exp(Double(l - maxLogit)) }
    return Double(logits[target] - maxLogit) - log(sum)
  }
}

/// Why one request could not be aggregated. The pipeline writes it as the request's error record.
public enum AggregationError: Error, Equatable, CustomStringConvertible {
  case noSamples
  /// The rendered prompt does not fit the model (and `--truncate` was not given).
  case contextTooLong(promptTokens: Int, contextLength: Int)
  /// Even with every sample cut down to its last `minimumTail` tokens the prompt is too long.
  case cannotTruncate(promptTokens: Int, shortestTokens: Int, budget: Int, contextLength: Int)
  /// The engine reported a token count that makes no sense.
  case badTokenCount(Int)
  /// The `calibrated` method with a model file that holds no calibration.
  case notCalibrated

  public var description: String {
    switch self {
    case .noSamples:
      return "no samples"
    case .contextTooLong(let prompt, let context):
      return "prompt of \(prompt) tokens is longer than the model's context of \(context) tokens (--truncate shortens the samples)"
    case .cannotTruncate(let prompt, let shortest, let budget, let context):
      return "prompt of \(prompt) tokens cannot be shortened to \(budget) tokens (context \(context) minus room to generate): "
        + "with every sample cut to its end it still takes \(shortest) tokens"
    case .badTokenCount(let n):
      return "the engine counted \(n) tokens for a prompt"
    case .notCalibrated:
      return "the model file holds no calibration for --method calibrated (make one with ssa calibrate)"
    }
  }
}

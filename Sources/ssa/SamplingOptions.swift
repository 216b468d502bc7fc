import ArgumentParser
import SSAKit

/// Decoding options shared by generate and aggregate.
struct SamplingOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "Sampling temperature; 0 is greedy.")
  var temperature: Float = 0

  @Option(parsing: .unconditional, help: "Sample from the k most likely tokens only (0: no limit).")
  var topK = 0

  @Option(parsing: .unconditional, help: "Sample from the smallest set of tokens whose probability reaches p (1: no limit).")
  var topP: Float = 1

  @Option(parsing: .unconditional, help: "Random seed (same seed and settings, same text, at any thread count).")
  var seed: UInt64 = 0

  func validate() throws {
    guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be a finite number, 0 or more") }
    guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more") }
    guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
  }

  var settings: SamplingSettings {
    SamplingSettings(temperature: temperature, topK: topK, topP: topP, seed: seed)
  }
}

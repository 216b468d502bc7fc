import CKernels
import Foundation

/// A Qwen2 model loaded from GGUF: configuration, weights (views into the mapping) and the RoPE
/// frequencies. Stateless; a `Session` holds the KV cache and buffers of one sequence.
public final class Qwen2Model: @unchecked Sendable {
  public let file: GGUFFile
  public let config: ModelConfig
  public let weights: ModelWeights
  /// RoPE inverse frequencies, computed in Float as HF transformers does:
  /// 1 / theta^(2i / headDim) for i < headDim / 2.
  let inverseFrequencies: [Float]

  /// Loads the model file at `path`; a file that is not a model this runtime runs throws
  /// `ModelFileError`, which names it.
  public convenience init(path: String, precision: WeightPrecision = .native) throws {
    let file = try GGUFFile(path: path)
    do {
      try self.init(file: file, precision: precision)
    } catch let error as ModelError {
      throw ModelFileError(path: path, error: error)
    }
  }

  public init(file: GGUFFile, precision: WeightPrecision = .native) throws {
    self.file = file
    let config = try ModelConfig(gguf: file)
    self.config = config
    weights = try ModelWeights(file: file, config: config, precision: precision)
    inverseFrequencies = (0..<config.headDim / 2).map { i in
      1 / powf(config.ropeTheta, Float(2 * i) / Float(config.headDim))
    }
  }

  /// Write, for each of `count` positions from `start`, headDim/2 cosines then headDim/2 sines.
  /// The angle is the Float product position * inverse frequency, as in HF's rotary embedding.
  func fillRope(_ out: UnsafeMutablePointer<Float>, start: Int, count: Int) {
    let half = config.headDim / 2
    for t in 0..<count {
      let row = out + t * config.headDim
      let position = Float(start + t)
      for i in 0..<half {
        let angle = position * inverseFrequencies[i]
        row[i] = cosf(angle)
        row[half + i] = sinf(angle)
      }
    }
  }
}

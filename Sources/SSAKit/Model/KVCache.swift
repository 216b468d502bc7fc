import CKernels

/// The key/value cache of every layer: per layer and KV head, `capacity` rows of `headDim` values in
/// F16 (the default: half the memory, attention reads it at twice the speed) or F32 (reference).
/// Element (head, position, d) of a layer sits at `(head * capacity + position) * headDim + d`.
public final class KVCache: @unchecked Sendable {
  public let type: GGMLType
  public let capacity: Int
  public let layerCount: Int
  public let kvHeadCount: Int
  public let headDim: Int
  /// Positions 0..<length hold valid entries.
  public var length = 0
  public let byteCount: Int

  private let storage: UnsafeMutableRawPointer
  private let layerBytes: Int

  public init(config: ModelConfig, capacity: Int, type: GGMLType = .f16) {
    precondition(type == .f16 || type == .f32, "KV cache type must be F16 or F32")
    self.type = type
    self.capacity = capacity
    layerCount = config.layerCount
    kvHeadCount = config.kvHeadCount
    headDim = config.headDim
    layerBytes = config.kvHeadCount * capacity * config.headDim * (type == .f16 ? 2 : 4)
    byteCount = 2 * config.layerCount * layerBytes
    storage = alignedAllocate(byteCount)
  }

  deinit { alignedFree(storage) }

  /// Positions 0..<length of every layer and head copied from `other` (same model and type), which
  /// must hold them; this cache then holds `length` positions.
  public func copyPrefix(from other: KVCache, length: Int) {
    precondition(other.type == type && other.layerCount == layerCount && length <= other.length && length <= capacity)
    let element = type == .f16 ? 2 : 4
    let rowBytes = length * headDim * element
    for layer in 0..<layerCount {
      for (dst, src) in [(keys(layer), other.keys(layer)), (values(layer), other.values(layer))] {
        for h in 0..<kvHeadCount {
          (dst + h * capacity * headDim * element).copyMemory(from: src + h * other.capacity * headDim * element, byteCount: rowBytes)
        }
      }
    }
    self.length = length
  }

  @inline(__always) public func keys(_ layer: Int) -> UnsafeMutableRawPointer { storage + (2 * layer) * layerBytes }
  @inline(__always) public func values(_ layer: Int) -> UnsafeMutableRawPointer { storage + (2 * layer + 1) * layerBytes }
}

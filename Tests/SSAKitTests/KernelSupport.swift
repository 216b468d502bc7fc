import CKernels
import Foundation

/// Shared plumbing of the kernel tests: fixtures, type ids, weight encoding and aligned scratch.
enum KernelSupport {
  static func type(_ t: ssa_type) -> Int32 { Int32(t.rawValue) }

  static var fixtures: URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("kernels")
  }

  static func fixture(_ name: String) throws -> Data {
    try Data(contentsOf: fixtures.appendingPathComponent(name))
  }

  static func floats(_ data: Data) -> [Float] {
    data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
  }

  /// Bytes per row of `cols` elements of a type.
  static func rowBytes(_ t: Int32, cols: Int) -> Int {
    cols / Int(ssa_type_block_elems(t)) * ssa_type_block_bytes(t)
  }

  /// The GGML type a repacked type is made from (the type itself otherwise).
  static func plain(_ t: Int32) -> Int32 {
    switch t {
    case type(SSA_TYPE_Q4_0_R8), type(SSA_TYPE_Q4_0_R16): return type(SSA_TYPE_Q4_0)
    case type(SSA_TYPE_Q8_0_R8), type(SSA_TYPE_Q8_0_R16): return type(SSA_TYPE_Q8_0)
    default: return t
    }
  }

  /// Encodes rows of floats as weights of type `t` (F32, F16, BF16, Q8_0, Q4_0, or repacked).
  static func encode(_ values: [Float], type t: Int32, cols: Int) -> [UInt8] {
    if plain(t) != t {
      let base = encode(values, type: plain(t), cols: cols)
      var out = [UInt8](repeating: 0, count: base.count)
      out.withUnsafeMutableBytes { ssa_repack(t, base, Int64(values.count / cols), Int64(cols), $0.baseAddress) }
      return out
    }
    let rows = values.count / cols
    var out = [UInt8](repeating: 0, count: rows * rowBytes(t, cols: cols))
    values.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBytes { dst in
        for r in 0..<rows {
          let x = src.baseAddress! + r * cols
          let d = dst.baseAddress! + r * rowBytes(t, cols: cols)
          switch t {
          case type(SSA_TYPE_F32): memcpy(d, x, cols * 4)
          case type(SSA_TYPE_F16):
            for i in 0..<cols { d.storeBytes(of: ssa_fp32_to_fp16(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
          case type(SSA_TYPE_BF16):
            for i in 0..<cols { d.storeBytes(of: ssa_fp32_to_bf16(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
          case type(SSA_TYPE_Q8_0): ssa_quantize_row_q8_0(x, d, Int64(cols))
          case type(SSA_TYPE_Q4_0): ssa_quantize_row_q4_0(x, d, Int64(cols))
          default: preconditionFailure("no encoder for type \(t)")
          }
        }
      }
    }
    return out
  }

  static func decode(_ bytes: [UInt8], type t: Int32, count: Int) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { ssa_dequantize_row(t, $0.baseAddress, &out, Int64(count)) }
    return out
  }

  static func sha256(_ p: UnsafeRawBufferPointer) -> String {
    var ctx = ssa_sha256_ctx()
    ssa_sha256_init(&ctx)
    ssa_sha256_update(&ctx, p.baseAddress, p.count)
    var digest = [UInt8](repeating: 0, count: 32)
    ssa_sha256_final(&ctx, &digest)
    return digest.map { String(format: "%02x", $0) }.joined()
  }

  /// The instruction sets this CPU can run, the scalar reference first.
  static var isas: [String] {
    let current = String(cString: ssa_kernel_isa())
    defer { _ = ssa_force_isa(current) }
    return ["scalar", "avx2", "avx512vnni", "amx", "neon"].filter { ssa_force_isa($0) != 0 }
  }

  /// y = x . W^T through ssa_matmul with the current kernels and thread count.
  static func matmul(type t: Int32, weights: [UInt8], rows: Int, cols: Int, x: [Float], n: Int) -> [Float] {
    var y = [Float](repeating: .nan, count: n * rows)
    let size = max(ssa_matmul_scratch_size(t, Int64(cols), Int64(n)), 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { scratch.deallocate() }
    weights.withUnsafeBytes { w in
      ssa_matmul(t, w.baseAddress, Int64(rows), Int64(cols), x, Int64(cols), Int64(n), &y, Int64(rows), scratch)
    }
    return y
  }
}

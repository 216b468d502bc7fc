import ArgumentParser
import CKernels
import Foundation
import SSAKit

/// `ssa bench-kernels`: throughput of the matmul and attention kernels on Qwen2.5-0.5B's shapes, per
/// weight type, instruction set and thread count (medians of repeated runs), so kernel figures are
/// rerunnable without a model file.
struct BenchKernels: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-kernels",
    abstract: "Measure GEMM GOPS, GEMV GB/s and attention time of the C kernels on the model's shapes (a developer's benchmark: DEVELOPERS.md).",
    shouldDisplay: false)

  @Option(help: "Weight types, comma-separated (F32, F16, BF16, Q8_0, Q4_0, and the repacked Q8_0_R8, Q4_0_R8, Q8_0_R16, Q4_0_R16; default: Q8_0, Q4_0 and the layouts the start-up ISA repacks them into).")
  var types: String?

  @Option(help: "Instruction sets, comma-separated (scalar, avx2, avx512vnni, amx, neon; default: the one picked at start-up).")
  var isas: String?

  @Option(help: "Thread counts, comma-separated.")
  var threads = "1,2"

  @Option(help: "Tokens per GEMM (a prefill chunk).")
  var tokens = 512

  @Option(help: "Context length for the attention figures.")
  var context = 2048

  @Option(help: "Repetitions of each measurement; the median is printed.")
  var reps = 5

  @Option(help: "Parts to run, comma-separated: gemm, gemv, attention, prefill (a whole prompt of --context tokens through 24 layers' matmuls and F16 attention, in chunks of --tokens), decode (one token through 24 layers' own weights and the output head, as matrix-vector products).")
  var parts = "gemm,gemv,attention,prefill,decode"

  static let typeIDs: [String: ssa_type] = [
    "F32": SSA_TYPE_F32, "F16": SSA_TYPE_F16, "BF16": SSA_TYPE_BF16, "Q8_0": SSA_TYPE_Q8_0, "Q4_0": SSA_TYPE_Q4_0,
    "Q8_0_R8": SSA_TYPE_Q8_0_R8, "Q4_0_R8": SSA_TYPE_Q4_0_R8, "Q8_0_R16": SSA_TYPE_Q8_0_R16, "Q4_0_R16": SSA_TYPE_Q4_0_R16,
  ]
  // Qwen2.5-0.5B: (rows, cols) of one layer's projections, and the output head.
  static let layer: [(name: String, rows: Int, cols: Int)] = [
    ("q/o", 896, 896), ("k/v", 128, 896), ("gate/up", 4864, 896), ("down", 896, 4864),
  ]
  static let head = (name: "head", rows: 151_936, cols: 896)

  func validate() throws {
    for t in list(typeList) where Self.typeIDs[t] == nil { throw ValidationError("unknown weight type \(t)") }
    guard tokens > 0, context > 0, reps > 0 else { throw ValidationError("--tokens, --context and --reps must be positive") }
    for t in list(threads) where Int(t) == nil || Int(t)! < 1 { throw ValidationError("bad thread count \(t)") }
  }

  func run() throws {
    let best = String(cString: ssa_kernel_isa())
    let all: [String] = ["scalar", "avx2", "avx512vnni", "amx", "neon"]
    let available = all.filter { ssa_force_isa($0) != 0 }
    let chosen = isas.map(list) ?? [best]
    for isa in chosen where !available.contains(isa) {
      throw CommandLineError("this CPU cannot run \(isa) kernels (it has \(available.joined(separator: ", ")))")
    }
    let parts = Set(list(self.parts))
    print("kind       type  isa         threads  shape                        median  per-cpu  unit")
    for isa in chosen {
      _ = ssa_force_isa(isa)
      for threadCount in list(threads).compactMap(Int.init) {
        ssa_set_threads(Int32(threadCount))
        for name in list(typeList) {
          let type = Int32(Self.typeIDs[name]!.rawValue)
          if parts.contains("gemm") {
            for shape in Self.layer {
              let times = benchMatmul(type: type, rows: shape.rows, cols: shape.cols, n: tokens)
              let ops = 2 * Double(shape.rows * shape.cols * tokens)
              row("gemm", name, isa, threadCount, "\(shape.name) \(shape.rows)x\(shape.cols) n=\(tokens)", times, "GOPS") { ops / $0 / 1e9 }
            }
          }
          if parts.contains("gemv") {
            let h = Self.head
            let times = benchMatmul(type: type, rows: h.rows, cols: h.cols, n: 1)
            let bytes = Double(h.rows * (h.cols / Int(ssa_type_block_elems(type))) * ssa_type_block_bytes(type))
            row("gemv", name, isa, threadCount, "\(h.name) \(h.rows)x\(h.cols)", times, "GB/s") { bytes / $0 / 1e9 }
          }
        }
        if parts.contains("prefill") {
          for name in list(typeList) {
            let type = Int32(Self.typeIDs[name]!.rawValue)
            let times = benchPrefill(type: type)
            row("prefill", name, isa, threadCount, "\(context) tokens, 24 layers", times, "tok/s") { Double(context) / $0 }
          }
        }
        if parts.contains("decode") {
          for name in list(typeList) {
            let type = Int32(Self.typeIDs[name]!.rawValue)
            let (times, bytes) = benchDecode(type: type)
            row("decode", name, isa, threadCount, "24 layers + head, \(bytes / 1_000_000) MB", times, "tok/s") { 1 / $0 }
          }
        }
        if parts.contains("attention") {
          for kv in [SSA_TYPE_F16, SSA_TYPE_F32] {
            let kvName = kv == SSA_TYPE_F16 ? "F16" : "F32"
            let prefill = benchAttention(kv: Int32(kv.rawValue), pos0: 0, n: context)
            row("attn-pre", kvName, isa, threadCount, "14x64 heads, \(context) tokens", prefill, "ms") { $0 * 1e3 }
            let decode = benchAttention(kv: Int32(kv.rawValue), pos0: context - 1, n: 1)
            row("attn-dec", kvName, isa, threadCount, "14x64 heads, ctx \(context)", decode, "us") { $0 * 1e6 }
          }
        }
      }
    }
  }

  /// --types, else Q8_0, Q4_0 and what the kernels picked at start-up repack them into.
  private var typeList: String {
    if let types { return types }
    var names = ["Q8_0", "Q4_0"]
    for plain in [SSA_TYPE_Q8_0, SSA_TYPE_Q4_0] {
      let packed = ssa_repack_type(Int32(plain.rawValue), 896, 896)
      if let name = Self.typeIDs.first(where: { Int32($0.value.rawValue) == packed && $0.value != plain })?.key { names.append(name) }
    }
    return names.joined(separator: ",")
  }

  private func list(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  /// One line of the table; `value` maps a time in seconds to the figure printed.
  private func row(_ kind: String, _ type: String, _ isa: String, _ threads: Int, _ shape: String,
                   _ times: (wall: Double, cpu: Double), _ unit: String, _ value: (Double) -> Double) {
    let pad: (String, Int) -> String = { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
    print(pad(kind, 10) + " " + pad(type, 7) + " " + pad(isa, 11) + " " + pad(String(threads), 8) + " "
      + pad(shape, 26) + " " + String(format: "%8.2f %8.2f", value(times.wall), value(times.cpu)) + "  " + unit)
  }

  /// Median wall time of `reps` runs, and the median of process CPU time / threads: on a machine
  /// shared with other jobs the second shows what the kernels do with the cores they actually got
  /// (OpenMP's spin-waiting counts as CPU time, so it can only understate them).
  private func median(_ body: () -> Void) -> (wall: Double, cpu: Double) {
    body()  // warm-up: page in the weights, fill caches
    var walls: [Double] = [], cpus: [Double] = []
    let threads = Double(ssa_get_threads())
    for _ in 0..<reps {
      let start = DispatchTime.now().uptimeNanoseconds, cpu0 = cpuSeconds()
      body()
      walls.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      cpus.append((cpuSeconds() - cpu0) / threads)
    }
    return (walls.sorted()[walls.count / 2], cpus.sorted()[cpus.count / 2])
  }

  private func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Random weights encoded row by row (a pattern of random floats at a different offset per row),
  /// then repacked for a repacked type.
  private func weights(type: Int32, rows: Int, cols: Int) -> UnsafeMutableRawBufferPointer {
    let q4Packed = [SSA_TYPE_Q4_0_R8, SSA_TYPE_Q4_0_R16].map { Int32($0.rawValue) }
    let q8Packed = [SSA_TYPE_Q8_0_R8, SSA_TYPE_Q8_0_R16].map { Int32($0.rawValue) }
    let base: Int32 = q4Packed.contains(type) ? Int32(SSA_TYPE_Q4_0.rawValue)
      : q8Packed.contains(type) ? Int32(SSA_TYPE_Q8_0.rawValue) : type
    if base != type {
      let plain = weights(type: base, rows: rows, cols: cols)
      defer { plain.deallocate() }
      let packed = UnsafeMutableRawBufferPointer.allocate(byteCount: plain.count, alignment: 64)
      ssa_repack(type, plain.baseAddress, Int64(rows), Int64(cols), packed.baseAddress)
      return packed
    }
    let rowBytes = cols / Int(ssa_type_block_elems(type)) * ssa_type_block_bytes(type)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
    var state: UInt64 = 0x1234_5678
    let pattern: [Float] = (0..<(cols + 4096)).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
    }
    pattern.withUnsafeBufferPointer { p in
      for r in 0..<rows {
        let x = p.baseAddress! + (r * 97) % 4096, dst = buffer.baseAddress! + r * rowBytes
        switch type {
        case Int32(SSA_TYPE_Q8_0.rawValue): ssa_quantize_row_q8_0(x, dst, Int64(cols))
        case Int32(SSA_TYPE_Q4_0.rawValue): ssa_quantize_row_q4_0(x, dst, Int64(cols))
        case Int32(SSA_TYPE_F32.rawValue): memcpy(dst, x, cols * 4)
        case Int32(SSA_TYPE_F16.rawValue):
          for i in 0..<cols { dst.storeBytes(of: ssa_fp32_to_fp16(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
        default:
          for i in 0..<cols { dst.storeBytes(of: ssa_fp32_to_bf16(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
        }
      }
    }
    return buffer
  }

  private func benchMatmul(type: Int32, rows: Int, cols: Int, n: Int) -> (wall: Double, cpu: Double) {
    let w = weights(type: type, rows: rows, cols: cols)
    defer { w.deallocate() }
    let x = (0..<(n * cols)).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
    var y = [Float](repeating: 0, count: n * rows)
    let size = max(ssa_matmul_scratch_size(type, Int64(cols), Int64(n)), 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { scratch.deallocate() }
    return median {
      ssa_matmul(type, w.baseAddress, Int64(rows), Int64(cols), x, Int64(cols), Int64(n), &y, Int64(rows), scratch)
    }
  }

  /// A prompt of `context` tokens through Qwen2.5-0.5B's 24 layers, chunk by chunk: every
  /// projection as a GEMM over the chunk, then causal attention over the F16 cache so far. One
  /// layer's weights serve all 24 (so they sit in cache more than a real model's would; prefill is
  /// compute-bound, so this changes little); norms, RoPE, SwiGLU and the head are left out.
  private func benchPrefill(type: Int32) -> (wall: Double, cpu: Double) {
    let shapes = [(896, 896), (128, 896), (128, 896), (896, 896), (4864, 896), (4864, 896), (896, 4864)]
    let w = shapes.map { weights(type: type, rows: $0.0, cols: $0.1) }
    defer { w.forEach { $0.deallocate() } }
    let chunk = min(tokens, context)
    let x = (0..<(chunk * 4864)).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
    var y = [Float](repeating: 0, count: chunk * 4864)
    let size = max(ssa_matmul_scratch_size(type, 4864, Int64(chunk)), 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { scratch.deallocate() }
    let heads = 14, kvHeads = 2, hd = 64, f16 = Int32(SSA_TYPE_F16.rawValue)
    let kv = (0..<(context * kvHeads * hd)).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
    var k = [UInt8](repeating: 0, count: kvHeads * context * hd * 2), v = k
    k.withUnsafeMutableBytes { ssa_kv_store(f16, $0.baseAddress, Int64(context), Int32(kvHeads), Int32(hd), kv, Int64(kvHeads * hd), 0, Int64(context)) }
    v.withUnsafeMutableBytes { ssa_kv_store(f16, $0.baseAddress, Int64(context), Int32(kvHeads), Int32(hd), kv.reversed(), Int64(kvHeads * hd), 0, Int64(context)) }
    var out = [Float](repeating: 0, count: chunk * heads * hd)
    return median {
      for pos0 in stride(from: 0, to: context, by: chunk) {
        let n = min(chunk, context - pos0)
        for _ in 0..<24 {
          for (i, shape) in shapes.enumerated() {
            ssa_matmul(type, w[i].baseAddress, Int64(shape.0), Int64(shape.1), x, Int64(shape.1), Int64(n), &y, Int64(shape.0), scratch)
          }
          k.withUnsafeBytes { kp in
            v.withUnsafeBytes { vp in
              ssa_attention(f16, kp.baseAddress, vp.baseAddress, Int64(context), Int32(heads), Int32(kvHeads), Int32(hd), 0.125,
                            x, Int64(heads * hd), Int64(pos0), Int64(n), &out, Int64(heads * hd), nil)
            }
          }
        }
      }
    }
  }

  /// One decode step's matrix-vector products: 24 layers, each with its own weights (so they stream
  /// from memory as a real model's do), then the output head. Attention and the small operations
  /// are left out. Returns the times and the weight bytes read per token.
  private func benchDecode(type: Int32) -> ((wall: Double, cpu: Double), Int) {
    let shapes = [(896, 896), (128, 896), (128, 896), (896, 896), (4864, 896), (4864, 896), (896, 4864)]
    let all = Array(repeating: shapes, count: 24).flatMap { $0 } + [(Self.head.rows, Self.head.cols)]
    let w = all.map { weights(type: type, rows: $0.0, cols: $0.1) }
    defer { w.forEach { $0.deallocate() } }
    let x = (0..<4864).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
    var y = [Float](repeating: 0, count: Self.head.rows)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(ssa_matmul_scratch_size(type, 4864, 1), 64), alignment: 64)
    defer { scratch.deallocate() }
    let times = median {
      for (i, shape) in all.enumerated() {
        ssa_matmul(type, w[i].baseAddress, Int64(shape.0), Int64(shape.1), x, Int64(shape.1), 1, &y, Int64(shape.0), scratch)
      }
    }
    return (times, w.reduce(0) { $0 + $1.count })
  }

  private func benchAttention(kv: Int32, pos0: Int, n: Int) -> (wall: Double, cpu: Double) {
    let heads = 14, kvHeads = 2, hd = 64, capacity = pos0 + n
    let elem = kv == Int32(SSA_TYPE_F16.rawValue) ? 2 : 4
    let kvx = (0..<(capacity * kvHeads * hd)).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
    var k = [UInt8](repeating: 0, count: kvHeads * capacity * hd * elem), v = k
    k.withUnsafeMutableBytes { ssa_kv_store(kv, $0.baseAddress, Int64(capacity), Int32(kvHeads), Int32(hd), kvx, Int64(kvHeads * hd), 0, Int64(capacity)) }
    v.withUnsafeMutableBytes { ssa_kv_store(kv, $0.baseAddress, Int64(capacity), Int32(kvHeads), Int32(hd), kvx.reversed(), Int64(kvHeads * hd), 0, Int64(capacity)) }
    let q = (0..<(n * heads * hd)).map { Float(($0 * 104_729) % 2001 - 1000) / 1000 }
    var out = [Float](repeating: 0, count: n * heads * hd)
    let size = max(ssa_attention_scratch_size(Int64(capacity), Int64(n), Int32(kvHeads), Int32(hd)), 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { scratch.deallocate() }
    return median {
      k.withUnsafeBytes { kp in
        v.withUnsafeBytes { vp in
          ssa_attention(kv, kp.baseAddress, vp.baseAddress, Int64(capacity), Int32(heads), Int32(kvHeads), Int32(hd),
                        0.125, q, Int64(heads * hd), Int64(pos0), Int64(n), &out, Int64(heads * hd), scratch)
        }
      }
    }
  }
}

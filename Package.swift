// swift-tools-version:6.0
import Foundation
import PackageDescription

// Debian's libomp-dev installs omp.h and libomp.so under /usr/lib/llvm-<N>/; the clang that ships
// with Swift does not search there, so find the newest one present when the manifest is evaluated.
func llvmOpenMP() -> (include: String, lib: String)? {
  let fm = FileManager.default
  let roots = ((try? fm.contentsOfDirectory(atPath: "/usr/lib")) ?? [])
    .filter { $0.hasPrefix("llvm-") }
    .sorted { (Int($0.dropFirst(5)) ?? 0) > (Int($1.dropFirst(5)) ?? 0) }
  for root in roots {
    let lib = "/usr/lib/\(root)/lib"
    guard fm.fileExists(atPath: "\(lib)/libomp.so") else { continue }
    let clangDir = "\(lib)/clang"
    for version in (try? fm.contentsOfDirectory(atPath: clangDir)) ?? [] {
      let include = "\(clangDir)/\(version)/include"
      if fm.fileExists(atPath: "\(include)/omp.h") { return (include, lib) }
    }
  }
  return nil
}

let omp = llvmOpenMP()
var kernelCFlags: [String] = ["-O3", "-fno-math-errno", "-Wall", "-Wno-unknown-pragmas"]
var kernelLinkFlags: [String] = []
var kernelLibraries: [LinkerSetting] = [.linkedLibrary("openblas"), .linkedLibrary("m")]
if let omp {
  kernelCFlags += ["-fopenmp", "-isystem", omp.include]
  kernelLinkFlags += ["-L\(omp.lib)", "-Xlinker", "-rpath", "-Xlinker", omp.lib]
  kernelLibraries.append(.linkedLibrary("omp"))
}

let package = Package(
  name: "ssa",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "ssa", targets: ["ssa"]),
    .library(name: "SSAKit", targets: ["SSAKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    // C: quantized matmul, dequantization, attention. Always -O3, whatever the Swift configuration.
    .target(
      name: "CKernels",
      path: "Sources/CKernels",
      cSettings: [
        .headerSearchPath("."),
        .unsafeFlags(kernelCFlags),
      ],
      linkerSettings: kernelLibraries + [.unsafeFlags(kernelLinkFlags)]
    ),
    .target(
      name: "SSAKit",
      dependencies: ["CKernels"],
      path: "Sources/SSAKit"
    ),
    .executableTarget(
      name: "ssa",
      dependencies: [
        "SSAKit",
        "CKernels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/ssa"
    ),
    .testTarget(
      name: "SSAKitTests",
      dependencies: ["SSAKit", "CKernels"],
      path: "Tests/SSAKitTests",
      resources: [.copy("Fixtures")]
    ),
  ],
  swiftLanguageModes: [.v5]
)

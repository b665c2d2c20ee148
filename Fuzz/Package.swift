// swift-tools-version:6.0
// consult-fuzz: libFuzzer harnesses for consult's parsers (import formats, workflow files,
// guards). A package of its own, built only by Fuzz/run.sh with `-sanitize=fuzzer`, so the
// project's `swift build` and `scripts/test` never build it.
import Foundation
import PackageDescription

/// The parent package's identity: SwiftPM names a path dependency after its folder
/// (`consult`, `wt-safety`, …), so it is read from where this manifest lives.
let consult = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .lastPathComponent.lowercased()

let package = Package(
  name: "consult-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    // One executable, one harness per CONSULT_FUZZ_TARGET; its entry point hands over to libFuzzer.
    .executableTarget(
      name: "consult-fuzz",
      dependencies: [
        .product(name: "ConsultImport", package: consult), .product(name: "ConsultCore", package: consult),
      ]
    )
  ]
)

import Foundation

/// libFuzzer's driver (compiler-rt `FuzzerInterface.h`): parses libFuzzer's options from the
/// command line and calls `callback` with each input.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The harness `CONSULT_FUZZ_TARGET` names, read once.
let selected: Harness = {
  let name = ProcessInfo.processInfo.environment["CONSULT_FUZZ_TARGET"] ?? ""
  guard let harness = Harness(rawValue: name) else {
    let names = Harness.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("consult-fuzz: set CONSULT_FUZZ_TARGET to one of \(names)\n".utf8))
    exit(2)
  }
  return harness
}()

/// The program's entry point. SwiftPM links an executable with `main` defined as
/// `<module>_main`, so this is it (not `@main`, whose `main` would be compiled out of reach of
/// libFuzzer's options); it hands the command line to libFuzzer.
@_cdecl("consult_fuzz_main")
public func consultFuzzMain(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> CInt {
  _ = selected
  var argc = argc
  var argv = argv
  return llvmFuzzerRunDriver(&argc, &argv) { bytes, count in
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    run(selected, data)
    return 0
  }
}

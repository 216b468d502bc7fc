// libFuzzer entry point for the GGUF reader; built by tools/fuzz-gguf with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  if let file = try? GGUFFile(bytes: bytes) {
    for t in file.tensors {
      let view = file.data(of: t)
      precondition(view.count == t.byteCount)
      _ = view.last
    }
    _ = file.dump()
    _ = file.json().serialized
  }
  return 0
}

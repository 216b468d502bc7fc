/// Copies a model file with a calibration in its metadata (`ssa.calibration.*`, replacing any there
/// before); every tensor is copied byte for byte, so llama.cpp reads the copy as it read the original.
public enum CalibratedModelWriter {
  public static func write(source: String, output: String, calibration: Calibration) throws {
    let file = try GGUFFile(path: source)
    let kept = file.metadata.filter { !$0.key.hasPrefix(Calibration.prefix) }
    let tensors = file.tensors.map { GGUFWriter.TensorInfo(name: $0.name, type: $0.type, shape: $0.shape) }
    let writer = try GGUFWriter(path: output, metadata: kept + calibration.metadata, tensors: tensors)
    do {
      for tensor in file.tensors {
        try writer.writeTensor(file.data(of: tensor))
        file.release(tensor)
      }
      try writer.finish()
    } catch {
      writer.abort()
      throw error
    }
  }
}

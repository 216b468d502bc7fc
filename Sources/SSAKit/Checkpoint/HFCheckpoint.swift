import Foundation

/// A Hugging Face checkpoint folder: `config.json`, weights in `model.safetensors` or in shards listed
/// by `model.safetensors.index.json`, and tokenizer files.
public final class HFCheckpoint: @unchecked Sendable {
  public let directory: String
  public let config: HFConfig
  /// Every tensor by name, with the shard that holds it.
  public let tensors: [String: (file: SafetensorsFile, tensor: SafetensorsFile.Tensor)]
  public let shards: [SafetensorsFile]

  public init(directory: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw CheckpointError.notADirectory(directory)
    }
    self.directory = directory
    config = try HFConfig(path: directory + "/config.json")

    let index = directory + "/model.safetensors.index.json"
    var shardNames: [String] = []
    var expected: [String: String] = [:]
    if FileManager.default.fileExists(atPath: index) {
      guard let data = FileManager.default.contents(atPath: index),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let map = object["weight_map"] as? [String: String]
      else { throw CheckpointError.badJSON(path: index, reason: "no \"weight_map\" object of strings") }
      expected = map
      shardNames = Array(Set(map.values)).sorted()
      for name in shardNames where !FileManager.default.fileExists(atPath: directory + "/" + name) {
        let tensor = map.first { $0.value == name }!.key
        throw CheckpointError.missingShard(file: name, tensor: tensor)
      }
    } else if FileManager.default.fileExists(atPath: directory + "/model.safetensors") {
      shardNames = ["model.safetensors"]
    } else {
      throw CheckpointError.missingFile(directory + "/model.safetensors (or model.safetensors.index.json)")
    }
    var tensors: [String: (file: SafetensorsFile, tensor: SafetensorsFile.Tensor)] = [:]
    var shards: [SafetensorsFile] = []
    for name in shardNames {
      let file = try SafetensorsFile(path: directory + "/" + name)
      shards.append(file)
      for (tensorName, t) in file.tensors { tensors[tensorName] = (file, t) }
    }
    for (tensorName, shard) in expected where tensors[tensorName] == nil {
      throw CheckpointError.tensorOutOfBounds(
        path: directory + "/" + shard, tensor: tensorName, reason: "is listed in the index but not in its shard")
    }
    self.tensors = tensors
    self.shards = shards
  }
}

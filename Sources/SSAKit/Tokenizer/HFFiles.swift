import Foundation

/// Reading the JSON and text files of an HF tokenizer folder, with errors that name the file.
enum HFFiles {
  /// Qwen2's split regex (transformers models/qwen2/tokenization_qwen2.py `PRETOKENIZE_REGEX`, also the
  /// "Regex" of every Qwen2/2.5/3 tokenizer.json), implemented by `Qwen2PreTokenizer`.
  static let qwen2Pattern =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

  static func jsonValue(_ path: String) throws -> Any {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw TokenizerError.cannotRead(path: path, reason: error.localizedDescription)
    }
    do {
      return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
      throw TokenizerError.badJSON(path: path, reason: "not valid JSON (\(error.localizedDescription))")
    }
  }

  static func object(_ path: String) throws -> [String: Any] {
    guard let object = try jsonValue(path) as? [String: Any] else {
      throw TokenizerError.badJSON(path: path, reason: "not a JSON object")
    }
    return object
  }

  static func objectIfPresent(_ path: String) throws -> [String: Any]? {
    FileManager.default.fileExists(atPath: path) ? try object(path) : nil
  }

  /// `{"token": id, ...}`.
  static func vocabulary(_ value: Any?, path: String) throws -> [(token: String, id: Int)] {
    guard let dict = value as? [String: Any] else { throw TokenizerError.badJSON(path: path, reason: "vocabulary is not an object") }
    var out: [(token: String, id: Int)] = []
    out.reserveCapacity(dict.count)
    for (token, v) in dict {
      guard let id = v as? Int, id >= 0 else {
        throw TokenizerError.badJSON(path: path, reason: "token \"\(token)\" has id \(v), not a non-negative integer")
      }
      out.append((token, id))
    }
    var seen = Set<Int>()
    for entry in out where !seen.insert(entry.id).inserted {
      throw TokenizerError.badJSON(path: path, reason: "id \(entry.id) is given to two tokens")
    }
    return out
  }

  /// tokenizer.json merges: "a b" strings, or [a, b] pairs (transformers >= 4.45), whose literal spaces
  /// gguf-py spells as U+0120 so that the pair survives as one "a b" string.
  static func merges(_ value: Any?, path: String) throws -> [String] {
    guard let list = value as? [Any] else { throw TokenizerError.badJSON(path: path, reason: "model.merges is not an array") }
    var out: [String] = []
    out.reserveCapacity(list.count)
    for (i, item) in list.enumerated() {
      if let s = item as? String {
        out.append(s)
      } else if let pair = item as? [String], pair.count == 2 {
        out.append(pair.map { $0.replacingOccurrences(of: " ", with: "\u{120}") }.joined(separator: " "))
      } else {
        throw TokenizerError.badJSON(path: path, reason: "merge \(i) is neither a string nor a pair of strings")
      }
    }
    return out
  }

  /// merges.txt: an optional "#version" line, then "a b" per line (gguf-py `_try_load_merges_txt`).
  static func mergesText(_ path: String) throws -> [String] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw TokenizerError.cannotRead(path: path, reason: error.localizedDescription)
    }
    var out: [String] = []
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.isEmpty || (i == 0 && trimmed.hasPrefix("#")) { continue }
      let parts = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard parts.count == 2 else { continue }
      out.append(parts[0] + " " + parts[1])
    }
    return out
  }

  /// Only plain byte-level BPE: no dropout, no subword affixes, no byte fallback, merges always applied.
  static func checkBPEModel(_ model: [String: Any], path: String) throws {
    let type = model["type"] as? String ?? "BPE"
    guard type == "BPE" else { throw TokenizerError.unsupportedModel("\(type) in \(path)") }
    func isEmpty(_ key: String) -> Bool { model[key] == nil || model[key] is NSNull || (model[key] as? String) == "" }
    func isFalse(_ key: String) -> Bool { model[key] == nil || model[key] is NSNull || (model[key] as? Bool) == false }
    for key in ["dropout", "continuing_subword_prefix", "end_of_word_suffix"] where !isEmpty(key) {
      throw TokenizerError.unsupportedModel("BPE with \(key) \(model[key]!) in \(path)")
    }
    for key in ["byte_fallback", "ignore_merges"] where !isFalse(key) {
      throw TokenizerError.unsupportedModel("BPE with \(key) in \(path)")
    }
  }

  /// "qwen2" when the normalizer is NFC and the pre-tokenizer is Qwen2's split followed by a plain
  /// ByteLevel; anything else is refused.
  static func preTokenizerName(_ root: [String: Any], path: String) throws -> String {
    let normalizer = root["normalizer"] as? [String: Any]
    let pre = root["pre_tokenizer"] as? [String: Any]
    let steps = pre?["pretokenizers"] as? [[String: Any]] ?? []
    let split = steps.first
    let pattern = (split?["pattern"] as? [String: Any])?["Regex"] as? String
    let byteLevel = steps.count == 2 ? steps[1] : nil
    let ok = normalizer?["type"] as? String == "NFC"
      && pre?["type"] as? String == "Sequence"
      && split?["type"] as? String == "Split" && pattern == qwen2Pattern
      && (split?["behavior"] as? String) == "Isolated" && (split?["invert"] as? Bool ?? false) == false
      && byteLevel?["type"] as? String == "ByteLevel"
      && (byteLevel?["add_prefix_space"] as? Bool ?? false) == false
      && (byteLevel?["use_regex"] as? Bool ?? true) == false
    guard ok else {
      let described = "normalizer \(normalizer?["type"] ?? "none"), pre_tokenizer \(pre?["type"] ?? "none") " +
        "with split \(pattern ?? "none")"
      throw TokenizerError.unsupportedPreTokenizer("\(described) in \(path)")
    }
    return "qwen2"
  }

  /// Whether tokenizer.json's post-processor adds BOS/EOS, as gguf-py's SpecialVocab reads it: a
  /// ByteLevel processor (Qwen2, GPT-2) adds neither; RobertaProcessing adds both (and a separator).
  /// TemplateProcessing is left to tokenizer_config.json's add_*_token flags.
  static func addTokenFlags(postProcessor: Any?) -> [TokenizerData.AddTokenFlag] {
    guard let processor = postProcessor as? [String: Any] else { return [] }
    let processors = processor["processors"] as? [[String: Any]] ?? [processor]
    var flags: [TokenizerData.AddTokenFlag] = []
    func set(_ role: TokenizerData.SpecialToken, _ add: Bool, overwrite: Bool) {
      if let i = flags.firstIndex(where: { $0.role == role }) {
        if overwrite { flags[i] = .init(role, add) }
      } else {
        flags.append(.init(role, add))
      }
    }
    for p in processors {
      switch p["type"] as? String {
      case "ByteLevel":
        set(.bos, false, overwrite: false)
        set(.eos, false, overwrite: false)
      case "RobertaProcessing":
        set(.bos, true, overwrite: true)
        set(.eos, true, overwrite: true)
        set(.sep, true, overwrite: true)
      default:
        break
      }
    }
    return flags
  }

  static func addedTokens(fromList value: Any?, path: String) throws -> [HFAddedToken] {
    guard let value, !(value is NSNull) else { return [] }
    guard let list = value as? [[String: Any]] else { throw TokenizerError.badJSON(path: path, reason: "added_tokens is not a list of objects") }
    return try list.map { entry in
      guard let id = entry["id"] as? Int else { throw TokenizerError.badJSON(path: path, reason: "an added token has no id") }
      return try addedToken(id: id, entry, path: path)
    }
  }

  static func addedTokens(fromDecoder value: Any, path: String) throws -> [HFAddedToken] {
    guard let dict = value as? [String: Any] else { throw TokenizerError.badJSON(path: path, reason: "added_tokens_decoder is not an object") }
    return try dict.map { key, entry in
      guard let id = Int(key), let fields = entry as? [String: Any] else {
        throw TokenizerError.badJSON(path: path, reason: "added_tokens_decoder entry \"\(key)\" is not an id and an object")
      }
      return try addedToken(id: id, fields, path: path)
    }.sorted { $0.id < $1.id }
  }

  private static func addedToken(id: Int, _ entry: [String: Any], path: String) throws -> HFAddedToken {
    guard id >= 0, let content = entry["content"] as? String else {
      throw TokenizerError.badJSON(path: path, reason: "added token \(id) has no content")
    }
    let special = entry["special"] as? Bool ?? false
    return HFAddedToken(
      id: id, content: content, special: special,
      normalized: entry["normalized"] as? Bool ?? !special,
      lstrip: entry["lstrip"] as? Bool ?? false, rstrip: entry["rstrip"] as? Bool ?? false,
      singleWord: entry["single_word"] as? Bool ?? false)
  }

  /// convert_hf_to_gguf.py `does_token_look_special`: added tokens spelled like control tokens become
  /// control tokens even when the checkpoint does not mark them special.
  static func looksSpecial(_ token: String) -> Bool {
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].contains(token)
      || (token.hasPrefix("<|") && token.hasSuffix("|>"))
      || (token.hasPrefix("<\u{FF5C}") && token.hasSuffix("\u{FF5C}>"))
      || (token.hasPrefix("<unused") && token.hasSuffix(">"))
  }

  /// tokenizer_config.json's chat_template, else chat_template.jinja, else chat_template.json. A list of
  /// named templates gives its "default" one.
  static func chatTemplate(_ value: Any?, dir: String) throws -> String? {
    if let s = value as? String { return s }
    if let list = value as? [[String: Any]] {
      return list.first(where: { $0["name"] as? String == "default" })?["template"] as? String
    }
    if value != nil { return nil }
    let jinja = dir + "/chat_template.jinja"
    if FileManager.default.fileExists(atPath: jinja) {
      do {
        return try String(contentsOfFile: jinja, encoding: .utf8)
      } catch {
        throw TokenizerError.cannotRead(path: jinja, reason: error.localizedDescription)
      }
    }
    if let object = try objectIfPresent(dir + "/chat_template.json") {
      return try chatTemplate(object["chat_template"] ?? NSNull(), dir: dir)
    }
    return nil
  }
}

/// A rendered prompt as a list of segments that remember where their text came from.
///
/// Template segments are the format's own text; only they may hold special tokens (`<|im_start|>`).
/// User segments are the question and the samples: their text is always plain text, so a literal
/// `<|im_end|>` in a question is tokenized as characters, never as a control token.
///
/// Tokenize the prompt as one string, not segment by segment: byte-level BPE merges across the seams
/// (`User: ` + `Question` yields ` Question`). `pieces(specialTokens:)` gives exactly what to encode:
/// special tokens found in template text, and the maximal plain-text runs between them.
public struct Prompt: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case template
    case user
  }

  public struct Segment: Equatable, Sendable {
    public let kind: Kind
    public let text: String

    public init(_ kind: Kind, _ text: String) {
      self.kind = kind
      self.text = text
    }
  }

  public enum Piece: Equatable, Sendable {
    /// A special token's content, to be looked up as one id.
    case special(String)
    /// Text to encode with special-token parsing off.
    case text(String)
  }

  public private(set) var segments: [Segment]

  public init(_ segments: [Segment] = []) {
    self.segments = []
    for segment in segments { append(segment.kind, segment.text) }
  }

  /// Appends text, merging it into the last segment when that one has the same kind.
  public mutating func append(_ kind: Kind, _ text: String) {
    guard !text.isEmpty else { return }
    if let last = segments.last, last.kind == kind {
      segments[segments.count - 1] = Segment(kind, last.text + text)
    } else {
      segments.append(Segment(kind, text))
    }
  }

  public static func + (a: Prompt, b: Prompt) -> Prompt {
    var out = a
    for segment in b.segments { out.append(segment.kind, segment.text) }
    return out
  }

  /// The whole text, byte for byte what the model reads.
  public var text: String { segments.map(\.text).joined() }

  /// Special tokens (from `specialTokens`, longest match first) found in template segments, and the
  /// plain text between them. User text never yields a `.special` piece.
  public func pieces(specialTokens: Set<String>) -> [Piece] {
    let tokens = specialTokens.filter { !$0.isEmpty }.sorted { $0.utf8.count > $1.utf8.count }
    var pieces: [Piece] = []
    var run = ""
    for segment in segments {
      guard segment.kind == .template, !tokens.isEmpty else {
        run += segment.text
        continue
      }
      var rest = Substring(segment.text)
      while !rest.isEmpty {
        // The earliest special token in the rest of this segment.
        var hit: (Range<Substring.Index>, String)?
        for token in tokens {
          if let r = rest.range(of: token), hit == nil || r.lowerBound < hit!.0.lowerBound {
            hit = (r, token)
          }
        }
        guard let (range, token) = hit else {
          run += rest
          break
        }
        run += rest[..<range.lowerBound]
        if !run.isEmpty { pieces.append(.text(run)) }
        run = ""
        pieces.append(.special(token))
        rest = rest[range.upperBound...]
      }
    }
    if !run.isEmpty { pieces.append(.text(run)) }
    return pieces
  }
}

/// Where a record's answer came from.
public enum AnswerSource: String, Sendable {
  /// The aggregator model wrote it (or, with `--choose`, picked it); `answer` is null if it wrote none.
  case model
  /// Every sample agreed, so the model was not run (`--skip-unanimous`).
  case unanimous
  /// The model wrote no answer; this is the majority answer (`--fallback majority`).
  case fallback
  /// `ssa vote`: the majority vote, no model involved.
  case majority
}

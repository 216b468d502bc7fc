extension Tokenizer {
  /// A rendered prompt's token ids: special tokens only where the template put them (the chat
  /// template's `<|im_start|>`/`<|im_end|>`), every other piece, the question and the samples above
  /// all, encoded with special-token parsing off. No BOS (none of the formats has one).
  public func encode(_ prompt: Prompt) -> [Int] {
    let specials = PromptFormat.chatSpecialTokens.filter { tokenId($0) != nil }
    var ids: [Int] = []
    for piece in prompt.pieces(specialTokens: specials) {
      switch piece {
      case .special(let s): ids.append(tokenId(s)!)
      case .text(let t): ids += encode(t, special: false)
      }
    }
    return ids
  }
}

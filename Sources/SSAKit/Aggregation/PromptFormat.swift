/// The three prompt formats of `ssa-interface.md`, rendered byte for byte.
public enum PromptFormat: String, CaseIterable, Sendable {
  /// Trained SSA checkpoints (base models): no chat template; generation continues after `<think>`.
  case ssa
  /// Instruct models as aggregators (the paper's USC-style baseline): the Qwen chat template.
  case chat
  /// Answer at once (the reference code's "nothinking" variant): generation starts inside `<answer>`.
  case answer

  /// The fixed text before `{U}` of the "ssa" format. One line; the original's missing spaces
  /// ("individually,check", "answer.The") are part of what the checkpoints were trained on.
  static let ssaInstruction = "A conversation between User and Assistant. The user provide a question and some proposed answers. The Assistant first evaluate each answers individually,check whether each answer directly addresses the original question, assess the correctness of each answer based on logical reasoning, calculations, and accuracy relative to the question. After thorough evaluation, identify one correct answer. If the correct answer is not in the provided proposed answers, the Assistant will combine the correct answer with the proposed answers and provide the correct answer.The reasoning process and answer are enclosed within <think></think> and <answer></answer> tags, respectively, i.e., <think>reasoning process here</think> <answer>answer here</answer>. User: "

  /// The system message of the "chat" format.
  static let chatSystem = "You are a helpful assistant. The user provide a question and some proposed answers. The Assistant first evaluate each answers individually,check whether each answer directly addresses the original question, assess the correctness of each answer based on logical reasoning, calculations, and accuracy relative to the question. After thorough evaluation, identify one correct answer based on majority consensus. The reasoning process and answer are enclosed within <think></think> and <answer></answer> tags, respectively, i.e., <think>reasoning process here</think> <answer>answer here</answer>."

  /// The fixed text before `{U}` of the "answer" format.
  static let answerInstruction = "A conversation between User and Assistant. The user provide a question and some proposed answers. The Assistant answer the question based on the proposed answers. The answer is enclosed within <answer></answer> tag, i.e., <answer>answer here</answer>. User: "

  /// The chat template's control tokens, the only special tokens a rendered prompt contains.
  public static let chatSpecialTokens: Set<String> = ["<|im_start|>", "<|im_end|>"]

  /// The prompt for a question and its samples (all of them: pick the first k before calling).
  public func render(question: String, samples: [String]) -> Prompt {
    var p = Prompt()
    switch self {
    case .ssa:
      p.append(.template, PromptFormat.ssaInstruction)
      PromptFormat.appendUserContent(&p, question: question, samples: samples)
      p.append(.template, ". Assistant: <think>")
    case .chat:
      p.append(.template, "<|im_start|>system\n" + PromptFormat.chatSystem + "<|im_end|>\n<|im_start|>user\n")
      PromptFormat.appendUserContent(&p, question: question, samples: samples)
      p.append(.template, "<|im_end|>\n<|im_start|>assistant\n")
    case .answer:
      p.append(.template, PromptFormat.answerInstruction)
      PromptFormat.appendUserContent(&p, question: question, samples: samples)
      p.append(.template, ". Assistant: <answer>")
    }
    return p
  }

  /// `Question: {Q}\n\nBelow are the proposed answers:\n\nAnswer 1:\n{S1}\n\nAnswer 2:\n{S2}...`, with no
  /// newline after the last sample.
  static func appendUserContent(_ p: inout Prompt, question: String, samples: [String]) {
    p.append(.template, "Question: ")
    p.append(.user, question)
    p.append(.template, "\n\nBelow are the proposed answers:")
    for (i, sample) in samples.enumerated() {
      p.append(.template, "\n\nAnswer \(i + 1):\n")
      p.append(.user, sample)
    }
  }

  /// The tag the prompt leaves open: the generated text continues it, so answer extraction reads
  /// `openTag + generated`.
  public var openTag: String {
    switch self {
    case .ssa: return "<think>"
    case .chat: return ""
    case .answer: return "<answer>"
    }
  }

  /// What `--choose` scores after the prompt for candidate answer `x`: the rest of the output a
  /// well-behaved model would write to give `x` at once. For "ssa" the prompt is inside `<think>`, so
  /// the think block is closed first, in the interface's own spelling (`</think> <answer>`).
  public func choiceContinuation(_ x: String) -> Prompt {
    var p = Prompt()
    switch self {
    case .ssa: p.append(.template, "</think> <answer>")
    case .chat: p.append(.template, "<answer>")
    case .answer: break
    }
    p.append(.user, x)
    p.append(.template, "</answer>")
    return p
  }

  /// Generation ends after this text (and at the model's end-of-text tokens).
  public static let stopSequence = "</answer>"
}

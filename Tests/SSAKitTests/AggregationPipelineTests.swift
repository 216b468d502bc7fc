import XCTest
@testable import SSAKit

/// The aggregator's decisions, over the scripted test engine.
final class AggregationPipelineTests: XCTestCase {
  let question = "Janet's ducks lay 16 eggs. How many dollars?"
  let split = ["So 13 * 2 = <<13*2=26>>26\nA: 26", "A: 18", "9 * 2 = <<9*2=18>>18\nA: 18", "A: 4"]
  let unanimous = ["A: 18", "She makes $18.00\nA: 18", "\\boxed{18}"]

  func testModelAnswerIsTheTextInTheLastAnswerTag() throws {
    let engine = ScriptedEngine { _, _ in ("Answer 1 forgets the muffins.</think> <answer>26</answer> <answer>18</answer>", .stopSequence) }
    let result = try Aggregator(engine: engine, options: AggregationOptions(format: .ssa, reasoning: true))
      .aggregate(question: question, samples: split)
    XCTAssertEqual(result.answer, "18")
    XCTAssertEqual(result.source, .model)
    XCTAssertEqual(result.majority, "18")
    XCTAssertEqual(result.agreement, 0.5)
    XCTAssertEqual(result.reasoning, "Answer 1 forgets the muffins.</think> <answer>26</answer>")
    XCTAssertEqual(engine.completions.count, 1)
    let sent = engine.completions[0]
    XCTAssertEqual(sent.prompt, PromptFormat.ssa.render(question: question, samples: split))
    XCTAssertEqual(result.promptTokens, ScriptedEngine.toyCount(sent.prompt))
    XCTAssertGreaterThan(result.generatedTokens, 0)
    XCTAssertGreaterThanOrEqual(result.seconds, 0)
    XCTAssertEqual(sent.settings.maxTokens, 512)
    XCTAssertEqual(sent.settings.temperature, 0)
    XCTAssertEqual(sent.settings.stopSequences, ["</answer>"])
    XCTAssertEqual(sent.settings.stopTokens, ["<|endoftext|>"])
  }

  func testReasoningIsTheThinkingBeforeTheAnswer() throws {
    let engine = ScriptedEngine { _, _ in ("Two samples say 18.</think> <answer>18</answer>", .stopSequence) }
    let result = try Aggregator(engine: engine, options: AggregationOptions(format: .ssa, reasoning: true))
      .aggregate(question: question, samples: split)
    XCTAssertEqual(result.reasoning, "Two samples say 18.")
    let quiet = try Aggregator(engine: engine, options: AggregationOptions(format: .ssa))
      .aggregate(question: question, samples: split)
    XCTAssertNil(quiet.reasoning)
    XCTAssertNil(quiet.record(id: .null)["reasoning"])
    XCTAssertEqual(result.record(id: .null)["reasoning"], .string("Two samples say 18."))
  }

  func testAnswerFormatReadsFromInsideTheOpenTag() throws {
    for (output, stop, expected) in [("18</answer>", Completion.StopReason.stopSequence, "18" as String?),
                                     (" $18 ", .endOfText, "$18"),
                                     ("18 because the first", .maxTokens, nil),
                                     ("</answer>", .stopSequence, nil)] {
      let engine = ScriptedEngine { _, _ in (output, stop) }
      let result = try Aggregator(engine: engine, options: AggregationOptions(format: .answer, reasoning: true))
        .aggregate(question: question, samples: split)
      XCTAssertEqual(result.answer, expected, output)
      // the output starts inside the prompt's <answer>: with an answer there is no text before it
      if expected != nil { XCTAssertEqual(result.reasoning, "", output) }
    }
  }

  func testChatStopsAtImEndToo() throws {
    let engine = ScriptedEngine { _, _ in ("<think>ok</think> <answer>4</answer>", .stopSequence) }
    let result = try Aggregator(engine: engine, options: AggregationOptions(format: .chat, reasoning: true))
      .aggregate(question: question, samples: split)
    XCTAssertEqual(result.answer, "4")
    XCTAssertEqual(result.reasoning, "ok")
    XCTAssertEqual(engine.completions[0].settings.stopTokens, ["<|endoftext|>", "<|im_end|>"])
    XCTAssertTrue(engine.completions[0].prompt.text.hasPrefix("<|im_start|>system\n"))
  }

  func testNoAnswerIsNullUnlessFallbackMajority() throws {
    let engine = ScriptedEngine { _, _ in ("I am not sure which one is right", .maxTokens) }
    let plain = try Aggregator(engine: engine, options: AggregationOptions()).aggregate(question: question, samples: split)
    XCTAssertNil(plain.answer)
    XCTAssertEqual(plain.source, .model)
    XCTAssertEqual(plain.record(id: .null)["answer"], .null)
    let fallback = try Aggregator(engine: engine, options: AggregationOptions(fallbackMajority: true))
      .aggregate(question: question, samples: split)
    XCTAssertEqual(fallback.answer, "18")
    XCTAssertEqual(fallback.source, .fallback)
    XCTAssertEqual(fallback.record(id: .null)["source"], .string("fallback"))
  }

  func testSkipUnanimousNeverRunsTheModel() throws {
    let engine = ScriptedEngine { _, _ in ("<answer>99</answer>", .stopSequence) }
    let skip = Aggregator(engine: engine, options: AggregationOptions(skipUnanimous: true))
    let result = try skip.aggregate(question: question, samples: unanimous)
    XCTAssertEqual(result.answer, "18")
    XCTAssertEqual(result.source, .unanimous)
    XCTAssertEqual(result.agreement, 1)
    XCTAssertEqual(result.promptTokens, 0)
    XCTAssertEqual(result.generatedTokens, 0)
    XCTAssertEqual(engine.completions.count, 0)
    // Not unanimous: the model runs. Without the option: the model runs even on a unanimous set.
    XCTAssertEqual(try skip.aggregate(question: question, samples: split).answer, "99")
    let always = try Aggregator(engine: engine, options: AggregationOptions()).aggregate(question: question, samples: unanimous)
    XCTAssertEqual(always.answer, "99")
    XCTAssertEqual(always.source, .model)
    XCTAssertEqual(engine.completions.count, 2)
  }

  func testKUsesTheFirstSamplesOnly() throws {
    let engine = ScriptedEngine { _, _ in ("<answer>26</answer>", .stopSequence) }
    let result = try Aggregator(engine: engine, options: AggregationOptions(k: 2)).aggregate(question: question, samples: split)
    XCTAssertEqual(engine.completions[0].prompt, PromptFormat.ssa.render(question: question, samples: Array(split.prefix(2))))
    XCTAssertEqual(result.majority, "26")  // a tie between 26 and 18: the first
    XCTAssertEqual(result.agreement, 0.5)
  }

  func testChooseScoresEachDistinctCandidate() throws {
    let engine = ScriptedEngine(scorer: { continuations, _ in
      continuations.map { $0.text.contains(">4<") ? -0.5 : -3.0 }
    })
    let result = try Aggregator(engine: engine, options: AggregationOptions(format: .ssa, method: .choose))
      .aggregate(question: question, samples: split)
    XCTAssertEqual(result.answer, "4")
    XCTAssertEqual(result.source, .model)
    XCTAssertEqual(result.scores?.map(\.answer), ["26", "18", "4"])
    XCTAssertEqual(result.scores?.map(\.logProbability), [-3, -3, -0.5])
    XCTAssertEqual(engine.completions.count, 0)
    XCTAssertEqual(engine.scorings.count, 1)
    XCTAssertEqual(engine.scorings[0].continuations.map(\.text),
                   ["</think> <answer>26</answer>", "</think> <answer>18</answer>", "</think> <answer>4</answer>"])
    XCTAssertEqual(engine.scorings[0].prompt, PromptFormat.ssa.render(question: question, samples: split))
    guard case .object(let scores)? = result.record(id: .null)["scores"] else { return XCTFail("no scores") }
    XCTAssertEqual(scores.map(\.0), ["26", "18", "4"])
  }

  func testChooseTiesGoToTheFirstCandidateAndItCannotInvent() throws {
    let engine = ScriptedEngine()  // every candidate scores the same
    let result = try Aggregator(engine: engine, options: AggregationOptions(method: .choose)).aggregate(question: question, samples: split)
    XCTAssertEqual(result.answer, "26")
    let none = try Aggregator(engine: engine, options: AggregationOptions(method: .choose))
      .aggregate(question: question, samples: ["no answer here", "nor here"])
    XCTAssertNil(none.answer)
    XCTAssertEqual(none.scores, [])
  }

  func testPromptLongerThanTheContextIsAnErrorNamingBothLengths() throws {
    let engine = ScriptedEngine(contextLength: 100) { _, _ in ("<answer>1</answer>", .stopSequence) }
    XCTAssertThrowsError(try Aggregator(engine: engine, options: AggregationOptions()).aggregate(question: question, samples: split)) { error in
      let expectedTokens = ScriptedEngine.toyCount(PromptFormat.ssa.render(question: question, samples: split))
      XCTAssertEqual(error as? AggregationError, .contextTooLong(promptTokens: expectedTokens, contextLength: 100))
      XCTAssertTrue("\(error)".contains("\(expectedTokens) tokens"))
      XCTAssertTrue("\(error)".contains("context of 100 tokens"))
    }
    XCTAssertEqual(engine.completions.count, 0)
  }

  func testTruncateFitsThePromptAndLeavesRoomToGenerate() throws {
    let long = split.map { "Let me think. " + String(repeating: "Many words of reasoning. ", count: 60) + $0 }
    let whole = ScriptedEngine.toyCount(PromptFormat.ssa.render(question: question, samples: long))
    let engine = ScriptedEngine(contextLength: whole / 2 + 64) { _, _ in ("<answer>18</answer>", .stopSequence) }
    let result = try Aggregator(engine: engine, options: AggregationOptions(maxTokens: 64, truncate: true, minimumTail: 8))
      .aggregate(question: question, samples: long)
    XCTAssertEqual(result.answer, "18")
    let sent = engine.completions[0]
    XCTAssertLessThanOrEqual(ScriptedEngine.toyCount(sent.prompt), engine.contextLength - 64)
    XCTAssertEqual(sent.settings.maxTokens, 64)
    let samplesSent = sent.prompt.segments.filter { $0.kind == .user }.dropFirst().map(\.text)
    XCTAssertEqual(samplesSent.count, 4)
    for (sample, original) in zip(samplesSent, long) {
      XCTAssertTrue(sample.contains(PromptTruncator.marker))
      XCTAssertEqual(Answer(solution: sample), Answer(solution: original))
    }
    // The majority is still over the untouched samples.
    XCTAssertEqual(result.majority, "18")
  }

  func testGenerationIsCappedByTheContextLeft() throws {
    let tokens = ScriptedEngine.toyCount(PromptFormat.answer.render(question: question, samples: split))
    let engine = ScriptedEngine(contextLength: tokens + 10) { _, _ in ("18</answer>", .stopSequence) }
    _ = try Aggregator(engine: engine, options: AggregationOptions(format: .answer)).aggregate(question: question, samples: split)
    XCTAssertEqual(engine.completions[0].settings.maxTokens, 10)
  }

  func testGroupsThenTheGroupsWinners() throws {
    let samples = ["A: 1", "A: 2", "A: 2", "A: 3", "A: 3", "A: 3", "A: 7"]
    // The scripted model picks the largest answer it is shown.
    let engine = ScriptedEngine { prompt, _ in
      let shown = prompt.segments.filter { $0.kind == .user }.dropFirst().compactMap { Answer(solution: $0.text) }
      let best = shown.max { Double($0.text)! < Double($1.text)! }!
      return ("<answer>\(best.text)</answer>", .stopSequence)
    }
    let result = try Aggregator(engine: engine, options: AggregationOptions(group: 3)).aggregate(question: question, samples: samples)
    // Groups [1,2,2] -> 2, [3,3,3] -> 3, [7] -> 7; then [2,3,7] -> 7.
    XCTAssertEqual(engine.completions.count, 4)
    let lastSamples = engine.completions[3].prompt.segments.filter { $0.kind == .user }.dropFirst().map(\.text)
    XCTAssertEqual(lastSamples, ["A: 2", "A: 3", "A: 7"])
    XCTAssertEqual(result.answer, "7")
    XCTAssertEqual(result.source, .model)
    XCTAssertEqual(result.majority, "3")
    XCTAssertEqual(result.agreement, 3.0 / 7.0, accuracy: 1e-12)
    XCTAssertEqual(result.promptTokens, engine.completions.map { ScriptedEngine.toyCount($0.prompt) }.reduce(0, +))

    // With --skip-unanimous the unanimous group costs nothing.
    let skipping = ScriptedEngine(script: engine.script)
    let skipped = try Aggregator(engine: skipping, options: AggregationOptions(skipUnanimous: true, group: 3))
      .aggregate(question: question, samples: samples)
    XCTAssertEqual(skipped.answer, "7")
    XCTAssertEqual(skipping.completions.count, 2)  // [1,2,2] and the final stage; [3,3,3] and [7] are unanimous
  }

  func testGroupRepresentativeForAnInventedAnswer() throws {
    let engine = ScriptedEngine { _, _ in ("<answer>5</answer>", .stopSequence) }  // 5 is no sample's answer
    let result = try Aggregator(engine: engine, options: AggregationOptions(group: 2))
      .aggregate(question: question, samples: ["A: 1", "A: 2", "A: 3", "A: 4"])
    XCTAssertEqual(result.answer, "5")
    let lastSamples = engine.completions.last!.prompt.segments.filter { $0.kind == .user }.dropFirst().map(\.text)
    XCTAssertEqual(lastSamples, ["The answer is 5.", "The answer is 5."])
  }

  func testNoSamplesIsAnError() {
    let engine = ScriptedEngine()
    XCTAssertThrowsError(try Aggregator(engine: engine, options: AggregationOptions()).aggregate(question: "Q", samples: [])) {
      XCTAssertEqual($0 as? AggregationError, .noSamples)
    }
  }

  func testEvaluatorDerivesTheSkipUnanimousRowFromOneRun() throws {
    let engine = ScriptedEngine { prompt, _ in
      // Right on the split set, wrong on the unanimous one: the skip row must differ.
      (prompt.text.contains("A: 26") ? "<answer>18</answer>" : "<answer>0</answer>", .stopSequence)
    }
    let evaluator = Evaluator(engine: engine, options: AggregationOptions(skipUnanimous: true))
    let a = try XCTUnwrap(evaluator.evaluate(AggregationRequest(id: .int(1), question: question, samples: split, gold: "18")))
    let b = try XCTUnwrap(evaluator.evaluate(AggregationRequest(id: .int(2), question: question, samples: unanimous, gold: "18")))
    XCTAssertNil(try evaluator.evaluate(AggregationRequest(id: .int(3), question: question, samples: split)))
    XCTAssertEqual(engine.completions.count, 2)
    XCTAssertEqual(a["correct"], .bool(true))
    XCTAssertEqual(b["correct"], .bool(false))
    XCTAssertEqual(b["unanimous"], .bool(true))
    let s = evaluator.summary
    XCTAssertEqual(s.records, 2)
    XCTAssertEqual(s.withoutGold, 1)
    XCTAssertEqual(s.majorityCorrect, 2)
    XCTAssertEqual(s.model?.correct, 1)
    XCTAssertEqual(s.skipUnanimous?.correct, 2)
    XCTAssertLessThan(s.skipUnanimous!.promptTokens, s.model!.promptTokens)
    XCTAssertTrue(s.table.contains("model (ssa), --skip-unanimous"))
    XCTAssertEqual(s.json["skip_unanimous"]?["accuracy"], .double(100))
  }
}

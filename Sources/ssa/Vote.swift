import ArgumentParser
import SSAKit

struct Vote: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Majority vote over each request's samples, no model: the same records as 'ssa aggregate'.",
    discussion: """
      Each sample's final answer is extracted (the last \\boxed{...}, '#### x', 'The answer is x', a line \
      'A: x', else the last number) and normalized before voting; ties go to the answer seen first. \
      Records have source 'majority', answer = majority, and no tokens.
      """)

  @OptionGroup var stream: StreamOptions

  @Option(parsing: .unconditional, help: "Use the first N samples of each request (default: all).")
  var k: Int?

  func validate() throws {
    if let k, k < 1 { throw ValidationError("--k must be 1 or more") }
  }

  func run() throws {
    try RequestRunner.run(stream) {
      RequestRunner.Handler { [k] request in AggregationResult.majorityVote(samples: request.samples, k: k) }
    }
  }
}

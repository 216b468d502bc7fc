import XCTest
@testable import SSAKit

/// Answer extraction and normalization over a table of answer forms.
final class ExtractionTests: XCTestCase {
  /// A solution text and the cleaned final answer it states (nil: none).
  static let solutions: [(String, String?)] = [
    ("A: 18", "18"),
    ("She has <<16-3=13>>13 eggs left\nA: 26", "26"),
    ("#### 72", "72"),
    ("so the total is\n#### 1,234", "1234"),
    ("The answer is 42.", "42"),
    ("The answer is: $18.00", "18"),
    ("Therefore, the final answer is $\\boxed{18}$. I hope it is correct.", "18"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("\\boxed{\\dfrac{3}{4}}", "\\frac{3}{4}"),
    ("\\boxed{\\tfrac{3}{4}}", "\\frac{3}{4}"),
    ("\\fbox{7}", "7"),
    ("so \\boxed{\\frac{\\sqrt{2}}{2}} is it", "\\frac{\\sqrt{2}}{2}"),
    ("$\\boxed 5$", "5"),
    ("first \\boxed{3} then \\boxed{4}", "4"),
    ("\\boxed{3} and a cut-off \\boxed{4", "3"),
    ("She has 16 - 3 = <<16-3=13>>13 eggs", "13"),
    ("So the price is $41.472+$8.2944 = $<<41.472+8.", "8.2944"),
    ("Each costs 2 * 3 = $<<2*3=6>>6", "6"),
    ("He buys 12 <<3*4=12>> then stops", "12"),
    ("<<5*5=25>>", nil),
    ("no numbers here", nil),
    ("", nil),
    ("The temperature dropped to -5 degrees", "-5"),
    ("16-3", "3"),
    ("A: x = 5", "5"),
    ("A: $1,200", "1200"),
    ("A: 10.50", "10.5"),
    ("A: 0.5", "0.5"),
    ("A: .5", "0.5"),
    ("A: 50%", "50"),
    ("A: 50\\%", "50"),
    ("A: 18 dollars", "18"),
    ("A: 5 cm", "5"),
    ("A: \\text{5 cm}", "5"),
    ("A: 5\\text{ cm}", "5"),
    ("A: 90^\\circ", "90"),
    ("A: 90^{\\circ}", "90"),
    ("A: 90°", "90"),
    ("The answer is 3 apples.", "3"),
    ("Final Answer: 7", "7"),
    ("Answer: 12", "12"),
    ("The answer is\n18", "18"),
    ("A: 2,000,000", "2000000"),
    ("A: 1,2,3", "1,2,3"),
    ("A: -\\frac{1}{2}", "-\\frac{1}{2}"),
    ("answer: \\$5", "5"),
    ("A: 3.0", "3"),
    ("A: 007", "7"),
    ("A: -0", "0"),
    ("A: +5", "5"),
    ("A: 1,\\!000", "1000"),
    ("A: 1{,}000", "1000"),
    ("#### 5\nThe answer is 6", "6"),
    ("The answer is 6\n#### 5", "5"),
    ("A: 4\nthen some text with 9 in it", "4"),
    ("The result is 3/4", "3/4"),
    ("Total: 3,500 dollars", "3500"),
    ("He ran 2.5 miles.", "2.5"),
    ("a: 7\nb: 8", "8"),
    ("A: She makes 18 dollars a day.", "18"),
    ("The answer is $\\frac{5}{2}$.", "\\frac{5}{2}"),
    ("The answer is 3. Next, we check.", "3"),
    ("\\boxed{\\text{Monday}}", "Monday"),
    ("\\boxed{\\textbf{(C)}}", "(C)"),
    ("A: \\mathrm{12}", "12"),
    ("A: {18}", "18"),
    ("the value is \\boxed{ 18 }", "18"),
    ("A: 18.", "18"),
    ("A: 18..", "18"),
    ("A: \u{2212}18", "-18"),
    ("\\boxed{x = 3}", "3"),
    ("\\boxed{\\left[1, 2\\right]}", "[1, 2]"),
    ("\\boxed{\\leftarrow}", "\\leftarrow"),
    ("A: 10.833333333333332", "10.833333333333332"),
    ("A:18", "18"),
    ("   A: 9   ", "9"),
    ("The final answer is 64", "64"),
    ("THE ANSWER IS 11", "11"),
    ("So the answer is 1,000,000 people.", "1000000"),
    ("It costs $3.50. The answer is $3.50.", "3.5"),
    ("We get 2 + 2 = 4.", "4"),
    ("A: 1/3", "1/3"),
    ("A: \\dfrac{7}{8}", "\\frac{7}{8}"),
    ("\\boxed{\\$18}", "18"),
    ("\\boxed{18\\%}", "18"),
    ("\\boxed{\\displaystyle 4}", "4"),
    ("A: 4\r", "4"),
    ("Step 1: 3 + 4 = 7\nStep 2: 7 * 2 = 14", "14"),
    ("The total is 3 hours per day\nA: 3 hours per day", "3"),
    ("The answer is (B).", "(B)"),
    ("#### -12", "-12"),
    ("A: 1,000.50", "1000.5"),
    ("The answer is 5 and the check passes", "5"),
    ("A: $ 45", "45"),
    ("The answer is \\boxed{12} dollars", "12"),
    ("Answer 2 is right. A: 17", "17"),
    ("I computed 5*3=15, so the answer is fifteen", "fifteen"),
    ("A: 0.0625", "0.0625"),
    ("**Answer:** 9", "9"),
    ("A: 18\nA: 19", "19"),
    ("#### 3\n\n", "3"),
    ("The answer is -7.", "-7"),
    ("so it is 4 <<2+2=4>>", "4"),
    ("The answer is $12,000$", "12000"),
  ]

  func testSolutionTable() {
    XCTAssertGreaterThanOrEqual(ExtractionTests.solutions.count, 100)
    for (solution, expected) in ExtractionTests.solutions {
      XCTAssertEqual(Answer(solution: solution)?.text, expected, "solution: \(solution.debugDescription)")
    }
  }

  /// Groups of forms that must all be the same answer.
  static let equal: [[String]] = [
    ["18", "18.0", "18.00", "$18", "18%", "\\boxed{18}", "18 dollars", "\\$18", "18.", "{18}", "\\text{18}", "+18", "018"],
    ["1/2", "0.5", "\\frac{1}{2}", "\\dfrac12", "\\tfrac{1}{2}", ".5", "0.50", "\\frac{2}{4}"],
    ["2,125", "2125", "2125.0", "$2,125"],
    ["8.333333333333334", "8.33333333333333", "25/3", "\\frac{25}{3}"],
    ["\\frac{4}{2}", "2", "4/2"],
    ["Monday", "\\text{Monday}", "\\textbf{Monday}"],
    ["(3,4)", "\\left(3, 4\\right)", "( 3 , 4 )"],
    ["12345678901234567890", "12345678901234567890.00", "12,345,678,901,234,567,890"],
    ["x=5", "5", "5 cm", "x = 5"],
    ["5 pm", "5 am"],
    ["-0", "0", "0.0"],
    ["\\frac{-1}{2}", "-\\frac{1}{2}", "-0.5", "-1/2"],
    ["90^\\circ", "90", "90^{\\circ}"],
    ["\\sqrt{2}", "\\sqrt{2} "],
  ]

  /// Pairs that must stay different answers.
  static let different: [(String, String)] = [
    ("10.83", "10.833333333333332"),
    ("0.18", "18%"),
    ("-3", "3"),
    ("3", "3.1"),
    ("12345678901234567890", "12345678901234567891"),
    ("1,2,3", "123"),
    ("\\frac{1}{3}", "0.33"),
    ("Monday", "Tuesday"),
    ("(3,4)", "(4,3)"),
    ("2", "\\sqrt{2}"),
  ]

  func testEquivalenceTable() {
    for group in ExtractionTests.equal {
      let answers = group.map { Answer($0) }
      for (form, answer) in zip(group, answers) {
        XCTAssertNotNil(answer, form)
        XCTAssertEqual(answer?.key, answers[0]?.key, "\(form) should equal \(group[0])")
        XCTAssertTrue(Answer.isCorrect(form, gold: group[0]), "\(form) graded against \(group[0])")
      }
    }
    for (a, b) in ExtractionTests.different {
      XCTAssertNotEqual(Answer(a)?.key, Answer(b)?.key, "\(a) should differ from \(b)")
      XCTAssertFalse(Answer.isCorrect(a, gold: b))
    }
  }

  func testTableHasAtLeastAHundredForms() {
    let forms = ExtractionTests.solutions.count + ExtractionTests.equal.joined().count + 2 * ExtractionTests.different.count
    XCTAssertGreaterThanOrEqual(forms, 100)
  }

  func testTaggedAnswerIsTheLastCompletePair() {
    XCTAssertEqual(AnswerExtractor.taggedAnswer(in: "<think>x</think> <answer>18</answer>"), "18")
    XCTAssertEqual(AnswerExtractor.taggedAnswer(in: "<answer>1</answer> then <answer>2</answer>"), "2")
    XCTAssertEqual(AnswerExtractor.taggedAnswer(in: "<answer> 18 \n</answer>"), "18")
    XCTAssertEqual(AnswerExtractor.taggedAnswer(in: "</answer> <answer>3</answer>"), "3")
    XCTAssertEqual(AnswerExtractor.taggedAnswer(in: "<answer>1</answer> <answer>unclosed"), "1")
    XCTAssertEqual(AnswerExtractor.taggedAnswer(in: "<answer></answer>"), "")
    XCTAssertNil(AnswerExtractor.taggedAnswer(in: "<answer>unclosed"))
    XCTAssertNil(AnswerExtractor.taggedAnswer(in: "no tags at all, 18"))
    XCTAssertNil(AnswerExtractor.taggedAnswer(in: ""))
  }

  func testModelAnswersGradeThroughTheSameNormalization() {
    for output in ["<answer>\\boxed{18}</answer>", "<answer>$18</answer>", "<answer>18.00</answer>",
                   "<answer>18 eggs</answer>", "<answer>Janet makes $18 every day.</answer>",
                   "<answer>The answer is 18</answer>"] {
      let answer = AnswerExtractor.taggedAnswer(in: output)
      XCTAssertTrue(Answer.isCorrect(answer, gold: "18"), output)
    }
    XCTAssertFalse(Answer.isCorrect("<answer>26</answer>", gold: "18"))
    XCTAssertFalse(Answer.isCorrect(nil, gold: "18"))
    XCTAssertFalse(Answer.isCorrect("", gold: "18"))
  }

  func testCalculatorAnnotationsNeverBecomeTheAnswer() throws {
    // Every dev sample that states no "A:" line still yields no number from inside << >>.
    for request in try AggregationFixtures.devRequests() {
      for sample in request.samples {
        let stripped = AnswerExtractor.removingCalculatorAnnotations(sample)
        XCTAssertFalse(stripped.contains("<<"), sample)
        if let answer = AnswerExtractor.finalAnswer(in: sample) {
          XCTAssertTrue(stripped.contains(answer), "\(answer) is not in the text outside annotations")
        }
      }
    }
  }

  func testHugeInputsStayLinear() {
    let long = String(repeating: "The ducks lay 16 eggs <<16-3=13>>13 and more. ", count: 20_000) + "\nA: 7"
    XCTAssertEqual(Answer(solution: long)?.text, "7")
    let digits = "0." + String(repeating: "3", count: 5_000)
    XCTAssertEqual(Answer(digits)?.key, Answer("1/3")?.key)
  }
}

import Foundation

/// `ssa eval --k 1,2,3,4`: accuracy against the number of samples k, the way the paper's figures show
/// it: the baselines and each method, as a table, JSON, and an SVG line chart. A method's accuracy is
/// over the shuffled orders when there are shuffles, else in the given order.
public struct KSweep {
  public let summaries: [EvalSummary]

  public init(summaries: [EvalSummary]) { self.summaries = summaries }

  public struct Series {
    public var name: String
    public var values: [Double]
  }

  public var ks: [Int] { summaries.map { $0.k ?? $0.maxK } }

  public var series: [Series] {
    guard let first = summaries.first else { return [] }
    var out: [Series] = [
      Series(name: "oracle pass@k", values: summaries.map(\.oracleAccuracy)),
      Series(name: "majority vote (ties: first seen)", values: summaries.map(\.majorityAccuracy)),
      Series(name: "majority vote (ties: random)", values: summaries.map { s in
        s.orders > 1 ? EvalSummary.percent(s.majorityRandomShuffledExpected, of: s.shuffledRuns)
          : EvalSummary.percent(s.majorityRandomExpected, of: s.records)
      }),
      Series(name: "pass@1", values: summaries.map(\.pass1Accuracy)),
    ]
    for (i, row) in first.rows.enumerated() {
      out.append(Series(name: row.label, values: summaries.map { $0.accuracy($0.rows[i]) }))
    }
    return out
  }

  public var table: String {
    let orders = summaries.first?.orders ?? 1
    var lines = ["accuracy against k (\(orders > 1 ? "methods and majority over \(orders - 1) shuffles" : "given order"))"]
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
    lines.append(pad("method", 40) + ks.map { lpad("k=\($0)", 8) }.joined())
    for s in series {
      lines.append(pad(s.name, 40) + s.values.map { lpad(String(format: "%.1f", $0), 8) }.joined())
    }
    return lines.joined(separator: "\n")
  }

  public var json: JSON {
    .object([
      ("k", .array(ks.map(JSON.int))),
      ("series", .array(series.map { .object([("name", .string($0.name)), ("accuracy", .array($0.values.map(JSON.double)))]) })),
      ("tables", .array(summaries.map(\.json))),
    ])
  }

  /// A line chart: accuracy (%) against k, one line and legend entry per series.
  public var svg: String {
    let width = 720.0, height = 420.0
    let left = 60.0, right = 250.0, top = 30.0, bottom = 50.0
    let plotW = width - left - right, plotH = height - top - bottom
    let all = series.flatMap(\.values)
    let low = max(0, ((all.min() ?? 0) / 10).rounded(.down) * 10)
    let high = min(100, ((all.max() ?? 100) / 10).rounded(.up) * 10)
    let span = max(high - low, 10)
    let kMin = Double(ks.min() ?? 1), kMax = Double(ks.max() ?? 1)
    func x(_ k: Int) -> Double { left + (kMax == kMin ? plotW / 2 : (Double(k) - kMin) / (kMax - kMin) * plotW) }
    func y(_ v: Double) -> Double { top + (1 - (v - low) / span) * plotH }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    let colors = ["#000000", "#1f77b4", "#7fb3d5", "#999999", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    out += "<text x=\"\(f(left))\" y=\"18\" font-size=\"14\">Accuracy (%) against k</text>\n"
    var tick = low
    while tick <= high + 1e-9 {
      out += "<line x1=\"\(f(left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(tick)))\" stroke=\"#dddddd\"/>\n"
      out += "<text x=\"\(f(left - 8))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(Int(tick))</text>\n"
      tick += span <= 30 ? 5 : 10
    }
    for k in ks {
      out += "<text x=\"\(f(x(k)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(k)</text>\n"
    }
    out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">k (samples per question)</text>\n"
    out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"black\"/>\n"
    out += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"black\"/>\n"
    for (i, s) in series.enumerated() {
      let color = colors[i % colors.count]
      let dash = i == 2 ? " stroke-dasharray=\"5,4\"" : ""
      let points = zip(ks, s.values).map { "\(f(x($0))),\(f(y($1)))" }.joined(separator: " ")
      out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(points)\"/>\n"
      for (k, v) in zip(ks, s.values) {
        out += "<circle cx=\"\(f(x(k)))\" cy=\"\(f(y(v)))\" r=\"3\" fill=\"\(color)\"/>\n"
      }
      let ly = top + 10 + Double(i) * 20
      out += "<line x1=\"\(f(left + plotW + 15))\" y1=\"\(f(ly))\" x2=\"\(f(left + plotW + 40))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
      var name = ""
      JSON.escape(s.name, into: &name)
      let label = String(name.dropFirst().dropLast()).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      out += "<text x=\"\(f(left + plotW + 46))\" y=\"\(f(ly + 4))\">\(label)</text>\n"
    }
    out += "</svg>\n"
    return out
  }
}

import Foundation

/// The two models `ssa calibrate` fits, by Newton's method with an L2 penalty (so a separable set
/// still has a unique, finite fit): a binary logistic regression (the probe: is this candidate right,
/// from its hidden state) and a conditional logit (which candidate of a record is right, from a few
/// features of each: a softmax over the record's candidates).
public enum LogisticRegression {
  /// Binary logistic regression: minimizes sum log(1 + exp(-y' (w.x + b))) + penalty/2 |w|^2 (the
  /// bias is not penalized). `x` is row-major [n x d]. Truncated Newton: each step solves the Newton
  /// system by conjugate gradients with Hessian-vector products, so a step costs a few passes over
  /// `x` instead of a d x d Hessian (d is 896 for the probe). Returns (w, b).
  public static func fitBinary(x: [Double], labels: [Bool], dimension d: Int, penalty: Double,
                               iterations: Int = 30) -> (weights: [Double], bias: Double) {
    let n = labels.count
    precondition(x.count == n * d, "x must be n x d")
    let m = d + 1  // the bias is the last coordinate
    var w = [Double](repeating: 0, count: m)
    let positives = Double(labels.filter { $0 }.count)
    // start at the base rate
    w[d] = log(max(positives, 0.5) / max(Double(n) - positives, 0.5))
    let y = labels.map { $0 ? 1.0 : 0.0 }
    return x.withUnsafeBufferPointer { xs in
      let rows = xs.baseAddress!
      // X v (with the bias column of ones)
      func times(_ v: [Double]) -> [Double] {
        (0..<n).map { r in
          let row = rows + r * d
          var z = v[d]
          for j in 0..<d { z += v[j] * row[j] }
          return z
        }
      }
      // X' u
      func transposeTimes(_ u: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: m)
        for r in 0..<n where u[r] != 0 {
          let row = rows + r * d
          let ur = u[r]
          for j in 0..<d { out[j] += ur * row[j] }
          out[d] += ur
        }
        return out
      }
      for _ in 0..<iterations {
        let z = times(w)
        let p = z.map { 1 / (1 + exp(-$0)) }
        var gradient = transposeTimes((0..<n).map { p[$0] - y[$0] })
        for j in 0..<d { gradient[j] += penalty * w[j] }
        let curvature = p.map { max($0 * (1 - $0), 1e-12) }
        func hessianTimes(_ v: [Double]) -> [Double] {
          let xv = times(v)
          var out = transposeTimes((0..<n).map { curvature[$0] * xv[$0] })
          for j in 0..<d { out[j] += penalty * v[j] }
          out[d] += 1e-8 * v[d]
          return out
        }
        let step = conjugateGradient(hessianTimes, gradient, size: m, iterations: 50, tolerance: 1e-4)
        for j in 0..<m { w[j] -= step[j] }
        let gradientNorm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if gradientNorm < 1e-6 * Double(max(n, 1)) { break }
      }
      return (Array(w[0..<d]), w[d])
    }
  }

  /// Solves A x = b for a symmetric positive definite A given as a product, to a relative residual of
  /// `tolerance` (or `iterations` steps).
  static func conjugateGradient(_ a: ([Double]) -> [Double], _ b: [Double], size n: Int, iterations: Int,
                                tolerance: Double) -> [Double] {
    var x = [Double](repeating: 0, count: n)
    var r = b
    var p = r
    var rr = dot(r, r)
    let stop = tolerance * tolerance * rr
    for _ in 0..<iterations where rr > stop {
      let ap = a(p)
      let pap = dot(p, ap)
      guard pap > 0 else { break }
      let alpha = rr / pap
      for i in 0..<n {
        x[i] += alpha * p[i]
        r[i] -= alpha * ap[i]
      }
      let next = dot(r, r)
      let beta = next / rr
      rr = next
      for i in 0..<n { p[i] = r[i] + beta * p[i] }
    }
    return x
  }

  /// Conditional logit: each group is a record's candidates, each candidate a feature vector of
  /// length `dimension`; `chosen[g]` is the index of the right candidate in group g. Maximizes
  /// sum log softmax(w.f)[chosen] - penalty/2 |w|^2.
  public static func fitConditional(groups: [[[Double]]], chosen: [Int], dimension m: Int, penalty: Double,
                                    iterations: Int = 50) -> [Double] {
    var w = [Double](repeating: 0, count: m)
    for _ in 0..<iterations {
      var gradient = w.map { penalty * $0 }
      var hessian = [Double](repeating: 0, count: m * m)
      for j in 0..<m { hessian[j * m + j] = penalty }
      for (g, features) in groups.enumerated() {
        let p = softmax(features.map { dot(w, $0) })
        var mean = [Double](repeating: 0, count: m)
        for (c, f) in features.enumerated() { for j in 0..<m { mean[j] += p[c] * f[j] } }
        for j in 0..<m { gradient[j] -= features[chosen[g]][j] - mean[j] }
        for (c, f) in features.enumerated() {
          for j in 0..<m { for k in 0..<m { hessian[j * m + k] += p[c] * (f[j] - mean[j]) * (f[k] - mean[k]) } }
        }
      }
      guard let step = solveSymmetric(hessian, gradient, size: m) else { break }
      for j in 0..<m { w[j] -= step[j] }
      if step.map(abs).max() ?? 0 < 1e-10 { break }
    }
    return w
  }

  public static func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<min(a.count, b.count) { s += a[i] * b[i] }
    return s
  }

  public static func softmax(_ z: [Double]) -> [Double] {
    let top = z.max() ?? 0
    let e = z.map { exp($0 - top) }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
  }


  /// Solves A x = b for a symmetric positive definite A (Cholesky); nil when A is not.
  static func solveSymmetric(_ a: [Double], _ b: [Double], size n: Int) -> [Double]? {
    var l = a
    for j in 0..<n {
      var d = l[j * n + j]
      for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
      guard d > 0, d.isFinite else { return nil }
      let root = d.squareRoot()
      l[j * n + j] = root
      for i in (j + 1)..<n {
        var s = l[i * n + j]
        for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
        l[i * n + j] = s / root
      }
    }
    var y = b
    for i in 0..<n {
      var s = y[i]
      for k in 0..<i { s -= l[i * n + k] * y[k] }
      y[i] = s / l[i * n + i]
    }
    for i in stride(from: n - 1, through: 0, by: -1) {
      var s = y[i]
      for k in (i + 1)..<n { s -= l[k * n + i] * y[k] }
      y[i] = s / l[i * n + i]
    }
    return y
  }
}

import Foundation

/// A plain decimal number as written, kept exact for integer values.
struct DecimalNumber {
  let negative: Bool
  let integerDigits: String   // no leading zeros ("" for zero)
  let fractionDigits: String  // no trailing zeros
  let value: Double

  /// `[+-]?(\d+(\.\d*)?|\.\d+)`, or nil.
  static func parse(_ s: String) -> DecimalNumber? {
    var body = Substring(s)
    var negative = false
    if let c = body.first, c == "-" || c == "+" {
      negative = c == "-"
      body = body.dropFirst()
    }
    let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let whole = parts[0]
    let fraction = parts.count > 1 ? parts[1] : ""
    guard !(whole.isEmpty && fraction.isEmpty),
          whole.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
          let value = Double((negative ? "-" : "") + (whole.isEmpty ? "0" : whole) + "." + (fraction.isEmpty ? "0" : fraction))
    else { return nil }
    let intDigits = String(whole.drop(while: { $0 == "0" }))
    var fracDigits = Substring(fraction)
    while fracDigits.last == "0" { fracDigits = fracDigits.dropLast() }
    let isZero = intDigits.isEmpty && fracDigits.isEmpty
    return DecimalNumber(negative: negative && !isZero, integerDigits: intDigits, fractionDigits: String(fracDigits), value: value)
  }

  /// The number written back without redundant zeros or sign: 18.00 -> 18, .5 -> 0.5, -0 -> 0.
  var canonical: String {
    var s = negative ? "-" : ""
    s += integerDigits.isEmpty ? "0" : integerDigits
    if !fractionDigits.isEmpty { s += "." + fractionDigits }
    return s
  }

  var key: String {
    if fractionDigits.isEmpty { return (negative ? "-" : "") + (integerDigits.isEmpty ? "0" : integerDigits) }
    return DecimalNumber.roundedKey(value)
  }

  /// The value as an Int when it is an integer that fits.
  var integer: Int? {
    guard fractionDigits.isEmpty else { return nil }
    guard let magnitude = Int(integerDigits.isEmpty ? "0" : integerDigits) else { return nil }
    return negative ? -magnitude : magnitude
  }

  static func integerKey(_ i: Int) -> String { String(i) }

  /// 10 significant digits; a value that rounds to an integer keys like that integer.
  static func roundedKey(_ d: Double) -> String {
    let text = String(format: "%.10g", d)
    if let parsed = DecimalNumber.parse(text), parsed.fractionDigits.isEmpty { return parsed.key }
    return text == "-0" ? "0" : text
  }
}

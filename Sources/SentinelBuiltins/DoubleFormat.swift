// Printing doubles as cel-go does: `string(double)` is Go's `%g` with the shortest round-trip
// digits (`123.456`, `-0.0045`, `1e+06`, `1.23456789e+08`, `+Inf`, `NaN`), and the strings
// extension's `%s`/`%d` use Go's `'f', -1` form (`1000000`, `0.0000001`). Digits come from
// Swift's shortest round-trip `description`, re-laid out here.

/// The shortest round-trip decimal digits of a finite double's magnitude, as `0.d1d2…dn × 10^point`
/// (no leading or trailing zeros; zero has no digits).
struct ShortestDecimal {
  var digits: [UInt8] = []  // ASCII '0'...'9'
  var point = 0

  init(_ d: Double) {
    guard d != 0, d.isFinite else { return }
    var exponent = 0
    var pointPos = -1
    var count = 0
    var inExponent = false
    var expSign = 1
    for c in d.magnitude.description.utf8 {
      if inExponent {
        if c == 0x2D {
          expSign = -1
        } else if c >= 0x30 && c <= 0x39 {
          exponent = exponent * 10 + Int(c - 0x30)
        }
      } else if c == 0x2E {
        pointPos = count
      } else if c == 0x65 || c == 0x45 {
        inExponent = true
      } else if c >= 0x30 && c <= 0x39 {
        digits.append(c)
        count += 1
      }
    }
    if pointPos < 0 { pointPos = count }
    point = pointPos + expSign * exponent
    var lead = 0
    while lead < digits.count && digits[lead] == 0x30 { lead += 1 }
    if lead > 0 {
      digits.removeFirst(lead)
      point -= lead
    }
    while let last = digits.last, last == 0x30 { digits.removeLast() }
  }

  /// Go's `fmtF` with `precision` fraction digits (digits beyond those known are zeros).
  func appendFixed(to out: inout [UInt8], precision: Int) {
    if point > 0 {
      for i in 0..<point { out.append(i < digits.count ? digits[i] : 0x30) }
    } else {
      out.append(0x30)
    }
    if precision > 0 {
      out.append(0x2E)
      for i in 0..<precision {
        let j = point + i
        out.append(j >= 0 && j < digits.count ? digits[j] : 0x30)
      }
    }
  }

  /// Go's `fmtE` with all shortest digits: `d.ddde±XX`.
  func appendExponent(to out: inout [UInt8]) {
    out.append(digits.first ?? 0x30)
    if digits.count > 1 {
      out.append(0x2E)
      out.append(contentsOf: digits[1...])
    }
    out.append(0x65)
    var exp = digits.isEmpty ? 0 : point - 1
    out.append(exp < 0 ? 0x2D : 0x2B)
    exp = abs(exp)
    if exp < 10 { out.append(0x30) }
    out.append(contentsOf: String(exp).utf8)
  }
}

enum DoubleFormat {
  /// Go's `fmt.Sprintf("%g", d)`: cel-go's `string(double)`.
  static func goG(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
    var out: [UInt8] = []
    if d.sign == .minus { out.append(0x2D) }
    let s = ShortestDecimal(d)
    let exp = s.point - 1
    if !s.digits.isEmpty && (exp < -4 || exp >= 6) {
      s.appendExponent(to: &out)
    } else {
      s.appendFixed(to: &out, precision: max(s.digits.count - s.point, 0))
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Go's `strconv.FormatFloat(d, 'f', -1, 64)`, with CEL's `NaN`/`Infinity` spellings
  /// (the strings extension's `%s` and `%d` of a double).
  static func plain(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
    var out: [UInt8] = []
    if d.sign == .minus { out.append(0x2D) }
    let s = ShortestDecimal(d)
    s.appendFixed(to: &out, precision: max(s.digits.count - s.point, 0))
    return String(decoding: out, as: UTF8.self)
  }
}

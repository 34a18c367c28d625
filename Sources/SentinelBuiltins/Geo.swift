// The SentinelIQ extension: helpers fraud rules need that CEL's libraries lack.
//
// - `haversine_km(lat1, lon1, lat2, lon2)` and `haversine_km(geo1, geo2)` (maps with `lat` and
//   `lon`): the great-circle distance in kilometres on a sphere of radius 6371.0 km
//   (REFERENCE_RULES.md, impossible travel).
// - `hours(d)`, `seconds(d)`: a duration as a fractional number of hours or seconds, exact to the
//   nanosecond (CEL's `getHours()`/`getSeconds()` truncate to whole units). Durations between
//   timestamps are CEL's own `t2 - t1`.

import Foundation
import SentinelModel

enum Geo {
  /// The Earth's mean radius in kilometres, as the reference rules define it.
  static let earthRadiusKm = 6371.0

  /// The haversine great-circle distance between two points given in degrees.
  static func haversineKm(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
    let rad = Double.pi / 180
    let dLat = (lat2 - lat1) * rad
    let dLon = (lon2 - lon1) * rad
    let a = sin(dLat / 2) * sin(dLat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dLon / 2) * sin(dLon / 2)
    return 2 * earthRadiusKm * asin(min(1, a.squareRoot()))
  }

  static func number(_ v: Value) -> Double? {
    switch v {
    case .double(let d): return d
    case .int(let i): return Double(i)
    case .uint(let u): return Double(u)
    default: return nil
    }
  }

  static func point(_ v: Value) -> (Double, Double)? {
    guard case .map(let m) = v, let lat = m[string: "lat"].flatMap(number),
      let lon = m[string: "lon"].flatMap(number)
    else { return nil }
    return (lat, lon)
  }

  static func seconds(_ d: Duration) -> Double { Double(d.seconds) + Double(d.nanos) / 1e9 }

  static let overloads: [Overload] = [
    Overload(
      "haversine_km_double4", "haversine_km", [.double, .double, .double, .double], .double, cost: 4,
      .nary { args in
        guard args.count == 4, let a = number(args[0]), let b = number(args[1]), let c = number(args[2]),
          let d = number(args[3])
        else { return noOverload("haversine_km", args.first ?? .null) }
        return .double(haversineKm(a, b, c, d))
      }),
    Overload(
      "haversine_km_map_map", "haversine_km", [.map(.string, .dyn), .map(.string, .dyn)], .double, cost: 4,
      .binary { a, b in
        guard let p = point(a) else {
          return err(.invalidArgument, "haversine_km: `lat` and `lon` needed in \(a)")
        }
        guard let q = point(b) else {
          return err(.invalidArgument, "haversine_km: `lat` and `lon` needed in \(b)")
        }
        return .double(haversineKm(p.0, p.1, q.0, q.1))
      }),
    Overload(
      "hours_duration", "hours", [.duration], .double,
      .unary { a in
        guard case .duration(let d) = a else { return noOverload("hours", a) }
        return .double(seconds(d) / 3600)
      }),
    Overload(
      "seconds_duration", "seconds", [.duration], .double,
      .unary { a in
        guard case .duration(let d) = a else { return noOverload("seconds", a) }
        return .double(seconds(d))
      }),
  ]
}

@testable import SentinelBuiltins
import SentinelModel
import Testing

func tz(_ f: String, _ when: String, _ zone: String) -> Value {
  method(ts(when), f, .string(zone))
}

let accessorCases: [Case] = [
  // UTC accessors (conformance timestamps.json)
  Case("getDate", method(ts("2009-02-13T23:31:30Z"), "getDate"), .int(13)),
  Case("getDayOfMonth", method(ts("2009-02-13T23:31:30Z"), "getDayOfMonth"), .int(12)),
  Case("getDayOfWeek", method(ts("2009-02-13T23:31:30Z"), "getDayOfWeek"), .int(5)),
  Case("getDayOfYear", method(ts("2009-02-13T23:31:30Z"), "getDayOfYear"), .int(43)),
  Case("getFullYear", method(ts("2009-02-13T23:31:30Z"), "getFullYear"), .int(2009)),
  Case("getHours", method(ts("2009-02-13T23:31:30Z"), "getHours"), .int(23)),
  Case("getMilliseconds", method(ts("2009-02-13T23:31:20.123456789Z"), "getMilliseconds"), .int(123)),
  Case("getMonth", method(ts("2009-02-13T23:31:30Z"), "getMonth"), .int(1)),
  Case("getMinutes", method(ts("2009-02-13T23:31:30Z"), "getMinutes"), .int(31)),
  Case("getSeconds", method(ts("2009-02-13T23:31:30Z"), "getSeconds"), .int(30)),
  Case("getDayOfYear Dec 31 leap", method(ts("2024-12-31T12:00:00Z"), "getDayOfYear"), .int(365)),
  Case("getDayOfWeek year 1", method(ts("0001-01-01T00:00:00Z"), "getDayOfWeek"), .int(1)),
  Case("getHours pre-epoch", method(ts("1969-12-31T23:59:59Z"), "getHours"), .int(23)),
  // Fixed offsets
  Case("getDayOfMonth US/Central", tz("getDayOfMonth", "2009-02-13T23:31:30Z", "US/Central"), .int(12)),
  Case("getDayOfMonth +11:00", tz("getDayOfMonth", "2009-02-13T23:31:30Z", "+11:00"), .int(13)),
  Case("getDayOfMonth -02:30", tz("getDayOfMonth", "2009-02-13T02:00:00Z", "-02:30"), .int(11)),
  Case("getHours -02:30", tz("getHours", "2009-02-13T02:00:00Z", "-02:30"), .int(23)),
  Case("getMinutes -02:30", tz("getMinutes", "2009-02-13T02:00:00Z", "-02:30"), .int(30)),
  Case("getMinutes +05:30", tz("getMinutes", "2009-02-13T02:00:00Z", "+05:30"), .int(30)),
  Case(
    "getDayOfMonth America/St_Johns", tz("getDayOfMonth", "2009-02-13T02:00:00Z", "America/St_Johns"),
    .int(11)),
  Case("getDayOfYear US/Central", tz("getDayOfYear", "2009-02-13T23:31:30Z", "US/Central"), .int(43)),
  Case("getFullYear -09:30", tz("getFullYear", "2009-02-13T23:31:30Z", "-09:30"), .int(2009)),
  Case("getHours 02:00 (unsigned)", tz("getHours", "2009-02-13T23:31:30Z", "02:00"), .int(1)),
  Case("getMinutes Asia/Kathmandu", tz("getMinutes", "2009-02-13T23:31:30Z", "Asia/Kathmandu"), .int(16)),
  Case("getMonth UTC", tz("getMonth", "2009-02-13T23:31:30Z", "UTC"), .int(1)),
  Case("getSeconds -00:00", tz("getSeconds", "2009-02-13T23:31:30Z", "-00:00"), .int(30)),
  Case("getDate America/Los_Angeles", tz("getDate", "2023-12-25T00:00:00Z", "America/Los_Angeles"), .int(24)),
  Case(
    "getDayOfMonth America/Los_Angeles", tz("getDayOfMonth", "2023-12-25T00:00:00Z", "America/Los_Angeles"),
    .int(23)),
  Case("getFullYear -08:00", tz("getFullYear", "2023-01-01T05:30:00Z", "-08:00"), .int(2022)),
  Case(
    "getMilliseconds with tz", tz("getMilliseconds", "2023-07-14T10:30:45.123Z", "America/Los_Angeles"),
    .int(123)),
  // DST transitions from the zone's transition table
  Case(
    "LA 2024 before spring-forward", tz("getHours", "2024-03-10T09:59:59Z", "America/Los_Angeles"), .int(1)),
  Case(
    "LA 2024 after spring-forward", tz("getHours", "2024-03-10T10:00:00Z", "America/Los_Angeles"), .int(3)),
  // … and from the POSIX rule after the last transition
  Case(
    "LA 2050 before spring-forward", tz("getHours", "2050-03-13T09:59:59Z", "America/Los_Angeles"), .int(1)),
  Case(
    "LA 2050 after spring-forward", tz("getHours", "2050-03-13T10:00:00Z", "America/Los_Angeles"), .int(3)),
  Case("LA 2050 before fall-back", tz("getMinutes", "2050-11-06T08:59:59Z", "America/Los_Angeles"), .int(59)),
  Case("LA 2050 after fall-back", tz("getHours", "2050-11-06T09:00:00Z", "America/Los_Angeles"), .int(1)),
  Case("LA 2100 summer", tz("getHours", "2100-07-01T12:00:00Z", "America/Los_Angeles"), .int(5)),
  Case("LA 2100 winter", tz("getHours", "2100-01-01T12:00:00Z", "America/Los_Angeles"), .int(4)),
  Case(
    "Sydney 2100 summer (southern DST)", tz("getHours", "2100-01-15T00:00:00Z", "Australia/Sydney"), .int(11)),
  Case("Sydney 2100 winter", tz("getHours", "2100-07-15T00:00:00Z", "Australia/Sydney"), .int(10)),
  Case("London 2100 before BST", tz("getHours", "2100-03-28T00:59:59Z", "Europe/London"), .int(0)),
  Case("London 2100 BST", tz("getHours", "2100-03-28T01:00:00Z", "Europe/London"), .int(2)),
  Case("Berlin 2300", tz("getHours", "2300-10-31T12:00:00Z", "Europe/Berlin"), .int(13)),
  Case("Lord Howe half-hour DST", tz("getMinutes", "2040-10-05T16:00:00Z", "Australia/Lord_Howe"), .int(30)),
  Case("Lord Howe date", tz("getDate", "2040-10-05T16:00:00Z", "Australia/Lord_Howe"), .int(6)),
  Case("Santiago 24:00 rule", tz("getDate", "2077-09-10T00:30:00Z", "America/Santiago"), .int(9)),
  Case("Kiritimati year 9999", tz("getDayOfYear", "9999-12-30T23:59:59Z", "Pacific/Kiritimati"), .int(364)),
  Case("New York before 1883 (LMT)", tz("getMinutes", "1800-01-01T12:00:00Z", "America/New_York"), .int(3)),
  // Bad zones
  Case("unknown zone", tz("getHours", "2009-02-13T23:31:30Z", "Mars/Olympus_Mons"), anyError),
  Case("path traversal", tz("getHours", "2009-02-13T23:31:30Z", "../../etc/passwd"), anyError),
  Case("bad offset", tz("getHours", "2009-02-13T23:31:30Z", "+5:3"), anyError),
  Case("bad offset minutes", tz("getHours", "2009-02-13T23:31:30Z", "+05:60"), anyError),
  Case("lower-case utc is not a zone", tz("getHours", "2009-02-13T23:31:30Z", "utc"), anyError),
  // Duration accessors
  Case("duration('10000s').getHours()", method(dur("10000s"), "getHours"), .int(2)),
  Case("duration('3730s').getMinutes()", method(dur("3730s"), "getMinutes"), .int(62)),
  Case("duration('3723.456s').getSeconds()", method(dur("3723.456s"), "getSeconds"), .int(3723)),
  Case(
    "duration('123.321456789s').getMilliseconds()", method(dur("123.321456789s"), "getMilliseconds"),
    .int(321)),
  Case("duration('-1.5s').getMilliseconds()", method(dur("-1.5s"), "getMilliseconds"), .int(-500)),
  Case("duration('-3599.9s').getHours()", method(dur("-3599.9s"), "getHours"), .int(0)),
  Case("duration('-7200s').getHours()", method(dur("-7200s"), "getHours"), .int(-2)),
  Case("int(duration)", call("int", dur("1.5s")), .int(1_500_000_000)),
]

@Test("timestamp and duration accessors", arguments: accessorCases)
func accessors(_ c: Case) {
  #expect(c.passes)
}

@Test func durationRoundTrip() {
  for s in ["0s", "1s", "-1s", "1.5s", "0.000000001s", "-0.000000001s", "60.001s", "9223372036.854775807s"] {
    #expect(call("string", call("duration", .string(s))).description == "\"\(s)\"")
  }
}

@Test func timestampStrings() {
  let cases = [
    ("2009-02-13T23:31:30.123456789Z", "2009-02-13T23:31:30.123456789Z"),
    ("2009-02-13T23:31:30.100Z", "2009-02-13T23:31:30.1Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ("9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"),
    ("2023-02-03T23:31:20+00:00", "2023-02-03T23:31:20Z"),
    ("2020-06-01t01:02:03.5+05:30", "2020-05-31T19:32:03.5Z"),
  ]
  for (input, output) in cases {
    #expect(same(call("string", call("timestamp", .string(input))), .string(output)), "\(input)")
  }
}

/// The offset a POSIX TZ rule gives at an RFC 3339 instant (nil if either is invalid).
enum TimeZoneProbe {
  static func offset(_ rule: String, _ instant: String) -> Int64? {
    guard let r = PosixTZ(Array(rule.utf8)), let t = Timestamp.parse(instant) else { return nil }
    return r.offset(at: t.seconds)
  }
}

func probe(_ rule: String, _ instant: String, _ expected: Int64?) -> Bool {
  TimeZoneProbe.offset(rule, instant) == expected
}

@Test func posixRules() {
  // Parsed directly, so the rule logic is tested independently of the installed tzdata.
  #expect(probe("PST8PDT,M3.2.0,M11.1.0", "2050-07-01T00:00:00Z", -7 * 3600))
  #expect(probe("PST8PDT,M3.2.0,M11.1.0", "2050-12-01T00:00:00Z", -8 * 3600))
  #expect(probe("<+0545>-5:45", "2050-07-01T00:00:00Z", 5 * 3600 + 45 * 60))
  #expect(probe("AEST-10AEDT,M10.1.0,M4.1.0/3", "2050-01-01T00:00:00Z", 11 * 3600))
  #expect(probe("AEST-10AEDT,M10.1.0,M4.1.0/3", "2050-06-01T00:00:00Z", 10 * 3600))
  #expect(probe("EST5EDT", "2050-07-01T00:00:00Z", -4 * 3600))  // default US rules
  #expect(probe("<-03>3<-02>,J60/0,J300/0", "2050-06-01T00:00:00Z", -2 * 3600))
  #expect(probe("XXX-1YYY,59,300", "2050-02-28T23:30:00Z", 1 * 3600))
  #expect(probe("garbage,", "2050-01-01T00:00:00Z", nil))
}

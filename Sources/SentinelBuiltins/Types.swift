// `type(x)` and `dyn(x)` (langdef "Type Values", "Types and Conversions").
// `type(1)` is the type value `int`; a type value's own type is `type` (`type(int) == type`).
// `dyn(x)` is the identity at run time; it only tells the checker to treat `x` as `dyn`.

import SentinelModel

enum Types {
  static let overloads: [Overload] = [
    Overload("type", "type", [T.a], .type(T.a), .unary { a in .type(a.celType) }),
    Overload("to_dyn", "dyn", [T.a], .dyn, .unary { $0 }),
  ]
}

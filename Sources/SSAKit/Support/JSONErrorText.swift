import Foundation

/// One readable line from a Foundation JSON parsing error (its debug description names the position).
enum JSONErrorText {
  static func describe(_ error: Error) -> String {
    let ns = error as NSError
    if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
    return ns.localizedDescription
  }
}

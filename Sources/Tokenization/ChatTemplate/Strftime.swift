import Foundation

/// C `strftime` for the directives chat templates use with `strftime_now` (transformers passes the local time;
/// we format in UTC so a render does not depend on the host's time zone).
enum Strftime {
    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func format(_ pattern: String, _ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        func padded(_ value: Int?, _ width: Int = 2) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var result = ""
        var iterator = pattern.makeIterator()
        while let character = iterator.next() {
            guard character == "%", let directive = iterator.next() else {
                result.append(character)
                continue
            }
            let month = months[(parts.month ?? 1) - 1]
            let weekday = weekdays[(parts.weekday ?? 1) - 1]
            switch directive {
            case "Y": result += String(parts.year ?? 0)
            case "y": result += padded((parts.year ?? 0) % 100)
            case "m": result += padded(parts.month)
            case "d": result += padded(parts.day)
            case "-":
                if let next = iterator.next() {
                    switch next {
                    case "d": result += String(parts.day ?? 0)
                    case "m": result += String(parts.month ?? 0)
                    default: result += "%-" + String(next)
                    }
                }
            case "e": result += (parts.day ?? 0 < 10 ? " " : "") + String(parts.day ?? 0)
            case "B": result += month
            case "b", "h": result += String(month.prefix(3))
            case "A": result += weekday
            case "a": result += String(weekday.prefix(3))
            case "H": result += padded(parts.hour)
            case "M": result += padded(parts.minute)
            case "S": result += padded(parts.second)
            case "%": result += "%"
            default: result += "%" + String(directive)
            }
        }
        return result
    }
}

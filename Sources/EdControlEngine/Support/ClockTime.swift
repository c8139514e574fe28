import Foundation

/// A moment of a lesson as people read it: 4:05, or 1:02:03 past the hour.
public enum ClockTime {
    public static func format(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
                             : String(format: "%d:%02d", total / 60, total % 60)
    }
}

/// Durations as options write them: `500ms`, `0.5s`, `200us`, `2m`.
public enum DurationText {
    /// Seconds, or nil when malformed or negative; a bare number is in `bareUnit` seconds.
    public static func seconds(_ text: String, bareUnit: Double = 1) -> Double? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return value * scale
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return value * bareUnit
    }
}

extension DurationText {
    /// A `Duration` in seconds, for arithmetic and reports.
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

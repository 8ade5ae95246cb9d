/// The middle value (the upper one of an even count); 0 for none. Benchmarks report medians
/// of repeated rounds because this host is shared and single figures wander.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

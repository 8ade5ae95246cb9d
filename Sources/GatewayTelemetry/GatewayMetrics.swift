import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// A replica's load as `/metrics` reports it, read at scrape time.
public struct ReplicaLoad: Sendable, Equatable, Codable {
    public var replica: String
    public var running: Int
    public var waiting: Int
    public var usedBlocks: Int
    public var totalBlocks: Int
    public var prefixCacheHitRate: Double
    /// Totals since start; the scrape turns their deltas into per-step means.
    public var steps: Int
    public var generatedTokens: Int

    public init(
        replica: String, running: Int, waiting: Int, usedBlocks: Int, totalBlocks: Int, prefixCacheHitRate: Double,
        steps: Int, generatedTokens: Int
    ) {
        self.replica = replica
        self.running = running
        self.waiting = waiting
        self.usedBlocks = usedBlocks
        self.totalBlocks = totalBlocks
        self.prefixCacheHitRate = prefixCacheHitRate
        self.steps = steps
        self.generatedTokens = generatedTokens
    }

    enum CodingKeys: String, CodingKey {
        case replica, running, waiting, steps
        case usedBlocks = "used_blocks"
        case totalBlocks = "total_blocks"
        case prefixCacheHitRate = "prefix_cache_hit_rate"
        case generatedTokens = "generated_tokens"
    }
}

/// A simulated device's memory as `/metrics` reports it.
public struct DeviceLoad: Sendable, Equatable, Codable {
    public var device: String
    public var hbmUsedBytes: Int
    public var hbmCapacityBytes: Int

    public init(device: String, hbmUsedBytes: Int, hbmCapacityBytes: Int) {
        self.device = device
        self.hbmUsedBytes = hbmUsedBytes
        self.hbmCapacityBytes = hbmCapacityBytes
    }

    enum CodingKeys: String, CodingKey {
        case device
        case hbmUsedBytes = "hbm_used_bytes"
        case hbmCapacityBytes = "hbm_capacity_bytes"
    }
}

/// The gateway's metrics through swift-metrics handles on a Prometheus registry of its own
/// (no global bootstrap, so tests and two gateways in one process stay apart). Handles are
/// made once per label set and cached.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let factory: DescribedPrometheusFactory

    /// One model's handles, a class so that taking them out of the cache per request is one
    /// retain rather than eight.
    final class ModelHandles: Sendable {
        let timeToFirstToken: Metrics.Timer
        let interToken: Metrics.Timer
        let duration: Metrics.Timer
        let queue: Metrics.Timer
        let rejected: CoreMetrics.Counter
        let cancelled: CoreMetrics.Counter
        let generated: CoreMetrics.Counter
        let prompt: CoreMetrics.Counter

        init(model: String, factory: DescribedPrometheusFactory) {
            let dimensions = [("model", model)]
            self.timeToFirstToken = Metrics.Timer(label: MetricFamilies.timeToFirstToken, dimensions: dimensions, factory: factory)
            self.interToken = Metrics.Timer(label: MetricFamilies.interTokenLatency, dimensions: dimensions, factory: factory)
            self.duration = Metrics.Timer(label: MetricFamilies.requestDuration, dimensions: dimensions, factory: factory)
            self.queue = Metrics.Timer(label: MetricFamilies.queueTime, dimensions: dimensions, factory: factory)
            self.rejected = CoreMetrics.Counter(label: MetricFamilies.rejected, dimensions: dimensions, factory: factory)
            self.cancelled = CoreMetrics.Counter(label: MetricFamilies.cancelled, dimensions: dimensions, factory: factory)
            self.generated = CoreMetrics.Counter(label: MetricFamilies.generatedTokens, dimensions: dimensions, factory: factory)
            self.prompt = CoreMetrics.Counter(label: MetricFamilies.promptTokens, dimensions: dimensions, factory: factory)
        }
    }

    /// The request counter's labels, hashed as they are (building a string key per request
    /// cost an allocation).
    struct RequestLabels: Hashable {
        var model: String
        var version: String
        var status: Int
    }

    struct Handles {
        var models: [String: ModelHandles] = [:]
        var requests: [RequestLabels: CoreMetrics.Counter] = [:]
        var gauges: [String: CoreMetrics.Gauge] = [:]
        var lastTotals: [String: (steps: Int, tokens: Int)] = [:]
    }

    private let handles = Mutex(Handles())

    public init() {
        self.factory = DescribedPrometheusFactory(registry: self.registry)
    }

    /// Counts and times one finished request; the inter-token histogram observes each gap.
    public func observe(_ summary: RequestSummary, interTokenGaps: [Duration] = []) {
        let model = summary.model ?? "none"
        let version = summary.version ?? "none"
        let (requests, handles) = self.handles.withLock { cache in
            let labels = RequestLabels(model: model, version: version, status: summary.status)
            let requests: CoreMetrics.Counter
            if let cached = cache.requests[labels] {
                requests = cached
            } else {
                requests = Counter(
                    label: MetricFamilies.requests,
                    dimensions: [("model", model), ("version", version), ("status", String(summary.status))],
                    factory: self.factory)
                cache.requests[labels] = requests
            }
            let handles: ModelHandles
            if let cached = cache.models[model] {
                handles = cached
            } else {
                handles = ModelHandles(model: model, factory: self.factory)
                cache.models[model] = handles
            }
            return (requests, handles)
        }
        requests.increment()
        handles.duration.recordNanoseconds(Self.nanoseconds(summary.durationMilliseconds))
        if let ttft = summary.timeToFirstTokenMilliseconds { handles.timeToFirstToken.recordNanoseconds(Self.nanoseconds(ttft)) }
        for gap in interTokenGaps { handles.interToken.record(duration: gap) }
        if let queue = summary.queueMilliseconds { handles.queue.recordNanoseconds(Self.nanoseconds(queue)) }
        if summary.status == 429 { handles.rejected.increment() }
        if summary.cancelled { handles.cancelled.increment() }
        if summary.completionTokens > 0 { handles.generated.increment(by: summary.completionTokens) }
        if summary.promptTokens > 0 { handles.prompt.increment(by: summary.promptTokens) }
    }

    /// Sets the per-replica and per-device gauges (called at scrape time).
    public func update(replicas: [ReplicaLoad], devices: [DeviceLoad]) {
        self.handles.withLock { cache in
            func gauge(_ name: String, _ label: String, _ value: String) -> CoreMetrics.Gauge {
                let key = "\(name)\u{0}\(value)"
                if let gauge = cache.gauges[key] { return gauge }
                let gauge = CoreMetrics.Gauge(label: name, dimensions: [(label, value)], factory: self.factory)
                cache.gauges[key] = gauge
                return gauge
            }
            for load in replicas {
                let name = load.replica
                gauge(MetricFamilies.running, "replica", name).record(load.running)
                gauge(MetricFamilies.waiting, "replica", name).record(load.waiting)
                gauge(MetricFamilies.kvUsage, "replica", name).record(
                    load.totalBlocks > 0 ? Double(load.usedBlocks) / Double(load.totalBlocks) : 0)
                gauge(MetricFamilies.prefixHitRate, "replica", name).record(load.prefixCacheHitRate)
                gauge(MetricFamilies.batchSize, "replica", name).record(load.running)
                let last = cache.lastTotals[name] ?? (0, 0)
                let steps = load.steps - last.steps
                gauge(MetricFamilies.tokensPerStep, "replica", name).record(
                    steps > 0 ? Double(load.generatedTokens - last.tokens) / Double(steps) : 0)
                cache.lastTotals[name] = (load.steps, load.generatedTokens)
            }
            for device in devices {
                gauge(MetricFamilies.hbmUsed, "device", device.device).record(device.hbmUsedBytes)
                gauge(MetricFamilies.hbmCapacity, "device", device.device).record(device.hbmCapacityBytes)
            }
        }
    }

    /// The Prometheus text exposition (version 0.0.4).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return buffer
    }

    static func nanoseconds(_ milliseconds: Double) -> Int64 {
        Int64(max(0, min(milliseconds * 1e6, Double(Int64.max / 2))))
    }
}

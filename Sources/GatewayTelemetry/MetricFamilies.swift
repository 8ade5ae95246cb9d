import CoreMetrics
import Prometheus

/// The gateway's metric families: name, help text and, for histograms, buckets. swift-metrics
/// handles carry only a label, so `DescribedPrometheusFactory` looks the rest up here; the
/// exposition then has a HELP line for every family, as `promtool check metrics` wants.
enum MetricFamilies {
    struct Family {
        var help: String
        var durationBuckets: [Duration]?
        var valueBuckets: [Double]?
    }

    static let requests = "switchyard_requests_total"
    static let rejected = "switchyard_rejected_requests_total"
    static let cancelled = "switchyard_cancelled_requests_total"
    static let timeToFirstToken = "switchyard_time_to_first_token_seconds"
    static let interTokenLatency = "switchyard_inter_token_latency_seconds"
    static let requestDuration = "switchyard_request_duration_seconds"
    static let queueTime = "switchyard_queue_time_seconds"
    static let generatedTokens = "switchyard_generated_tokens_total"
    static let promptTokens = "switchyard_prompt_tokens_total"
    static let running = "switchyard_running_sequences"
    static let waiting = "switchyard_waiting_sequences"
    static let batchSize = "switchyard_batch_size"
    static let tokensPerStep = "switchyard_tokens_per_step"
    static let kvUsage = "switchyard_kv_cache_usage_ratio"
    static let prefixHitRate = "switchyard_prefix_cache_hit_rate"
    static let hbmUsed = "switchyard_device_hbm_used_bytes"
    static let hbmCapacity = "switchyard_device_hbm_capacity_bytes"

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    static let all: [String: Family] = [
        requests: Family(help: "Requests answered, by model, version and HTTP status."),
        rejected: Family(help: "Requests refused with 429 (over capacity), by model."),
        cancelled: Family(help: "Requests the client cancelled before the response ended, by model."),
        timeToFirstToken: Family(help: "Time from the request's start to its first generated token.", durationBuckets: latencyBuckets),
        interTokenLatency: Family(help: "Time between consecutive generated tokens of a request (every gap).", durationBuckets: latencyBuckets),
        requestDuration: Family(help: "End-to-end request latency.", durationBuckets: latencyBuckets),
        queueTime: Family(help: "Time a generation waited between arrival at the replica and admission.", durationBuckets: latencyBuckets),
        generatedTokens: Family(help: "Completion tokens generated, by model."),
        promptTokens: Family(help: "Prompt tokens processed, by model."),
        running: Family(help: "Sequences in the running batch, per replica."),
        waiting: Family(help: "Sequences accepted but not yet admitted, per replica."),
        batchSize: Family(help: "Sequences in the replica's current step batch."),
        tokensPerStep: Family(help: "Mean generated tokens per step since the last scrape, per replica."),
        kvUsage: Family(help: "Fraction of the replica's KV blocks referenced by sequences."),
        prefixHitRate: Family(help: "Fraction of full prompt blocks found in the prefix cache at admission."),
        hbmUsed: Family(help: "HBM bytes in use on a simulated device (weights, KV cache, reserve)."),
        hbmCapacity: Family(help: "HBM bytes a simulated device has."),
    ]
}

/// A swift-metrics factory over a Prometheus registry that adds help text and buckets from
/// `MetricFamilies` (swift-prometheus's own factory emits no HELP lines).
struct DescribedPrometheusFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private func help(_ label: String) -> String { MetricFamilies.all[label]?.help ?? label }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        self.registry.makeCounter(name: label, labels: dimensions, help: self.help(label))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        self.registry.makeCounter(name: label, labels: dimensions, help: self.help(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        self.registry.makeGauge(name: label, labels: dimensions, help: self.help(label))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return self.registry.makeGauge(name: label, labels: dimensions, help: self.help(label)) }
        let buckets = MetricFamilies.all[label]?.valueBuckets ?? [1, 2, 4, 8, 16, 32, 64, 128, 256]
        return self.registry.makeValueHistogram(name: label, labels: dimensions, buckets: buckets, help: self.help(label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets = MetricFamilies.all[label]?.durationBuckets ?? MetricFamilies.latencyBuckets
        return self.registry.makeDurationHistogram(name: label, labels: dimensions, buckets: buckets, help: self.help(label))
    }

    // Handles are cached for the process's life; nothing is destroyed.
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

import Synchronization
extension ModelRegistry {
    /// Takes replicas that have work but whose step count has not moved for
    /// `stallTimeout` out of rotation, and returns those that moved again. The server calls
    /// it every second or so; requests on a stalled replica that have not streamed a token
    /// are retried elsewhere by their engines' watchers.
    public func checkHealth(now: ContinuousClock.Instant = .now) {
        let timeout = self.configuration.stallTimeout
        self.state.withLock { state in
            for model in state.models.keys {
                for version in state.models[model]!.versions.keys {
                    for index in state.models[model]!.versions[version]!.replicas.indices {
                        var slot = state.models[model]!.versions[version]!.replicas[index]
                        let load = slot.replica.load
                        if load.steps != slot.lastSteps || !load.hasWork {
                            slot.lastSteps = load.steps
                            slot.lastProgress = now
                            slot.stalled = false
                        } else if now - slot.lastProgress > timeout {
                            slot.stalled = true
                        }
                        state.models[model]!.versions[version]!.replicas[index] = slot
                    }
                }
            }
        }
    }

    /// Runs `checkHealth` every `interval` until the calling task is cancelled.
    public func runHealthChecks(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            self.checkHealth()
            try? await Task.sleep(for: interval)
        }
    }
}

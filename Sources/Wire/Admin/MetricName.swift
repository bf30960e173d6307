import Prometheus

extension MetricNameDescriptor {
    /// A metric named exactly `name`, with `help` as its `# HELP` line.
    ///
    /// vLLM's names (`vllm:num_requests_running`, docs/architecture.md §3.8) carry a colon that the
    /// namespace_subsystem_name_unit form would not produce, so the whole name goes in `metricName` and the other
    /// parts stay empty.
    public static func exact(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}

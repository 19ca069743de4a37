/**
 * Prometheus metrics. The parent collects: its own figures ({@link vmd.parent.metrics.ParentSamples}),
 * and every vm and device process's answer to STATS_REQUEST ({@link vmd.parent.metrics.StatsCollector}),
 * labelled with the VM and device it knows them to be. It binds the listening sockets
 * ({@link vmd.parent.metrics.MetricsListeners}); the unprivileged control process serves HTTP on
 * them ({@link vmd.parent.metrics.MetricsServer}) and renders the text format
 * ({@link vmd.parent.metrics.PrometheusText}). Nothing here runs on the privileged parent's
 * behalf for an HTTP client: the parent only ever answers an imsg from the control process.
 */
package vmd.parent.metrics;

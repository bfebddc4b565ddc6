/**
 * Alertmanager webhook payloads (version 4) for the receiver tests.
 */

/** Options of {@link webhook}. */
export interface WebhookOptions {
  readonly groupKey?: string
  readonly status?: "firing" | "resolved"
  readonly fingerprints?: ReadonlyArray<string>
  readonly labels?: Record<string, string>
}

/** A webhook payload like the ones Alertmanager sends. */
export const webhook = (options: WebhookOptions = {}) => {
  const status = options.status ?? "firing"
  const labels = {
    alertname: "KubePodCrashLooping",
    severity: "critical",
    namespace: "shop",
    pod: "cart-7d9f8c6b5-x2x9q",
    deployment: "cart",
    container: "cart",
    job: "kube-state-metrics",
    ...options.labels
  }
  const fingerprints = options.fingerprints ?? ["0a1b2c3d4e5f6071"]
  return {
    version: "4",
    groupKey: options.groupKey ?? '{}:{alertname="KubePodCrashLooping", namespace="shop"}',
    truncatedAlerts: 0,
    status,
    receiver: "sre-orchestrator",
    groupLabels: { alertname: labels.alertname, namespace: labels.namespace },
    commonLabels: labels,
    commonAnnotations: {
      summary: "Pod shop/cart is crash looping",
      description: "Pod shop/cart-7d9f8c6b5-x2x9q (cart) is restarting 3 times / 10 minutes."
    },
    externalURL: "http://alertmanager.example:9093",
    alerts: fingerprints.map((fingerprint) => ({
      status,
      labels,
      annotations: { summary: "Pod shop/cart is crash looping" },
      startsAt: "2026-11-26T05:00:00.000Z",
      endsAt: status === "resolved" ? "2026-11-26T05:30:00.000Z" : "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.example:9090/graph?g0.expr=x",
      fingerprint
    }))
  }
}

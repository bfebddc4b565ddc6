import { describe, expect, it } from "vitest"
import { probeAnalyzer } from "../../src/analysis/analyzers/probes.js"
import { cluster, event, podOf } from "./builders.js"

describe("probeAnalyzer", () => {
  it("flags a liveness probe on a port nothing listens on", () => {
    const pod = podOf("api", "aaaaa", "p", {
      spec: {
        containers: [{ name: "api", ports: [{ containerPort: 9000 }], livenessProbe: { tcpSocket: { port: 9090 } } }]
      }
    })
    const c = cluster({
      pods: [pod],
      events: [
        event(
          "Pod",
          "api-5d4c3b2a1-aaaaa",
          "p",
          "Unhealthy",
          "Liveness probe failed: dial tcp 10.1.1.1:9090: connect: connection refused",
          12
        )
      ],
      logs: { "p/api-5d4c3b2a1-aaaaa/api": "2026-01-01T10:00:00Z server listening on 0.0.0.0:9000" }
    })
    const [f] = probeAnalyzer(c)
    expect(f?.summary).toContain("liveness")
    expect(f?.summary).toContain("9090")
    expect(f?.summary).toContain(":9000")
  })

  it("flags a readiness probe timing out and quotes timeoutSeconds", () => {
    const pod = podOf("api", "bbbbb", "p", {
      spec: {
        containers: [{ name: "api", readinessProbe: { httpGet: { path: "/ready", port: 8080 }, timeoutSeconds: 1 } }]
      }
    })
    const ev = event(
      "Pod",
      "api-5d4c3b2a1-bbbbb",
      "p",
      "Unhealthy",
      'Readiness probe failed: Get "http://10.1.1.2:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    )
    expect(probeAnalyzer(cluster({ pods: [pod], events: [ev] }))[0]?.summary).toContain("timeoutSeconds=1")
  })
})

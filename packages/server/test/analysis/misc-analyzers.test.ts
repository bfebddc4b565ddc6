import { describe, expect, it } from "vitest"
import { nodeAnalyzer } from "../../src/analysis/analyzers/nodes.js"
import { hpaAnalyzer } from "../../src/analysis/analyzers/hpa.js"
import { cpuThrottlingAnalyzer } from "../../src/analysis/analyzers/cpu-throttling.js"
import { appLogAnalyzer } from "../../src/analysis/analyzers/app-logs.js"
import { cluster, event, podOf } from "./builders.js"

describe("nodeAnalyzer", () => {
  it("reports MemoryPressure on a Ready node", () => {
    const node = {
      metadata: { name: "w7" },
      status: {
        conditions: [
          { type: "Ready", status: "True" },
          { type: "MemoryPressure", status: "True" }
        ]
      }
    }
    const [f] = nodeAnalyzer(cluster({ nodes: [node] }))
    expect(f?.summary).toContain("MemoryPressure")
    expect(f?.object.name).toBe("w7")
  })
  it("ignores healthy nodes", () => {
    expect(
      nodeAnalyzer(
        cluster({ nodes: [{ metadata: { name: "ok" }, status: { conditions: [{ type: "Ready", status: "True" }] } }] })
      )
    ).toEqual([])
  })
})

describe("hpaAnalyzer", () => {
  it("explains missing cpu requests", () => {
    const hpa = {
      metadata: { name: "web", namespace: "h" },
      spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 5 },
      status: {
        conditions: [
          {
            type: "ScalingActive",
            status: "False",
            reason: "FailedGetResourceMetric",
            message:
              'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container "web"'
          }
        ]
      }
    }
    expect(hpaAnalyzer(cluster({ hpas: [hpa] }))[0]?.summary).toContain("no cpu request")
  })
})

describe("cpuThrottlingAnalyzer", () => {
  it("links probe timeouts to a tiny CPU limit", () => {
    const pod = podOf("img", "aaaaa", "c", {
      spec: { containers: [{ name: "img", resources: { limits: { cpu: "50m" } } }] }
    })
    const ev = event(
      "Pod",
      "img-5d4c3b2a1-aaaaa",
      "c",
      "Unhealthy",
      "Liveness probe failed: Get http://x/healthz: context deadline exceeded"
    )
    expect(cpuThrottlingAnalyzer(cluster({ pods: [pod], events: [ev] }))[0]?.summary).toContain("50m")
  })
})

describe("appLogAnalyzer", () => {
  it("names the ServiceAccount lacking RBAC permission", () => {
    const pod = podOf("op", "aaaaa", "k", { status: { containerStatuses: [{ name: "op", state: { running: {} } }] } })
    const log =
      'E0101 reflector.go:1] failed to list *v1.Secret: secrets is forbidden: User "system:serviceaccount:k:op-sa" cannot list resource "secrets" in API group "" in the namespace "k"'
    const [f] = appLogAnalyzer(cluster({ pods: [pod], logs: { "k/op-5d4c3b2a1-aaaaa/op": log } }))
    expect(f?.summary).toContain("ServiceAccount op-sa")
    expect(f?.summary).toContain("list secrets")
  })
})

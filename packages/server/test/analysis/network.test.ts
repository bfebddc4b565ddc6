import { describe, expect, it } from "vitest"
import { serviceAnalyzer } from "../../src/analysis/analyzers/service.js"
import { networkPolicyAnalyzer } from "../../src/analysis/analyzers/network-policy.js"
import { makeDependencyAnalyzer } from "../../src/analysis/analyzers/dependency.js"
import { crashLoopAnalyzer } from "../../src/analysis/analyzers/crashloop.js"
import { cluster, crashStatus, podOf } from "./builders.js"

const ready = { conditions: [{ type: "Ready", status: "True" }] }

describe("serviceAnalyzer", () => {
  it("names the label that differs from the intended pods", () => {
    const pod = podOf("orders", "aaaaa", "o", { labels: { app: "orders", tier: "backend" }, status: ready })
    const svc = { metadata: { name: "orders", namespace: "o" }, spec: { selector: { app: "orders", tier: "api" } } }
    const [f] = serviceAnalyzer(cluster({ pods: [pod], services: [svc] }))
    expect(f?.summary).toContain("tier=backend")
    expect(f?.summary).toContain("label tier differs")
  })
})

describe("networkPolicyAnalyzer", () => {
  it("flags a default-deny ingress policy", () => {
    const pod = podOf("ledger", "aaaaa", "f", { labels: { app: "ledger" } })
    const np = { metadata: { name: "lockdown", namespace: "f" }, spec: { podSelector: {}, policyTypes: ["Ingress"] } }
    const [f] = networkPolicyAnalyzer(cluster({ pods: [pod], networkPolicies: [np] }))
    expect(f?.summary).toContain("NetworkPolicy lockdown")
    expect(f?.summary).toContain("default-deny")
  })
})

describe("dependency analyzer", () => {
  it("attributes a client's connection errors to the crashing upstream", () => {
    const client = podOf("frontend", "aaaaa", "d", {
      status: { ...ready, containerStatuses: [{ name: "frontend", state: { running: {} } }] }
    })
    const db = podOf("kv", "bbbbb", "d", {
      labels: { app: "kv" },
      status: { containerStatuses: [crashStatus("kv", 1)] }
    })
    const c = cluster({
      pods: [client, db],
      services: [
        { metadata: { name: "kv", namespace: "d" }, spec: { selector: { app: "kv" }, clusterIP: "10.0.0.9" } }
      ],
      logs: {
        "d/frontend-5d4c3b2a1-aaaaa/frontend": "ERROR get failed: dial tcp 10.0.0.9:6380: connect: connection refused",
        "d/kv-5d4c3b2a1-bbbbb/kv/previous": "FATAL: Bad file format reading the append only file (incompatible version)"
      }
    })
    const [f] = makeDependencyAnalyzer([crashLoopAnalyzer])(c)
    expect(f?.summary).toContain("upstream Service kv")
    expect(f?.summary).toContain("incompatible")
    expect(f?.object).toEqual({ kind: "Deployment", name: "frontend", namespace: "d" })
  })
})

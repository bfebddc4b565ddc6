import { describe, expect, it } from "vitest"
import { imagePullAnalyzer } from "../../src/analysis/analyzers/image-pull.js"
import { cluster, event, podOf } from "./builders.js"

const waiting = (reason: string) => ({ containerStatuses: [{ name: "web", state: { waiting: { reason } } }] })

describe("imagePullAnalyzer", () => {
  it("detects a missing tag", () => {
    const pod = podOf("web", "aaaaa", "w", {
      spec: { containers: [{ name: "web", image: "quay.io/org/web:9.9.9" }] },
      status: waiting("ImagePullBackOff")
    })
    const ev = event(
      "Pod",
      "web-5d4c3b2a1-aaaaa",
      "w",
      "Failed",
      'Failed to pull image "quay.io/org/web:9.9.9": rpc error: code = NotFound desc = failed to resolve reference "quay.io/org/web:9.9.9": quay.io/org/web:9.9.9: not found'
    )
    const [f] = imagePullAnalyzer(cluster({ pods: [pod], events: [ev] }))
    expect(f?.summary).toContain("9.9.9")
    expect(f?.summary).toContain("does not exist")
  })

  it("detects 403 with no pull secret on pod or ServiceAccount", () => {
    const pod = podOf("web", "bbbbb", "w", {
      spec: { serviceAccountName: "web-sa", containers: [{ name: "web", image: "priv.example.com/web:1" }] },
      status: waiting("ErrImagePull")
    })
    const ev = event(
      "Pod",
      "web-5d4c3b2a1-bbbbb",
      "w",
      "Failed",
      'Failed to pull image "priv.example.com/web:1": unexpected status: 403 Forbidden'
    )
    const [f] = imagePullAnalyzer(
      cluster({ pods: [pod], events: [ev], serviceAccounts: [{ metadata: { name: "web-sa", namespace: "w" } }] })
    )
    expect(f?.summary).toContain("403")
    expect(f?.summary).toContain("neither the pod spec nor ServiceAccount web-sa")
  })

  it("detects an unknown registry host", () => {
    const pod = podOf("web", "ccccc", "w", {
      spec: { containers: [{ name: "web", image: "regsitry.example.com/web:1" }] },
      status: waiting("ErrImagePull")
    })
    const ev = event(
      "Pod",
      "web-5d4c3b2a1-ccccc",
      "w",
      "Failed",
      'Failed to pull image "regsitry.example.com/web:1": dial tcp: lookup regsitry.example.com: no such host'
    )
    expect(imagePullAnalyzer(cluster({ pods: [pod], events: [ev] }))[0]?.summary).toContain("cannot be resolved")
  })
})

import { describe, expect, it } from "vitest"
import { schedulingAnalyzer } from "../../src/analysis/analyzers/scheduling.js"
import { storageAnalyzer } from "../../src/analysis/analyzers/storage.js"
import { cluster, event, podOf } from "./builders.js"

const pending = (spec: Record<string, unknown>) => {
  const p = podOf("trainer", "aaaaa", "ml", { spec, status: { phase: "Pending" } })
  const s = p["spec"]
  if (typeof s === "object" && s !== null) Reflect.deleteProperty(s, "nodeName")
  return p
}

describe("schedulingAnalyzer", () => {
  it("compares a GPU request with node allocatable", () => {
    const c = cluster({
      pods: [pending({ containers: [{ name: "t", resources: { requests: { "nvidia.com/gpu": "2" } } }] })],
      nodes: [{ metadata: { name: "g1" }, status: { allocatable: { "nvidia.com/gpu": "1" } } }],
      events: [
        event(
          "Pod",
          "trainer-5d4c3b2a1-aaaaa",
          "ml",
          "FailedScheduling",
          "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
        )
      ]
    })
    const [f] = schedulingAnalyzer(c)
    expect(f?.summary).toContain("requests 2 of nvidia.com/gpu")
    expect(f?.summary).toContain("only 1")
  })

  it("names an untolerated taint with its effect", () => {
    const c = cluster({
      pods: [pending({ containers: [{ name: "t" }] })],
      nodes: [
        { metadata: { name: "infra-1" }, spec: { taints: [{ key: "role", value: "infra", effect: "NoExecute" }] } }
      ],
      events: [
        event(
          "Pod",
          "trainer-5d4c3b2a1-aaaaa",
          "ml",
          "FailedScheduling",
          "0/1 nodes are available: 1 node(s) had untolerated taint {role: infra}."
        )
      ]
    })
    expect(schedulingAnalyzer(c)[0]?.summary).toContain("role=infra:NoExecute")
  })

  it("reports a nodeSelector no node satisfies", () => {
    const c = cluster({
      pods: [pending({ nodeSelector: { zone: "mars-1" }, containers: [{ name: "t" }] })],
      nodes: [{ metadata: { name: "n1", labels: { zone: "earth-1" } } }],
      events: [
        event(
          "Pod",
          "trainer-5d4c3b2a1-aaaaa",
          "ml",
          "FailedScheduling",
          "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
        )
      ]
    })
    expect(schedulingAnalyzer(c)[0]?.summary).toContain("no node has the labels of its nodeSelector zone=mars-1")
  })
})

describe("storageAnalyzer", () => {
  it("names a StorageClass that does not exist", () => {
    const c = cluster({
      pvcs: [
        {
          metadata: { name: "cache-redis-0", namespace: "db" },
          spec: { storageClassName: "premium-nvme" },
          status: { phase: "Pending" }
        }
      ],
      storageClasses: [{ metadata: { name: "standard" } }]
    })
    const [f] = storageAnalyzer(c)
    expect(f?.summary).toContain("StorageClass premium-nvme, which does not exist")
    expect(f?.summary).toContain("standard")
  })
})

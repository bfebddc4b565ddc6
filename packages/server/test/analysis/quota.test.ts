import { describe, expect, it } from "vitest"
import { quotaAnalyzer } from "../../src/analysis/analyzers/quota.js"
import { cluster, event } from "./builders.js"

describe("quotaAnalyzer", () => {
  it("explains a LimitRange max violation", () => {
    const c = cluster({
      limitRanges: [{ metadata: { name: "caps", namespace: "q" } }],
      events: [
        event(
          "ReplicaSet",
          "svc-abc",
          "q",
          "FailedCreate",
          'Error creating: pods "svc-abc-1" is forbidden: maximum memory usage per Container is 1Gi, but limit is 4Gi'
        )
      ]
    })
    expect(quotaAnalyzer(c)[0]?.summary).toContain("LimitRange caps sets the maximum memory per Container to 1Gi")
  })

  it("explains missing requests under a quota", () => {
    const c = cluster({
      events: [
        event(
          "ReplicaSet",
          "svc-abc",
          "q",
          "FailedCreate",
          'Error creating: pods "svc-abc-1" is forbidden: failed quota: q1: must specify limits.cpu for: app'
        )
      ]
    })
    expect(quotaAnalyzer(c)[0]?.summary).toContain("limits.cpu")
  })
})

import { describe, expect, it } from "vitest"
import { initContainerAnalyzer } from "../../src/analysis/analyzers/init-containers.js"
import { jobAnalyzer } from "../../src/analysis/analyzers/jobs.js"
import { rolloutAnalyzer } from "../../src/analysis/analyzers/rollout.js"
import { cluster, podOf } from "./builders.js"

describe("initContainerAnalyzer", () => {
  it("explains a migration init container failing on TLS", () => {
    const pod = podOf("shop", "aaaaa", "s", {
      spec: { initContainers: [{ name: "migrate" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [
          {
            name: "migrate",
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1 } }
          }
        ]
      }
    })
    const c = cluster({
      pods: [pod],
      logs: {
        "s/shop-5d4c3b2a1-aaaaa/migrate/previous":
          "connecting\nerror: x509: certificate has expired or is not yet valid"
      }
    })
    const [f] = initContainerAnalyzer(c)
    expect(f?.summary).toContain("Init container migrate")
    expect(f?.summary).toContain("x509")
  })
})

describe("jobAnalyzer", () => {
  it("reports BackoffLimitExceeded with the pod's log reason", () => {
    const job = {
      metadata: { name: "nightly-export", namespace: "b" },
      spec: { backoffLimit: 2 },
      status: { failed: 3, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] }
    }
    const pod = podOf("nightly-export", "aaaaa", "b", {
      owner: { kind: "Job", name: "nightly-export" },
      status: {
        phase: "Failed",
        containerStatuses: [{ name: "nightly-export", state: { terminated: { exitCode: 1, reason: "Error" } } }]
      }
    })
    const c = cluster({
      jobs: [job],
      pods: [pod],
      logs: {
        "b/nightly-export-5d4c3b2a1-aaaaa/nightly-export": "writing\nOSError: [Errno 28] No space left on device"
      }
    })
    const [f] = jobAnalyzer(c)
    expect(f?.summary).toContain("BackoffLimitExceeded")
    expect(f?.summary).toContain("No space left on device")
  })
})

describe("rolloutAnalyzer", () => {
  it("detects a new ReplicaSet failing while the old one serves", () => {
    const dep = {
      metadata: { name: "cart", namespace: "s" },
      status: { conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] }
    }
    const rs = (name: string, rev: string, ready: number) => ({
      metadata: {
        name,
        namespace: "s",
        annotations: { "deployment.kubernetes.io/revision": rev },
        ownerReferences: [{ kind: "Deployment", name: "cart" }]
      },
      spec: { template: { spec: { containers: [{ name: "cart", image: `r/cart:${rev}` }] } } },
      status: { readyReplicas: ready }
    })
    const pod = podOf("cart", "aaaaa", "s", { owner: { kind: "ReplicaSet", name: "cart-new" } })
    const [f] = rolloutAnalyzer(
      cluster({ deployments: [dep], replicaSets: [rs("cart-old", "3", 2), rs("cart-new", "4", 0)], pods: [pod] })
    )
    expect(f?.summary).toContain("ProgressDeadlineExceeded")
    expect(f?.summary).toContain("cart-old")
  })
})

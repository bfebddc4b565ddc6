import { describe, expect, it } from "vitest"
import { crashLoopAnalyzer } from "../../src/analysis/analyzers/crashloop.js"
import { cluster, crashStatus, event, podOf } from "./builders.js"

describe("crashLoopAnalyzer", () => {
  it("names the missing variable and the envFrom ConfigMap that lacks it", () => {
    const pod = podOf("billing-worker", "aaaaa", "fin", {
      spec: { containers: [{ name: "billing-worker", envFrom: [{ configMapRef: { name: "billing-env" } }] }] },
      status: { containerStatuses: [crashStatus("billing-worker", 1)] }
    })
    const c = cluster({
      pods: [pod],
      configMaps: [{ metadata: { name: "billing-env", namespace: "fin" }, data: { STRIPE_KEY_ID: "x" } }],
      logs: {
        "fin/billing-worker-5d4c3b2a1-aaaaa/billing-worker/previous": "boot\nFATAL: env var STRIPE_API_KEY is required"
      }
    })
    const [f] = crashLoopAnalyzer(c)
    expect(f?.summary).toContain("STRIPE_API_KEY")
    expect(f?.summary).toContain("ConfigMap billing-env")
    expect(f?.object).toEqual({ kind: "Deployment", name: "billing-worker", namespace: "fin" })
    expect(f?.confidence).toBe("high")
  })

  it("explains exit 127 from an executable-not-found start failure", () => {
    const pod = podOf("api", "bbbbb", "x", {
      spec: { containers: [{ name: "api", image: "r/api:2", command: ["/bin/serve"] }] },
      status: { containerStatuses: [crashStatus("api", 127, "ContainerCannotRun")] }
    })
    const c = cluster({
      pods: [pod],
      events: [
        event(
          "Pod",
          "api-5d4c3b2a1-bbbbb",
          "x",
          "Failed",
          'Error: failed to start container "api": exec: "/bin/serve": executable file not found in $PATH: unknown'
        )
      ]
    })
    const [f] = crashLoopAnalyzer(c)
    expect(f?.summary).toContain('"/bin/serve"')
    expect(f?.summary).toContain("command override")
  })

  it("falls back to the last error line with medium confidence", () => {
    const pod = podOf("cron", "ccccc", "x", { status: { containerStatuses: [crashStatus("cron", 2)] } })
    const c = cluster({
      pods: [pod],
      logs: { "x/cron-5d4c3b2a1-ccccc/cron/previous": "ok\nERROR could not open /data/state.db" }
    })
    const [f] = crashLoopAnalyzer(c)
    expect(f?.summary).toContain("code 2")
    expect(f?.summary).toContain("/data/state.db")
  })

  it("skips OOMKilled containers (the OOM analyzer owns them)", () => {
    const pod = podOf("m", "ddddd", "x", { status: { containerStatuses: [crashStatus("m", 137, "OOMKilled")] } })
    expect(crashLoopAnalyzer(cluster({ pods: [pod] }))).toEqual([])
  })
})

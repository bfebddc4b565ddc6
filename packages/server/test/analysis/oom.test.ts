import { describe, expect, it } from "vitest"
import { oomAnalyzer } from "../../src/analysis/analyzers/oom.js"
import { cluster, crashStatus, podOf } from "./builders.js"

describe("oomAnalyzer", () => {
  it("quotes the limit and a JVM heap above it", () => {
    const pod = podOf("search", "aaaaa", "s", {
      spec: {
        containers: [
          { name: "search", args: ["-Xmx2g", "-jar", "app.jar"], resources: { limits: { memory: "1536Mi" } } }
        ]
      },
      status: { containerStatuses: [crashStatus("search", 137, "OOMKilled")] }
    })
    const [f] = oomAnalyzer(cluster({ pods: [pod] }))
    expect(f?.summary).toContain("OOMKilled")
    expect(f?.summary).toContain("1536Mi")
    expect(f?.summary).toContain("-Xmx2g")
  })

  it("reports a missing limit", () => {
    const pod = podOf("etl", "bbbbb", "s", { status: { containerStatuses: [crashStatus("etl", 137, "OOMKilled")] } })
    expect(oomAnalyzer(cluster({ pods: [pod] }))[0]?.summary).toContain("no memory limit")
  })
})

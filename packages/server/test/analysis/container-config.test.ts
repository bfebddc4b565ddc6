import { describe, expect, it } from "vitest"
import { containerConfigAnalyzer } from "../../src/analysis/analyzers/container-config.js"
import { cluster, event, podOf } from "./builders.js"

describe("containerConfigAnalyzer", () => {
  it("names a missing ConfigMap key and its consumer", () => {
    const pod = podOf("gw", "aaaaa", "edge", {
      spec: {
        containers: [
          {
            name: "gw",
            env: [{ name: "UPSTREAM", valueFrom: { configMapKeyRef: { name: "gw-cfg", key: "upstream_url" } } }]
          }
        ]
      },
      status: {
        containerStatuses: [
          {
            name: "gw",
            state: {
              waiting: {
                reason: "CreateContainerConfigError",
                message: "couldn't find key upstream_url in ConfigMap edge/gw-cfg"
              }
            }
          }
        ]
      }
    })
    const [f] = containerConfigAnalyzer(cluster({ pods: [pod] }))
    expect(f?.summary).toContain("key upstream_url is missing from ConfigMap gw-cfg")
    expect(f?.summary).toContain("UPSTREAM")
  })

  it("reads FailedMount for a missing Secret volume", () => {
    const pod = podOf("gw", "bbbbb", "edge", {
      spec: { volumes: [{ name: "tls", secret: { secretName: "gw-tls" } }] },
      status: { phase: "Pending" }
    })
    const ev = event(
      "Pod",
      "gw-5d4c3b2a1-bbbbb",
      "edge",
      "FailedMount",
      'MountVolume.SetUp failed for volume "tls" : secret "gw-tls" not found'
    )
    const [f] = containerConfigAnalyzer(
      cluster({ pods: [pod], events: [ev], secrets: [{ metadata: { name: "gw-tls-cert", namespace: "edge" } }] })
    )
    expect(f?.summary).toContain("Secret gw-tls does not exist")
    expect(f?.summary).toContain("gw-tls-cert")
    expect(f?.summary).toContain("FailedMount")
  })
})

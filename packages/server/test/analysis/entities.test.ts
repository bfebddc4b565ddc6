import { describe, expect, it } from "vitest"
import { extractEntities, type KnownNames } from "../../src/analysis/entities.js"

describe("extractEntities without known names", () => {
  it("parses -n, kind+name and ns/name", () => {
    const e = extractEntities("kubectl get deployment checkout-web -n storefront is failing; see storefront/cart-svc")
    expect(e.namespace).toBe("storefront")
    expect(e.deployments).toContain("checkout-web")
  })
  it("parses 'in the X namespace', nodes, pods, alerts and reasons", () => {
    const e = extractEntities(
      "KubePodCrashLooping fired in the billing namespace: pod ledger-7f9c8d6b5-x2x9q is in CrashLoopBackOff on node ip-10-1-2-3.eu-west-1.compute.internal"
    )
    expect(e.namespace).toBe("billing")
    expect(e.pods).toContain("ledger-7f9c8d6b5-x2x9q")
    expect(e.nodes).toContain("ip-10-1-2-3.eu-west-1.compute.internal")
    expect(e.alertnames).toContain("KubePodCrashLooping")
    expect(e.reasons).toContain("CrashLoopBackOff")
  })
  it("parses 'namespace X' and service names", () => {
    const e = extractEntities("service auth-proxy in namespace edge returns 502")
    expect(e.namespace).toBe("edge")
    expect(e.services).toContain("auth-proxy")
  })
})

describe("extractEntities with known names", () => {
  const known: KnownNames = {
    namespaces: ["media", "ops"],
    objects: [
      { kind: "Deployment", name: "thumbnailer", namespace: "media" },
      { kind: "Service", name: "thumbnailer", namespace: "media" },
      { kind: "Pod", name: "thumbnailer-6d5c4b3a2-abcde", namespace: "media" },
      { kind: "StatefulSet", name: "minio", namespace: "media" }
    ],
    hosts: [{ host: "img.example.org", service: "thumbnailer", namespace: "media" }]
  }
  it("resolves a bare token to the Deployment and infers its namespace", () => {
    const e = extractEntities("thumbnailer is slow since noon", known)
    expect(e.kind).toBe("Deployment")
    expect(e.name).toBe("thumbnailer")
    expect(e.namespace).toBe("media")
  })
  it("only accepts 'in X' when X is a known namespace", () => {
    expect(extractEntities("errors in production for minio", known).namespace).toBe("media")
    expect(extractEntities("errors in ops", known).namespace).toBe("ops")
  })
  it("maps an Ingress host to its Service", () => {
    const e = extractEntities("users get 502 on img.example.org", known)
    expect(e.hosts).toContain("img.example.org")
    expect(e.services).toContain("thumbnailer")
  })
})

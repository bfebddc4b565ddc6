import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { request } from "node:http"
import { asRecord, asRecords, shared, ssarProtobuf, suiteSandbox } from "./helpers.js"

const sandbox = suiteSandbox({
  scenarioPath: shared("init-container-dns-wait-nonexistent-service.json"),
  maxWatchMs: 3000
})
let url = ""
let kubeconfig = ""

beforeAll(async () => {
  const handle = await sandbox.start()
  url = handle.url
  kubeconfig = handle.kubeconfigPath
})
afterAll(() => sandbox.stop())

const get = async (
  path: string,
  accept?: string
): Promise<{ status: number; body: Record<string, unknown>; text: string }> => {
  const res = await fetch(`${url}${path}`, accept === undefined ? {} : { headers: { accept } })
  const text = await res.text()
  const isJson = (res.headers.get("content-type") ?? "").includes("json")
  return { status: res.status, body: isJson ? asRecord(JSON.parse(text)) : {}, text }
}

describe("sandbox over HTTP", () => {
  it("writes a kubeconfig with the scenario namespace", () => {
    const text = readFileSync(kubeconfig, "utf8")
    expect(text).toContain(url)
    expect(text).toContain('"namespace": "billing"')
    expect(text).toContain('"current-context": "sandbox"')
  })

  it("serves discovery", async () => {
    const core = await get("/api/v1")
    const pods = asRecords(core.body.resources).find((r) => r.name === "pods")
    expect(pods).toMatchObject({ kind: "Pod", namespaced: true, shortNames: ["po"], categories: ["all"] })
    expect(asRecords(core.body.resources).map((r) => r.name)).toEqual(
      expect.arrayContaining(["pods/log", "pods/status", "nodes/proxy"])
    )
    const groups = await get("/apis")
    const names = asRecords(groups.body.groups).map((g) => g.name)
    for (const g of [
      "apps",
      "batch",
      "networking.k8s.io",
      "autoscaling",
      "rbac.authorization.k8s.io",
      "storage.k8s.io",
      "policy",
      "coordination.k8s.io",
      "authorization.k8s.io",
      "metrics.k8s.io"
    ])
      expect(names).toContain(g)
    const apps = await get("/apis/apps/v1")
    expect(asRecords(apps.body.resources).find((r) => r.name === "deployments/scale")).toMatchObject({
      kind: "Scale",
      group: "autoscaling",
      version: "v1"
    })
    const hpa = await get("/apis/autoscaling")
    expect(hpa.body).toMatchObject({ kind: "APIGroup", preferredVersion: { version: "v2" } })
    expect((await get("/apis/autoscaling/v1")).status).toBe(200)
    const aggregated = await get(
      "/api",
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    )
    expect(aggregated.body.kind).toBe("APIVersions")
    expect((await get("/openapi/v2")).status).toBe(404)
  })

  it("answers 404 with a Status in the API's wording", async () => {
    const missing = await get("/api/v1/namespaces/billing/pods/nope")
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({
      kind: "Status",
      reason: "NotFound",
      message: 'pods "nope" not found',
      details: { name: "nope", kind: "pods" },
      code: 404
    })
    const deploy = await get("/apis/apps/v1/namespaces/billing/deployments/nope")
    expect(deploy.body).toMatchObject({
      message: 'deployments.apps "nope" not found',
      details: { group: "apps", kind: "deployments" }
    })
  })

  it("refuses writes with 405", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const res = await fetch(`${url}/api/v1/namespaces/billing/pods/x`, {
        method,
        body: method === "DELETE" ? null : "{}",
        headers: { "content-type": "application/json" }
      })
      expect(res.status).toBe(405)
      expect(asRecord(await res.json())).toMatchObject({ kind: "Status", reason: "MethodNotAllowed", code: 405 })
    }
  })

  it("answers protobuf SelfSubjectAccessReviews in JSON", async () => {
    const res = await fetch(`${url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: "POST",
      headers: {
        "content-type": "application/vnd.kubernetes.protobuf",
        accept: "application/vnd.kubernetes.protobuf, */*"
      },
      body: new Uint8Array(ssarProtobuf("list", "pods"))
    })
    expect(res.status).toBe(201)
    expect(asRecord(await res.json())).toMatchObject({ status: { allowed: true } })
    const rules = await fetch(`${url}/apis/authorization.k8s.io/v1/selfsubjectrulesreviews`, {
      method: "POST",
      body: JSON.stringify({ spec: { namespace: "billing" } }),
      headers: { "content-type": "application/json" }
    })
    expect(asRecord(await rules.json())).toMatchObject({
      kind: "SelfSubjectRulesReview",
      status: { incomplete: false }
    })
  })

  it("serves logs and the kubelet's errors", async () => {
    const log = await get(
      "/api/v1/namespaces/billing/pods/invoice-service-59c8d7b6f4-7rjwd/log?container=wait-for-db&previous=true&tailLines=3"
    )
    expect(log.status).toBe(200)
    expect(log.text).toContain("billing-postgres")
    expect(log.text.trimEnd().split("\n")).toHaveLength(3)
    const waiting = await get(
      "/api/v1/namespaces/billing/pods/invoice-service-59c8d7b6f4-7rjwd/log?container=invoice-service"
    )
    expect(waiting.status).toBe(400)
    expect(waiting.body.message).toBe(
      'container "invoice-service" in pod "invoice-service-59c8d7b6f4-7rjwd" is waiting to start: PodInitializing'
    )
    const choose = await get("/api/v1/namespaces/billing/pods/invoice-service-59c8d7b6f4-7rjwd/log")
    // a single app container is the default, even with init containers
    expect(choose.body.message).toBe(waiting.body.message)
    const unknown = await get("/api/v1/namespaces/billing/pods/invoice-service-59c8d7b6f4-7rjwd/log?container=x")
    expect(unknown.body.message).toBe("container x is not valid for pod invoice-service-59c8d7b6f4-7rjwd")
  })

  it("filters by label and field selectors", async () => {
    const byLabel = await get("/api/v1/pods?labelSelector=app%20in%20(invoice-service)")
    expect(asRecords(byLabel.body.items).length).toBe(2)
    const notRunning = await get("/api/v1/namespaces/billing/pods?fieldSelector=status.phase!%3DRunning")
    expect(asRecords(notRunning.body.items).every((p) => asRecord(p.status).phase !== "Running")).toBe(true)
    const bad = await get("/api/v1/pods?labelSelector=a%3D%3Db%3Dc")
    expect(bad.status).toBe(400)
  })

  it("renders Tables with PartialObjectMetadata rows", async () => {
    const t = await get("/apis/apps/v1/namespaces/billing/deployments", "application/json;as=Table;v=v1;g=meta.k8s.io")
    expect(t.body.kind).toBe("Table")
    const row = asRecords(t.body.rows)[0]
    expect(asRecord(row?.object).kind).toBe("PartialObjectMetadata")
    const full = await get("/api/v1/nodes?includeObject=Object", "application/json;as=Table;v=v1;g=meta.k8s.io")
    expect(asRecord(asRecords(full.body.rows)[0]?.object).kind).toBe("Node")
  })

  it("streams a watch as ADDED events and closes after timeoutSeconds", async () => {
    const started = Date.now()
    const lines = await new Promise<Array<string>>((resolve, reject) => {
      const req = request(`${url}/api/v1/namespaces/billing/pods?watch=1&timeoutSeconds=1`, (res) => {
        let data = ""
        res.on("data", (chunk: Buffer) => (data += chunk.toString()))
        res.on("end", () => resolve(data.split("\n").filter((l) => l !== "")))
      })
      req.on("error", reject)
      req.end()
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(lines.length).toBeGreaterThan(1)
    expect(asRecord(JSON.parse(lines[0] ?? "{}"))).toMatchObject({ type: "ADDED", object: { kind: "Pod" } })
  })

  it("serves metrics, stats summary, node logs and leases", async () => {
    const podMetrics = await get("/apis/metrics.k8s.io/v1beta1/namespaces/billing/pods")
    expect(podMetrics.body.kind).toBe("PodMetricsList")
    const item = asRecords(podMetrics.body.items)[0]
    expect(asRecord(asRecords(item?.containers)[0]?.usage).cpu).toMatch(/^\d+n$/)
    const nodes = await get("/apis/metrics.k8s.io/v1beta1/nodes")
    const names = asRecords(nodes.body.items).map((n) => String(asRecord(n.metadata).name))
    let podsSeen = 0
    for (const name of names) {
      const summary = await get(`/api/v1/nodes/${name}/proxy/stats/summary`)
      expect(asRecord(summary.body.node).nodeName).toBe(name)
      podsSeen += asRecords(summary.body.pods).length
    }
    expect(podsSeen).toBeGreaterThan(0)
    const nodeName = names[0] ?? ""
    const nodeLog = await get(`/api/v1/nodes/${nodeName}/proxy/logs/?query=kubelet`)
    expect(nodeLog.status).toBe(200)
    const leases = await get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases")
    expect(asRecords(leases.body.items).length).toBeGreaterThan(0)
  })
})

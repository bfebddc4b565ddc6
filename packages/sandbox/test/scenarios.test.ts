import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import path from "node:path"
import { loadScenario } from "../src/scenario.js"
import { apiVersionOf } from "../src/resources.js"
import { asRecord, asRecords, call, callJson, clusterOf, rawScenario, scenarioFiles, suiteSandbox } from "./helpers.js"

const files = scenarioFiles()

describe("scenario files", () => {
  it("finds the shared and the package's own scenarios", () => {
    expect(files.filter((f) => f.includes("shared")).length).toBeGreaterThanOrEqual(16)
    expect(files.filter((f) => f.includes("packages/sandbox/scenarios")).length).toBeGreaterThanOrEqual(8)
  })

  describe.each(files.map((f) => [path.basename(f), f] as const))("%s", (_name, file) => {
    const raw = rawScenario(file)
    const cluster = clusterOf(file)
    const namespace = String(raw.namespace)

    it("loads with loadScenario", async () => {
      const scenario = await Effect.runPromise(loadScenario(file))
      expect(scenario.id).toBe(raw.id)
      expect(scenario.incidentDescription.length).toBeGreaterThan(0)
    })

    it("serves every object of the file by get and list", () => {
      for (const o of asRecords(raw.objects)) {
        const meta = asRecord(o.metadata)
        const stored = cluster.objects.find(
          (s) => s.def.kind === o.kind && s.name === meta.name && s.def.group !== "metrics.k8s.io"
        )
        expect(stored, `${String(o.kind)}/${String(meta.name)}`).toBeDefined()
        if (stored === undefined) continue
        const def = stored.def
        const version = def.versions[0] ?? "v1"
        const base = def.group === "" ? "/api/v1" : `/apis/${apiVersionOf(def.group, version)}`
        const ns = stored.namespace
        const url =
          ns === undefined
            ? `${base}/${def.plural}/${stored.name}`
            : `${base}/namespaces/${ns}/${def.plural}/${stored.name}`
        const got = callJson(cluster, url)
        expect(got.status, url).toBe(200)
        expect(got.body).toMatchObject({ kind: o.kind, metadata: { name: meta.name } })
        const listed = callJson(
          cluster,
          ns === undefined ? `${base}/${def.plural}` : `${base}/namespaces/${ns}/${def.plural}`
        )
        expect(listed.body.kind).toBe(`${String(o.kind)}List`)
        expect(asRecords(listed.body.items).some((i) => asRecord(i.metadata).name === meta.name)).toBe(true)
      }
    })

    it("serves its events with involvedObject field selectors", () => {
      const events = asRecords(raw.events)
      const all = callJson(cluster, "/api/v1/events")
      expect(asRecords(all.body.items)).toHaveLength(events.length)
      const first = events[0]
      if (first === undefined) return
      const io = asRecord(first.involvedObject)
      const sel = `involvedObject.name=${String(io.name)},involvedObject.kind=${String(io.kind)}`
      const filtered = callJson(cluster, `/api/v1/events?fieldSelector=${encodeURIComponent(sel)}`)
      expect(asRecords(filtered.body.items).length).toBeGreaterThan(0)
      expect(asRecords(filtered.body.items).every((e) => asRecord(e.involvedObject).name === io.name)).toBe(true)
    })

    it("serves its logs", () => {
      for (const [key, text] of Object.entries(asRecord(raw.logs))) {
        const parts = key.split("/")
        const [pod = "", container = ""] = parts
        const previous = parts[2] === "previous"
        const stored = cluster.objects.find((s) => s.def.kind === "Pod" && s.name === pod)
        expect(stored, key).toBeDefined()
        const url = `/api/v1/namespaces/${stored?.namespace ?? namespace}/pods/${pod}/log?container=${container}${previous ? "&previous=true" : ""}`
        const result = call(cluster, url)
        expect(
          result._tag === "Response" ? result.status : 0,
          `${key}: ${result._tag === "Response" ? result.body : ""}`
        ).toBe(200)
        // The last line of the file's log comes back (timestamps may be shifted, so compare the line's tail).
        const lastLine = String(text).trimEnd().split("\n").pop() ?? ""
        const tail = lastLine.slice(-20)
        expect(result._tag === "Response" ? result.body : "").toContain(tail)
      }
    })

    it("lists pods as a Table", () => {
      const table = callJson(cluster, `/api/v1/namespaces/${namespace}/pods`, {
        headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" }
      })
      expect(table.body).toMatchObject({ kind: "Table", apiVersion: "meta.k8s.io/v1" })
      expect(
        asRecords(table.body.columnDefinitions)
          .map((c) => c.name)
          .slice(0, 5)
      ).toEqual(["Name", "Ready", "Status", "Restarts", "Age"])
    })

    it("never serves the scoring fields", () => {
      const secret = String(raw.expected_root_cause)
      const bodies: Array<string> = []
      const get = (url: string, accept?: string): void => {
        const r = call(cluster, url, accept === undefined ? {} : { headers: { accept } })
        if (r._tag === "Response") bodies.push(r.body)
        else bodies.push(JSON.stringify(r.events))
      }
      get("/api")
      get("/apis")
      get("/version")
      for (const def of cluster.defs)
        for (const v of def.versions) {
          if (!def.verbs.includes("list")) continue
          const base = def.group === "" ? "/api/v1" : `/apis/${apiVersionOf(def.group, v)}`
          get(`${base}`)
          get(`${base}/${def.plural}`)
          get(`${base}/${def.plural}`, "application/json;as=Table;v=v1;g=meta.k8s.io")
          get(`${base}/${def.plural}?watch=true`)
        }
      for (const s of cluster.objects.filter((o) => o.def.kind === "Pod")) {
        const containers = asRecords(asRecord(s.object.spec).containers).concat(
          asRecords(asRecord(s.object.spec).initContainers)
        )
        for (const c of containers) {
          get(`/api/v1/namespaces/${s.namespace ?? ""}/pods/${s.name}/log?container=${String(c.name)}`)
          get(`/api/v1/namespaces/${s.namespace ?? ""}/pods/${s.name}/log?container=${String(c.name)}&previous=true`)
        }
      }
      for (const s of cluster.objects.filter((o) => o.def.kind === "Node"))
        get(`/api/v1/nodes/${s.name}/proxy/stats/summary`)
      const all = bodies.join("\n")
      expect(all).not.toContain(secret)
      expect(all).not.toContain("expected_root_cause")
      expect(all).not.toContain("must_mention")
      expect(all).not.toContain(String(raw.incident_description))
    })
  })
})

describe("every scenario over HTTP", () => {
  const sandboxes = files.map((file) => ({ file, sandbox: suiteSandbox({ scenarioPath: file }) }))
  const urls = new Map<string, string>()
  beforeAll(async () => {
    for (const { file, sandbox } of sandboxes) urls.set(file, (await sandbox.start()).url)
  })
  afterAll(async () => {
    for (const { sandbox } of sandboxes) await sandbox.stop()
  })
  it("answers /api/v1/pods on each", async () => {
    for (const file of files) {
      const res = await fetch(`${urls.get(file) ?? ""}/api/v1/pods`)
      expect(res.status).toBe(200)
      const body = asRecord(await res.json())
      expect(body.kind).toBe("PodList")
    }
  })
})

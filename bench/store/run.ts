/**
 * Store micro-benchmark (issue #10): operations per second of the incident store itself, without HTTP.
 *
 * Usage: node --import tsx bench/store/run.ts [--store sqlite|memory|pg] [--seconds 2]
 * `pg` uses DATABASE_URL when set, otherwise starts a throwaway cluster with @sre/testkit's `startPostgres`.
 * Measures: create; get by id of an incident with 10 steps and 10 evidence entries; list with limit 20 (over the
 * thousands of incidents the create measurement left); appendStep; putEvidence. One operation at a time (latency-bound: what one request costs the store).
 * "µs CPU/op" is this process's CPU time per operation (steadier than ops/s on a shared machine; for `pg` it leaves
 * out the server's own work).
 */
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import {
  IncidentRepository,
  layerMemory,
  type NewIncident
} from "../../packages/server/src/store/IncidentRepository.js"
import { layerSqliteAt } from "../../packages/server/src/store/SqliteIncidentRepository.js"

const { values } = parseArgs({
  options: { store: { type: "string", default: "sqlite" }, seconds: { type: "string", default: "2" } }
})
const seconds = Number(values.seconds)

let seq = 0
const newIncident = (): NewIncident => {
  const n = ++seq
  return {
    id: randomUUID(),
    description: `bench incident ${n}: pods of checkout crash-loop in namespace shop`,
    source: "api",
    correlationId: `corr-${n}`,
    createdAt: new Date().toISOString(),
    entities: { namespaces: ["shop"], services: ["checkout"] }
  }
}
const step = (i: number) => ({
  kind: "tool_call" as const,
  started_at: new Date().toISOString(),
  tool_name: "pods_list_in_namespace",
  tool_server: "kubernetes",
  tool_arguments: { namespace: "shop", i },
  output_summary: "3 pods, 1 in CrashLoopBackOff",
  evidence_key: `pods_list:shop:${i}`,
  duration_ms: 12
})

const measure = async (name: string, op: () => Promise<unknown>) => {
  for (let i = 0; i < 50; i++) await op() // warm-up
  const end = performance.now() + seconds * 1000
  let n = 0
  const start = performance.now()
  const cpu = process.cpuUsage()
  while (performance.now() < end) {
    await op()
    n++
  }
  const elapsed = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  const cpuPerOp = (used.user + used.system) / n
  process.stdout.write(
    `${name.padEnd(34)} ${(n / elapsed).toFixed(0).padStart(8)} ops/s ${cpuPerOp.toFixed(0).padStart(8)} µs CPU/op\n`
  )
}

const makeLayer = async (): Promise<{ layer: Layer.Layer<IncidentRepository>; cleanup: () => Promise<void> }> => {
  if (values.store === "memory") return { layer: layerMemory, cleanup: async () => {} }
  if (values.store === "pg") {
    const { layerPgFromUrl } = await import("../../packages/server/src/store/PgIncidentRepository.js")
    const fromEnv = process.env.DATABASE_URL
    if (fromEnv !== undefined && fromEnv !== "") {
      return { layer: Layer.orDie(layerPgFromUrl(Redacted.make(fromEnv))), cleanup: async () => {} }
    }
    const { startPostgres, createDatabase } = await import("../../packages/testkit/src/postgres.js")
    const handle = await startPostgres()
    if ("skipped" in handle) throw new Error(handle.skipped)
    const url = await createDatabase(handle, "bench")
    return { layer: Layer.orDie(layerPgFromUrl(Redacted.make(url))), cleanup: () => handle.stop() }
  }
  const dir = mkdtempSync(join(tmpdir(), "sre-store-bench-"))
  return {
    layer: layerSqliteAt(join(dir, "bench.sqlite")),
    cleanup: async () => rmSync(dir, { recursive: true, force: true })
  }
}

const { layer, cleanup } = await makeLayer()
const runtime = ManagedRuntime.make(layer)
const run = <A, E>(effect: Effect.Effect<A, E, IncidentRepository>) => runtime.runPromise(effect)
const repo = await run(IncidentRepository)

process.stdout.write(`store: ${values.store}, ${seconds}s per operation\n`)
await measure("create", () => run(repo.create(newIncident())))
const target = newIncident()
await run(repo.create(target))
for (let i = 0; i < 10; i++) {
  await run(repo.appendStep(target.id, step(i)))
  await run(repo.putEvidence(target.id, `pods_list:shop:${i}`, { items: [{ name: `pod-${i}`, phase: "Running" }] }))
}
await measure("get (10 steps + 10 evidence)", () => run(repo.get(target.id)))
await measure("list limit 20", () => run(repo.list({ limit: 20 })))
await measure("list limit 20, status=pending", () => run(repo.list({ limit: 20, status: "pending" })))
const appendTarget = newIncident()
await run(repo.create(appendTarget))
await measure("appendStep", () => run(repo.appendStep(appendTarget.id, step(0))))
await measure("putEvidence", () => run(repo.putEvidence(appendTarget.id, `k${seq++ % 50}`, { a: 1 })))
await runtime.dispose()
await cleanup()

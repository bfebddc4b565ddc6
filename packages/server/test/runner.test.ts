import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, Scope } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { AgentShape } from "../src/investigation/Agent.js"
import { interruptedMessage } from "../src/investigation/InvestigationRunner.js"
import { IncidentRepository } from "../src/store/IncidentRepository.js"
import { layerSqliteAt } from "../src/store/SqliteIncidentRepository.js"
import { postJson, quickAgent, request, startServer } from "./support.js"

const idOf = (res: { body: unknown }) => (res.body as { incident_id: string }).incident_id

describe("investigation runner", () => {
  it.scopedLive("never runs more investigations at once than configured", () =>
    Effect.gen(function* () {
      let inFlight = 0
      let maxSeen = 0
      const agent: AgentShape["investigate"] = (ctx) =>
        Effect.gen(function* () {
          inFlight++
          maxSeen = Math.max(maxSeen, inFlight)
          yield* Effect.sleep("30 millis")
          inFlight--
          return yield* quickAgent(ctx)
        })
      const server = yield* startServer({ agent, config: { maxConcurrentInvestigations: 3 } })
      yield* Effect.forEach(
        Array.from({ length: 12 }, (_, i) => i),
        (i) => postJson(`${server.url}/api/v1/incidents`, { description: `n${i}` }),
        { concurrency: "unbounded" }
      )
      yield* server.runner.awaitIdle
      expect(maxSeen).toBe(3)
      const list = yield* request(`${server.url}/api/v1/incidents?status=completed&limit=100`)
      expect((list.body as { items: Array<unknown> }).items).toHaveLength(12)
    })
  )

  it.scopedLive("refuses with 503 and Retry-After when the queue is full, creating nothing", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const agent: AgentShape["investigate"] = (ctx) => Effect.zipRight(Deferred.await(gate), quickAgent(ctx))
      const server = yield* startServer({
        agent,
        config: { maxConcurrentInvestigations: 1, maxQueuedInvestigations: 2 }
      })
      const url = `${server.url}/api/v1/incidents`
      const first = yield* postJson(url, { description: "a" })
      expect(first.status).toBe(202)
      yield* Effect.sleep("20 millis") // let the first one take the permit
      expect((yield* postJson(url, { description: "b" })).status).toBe(202)
      expect((yield* postJson(url, { description: "c" })).status).toBe(202)
      const refused = yield* postJson(url, { description: "d" })
      expect(refused.status).toBe(503)
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/)
      expect(refused.body).toMatchObject({ code: 503 })
      const list = yield* request(`${url}?limit=100`)
      expect((list.body as { items: Array<{ description: string }> }).items.map((i) => i.description)).toEqual([
        "c",
        "b",
        "a"
      ])
      const health = yield* request(`${server.url}/health`)
      expect(health.body).toMatchObject({ investigations: { running: 1, queued: 2, max_concurrent: 1 } })
      yield* Deferred.succeed(gate, undefined)
      yield* server.runner.awaitIdle
    })
  )

  it.live("re-queues interrupted investigations on shutdown and resumes them on the next start", () =>
    Effect.gen(function* () {
      const file = join(mkdtempSync(join(tmpdir(), "sre-runner-")), "db.sqlite")
      const repository = layerSqliteAt(file)
      // first life: the agent never finishes; shutdown happens with a short grace period
      const scope1 = yield* Scope.make()
      const server1 = yield* startServer({
        repository,
        agent: (ctx) =>
          Effect.zipRight(
            ctx.recordStep({ kind: "analysis", started_at: new Date().toISOString(), reasoning: "started" }),
            Effect.never
          ),
        config: { maxConcurrentInvestigations: 2, shutdownGracePeriod: "100 millis" as never }
      }).pipe(Scope.extend(scope1))
      const ids: Array<string> = []
      for (let i = 0; i < 4; i++)
        ids.push(idOf(yield* postJson(`${server1.url}/api/v1/incidents`, { description: `i${i}` })))
      yield* Effect.sleep("100 millis")
      yield* Scope.close(scope1, Exit.void)

      const statuses = yield* Effect.gen(function* () {
        const repo = yield* IncidentRepository
        return yield* Effect.forEach(ids, (id) => repo.get(id))
      }).pipe(Effect.provide(repository))
      expect(statuses.map((i) => i.status)).toEqual(["pending", "pending", "pending", "pending"])
      expect(statuses[0]?.investigation_steps.map((s) => s.kind)).toEqual(["analysis", "note"])

      // second life: a working agent finishes all of them
      const server2 = yield* startServer({ repository })
      yield* server2.runner.awaitIdle
      for (const id of ids) {
        const got = yield* request(`${server2.url}/api/v1/incidents/${id}`)
        expect(got.body).toMatchObject({ status: "completed" })
      }
    }).pipe(Effect.scoped)
  )

  it.live("restarts incidents left running by a crash, and gives up after too many attempts", () =>
    Effect.gen(function* () {
      const file = join(mkdtempSync(join(tmpdir(), "sre-crash-")), "db.sqlite")
      const repository = layerSqliteAt(file)
      const [crashed, abandoned] = yield* Effect.gen(function* () {
        const repo = yield* IncidentRepository
        const mk = (n: number) => ({
          id: `00000000-0000-4000-8000-00000000000${n}`,
          description: `crash ${n}`,
          source: "api" as const,
          correlationId: `c${n}`,
          createdAt: new Date().toISOString()
        })
        const a = yield* repo.create(mk(1))
        yield* repo.markRunning(a.id) // as if the process died while running it
        const b = yield* repo.create(mk(2))
        for (let i = 0; i < 3; i++) yield* repo.markRunning(b.id) // died three times already
        return [a.id, b.id] as const
      }).pipe(Effect.provide(repository))

      const server = yield* startServer({ repository, config: { maxInvestigationAttempts: 3 } })
      yield* server.runner.awaitIdle
      const a = (yield* request(`${server.url}/api/v1/incidents/${crashed}`)).body as {
        status: string
        investigation_steps: Array<{ kind: string }>
      }
      expect(a.status).toBe("completed")
      expect(a.investigation_steps.map((s) => s.kind)).toEqual(["note", "analysis"])
      const b = (yield* request(`${server.url}/api/v1/incidents/${abandoned}`)).body
      expect(b).toMatchObject({ status: "failed", error_message: interruptedMessage(3) })
    }).pipe(Effect.scoped)
  )
})

describe("server-sent events", () => {
  const readSse = (url: string) =>
    Effect.promise(async () => {
      const res = await fetch(url)
      const text = await res.text()
      const events = text
        .split("\n\n")
        .filter((block) => block.startsWith("event:"))
        .map((block) => {
          const [eventLine, dataLine] = block.split("\n")
          return { event: eventLine?.slice(7) ?? "", data: JSON.parse(dataLine?.slice(6) ?? "null") as unknown }
        })
      return { status: res.status, headers: res.headers, events }
    })

  it.scopedLive("streams status and steps live, then the final incident, and closes", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const agent: AgentShape["investigate"] = (ctx) =>
        Effect.gen(function* () {
          yield* Deferred.await(gate)
          yield* ctx.recordStep({ kind: "tool_call", started_at: new Date().toISOString(), tool_name: "pods_list" })
          yield* Effect.sleep("20 millis")
          return yield* quickAgent(ctx)
        })
      const server = yield* startServer({ agent })
      const id = idOf(yield* postJson(`${server.url}/api/v1/incidents`, { description: "x" }))
      const reading = yield* Effect.fork(readSse(`${server.url}/api/v1/incidents/${id}/events`))
      yield* Effect.sleep("100 millis")
      yield* Deferred.succeed(gate, undefined)
      const { status, headers, events } = yield* reading.await.pipe(Effect.flatten)
      expect(status).toBe(200)
      expect(headers.get("content-type")).toContain("text/event-stream")
      expect(headers.get("cache-control")).toBe("no-cache")
      expect(headers.get("x-accel-buffering")).toBe("no")
      expect(events.map((e) => e.event)).toEqual(["incident", "step", "step", "status", "done"])
      expect(events[1]?.data).toMatchObject({ index: 1, tool_name: "pods_list" })
      expect(events[4]?.data).toMatchObject({ id, status: "completed" })
    })
  )

  it.scopedLive("replays a finished investigation to a late subscriber and 404s unknown ids", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const id = idOf(yield* postJson(`${server.url}/api/v1/incidents`, { description: "x" }))
      yield* server.runner.awaitIdle
      const { events } = yield* readSse(`${server.url}/api/v1/incidents/${id}/events`)
      expect(events.map((e) => e.event)).toEqual(["incident", "done"])
      expect(events[0]?.data).toMatchObject({ id, investigation_steps: [{ index: 1 }] })
      const missing = yield* request(`${server.url}/api/v1/incidents/00000000-0000-4000-8000-000000000000/events`)
      expect(missing.status).toBe(404)
    })
  )
})

void Layer

/**
 * The event stream as the CLI reads it (`src/sse.ts`), against the real server: a live subscriber sees the
 * snapshot, each step once and `done`; a late subscriber gets the replay; the stream closes at the end.
 */
import { FetchHttpClient } from "@effect/platform"
import { Chunk, Effect, Option, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { incidentEvents } from "../src/sse.js"
import { startServer, type TestServer } from "./support/server.js"
import { decodeJson } from "./support/run.js"
import { NewIncidentResponse } from "@sre/schema"

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

const file = async (description: string): Promise<string> => {
  const res = await fetch(`${server.url}/api/v1/incidents`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ description })
  })
  return decodeJson(NewIncidentResponse, await res.text()).incident_id
}

const collect = (id: string) =>
  incidentEvents({ server: server.url, apiKey: Option.none() }, id).pipe(
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray),
    Effect.timeout("10 seconds"),
    Effect.provide(FetchHttpClient.layer),
    Effect.runPromise
  )

describe("incident events (SSE)", () => {
  it("a live subscriber gets the snapshot, every step, then done; the stream closes", async () => {
    const id = await file("checkout pods crash-looping")
    const events = await collect(id)
    expect(events[0]?.type).toBe("incident")
    expect(events.at(-1)?.type).toBe("done")
    const last = events.at(-1)
    expect(last?.type === "done" ? last.incident.status : undefined).toBe("completed")
    const stepsFromSnapshot = events[0]?.type === "incident" ? events[0].incident.investigation_steps.length : 0
    const liveSteps = events.flatMap((e) => (e.type === "step" ? [e.step.index] : []))
    // every step arrives exactly once: in the snapshot or live
    expect(liveSteps).toEqual([1, 2, 3, 4].slice(stepsFromSnapshot))
  })

  it("a late subscriber gets the replay: the full incident and done", async () => {
    const id = await file("checkout pods crash-looping")
    await collect(id) // wait for the end
    const events = await collect(id)
    expect(events.map((e) => e.type)).toEqual(["incident", "done"])
    const first = events[0]
    expect(first?.type === "incident" ? first.incident.investigation_steps.map((s) => s.index) : []).toEqual([
      1, 2, 3, 4
    ])
  })

  it("an unknown incident fails the stream (404)", async () => {
    const exit = await incidentEvents(
      { server: server.url, apiKey: Option.none() },
      "00000000-0000-4000-8000-000000000000"
    ).pipe(Stream.runDrain, Effect.provide(FetchHttpClient.layer), Effect.flip, Effect.runPromise)
    expect(exit._tag).toBe("ResponseError")
  })
})

import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { makeTestHandler } from "../src/testing.js"
import { quickAgent } from "./support.js"

describe("makeTestHandler (the whole server without sockets)", () => {
  it("serves the contract in memory: create, read, errors, health", async () => {
    const { handler, dispose } = makeTestHandler({ agent: quickAgent })
    try {
      const created = await handler(
        new Request("http://test/api/v1/incidents", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ description: "cart pods are pending in shop" })
        })
      )
      expect(created.status).toBe(202)
      expect(created.headers.get("x-content-type-options")).toBe("nosniff")
      const { incident_id } = (await created.json()) as { incident_id: string }
      let status = "pending"
      for (let i = 0; i < 50 && status !== "completed"; i++) {
        await Effect.runPromise(Effect.sleep("20 millis"))
        const got = await handler(new Request(`http://test/api/v1/incidents/${incident_id}`))
        status = ((await got.json()) as { status: string }).status
      }
      expect(status).toBe("completed")
      const bad = await handler(new Request("http://test/api/v1/incidents/not-a-uuid"))
      expect(bad.status).toBe(400)
      expect(await bad.json()).toMatchObject({ code: 400 })
      const health = await handler(new Request("http://test/health"))
      expect(((await health.json()) as { status: string }).status).toBe("ok")
    } finally {
      await dispose()
    }
  })
})

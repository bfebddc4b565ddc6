import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { Sandbox, startSandbox } from "../src/index.js"
import { shared } from "./helpers.js"

describe("startSandbox lifecycle", () => {
  it.effect("serves until the scope closes, then refuses connections", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const dir = mkdtempSync(path.join(tmpdir(), "sandbox-test-"))
      const kubeconfigPath = path.join(dir, "nested", "kubeconfig")
      const handle = yield* Scope.extend(
        startSandbox({ scenarioPath: shared("pending-insufficient-cpu.json"), kubeconfigPath }),
        scope
      )
      expect(handle.scenario).toMatchObject({ id: "pending-insufficient-cpu", namespace: "data" })
      expect(handle.scenario.incidentDescription.length).toBeGreaterThan(0)
      expect(readFileSync(kubeconfigPath, "utf8")).toContain(handle.url)
      const ok = yield* Effect.promise(() => fetch(`${handle.url}/api/v1/namespaces/data/pods`).then((r) => r.status))
      expect(ok).toBe(200)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.promise(() =>
        fetch(`${handle.url}/api`).then(
          () => "open",
          () => "closed"
        )
      )
      expect(after).toBe("closed")
    })
  )

  it.scoped("is available as a Layer-backed service", () =>
    Effect.gen(function* () {
      const handle = yield* Sandbox
      expect(handle.port).toBeGreaterThan(0)
      expect(handle.url).toBe(`http://127.0.0.1:${handle.port}`)
    }).pipe(Effect.provide(Sandbox.layer({ scenarioPath: shared("service-selector-mismatch.json") })))
  )

  it.scoped("fails with a typed ScenarioError naming the file and field", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(path.join(tmpdir(), "sandbox-test-"))
      const file = path.join(dir, "broken.json")
      writeFileSync(
        file,
        JSON.stringify({
          id: "b",
          incident_description: "",
          namespace: "ns",
          objects: [{ kind: "Pod", metadata: { name: "p" } }]
        })
      )
      const error = yield* Effect.flip(startSandbox({ scenarioPath: file }))
      expect(error._tag).toBe("ScenarioError")
      expect(error.message).toBe(`${file}: objects[0].apiVersion is missing`)
    })
  )

  it.scoped("fails with a typed ServerError when the port is taken", () =>
    Effect.gen(function* () {
      const first = yield* startSandbox({ scenarioPath: shared("service-selector-mismatch.json") })
      const error = yield* Effect.flip(
        startSandbox({ scenarioPath: shared("service-selector-mismatch.json"), port: first.port })
      )
      expect(error._tag).toBe("ServerError")
      expect(error.message).toMatch(/cannot listen on 127\.0\.0\.1:\d+/)
    })
  )
})

/**
 * Registry of dependency health checks. Each service that depends on something external (the store, the LLM, MCP
 * servers) registers a check when its layer is built; `/health` runs them all.
 */
import { DependencyHealth } from "@sre/schema"
import { Context, Effect, Layer } from "effect"

/** A named check returning the state of one or more dependencies. */
export type HealthCheck = Effect.Effect<ReadonlyArray<DependencyHealth>>

/** The health registry. */
export interface HealthChecksShape {
  /** Adds a check; checks run in registration order. */
  readonly register: (check: HealthCheck) => Effect.Effect<void>
  /** Runs every check (each bounded to 2 s; a check that times out reports `failed`). */
  readonly run: Effect.Effect<ReadonlyArray<DependencyHealth>>
}

/** The health registry service. */
export class HealthChecks extends Context.Tag("sre/HealthChecks")<HealthChecks, HealthChecksShape>() {}

/** The registry layer. */
export const layerHealthChecks: Layer.Layer<HealthChecks> = Layer.sync(HealthChecks, () => {
  const checks: Array<HealthCheck> = []
  return {
    register: (check) => Effect.sync(() => void checks.push(check)),
    run: Effect.map(
      Effect.forEach(
        checks,
        (check) =>
          check.pipe(
            Effect.timeoutTo({
              duration: "2 seconds",
              onSuccess: (r) => r,
              onTimeout: () => [
                DependencyHealth.make({ name: "unknown", kind: "check", status: "failed", detail: "check timed out" })
              ]
            })
          ),
        { concurrency: "unbounded" }
      ),
      (results) => results.flat()
    )
  }
})

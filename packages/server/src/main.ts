/**
 * The server's entry point (`npm start`): reads the configuration (a bad value stops the process with one readable
 * line), installs JSON logging, and runs the production wiring until SIGTERM/SIGINT. `SRE_SANDBOX_SCENARIO=<file>`
 * also starts a sandbox cluster serving that scenario and points the Kubernetes MCP server at it.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Config, Effect, Layer, Option } from "effect"
import { findConfigError, formatConfigError, loadAppConfig } from "./config/AppConfig.js"
import { loggingLayer } from "./observability/logging.js"
import { tracingLayer } from "./observability/tracing.js"
import { productionLayer } from "./runtime.js"

const program = Effect.gen(function* () {
  const config = yield* loadAppConfig
  const scenario = yield* Config.option(Config.string("SRE_SANDBOX_SCENARIO"))
  const logging = loggingLayer({
    serviceName: config.serviceName,
    format: config.logFormat,
    minimumLevel: config.logLevel
  })
  return yield* Effect.scoped(
    Effect.gen(function* () {
      const { layer } = yield* productionLayer(config, { sandboxScenario: Option.getOrUndefined(scenario) })
      return yield* Layer.launch(layer)
    })
  ).pipe(Effect.provide(tracingLayer), Effect.provide(logging))
})

/** Failures that stop the server before it serves: one line on stderr, exit code 1. */
const startupFailure = (cause: Cause.Cause<unknown>): Option.Option<string> => {
  const config = findConfigError(cause)
  if (Option.isSome(config)) return Option.some(formatConfigError(config.value))
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    if (typeof e === "object" && e !== null && "_tag" in e && "message" in e && typeof e.message === "string") {
      return Option.some(`cannot start: ${e.message}`)
    }
  }
  return Option.none()
}

program.pipe(
  Effect.catchAllCause((cause) =>
    Option.match(startupFailure(cause), {
      onNone: () => Effect.failCause(cause),
      onSome: (line) =>
        Effect.sync(() => {
          process.stderr.write(`${line}\n`)
          process.exitCode = 1
        })
    })
  ),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)

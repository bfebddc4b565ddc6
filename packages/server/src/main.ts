/**
 * The server's entry point: reads the configuration (a bad value stops the process with one readable line),
 * installs JSON logging, and launches the composition root until SIGTERM/SIGINT.
 */
import { HttpServer } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { appLayer, serverLayer } from "./app.js"
import { AppConfig, findConfigError, formatConfigError, loadAppConfig } from "./config/AppConfig.js"
import { layerUnconfigured } from "./investigation/Agent.js"
import { loggingLayer } from "./observability/logging.js"
import { layerSqlite } from "./store/SqliteIncidentRepository.js"

const program = Effect.gen(function* () {
  const config = yield* loadAppConfig
  const logging = loggingLayer({
    serviceName: config.serviceName,
    format: config.logFormat,
    minimumLevel: config.logLevel
  })
  const configLayer = Layer.succeed(AppConfig, config)
  const app = appLayer({ repository: layerSqlite, agent: layerUnconfigured }).pipe(
    HttpServer.withLogAddress,
    Layer.provide(serverLayer),
    Layer.provide(configLayer)
  )
  return yield* Layer.launch(app).pipe(Effect.provide(logging))
})

program.pipe(
  Effect.catchAllCause((cause) =>
    findConfigError(cause)._tag === "Some"
      ? Effect.sync(() => {
          const error = findConfigError(cause)
          process.stderr.write(`${error._tag === "Some" ? formatConfigError(error.value) : "invalid configuration"}\n`)
          process.exitCode = 1
        })
      : Effect.failCause(cause)
  ),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)

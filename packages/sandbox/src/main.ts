/**
 * `npm run sandbox -- --scenario <file> [--port N] [--host H] [--kubeconfig PATH]`
 * Runs one sandbox cluster until SIGINT/SIGTERM.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { parseArgs } from "./args.js"
import { startSandbox } from "./index.js"

const program = Effect.gen(function* () {
  const options = yield* parseArgs(process.argv.slice(2))
  const sandbox = yield* startSandbox(options)
  yield* Console.log(`sandbox for scenario "${sandbox.scenario.id}" listening on ${sandbox.url}`)
  yield* Console.log(`kubeconfig: ${sandbox.kubeconfigPath}`)
  yield* Console.log(`incident: ${sandbox.scenario.incidentDescription}`)
  yield* Console.log(`try: export KUBECONFIG=${sandbox.kubeconfigPath}; kubectl get pods -A`)
  yield* Console.log("press Ctrl-C to stop")
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.catchAll((error) =>
    Console.error(`sandbox: ${error.message}`).pipe(Effect.zipRight(Effect.sync(() => process.exit(1))))
  )
)

NodeRuntime.runMain(program, { disableErrorReporting: true })

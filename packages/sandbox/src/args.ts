/**
 * Command-line parsing for `npm run sandbox`.
 */
import { Data, Either } from "effect"
import type { SandboxOptions } from "./index.js"

/** The command line is wrong; `message` is one readable line. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/** One-line usage text. */
export const USAGE = "usage: npm run sandbox -- --scenario <file> [--port N] [--host H] [--kubeconfig PATH]"

/** Parses the command line into sandbox options. */
export const parseArgs = (argv: ReadonlyArray<string>): Either.Either<SandboxOptions, UsageError> => {
  let scenarioPath: string | undefined
  let port: number | undefined
  let host: string | undefined
  let kubeconfigPath: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ""
    const [flag = "", inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s) : [arg, undefined]
    const value = (): string | undefined => {
      if (inline !== undefined) return inline
      i += 1
      return argv[i]
    }
    if (flag === "--help" || flag === "-h") return Either.left(new UsageError({ message: USAGE }))
    else if (flag === "--scenario") scenarioPath = value()
    else if (flag === "--host") host = value()
    else if (flag === "--kubeconfig") kubeconfigPath = value()
    else if (flag === "--port") {
      const v = value()
      const n = Number(v)
      if (v === undefined || !Number.isInteger(n) || n < 0 || n > 65535)
        return Either.left(
          new UsageError({ message: `--port must be an integer between 0 and 65535, got ${v ?? "nothing"}` })
        )
      port = n
    } else return Either.left(new UsageError({ message: `unknown argument ${arg}; ${USAGE}` }))
  }
  if (scenarioPath === undefined || scenarioPath === "")
    return Either.left(new UsageError({ message: `--scenario is required; ${USAGE}` }))
  return Either.right({
    scenarioPath,
    ...(port === undefined ? {} : { port }),
    ...(host === undefined ? {} : { host }),
    ...(kubeconfigPath === undefined ? {} : { kubeconfigPath })
  })
}

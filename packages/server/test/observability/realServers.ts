/**
 * Helpers for the tests against real Prometheus / Alertmanager binaries (installed by
 * scripts/observability/install.sh): find a binary, get a free loopback port, run a child process for the
 * scope's lifetime (killed at the end), poll until a condition holds.
 */
import { Effect, Schedule } from "effect"
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"

/** The absolute path of an executable on PATH (or in /usr/bin, /usr/sbin), if any. */
export const findBinary = (name: string): string | undefined => {
  const dirs = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/bin", "/usr/sbin", "/usr/local/bin"]
  for (const dir of dirs) {
    const candidate = join(dir, name)
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- PATH lookup of a fixed binary name
    if (dir.length > 0 && existsSync(candidate)) return candidate
  }
  return undefined
}

/** A free TCP port on 127.0.0.1. */
export const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** A temporary directory removed with the scope. */
export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** Runs a binary for the scope's lifetime; its output is kept (for failure messages) and it is killed at the end. */
export const runProcess = (command: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const output: Array<string> = []
      const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] })
      child.stdout.on("data", (d: Buffer) => void output.push(d.toString("utf8")))
      child.stderr.on("data", (d: Buffer) => void output.push(d.toString("utf8")))
      return { child, output: () => output.join("").slice(-4000) }
    }),
    ({ child }) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        const timer = setTimeout(() => child.kill("SIGKILL"), 3_000)
        child.once("exit", () => {
          clearTimeout(timer)
          resume(Effect.void)
        })
        child.kill("SIGTERM")
      })
  )

/** Retries `check` every 250 ms until it succeeds or `timeoutMs` passes. */
export const eventually = <A, E>(check: Effect.Effect<A, E>, timeoutMs: number) =>
  check.pipe(Effect.retry(Schedule.spaced("250 millis").pipe(Schedule.upTo(`${timeoutMs} millis`))))

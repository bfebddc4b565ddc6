/**
 * Runs the CLI as a child process, the way users do: the esbuild bundle built from the current sources into a
 * temp dir (fast), or the bin from source through tsx. Always with NO_COLOR=1, a temp XDG_CONFIG_HOME and no
 * inherited SRE_* variables.
 */
import { Schema } from "effect"
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))

/** Builds the bundle into a fresh temp dir and returns the path of its `sre.mjs`. */
export const buildBundle = (): string => {
  const outdir = mkdtempSync(join(tmpdir(), "sre-cli-bundle-"))
  execFileSync(process.execPath, [join(ROOT, "packages/cli/scripts/build.mjs"), "--outdir", outdir, "--quiet"])
  return join(outdir, "sre.mjs")
}

/** A fresh, empty config home. */
export const tempConfigHome = (): string => mkdtempSync(join(tmpdir(), "sre-cli-config-"))

/** What a CLI run produced. */
export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Options of one run. */
export interface RunOptions {
  /** Entry to run: a path to `sre.mjs`, or "bin" for `packages/cli/bin/sre.js` from source. */
  readonly entry: string
  readonly configHome: string
  readonly env?: Record<string, string>
  readonly input?: string
  readonly timeoutMs?: number
}

/** Runs `sre <args>` and collects its output. */
export const runSre = (args: ReadonlyArray<string>, options: RunOptions): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const entry = options.entry === "bin" ? join(ROOT, "packages/cli/bin/sre.js") : options.entry
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: options.configHome,
        XDG_CONFIG_HOME: options.configHome,
        NO_COLOR: "1",
        ...(options.entry === "bin" ? { SRE_CLI_FROM_SOURCE: "1" } : {}),
        ...options.env
      },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? "")
  })

/** Parses CLI or API output with a contract schema (no casts in tests either). */
export const decodeJson = <A, I>(schema: Schema.Schema<A, I>, text: string): A =>
  Schema.decodeUnknownSync(Schema.parseJson(schema))(text)

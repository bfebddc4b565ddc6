/* eslint-disable security/detect-non-literal-fs-filename -- test tooling: every path is a temporary directory or a
   server binary this module found itself */
/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temporary directory, listening only on
 * 127.0.0.1 on a free port, trust authentication, durability switched off (`fsync`, `synchronous_commit`,
 * `full_page_writes`) for speed. Uses the server binaries of the machine (Debian's `postgresql` package:
 * `/usr/lib/postgresql/<version>/bin`, installed by `scripts/postgres/install.sh`); when they are missing,
 * `startPostgres` returns `{ skipped: reason }` so that a suite can skip itself with a printed reason.
 *
 * PostgreSQL refuses to run as root: when the current process is root, `initdb` and `pg_ctl` run as the `postgres`
 * system user (`runuser -u postgres --`) and the directory is handed to that user.
 *
 * A cluster never outlives the process that started it: besides `stop()`, a watchdog (a detached `sh` polling the
 * process id) stops it and deletes its directory once that process is gone, however it ended (vitest may kill its
 * workers, and skips `afterAll` when every test of a file is filtered out).
 *
 * ```ts
 * const availability = postgresAvailability() // synchronous: usable in describe.skipIf
 * const pg = await startPostgres()
 * if ("skipped" in pg) console.log(`postgres tests skipped: ${pg.skipped}`)
 * else {
 *   const url = await createDatabase(pg, "repository_test") // postgres://postgres@127.0.0.1:<port>/repository_test
 *   // ...
 *   await pg.stop()
 * }
 * ```
 *
 * @module
 */
import { execFile, execFileSync, spawn } from "node:child_process"
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A running throwaway cluster. */
export interface PostgresHandle {
  /** URL of the cluster's `postgres` database as the `postgres` superuser (no password: trust on loopback). */
  readonly url: string
  /** Always `127.0.0.1`. */
  readonly host: string
  /** The TCP port the cluster listens on. */
  readonly port: number
  /** The server's major version (the Debian version directory), e.g. `"15"`. */
  readonly version: string
  /** The temporary directory holding the cluster (data directory, log file, socket). */
  readonly dir: string
  /** The directory of the server binaries used (`createDatabase` takes `createdb` from it). */
  readonly binDir: string
  /** Stops the cluster (`pg_ctl stop -m immediate`) and deletes its directory. Safe to call twice. */
  readonly stop: () => Promise<void>
}

/** `startPostgres` could not start a cluster; `skipped` says why (binaries missing, no `postgres` user, ...). */
export interface PostgresSkipped {
  readonly skipped: string
}

/** Options of `startPostgres`. */
export interface StartPostgresOptions {
  /** Directory of `initdb` and `pg_ctl`; default: the newest `/usr/lib/postgresql/<version>/bin`, else `PATH`. */
  readonly binDir?: string | undefined
  /** Extra server settings (`-c name=value`), e.g. `{ max_connections: "200" }`. */
  readonly settings?: Readonly<Record<string, string>> | undefined
}

const DEBIAN_ROOT = "/usr/lib/postgresql"

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The directory of the server binaries and its major version, or undefined when there are none. */
export const findPostgresBinaries = (
  binDir?: string
): { readonly binDir: string; readonly version: string } | undefined => {
  const hasTools = (dir: string) => isExecutable(join(dir, "initdb")) && isExecutable(join(dir, "pg_ctl"))
  if (binDir !== undefined) return hasTools(binDir) ? { binDir, version: versionOf(binDir) } : undefined
  let versions: Array<string> = []
  try {
    versions = readdirSync(DEBIAN_ROOT).filter((v) => /^[0-9.]+$/.test(v))
  } catch {
    versions = []
  }
  versions.sort((a, b) => Number(b) - Number(a))
  for (const version of versions) {
    const dir = join(DEBIAN_ROOT, version, "bin")
    if (hasTools(dir)) return { binDir: dir, version }
  }
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir !== "" && hasTools(dir)) return { binDir: dir, version: versionOf(dir) }
  }
  return undefined
}

const versionOf = (binDir: string): string => {
  try {
    const out = execFileSync(join(binDir, "pg_ctl"), ["--version"], { encoding: "utf8" })
    return /(\d+)/.exec(out)?.[1] ?? "unknown"
  } catch {
    return "unknown"
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

interface RunResult {
  readonly code: number
  readonly output: string
}

const run = (file: string, args: ReadonlyArray<string>, cwd: string): Promise<RunResult> =>
  new Promise((resolve) => {
    execFile(file, [...args], { cwd, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resolve({ code, output: `${stdout}${stderr}`.trim() })
    })
  })

/** Runs a server binary, as the `postgres` user when this process is root. */
const runServerTool = (asPostgres: boolean, file: string, args: ReadonlyArray<string>, cwd: string) =>
  asPostgres ? run("runuser", ["-u", "postgres", "--", file, ...args], cwd) : run(file, args, cwd)

const postgresUser = (): { readonly uid: number; readonly gid: number } | undefined => {
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"))
    const [, , uid, gid] = line?.split(":") ?? []
    return uid !== undefined && gid !== undefined ? { uid: Number(uid), gid: Number(gid) } : undefined
  } catch {
    return undefined
  }
}

const tail = (text: string, lines = 15): string => text.split("\n").slice(-lines).join("\n")

/**
 * Whether `startPostgres` can run here, decided without starting anything (for `describe.skipIf` at collection
 * time): `{ skipped: reason }` when the binaries, or (as root) the `postgres` user, are missing.
 */
export const postgresAvailability = (
  options: Pick<StartPostgresOptions, "binDir"> = {}
): { readonly available: true } | PostgresSkipped => {
  if (findPostgresBinaries(options.binDir) === undefined) {
    return {
      skipped: `PostgreSQL server binaries not found (${DEBIAN_ROOT}/<version>/bin/initdb); run scripts/postgres/install.sh`
    }
  }
  if (process.getuid?.() === 0 && postgresUser() === undefined) {
    return { skipped: "running as root and there is no 'postgres' system user to run the server as" }
  }
  return { available: true }
}

/** Stops the cluster and removes its directory once process `pid` has exited (see the module comment). */
const startWatchdog = (pid: number, asPostgres: boolean, pgCtl: string, dataDir: string, dir: string) => {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'if [ "$2" = yes ]; then runuser -u postgres -- "$3" -D "$4" -m immediate -w stop; else "$3" -D "$4" -m immediate -w stop; fi',
    'rm -rf "$5"'
  ].join("\n")
  const child = spawn(
    "sh",
    ["-c", script, "sre-pg-watchdog", String(pid), asPostgres ? "yes" : "no", pgCtl, dataDir, dir],
    {
      detached: true,
      stdio: "ignore",
      cwd: dir
    }
  )
  child.unref()
  return child
}

/**
 * Starts a throwaway cluster (about a second with `--no-sync`). Resolves with `{ skipped }` when the binaries (or,
 * as root, the `postgres` user) are missing; rejects when they exist but the cluster does not start.
 */
export const startPostgres = async (options: StartPostgresOptions = {}): Promise<PostgresHandle | PostgresSkipped> => {
  const availability = postgresAvailability(options)
  const found = findPostgresBinaries(options.binDir)
  if ("skipped" in availability || found === undefined) {
    return "skipped" in availability ? availability : { skipped: "PostgreSQL server binaries not found" }
  }
  const asPostgres = process.getuid?.() === 0
  const owner = asPostgres ? postgresUser() : undefined
  const dir = mkdtempSync(join(tmpdir(), "sre-pg-"))
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid)
  const dataDir = join(dir, "data")
  const logFile = join(dir, "server.log")
  const initdb = join(found.binDir, "initdb")
  const pgCtl = join(found.binDir, "pg_ctl")
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true })

  const init = await runServerTool(
    asPostgres,
    initdb,
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"],
    dir
  )
  if (init.code !== 0) {
    cleanupDir()
    throw new Error(`initdb failed (exit ${init.code}):\n${tail(init.output)}`)
  }

  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dir,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    shared_buffers: "32MB",
    max_connections: "100",
    ...options.settings
  }
  let lastError = ""
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort()
    // pg_ctl hands -o to a shell: every value here is a number, a fixed word or the mkdtemp path (no spaces)
    const serverOptions = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(" ")
    const start = await runServerTool(
      asPostgres,
      pgCtl,
      ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", serverOptions, "start"],
      dir
    )
    if (start.code === 0) {
      const watchdog = startWatchdog(process.pid, asPostgres, pgCtl, dataDir, dir)
      let stopped = false
      const stopSync = () => {
        if (stopped) return
        stopped = true
        watchdog.kill()
        try {
          const args = ["-D", dataDir, "-m", "immediate", "-w", "stop"]
          if (asPostgres)
            execFileSync("runuser", ["-u", "postgres", "--", pgCtl, ...args], { cwd: dir, stdio: "ignore" })
          else execFileSync(pgCtl, args, { cwd: dir, stdio: "ignore" })
        } catch {
          // already stopped
        }
        cleanupDir()
      }
      // a test process that exits without calling stop() does not leave a server behind
      process.once("exit", stopSync)
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        host: "127.0.0.1",
        port,
        version: found.version,
        dir,
        binDir: found.binDir,
        stop: async () => {
          if (stopped) return
          stopped = true
          watchdog.kill()
          process.removeListener("exit", stopSync)
          await runServerTool(asPostgres, pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"], dir)
          cleanupDir()
        }
      }
    }
    lastError = `${start.output}\n${readLog(logFile)}`
    // the port may have been taken between freePort() and the server's bind: try another one
  }
  cleanupDir()
  throw new Error(`pg_ctl start failed:\n${tail(lastError)}`)
}

const readLog = (file: string): string => {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return ""
  }
}

/**
 * Creates an empty database in the cluster and returns its URL. Names are lower-case letters, digits and `_`
 * (at most 63, starting with a letter or `_`).
 */
export const createDatabase = async (handle: PostgresHandle, name: string): Promise<string> => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name: ${name}`)
  const result = await run(
    join(handle.binDir, "createdb"),
    ["-h", handle.host, "-p", String(handle.port), "-U", "postgres", "-w", name],
    handle.dir
  )
  if (result.code !== 0) throw new Error(`createdb ${name} failed (exit ${result.code}): ${tail(result.output, 5)}`)
  return `postgres://postgres@${handle.host}:${handle.port}/${name}`
}

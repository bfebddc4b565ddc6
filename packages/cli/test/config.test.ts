/**
 * `sre config` (file location, modes, masking, validation) and the precedence of settings:
 * flag > environment > config file > default.
 */
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startStub, type TestServer } from "./support/server.js"
import { buildBundle, runSre, tempConfigHome } from "./support/run.js"

let entry: string
beforeAll(() => {
  entry = buildBundle()
})

describe("sre config", () => {
  const configHome = tempConfigHome()
  const sre = (args: ReadonlyArray<string>) => runSre(args, { entry, configHome })
  const file = join(configHome, "sre-orchestrator", "config.json")

  it("set / get / list / unset, with the key masked and the file private", async () => {
    expect((await sre(["config", "set", "server", "http://sre.example.com:8080/"])).code).toBe(0)
    const setKey = await sre(["config", "set", "api-key", "sk-test-0123456789abcd"])
    expect(setKey.stdout).toBe(`api-key = ********abcd (saved to ${file})\n`)
    expect((await sre(["config", "set", "output", "json"])).code).toBe(0)

    expect((await sre(["config", "get", "server"])).stdout).toBe("http://sre.example.com:8080\n")
    expect((await sre(["config", "get", "api-key"])).stdout).toBe("********abcd\n")
    const list = await sre(["config", "list"])
    expect(list.stdout).toBe(`# ${file}\nserver = http://sre.example.com:8080\napi-key = ********abcd\noutput = json\n`)
    expect(list.stdout).not.toContain("0123456789")

    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a temp file of this test
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      server: "http://sre.example.com:8080",
      "api-key": "sk-test-0123456789abcd",
      output: "json"
    })
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a temp file of this test
    expect(statSync(file).mode & 0o777).toBe(0o600)
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a temp dir of this test
    expect(statSync(join(configHome, "sre-orchestrator")).mode & 0o777).toBe(0o700)

    expect((await sre(["config", "unset", "api-key"])).stdout).toBe("api-key unset\n")
    const get = await sre(["config", "get", "api-key"])
    expect(get.code).toBe(1)
    expect(get.stderr).toBe(`sre: api-key is not set in ${file}\n`)
  })

  it("rejects bad values and unknown keys", async () => {
    const badUrl = await sre(["config", "set", "server", "ftp://x"])
    expect(badUrl.code).toBe(1)
    expect(badUrl.stderr).toBe('sre: invalid value for server: "ftp://x" must start with http:// or https://\n')
    const badOutput = await sre(["config", "set", "output", "yaml"])
    expect(badOutput.stderr).toBe('sre: invalid value for output: output must be "text" or "json"\n')
    expect((await sre(["config", "set", "colour", "x"])).code).toBe(1)
  })
})

describe("settings precedence", () => {
  const seen: Array<{ server: string; auth: string | undefined }> = []
  const stubs: Array<TestServer> = []
  const health = JSON.stringify({
    status: "ok",
    version: "1.0.0",
    uptime_seconds: 1,
    investigations: { running: 0, queued: 0, max_concurrent: 1 },
    dependencies: []
  })
  const stub = async (name: string) => {
    const s = await startStub((req, res) => {
      seen.push({ server: name, auth: req.headers.authorization })
      res.writeHead(200, { "content-type": "application/json" })
      res.end(health)
    })
    stubs.push(s)
    return s.url
  }
  let fileUrl = ""
  let envUrl = ""
  let flagUrl = ""
  const configHome = tempConfigHome()
  const sre = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
    runSre(args, { entry, configHome, env })

  beforeAll(async () => {
    fileUrl = await stub("file")
    envUrl = await stub("env")
    flagUrl = await stub("flag")
    await sre(["config", "set", "server", fileUrl])
    await sre(["config", "set", "api-key", "file-key"])
  })
  afterAll(() => Promise.all(stubs.map((s) => s.close())))

  it("config file applies when nothing else is set", async () => {
    expect((await sre(["health"])).code).toBe(0)
    expect(seen.at(-1)).toEqual({ server: "file", auth: "Bearer file-key" })
  })

  it("environment beats the config file", async () => {
    expect((await sre(["health"], { SRE_SERVER_URL: envUrl, SRE_API_KEY: "env-key" })).code).toBe(0)
    expect(seen.at(-1)).toEqual({ server: "env", auth: "Bearer env-key" })
  })

  it("flags beat the environment, before or after the subcommand", async () => {
    const env = { SRE_SERVER_URL: envUrl, SRE_API_KEY: "env-key" }
    expect((await sre(["health", "--server", flagUrl, "--api-key", "flag-key"], env)).code).toBe(0)
    expect(seen.at(-1)).toEqual({ server: "flag", auth: "Bearer flag-key" })
    expect((await sre(["--server", flagUrl, "health"], env)).code).toBe(0)
    expect(seen.at(-1)).toEqual({ server: "flag", auth: "Bearer env-key" })
  })

  it("the default server is http://127.0.0.1:8080", async () => {
    const empty = tempConfigHome()
    const r = await runSre(["health"], { entry, configHome: empty })
    // whether or not something listens there, the message or the summary names the default
    expect(r.stdout + r.stderr).toContain("http://127.0.0.1:8080")
  })
})

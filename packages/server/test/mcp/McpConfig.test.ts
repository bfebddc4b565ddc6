/**
 * Parsing of mcp_config.yaml: substitution, defaults, command resolution, and errors that name file, line and field.
 */
/* eslint-disable security/detect-non-literal-fs-filename -- temporary files and /proc paths chosen by the test */
import { mkdtempSync, writeFileSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Layer } from "effect"
import {
  DEFAULT_TOOL_OUTPUT_BUDGET,
  loadMcpConfig,
  loadMcpConfigFromEnv,
  parseDuration,
  parseMcpConfig,
  substituteEnv,
  type McpConfig
} from "../../src/mcp/McpConfig.js"

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url))
const parse = (text: string, env: Record<string, string | undefined> = {}) =>
  parseMcpConfig(text, { file: "mcp_config.yaml", env })
const ok = (text: string, env: Record<string, string | undefined> = {}): McpConfig =>
  Either.getOrThrowWith(parse(text, env), (e) => new Error(e.message))
const err = (text: string, env: Record<string, string | undefined> = {}): string =>
  Either.match(parse(text, env), { onLeft: (e) => e.message, onRight: () => "no error" })

describe("substituteEnv", () => {
  it("substitutes ${VAR} and ${VAR:-default}", () => {
    const env = { A: "1", EMPTY: "" }
    expect(substituteEnv("x${A}y", env)).toEqual(Either.right("x1y"))
    expect(substituteEnv("${B:-two}", env)).toEqual(Either.right("two"))
    expect(substituteEnv("${EMPTY:-fallback}", env)).toEqual(Either.right("fallback"))
    expect(substituteEnv("${EMPTY}", env)).toEqual(Either.right(""))
    expect(substituteEnv("${A:-x} and ${B}", env)).toEqual(Either.left("B"))
    expect(substituteEnv("no vars $HOME", env)).toEqual(Either.right("no vars $HOME"))
  })
})

describe("parseDuration", () => {
  it("reads common forms", () => {
    expect(parseDuration("30s").pipe((o) => o._tag === "Some" && Duration.toMillis(o.value))).toBe(30_000)
    expect(parseDuration("500ms").pipe((o) => o._tag === "Some" && Duration.toMillis(o.value))).toBe(500)
    expect(parseDuration("2m").pipe((o) => o._tag === "Some" && Duration.toMillis(o.value))).toBe(120_000)
    expect(parseDuration(5).pipe((o) => o._tag === "Some" && Duration.toMillis(o.value))).toBe(5_000)
    expect(parseDuration("soon")._tag).toBe("None")
    expect(parseDuration("0s")._tag).toBe("None")
  })
})

describe("parseMcpConfig", () => {
  it("parses the shipped mcp_config.yaml without KUBECONFIG (default ~/.kube/config)", () => {
    const text = `${repoRoot}mcp_config.yaml`
    const result = Effect.runSync(Effect.either(loadMcpConfig(text, { env: { PATH: "/usr/bin" } })))
    const config = Either.getOrThrowWith(result, (e) => new Error(e.message))
    expect(config.toolOutputBudget).toBe(20_000)
    expect(config.servers).toHaveLength(1)
    const k8s = config.servers[0]
    expect(k8s?.transport).toBe("stdio")
    if (k8s?.transport !== "stdio") return
    expect(k8s.command).toBe(join(repoRoot, "node_modules", ".bin", "kubernetes-mcp-server"))
    expect(k8s.args).toContain("--read-only")
    expect(k8s.args.at(-1)).toBe(join(homedir(), ".kube", "config"))
    expect(k8s.env["PATH"]?.split(":")[0]).toBe(join(repoRoot, "node_modules", ".bin"))
    expect(Duration.toMillis(k8s.timeout)).toBe(30_000)
    expect(k8s.deny).toContain("configuration_view")
  })

  it("substitutes variables and applies defaults", () => {
    const config = ok(
      `servers:
  prom:
    transport: streamable_http
    url: \${PROM_URL:-http://127.0.0.1:9/mcp}
    headers: { Authorization: "Bearer \${TOKEN}" }
    timeout: \${PROM_TIMEOUT:-5s}
  local:
    transport: stdio
    command: ./bin/server
    args: ["--kubeconfig", "\${KUBECONFIG}"]
    env: { FOO: "\${BAR}" }
    cwd: sub
`,
      { TOKEN: "t0ps3cret", KUBECONFIG: "/k/config", BAR: "baz", PATH: "/usr/bin" }
    )
    expect(config.toolOutputBudget).toBe(DEFAULT_TOOL_OUTPUT_BUDGET)
    const [prom, local] = config.servers
    expect(prom).toMatchObject({
      name: "prom",
      transport: "streamable_http",
      url: "http://127.0.0.1:9/mcp",
      headers: { Authorization: "Bearer t0ps3cret" },
      allow: [],
      deny: [],
      enabled: true
    })
    expect(prom !== undefined && Duration.toMillis(prom.timeout)).toBe(5_000)
    expect(local).toMatchObject({ transport: "stdio", args: ["--kubeconfig", "/k/config"], env: { FOO: "baz" } })
    if (local?.transport === "stdio") {
      expect(local.command).toBe(join(process.cwd(), "bin", "server"))
      expect(local.cwd).toBe(join(process.cwd(), "sub"))
      expect(Duration.toMillis(local.timeout)).toBe(30_000)
    }
  })

  it("an unset variable without default names the server and the field", () => {
    expect(
      err(`servers:
  prom:
    transport: streamable_http
    url: http://127.0.0.1:9/mcp
    headers:
      Authorization: "Bearer \${PROM_MCP_TOKEN}"
`)
    ).toBe(
      "mcp_config.yaml:6: servers.prom.headers.Authorization: environment variable PROM_MCP_TOKEN is not set (set it, or write ${PROM_MCP_TOKEN:-default})"
    )
  })

  it("does not substitute in disabled servers", () => {
    const config = ok(`servers:
  later:
    transport: streamable_http
    url: http://127.0.0.1:9/mcp
    headers: { Authorization: "Bearer \${NOT_SET}" }
    enabled: false
`)
    expect(config.servers[0]?.enabled).toBe(false)
  })

  it("names the file, line and field of a bad value", () => {
    expect(
      err(`servers:
  kubernetes:
    transport: grpc
    command: x
`)
    ).toBe('mcp_config.yaml:3: servers.kubernetes.transport: expected "stdio" | "streamable_http", got "grpc"')
    expect(
      err(`tool_output_budget: -5
servers:
  k:
    transport: stdio
    command: x
    timeout: soon
    args: [1]
    enabled: maybe
    colour: blue
`).split("\n")
    ).toEqual([
      'mcp_config.yaml:9: servers.k.colour: is not a known field; expected one of: "transport" | "command" | "args" | "env" | "cwd" | "url" | "headers" | "allow" | "deny" | "timeout" | "enabled"',
      "mcp_config.yaml:7: servers.k.args[0]: expected a string, got 1",
      'mcp_config.yaml:6: servers.k.timeout: expected a positive duration such as 30s, 500ms or 2m, got "soon"',
      'mcp_config.yaml:8: servers.k.enabled: expected true or false, got "maybe"',
      "mcp_config.yaml:1: tool_output_budget: expected a positive integer (characters), got -5"
    ])
  })

  it("checks transport-specific fields", () => {
    expect(err("servers:\n  a:\n    transport: stdio\n")).toBe(
      "mcp_config.yaml:2: servers.a.command: is required for transport stdio"
    )
    expect(err("servers:\n  a:\n    transport: streamable_http\n    command: x\n")).toBe(
      "mcp_config.yaml:4: servers.a.command: only for stdio\nmcp_config.yaml:2: servers.a.url: is required for transport streamable_http"
    )
    expect(err("servers:\n  a:\n    transport: streamable_http\n    url: ftp://x\n")).toBe(
      'mcp_config.yaml:4: servers.a.url: expected an http(s) URL, got "ftp://x"'
    )
    expect(err("servers: [a]\n")).toBe("mcp_config.yaml:1: servers: expected a map of server name to server settings")
    expect(err("servers:\n  a: {\n")).toMatch(/^mcp_config\.yaml:\d+: invalid YAML: /)
  })

  it("accepts an empty file and an empty servers map", () => {
    expect(ok("").servers).toEqual([])
    expect(ok("servers:\n").servers).toEqual([])
  })
})

describe("loadMcpConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "mcp-config-"))

  it.effect("a missing default file means no servers; a missing explicit file is an error", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.either(loadMcpConfig(join(dir, "nope.yaml")))
      expect(Either.isLeft(missing) && missing.left.message).toBe(
        `${join(dir, "nope.yaml")}: file not found (MCP_CONFIG_PATH)`
      )

      const cwd = process.cwd()
      process.chdir(dir)
      try {
        const config = yield* loadMcpConfig(undefined)
        expect(config.servers).toEqual([])
        expect(config.file).toBeUndefined()
      } finally {
        process.chdir(cwd)
      }
    })
  )

  it.effect("MCP_CONFIG_PATH selects the file", () =>
    Effect.gen(function* () {
      const file = join(dir, "custom.yaml")
      writeFileSync(file, "servers:\n  a:\n    transport: streamable_http\n    url: http://127.0.0.1:1/mcp\n")
      const config = yield* loadMcpConfigFromEnv.pipe(
        Effect.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MCP_CONFIG_PATH", file]]))))
      )
      expect(config.file).toBe(file)
      expect(config.servers.map((s) => s.name)).toEqual(["a"])
    })
  )
})

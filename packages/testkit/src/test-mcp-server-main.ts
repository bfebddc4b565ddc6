/**
 * CLI entry of the test MCP server.
 *
 * `node --import tsx packages/testkit/src/test-mcp-server-main.ts --transport stdio|http [--port N]`
 *
 * - stdio: speaks MCP on stdin/stdout (nothing else is written to stdout); exits when stdin closes.
 * - http: serves streamable HTTP on 127.0.0.1 and prints `listening <url>` (the `/mcp` endpoint) on stdout.
 *
 * Environment: `TEST_MCP_FIXTURE=<json file>` overrides tool outputs (`{ "<tool>": "<text>" | { "error": "…" } }`);
 * `TEST_MCP_CALL_LOG=<file>` appends every tool call as a JSON line (see `testMcpOptionsFromEnv`).
 *
 * @module
 */
import { parseArgs } from "node:util"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import { createTestMcpServer, startTestMcpHttpServer, testMcpOptionsFromEnv } from "./test-mcp-server.js"

const { values } = parseArgs({
  options: { transport: { type: "string", default: "stdio" }, port: { type: "string", default: "0" } }
})
const options = testMcpOptionsFromEnv(process.env)

if (values.transport === "stdio") {
  const server = createTestMcpServer(options)
  await server.connect(new StdioServerTransport())
  process.stdin.on("end", () => {
    void server.close().finally(() => process.exit(0))
  })
} else if (values.transport === "http") {
  const port = Number(values.port)
  const server = await startTestMcpHttpServer({ ...options, port: Number.isInteger(port) && port >= 0 ? port : 0 })
  process.stdout.write(`listening ${server.url}\n`)
  const stop = (): void => {
    void server.close().finally(() => process.exit(0))
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
} else {
  process.stderr.write(`unknown --transport ${String(values.transport)} (expected stdio or http)\n`)
  process.exit(2)
}

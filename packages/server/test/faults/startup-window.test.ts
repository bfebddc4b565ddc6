/**
 * Found by the fault tests (and fixed): the HTTP server used to listen before the rest of the application was built,
 * so a request accepted in that window (e.g. a Kubernetes probe while the MCP servers connect) was never answered.
 * `appLayerOn` (packages/server/src/app.ts) now starts the listener only after the core services are built.
 */
import { describe, expect, it } from "vitest"
import type { ChildProcess } from "node:child_process"
import { connect } from "node:net"
import { afterAll } from "vitest"
import { join } from "node:path"
import { freePort, sleep, startServerProcess, stopProcess, tempDir, writeTestMcpConfig } from "./support.js"

const children: Array<ChildProcess> = []
afterAll(async () => {
  await Promise.all(children.map((c) => stopProcess(c, 2_000)))
})

/** Sends `GET /health` on a socket as soon as the port accepts; resolves with the status line, or "timeout". */
const firstRequest = async (port: number, timeoutMs: number): Promise<string> => {
  for (let i = 0; i < 300; i++) {
    const result = await new Promise<string | undefined>((resolve) => {
      const socket = connect(port, "127.0.0.1")
      const timer = setTimeout(() => {
        socket.destroy()
        resolve("timeout")
      }, timeoutMs)
      socket.once("error", () => {
        clearTimeout(timer)
        resolve(undefined) // not listening yet
      })
      socket.once("connect", () => socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
      socket.setEncoding("utf8")
      socket.once("data", (chunk: string) => {
        clearTimeout(timer)
        socket.destroy()
        resolve(chunk.split("\r\n")[0] ?? "")
      })
    })
    if (result !== undefined) return result
    await sleep(20)
  }
  return "never listened"
}

describe("start-up window", () => {
  it("a request accepted while the server starts is answered (not left hanging)", async () => {
    const dir = tempDir("sre-fault-start-")
    const port = await freePort()
    const server = startServerProcess({
      PORT: String(port),
      SRE_DB_PATH: join(dir, "db.sqlite"),
      // a stdio MCP server that takes ~2 s to connect widens the window
      MCP_CONFIG_PATH: writeTestMcpConfig(dir)
    })
    children.push(server)
    const status = await firstRequest(port, 3_000)
    console.log(`[fault:startup-window] first request during start-up: ${status}`)
    await stopProcess(server)
    expect(status).toMatch(/^HTTP\/1\.1 (200|503)/)
  }, 30_000)
})

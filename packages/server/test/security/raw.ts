/**
 * Raw HTTP helpers for the security tests: requests with arbitrary bytes, headers and paths (which `fetch`
 * refuses to send), over `node:http` or a bare TCP socket.
 */
import { Effect } from "effect"
import { request as httpRequest } from "node:http"
import { connect } from "node:net"

/** What came back. */
export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly text: string
}

/** One request. */
export interface RawRequest {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: Buffer | string
}

/** Sends a request with `node:http` (no normalisation of path, headers or body beyond what HTTP/1.1 needs). */
export const sendRaw = (base: string, req: RawRequest): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const url = new URL(base)
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method ?? "GET",
        path: req.path,
        headers: req.headers ?? {},
        agent: false
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") })
        )
        res.on("error", reject)
      }
    )
    r.on("error", reject)
    r.setTimeout(10_000, () => r.destroy(new Error(`timeout: ${req.method ?? "GET"} ${req.path.slice(0, 80)}`)))
    r.end(req.body)
  })

/** `sendRaw` as an Effect. */
export const sendRawEffect = (base: string, req: RawRequest) => Effect.promise(() => sendRaw(base, req))

/**
 * Writes raw bytes on a TCP connection and returns the status line's code of the first response (0 when the
 * server closed without answering), after at most `waitMs`.
 */
export const sendBytes = (base: string, bytes: Buffer, waitMs = 1500): Promise<{ status: number; text: string }> =>
  new Promise((resolve) => {
    const url = new URL(base)
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Array<Buffer> = []
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString("utf8")
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
      resolve({ status: match?.[1] === undefined ? 0 : Number(match[1]), text })
    }
    const timer = setTimeout(finish, waitMs)
    socket.on("data", (c: Buffer) => {
      chunks.push(c)
      // one complete response (headers + a JSON body or none) is enough
      const text = Buffer.concat(chunks).toString("utf8")
      const end = text.indexOf("\r\n\r\n")
      if (end !== -1) {
        const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))
        if (length === null || Buffer.byteLength(text.slice(end + 4)) >= Number(length[1])) finish()
      }
    })
    socket.on("error", finish)
    socket.on("close", finish)
    socket.write(bytes)
  })

/** Whether a response is a well-formed contract error: JSON `{ code, message }` with `code` equal to the status. */
export const isContractErrorBody = (res: { status: number; text: string }): boolean => {
  try {
    const body: unknown = JSON.parse(res.text)
    return (
      typeof body === "object" &&
      body !== null &&
      "code" in body &&
      body.code === res.status &&
      "message" in body &&
      typeof body.message === "string" &&
      body.message.length > 0
    )
  } catch {
    return false
  }
}

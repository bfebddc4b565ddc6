/**
 * The HTTP transport: a `node:http` server on loopback that feeds requests to the pure `handle` function.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Data, Effect, type Scope } from "effect"
import { handle, type RequestContext } from "./api.js"
import type { Cluster } from "./cluster.js"
import { statusError, type ApiRequest, type ApiResult } from "./http.js"

/** The HTTP server could not start (port in use, bad host...). */
export class ServerError extends Data.TaggedError("ServerError")<{ readonly message: string }> {}

/** Options of the HTTP server. */
export interface ServeOptions {
  /** Defaults to 127.0.0.1. */
  readonly host?: string
  /** Defaults to 0 (a random free port). */
  readonly port?: number
  /** Longest a watch stays open (ms); defaults to 30 s. */
  readonly maxWatchMs?: number
  /** Called once per request (method, path and status), e.g. for request logging in tests. */
  readonly onRequest?: (method: string, url: string, status: number) => void
}

/** A running server. */
export interface RunningServer {
  readonly host: string
  readonly port: number
  readonly url: string
}

const MAX_BODY = 1024 * 1024

const readBody = (req: IncomingMessage): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const send = (res: ServerResponse, result: ApiResult, method: string, watches: Set<ServerResponse>): number => {
  if (result._tag === "Response") {
    const body = Buffer.from(result.body)
    res.writeHead(result.status, {
      ...result.headers,
      "content-length": String(body.length),
      "cache-control": "no-cache, private"
    })
    res.end(method === "HEAD" ? undefined : body)
    return result.status
  }
  res.writeHead(200, {
    "content-type": "application/json",
    "transfer-encoding": "chunked",
    "cache-control": "no-cache, private"
  })
  for (const event of result.events) res.write(`${JSON.stringify(event)}\n`)
  watches.add(res)
  const timer = setTimeout(() => res.end(), result.timeoutMs)
  res.on("close", () => {
    clearTimeout(timer)
    watches.delete(res)
  })
  return 200
}

const toApiRequest = (req: IncomingMessage, body: Uint8Array): ApiRequest => {
  const url = new URL(req.url ?? "/", "http://sandbox.local")
  const headers: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v
  return { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers, body }
}

/**
 * Serves `cluster` over HTTP until the scope closes (open watches and keep-alive connections are closed then).
 */
export const serveCluster = (
  cluster: Cluster,
  options: ServeOptions = {}
): Effect.Effect<RunningServer, ServerError, Scope.Scope> => {
  const host = options.host ?? "127.0.0.1"
  const watches = new Set<ServerResponse>()
  let address = `${host}:${options.port ?? 0}`
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    readBody(req)
      .then((body) => {
        const ctx: RequestContext = {
          now: Date.now(),
          serverAddress: address,
          maxWatchMs: options.maxWatchMs ?? 30_000
        }
        const apiReq = toApiRequest(req, body)
        let result: ApiResult
        try {
          result = handle(cluster, apiReq, ctx)
        } catch (cause) {
          // A defect in the sandbox: answer like the API server does, without a stack trace.
          void cause
          result = statusError(500, "InternalError", "Internal error occurred: the sandbox failed to serve the request")
        }
        const status = send(res, result, apiReq.method.toUpperCase(), watches)
        options.onRequest?.(apiReq.method, req.url ?? "/", status)
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(400)
        res.end()
      })
  }
  const acquire = Effect.async<Server, ServerError>((resume) => {
    const server = createServer(listener)
    const onError = (error: Error): void => {
      resume(
        Effect.fail(new ServerError({ message: `cannot listen on ${host}:${options.port ?? 0}: ${error.message}` }))
      )
    }
    server.once("error", onError)
    server.listen(options.port ?? 0, host, () => {
      server.off("error", onError)
      resume(Effect.succeed(server))
    })
  })
  const release = (server: Server): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      for (const w of watches) w.end()
      server.close(() => resume(Effect.void))
      server.closeAllConnections()
    })
  return Effect.acquireRelease(acquire, release).pipe(
    Effect.map((server) => {
      const info = server.address()
      const port = typeof info === "object" && info !== null ? info.port : (options.port ?? 0)
      address = `${host}:${port}`
      return { host, port, url: `http://${host}:${port}` }
    })
  )
}

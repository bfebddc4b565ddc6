/* eslint-disable security/detect-non-literal-fs-filename, security/detect-object-injection -- benchmark tooling: every path and key is chosen by the script itself */
/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, inclusive time per function
 * (each function counted once per sample), and self time per category (where in the stack the time goes).
 */
import { readFileSync } from "node:fs"

const shortUrl = (url) => {
  if (url === "") return ""
  // fetch's client is Node's bundled undici, or the npm one when a dependency installed it as the global dispatcher
  if (url.includes("node_modules/undici/") || url.startsWith("node:internal/deps/undici/")) return "undici (fetch)"
  const nm = url.lastIndexOf("node_modules/")
  if (nm >= 0) return url.slice(nm + "node_modules/".length)
  const pk = url.indexOf("/packages/")
  if (pk >= 0) return url.slice(pk + 1)
  return url.replace(/^file:\/\//, "")
}

/** Where a frame belongs. Order matters: the first match wins. */
export const categoryOf = (functionName, url) => {
  if (functionName === "(garbage collector)") return "GC"
  if (functionName === "(idle)") return "idle"
  if (functionName === "(program)") return "V8/native (program)"
  if (url.includes("observability/logging") || url.includes("observability/redact"))
    return "our logger (JSON line, redaction)"
  if (url.includes("/packages/server/src/http/") || url.includes("/packages/server/src/store/"))
    return "our middleware / handlers / store"
  if (url.includes("/packages/")) return "our other code"
  if (
    url.includes("better-sqlite3") ||
    (url.includes("sql-sqlite-node/dist/esm/SqliteClient.js") && functionName === "")
  )
    return "SQLite execution (better-sqlite3 native calls)"
  if (url.includes("@effect/sql")) return "@effect/sql (statement building)"
  if (
    /platform\/dist\/esm\/internal\/httpMiddleware\.js|effect\/dist\/esm\/internal\/tracer\.js|node:internal\/url/.test(
      url
    )
  )
    return "tracing (spans, their stack capture, platform tracer middleware, URL parsing)"
  if (url.includes("@effect/platform-node") || url.includes("@effect/platform/"))
    return "@effect/platform (HttpApi, router, server)"
  if (/effect\/dist\/\w+\/(Schema|ParseResult|SchemaAST|internal\/schema)/.test(url))
    return "effect Schema (decode/encode)"
  if (/effect\/dist\/\w+\/(internal\/)?(logger|Logger|logSpan|LogSpan|hashMap|HashMap|internal\/hashMap)/.test(url))
    return "effect Logger / HashMap"
  if (url.includes("effect/dist")) return "effect runtime (fibers, context, layers)"
  if (url.includes("find-my-way") || url.includes("path-to-regexp")) return "router"
  if (url.startsWith("node:") || url === "") return "Node core (http, net, streams) / builtins"
  return "other dependencies"
}

/**
 * Where a frame's code lives, coarser than `categoryOf`: the npm package (`effect`, `@langchain/core`, `undici`, ...),
 * `node:<module>` for Node's own code, `ours:<package>/<folder>` for this repository, or the V8 pseudo-frame (GC, ...).
 */
export const packageOf = (functionName, url) => {
  if (functionName === "(garbage collector)") return "GC"
  if (functionName === "(program)") return "V8/native (program)"
  // fetch's client is Node's bundled undici, or the npm one when a dependency installed it as the global dispatcher
  if (url.includes("node_modules/undici/") || url.startsWith("node:internal/deps/undici/")) return "undici (fetch)"
  const nm = url.lastIndexOf("node_modules/")
  if (nm >= 0) {
    const parts = url.slice(nm + "node_modules/".length).split("/")
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  const ours = /\/packages\/([^/]+)\/src\/([^/.]+)/.exec(url)
  if (ours) return `ours: ${ours[1]}/${ours[2]}`
  if (url.includes("/bench/")) return "ours: bench"
  if (url.startsWith("node:")) return `node:${url.replace(/^node:(internal\/)?(deps\/)?/, "").split("/")[0]}`
  return url === "" ? "Node core (native)" : "other"
}

/**
 * `window`: only samples taken between `window.fromEndMs` and `window.toEndMs` milliseconds before the end of the
 * profile (the process exit), i.e. the load phase, not the start-up.
 */
export const summariseProfile = (file, { top = 25, window } = {}) => {
  const profile = JSON.parse(readFileSync(file, "utf8"))
  const nodes = new Map()
  const parent = new Map()
  for (const n of profile.nodes) {
    nodes.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const keyOf = (n) => {
    const { functionName, url, lineNumber } = n.callFrame
    return `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}`
  }
  const self = new Map()
  const inclusive = new Map()
  const categories = new Map()
  const packages = new Map()
  let total = 0
  let idle = 0
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  const times = new Array(samples.length)
  let t = profile.startTime
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0
    times[i] = t
  }
  const end = profile.endTime ?? t
  for (let i = 0; i < samples.length; i++) {
    if (window !== undefined) {
      const beforeEndMs = (end - times[i]) / 1000
      if (beforeEndMs > window.fromEndMs || beforeEndMs < window.toEndMs) continue
    }
    const dt = Math.max(0, (deltas[i + 1] ?? deltas[i] ?? 0) / 1000) // µs → ms, the delta after the sample
    const node = nodes.get(samples[i])
    if (node === undefined) continue
    const { functionName, url } = node.callFrame
    if (functionName === "(idle)") {
      idle += dt
      continue
    }
    total += dt
    const k = keyOf(node)
    const cat = categoryOf(functionName, url)
    const entry = self.get(k) ?? { ms: 0, category: cat }
    entry.ms += dt
    self.set(k, entry)
    categories.set(cat, (categories.get(cat) ?? 0) + dt)
    const pkg = packageOf(functionName, url)
    packages.set(pkg, (packages.get(pkg) ?? 0) + dt)
    const seen = new Set()
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const sk = keyOf(nodes.get(id))
      if (seen.has(sk)) continue
      seen.add(sk)
      inclusive.set(sk, (inclusive.get(sk) ?? 0) + dt)
    }
  }
  const sorted = (m, f = (v) => v) => [...m.entries()].sort((a, b) => f(b[1]) - f(a[1]))
  return {
    busyMs: total,
    idleMs: idle,
    topSelf: sorted(self, (v) => v.ms)
      .slice(0, top)
      .map(([fn, v]) => ({ fn, ms: v.ms, pct: (100 * v.ms) / total, category: v.category })),
    categories: sorted(categories).map(([category, ms]) => ({ category, ms, pct: (100 * ms) / total })),
    packages: sorted(packages).map(([name, ms]) => ({ name, ms, pct: (100 * ms) / total })),
    inclusive: (pattern) =>
      sorted(inclusive)
        .filter(([fn]) => pattern.test(fn))
        .slice(0, 10)
        .map(([fn, ms]) => ({ fn, ms, pct: (100 * ms) / total }))
  }
}

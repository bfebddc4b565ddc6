/**
 * Kubeconfig files pointing at a sandbox.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Data, Effect, type Scope } from "effect"

/** The kubeconfig could not be written. */
export class KubeconfigError extends Data.TaggedError("KubeconfigError")<{ readonly message: string }> {}

/** The name of the context, cluster and user in sandbox kubeconfigs. */
export const CONTEXT_NAME = "sandbox"

/** The kubeconfig text (YAML-compatible JSON) for a sandbox at `server` with default namespace `namespace`. */
export const kubeconfigText = (server: string, namespace: string): string =>
  `${JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: CONTEXT_NAME, cluster: { server } }],
      users: [{ name: CONTEXT_NAME, user: { token: "sandbox-token" } }],
      contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace } }],
      "current-context": CONTEXT_NAME,
      preferences: {}
    },
    null,
    2
  )}\n`

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * Writes a kubeconfig for the sandbox at `server`. Without `path`, the file goes to a fresh temp directory that is
 * removed when the scope closes; a given `path` is left in place.
 */
export const writeKubeconfig = (
  server: string,
  namespace: string,
  path?: string
): Effect.Effect<string, KubeconfigError, Scope.Scope> => {
  const content = kubeconfigText(server, namespace)
  if (path !== undefined)
    return Effect.tryPromise({
      try: async () => {
        await mkdir(dirname(path), { recursive: true })
        await writeFile(path, content, { mode: 0o600 })
        return path
      },
      catch: (cause) => new KubeconfigError({ message: `cannot write kubeconfig ${path}: ${message(cause)}` })
    })
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: () => mkdtemp(join(tmpdir(), "sre-sandbox-")),
      catch: (cause) => new KubeconfigError({ message: `cannot create a temp directory: ${message(cause)}` })
    }),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  ).pipe(
    Effect.flatMap((dir) =>
      Effect.tryPromise({
        try: async () => {
          const file = join(dir, "kubeconfig")
          await writeFile(file, content, { mode: 0o600 })
          return file
        },
        catch: (cause) => new KubeconfigError({ message: `cannot write kubeconfig in ${dir}: ${message(cause)}` })
      })
    )
  )
}

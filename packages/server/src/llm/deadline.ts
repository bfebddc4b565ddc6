/**
 * Calls to the outside (the LLM, MCP tools) — one per agent step — with a deadline and retries that cost nothing
 * while the call succeeds.
 */
import { Effect } from "effect"

/**
 * `run(signal)` with a deadline: `signal` aborts when the fiber is interrupted or after `ms`, and `onError` learns
 * which (`timedOut`). The timer is cleared as soon as the promise settles — an `AbortSignal.timeout` would keep the
 * request's abort listeners (and what they reference) alive for the whole timeout. Cheaper than `Effect.timeoutFail`,
 * which forks the call and a sleep into two fibers and races them.
 */
export const callWithDeadline = <R, E>(
  ms: number,
  run: (signal: AbortSignal) => Promise<R>,
  onError: (error: unknown, timedOut: boolean) => E
): Effect.Effect<R, E> =>
  Effect.suspend(() => {
    let timedOut = false
    return Effect.tryPromise({
      try: (signal) => {
        const controller = new AbortController()
        const timer = setTimeout(() => {
          timedOut = true
          controller.abort()
        }, ms)
        const forward = () => controller.abort(signal.reason)
        signal.addEventListener("abort", forward, { once: true })
        return run(controller.signal).finally(() => {
          clearTimeout(timer)
          signal.removeEventListener("abort", forward)
        })
      },
      catch: (e) => onError(e, timedOut)
    })
  })

/**
 * `self` with a retry policy that is only built when `self` fails: `retry` receives an effect that fails once more
 * with that first error (so the policy's first decision — retryable? delay? budget? — is on it, exactly as with
 * `Effect.retry(self, ...)`) and then runs `self` again. A call that succeeds at once, which is nearly every call,
 * skips the schedule driver (its `Ref`s and clock reads) altogether.
 */
export const retryAfterFailure = <A, E, R, R2>(
  self: Effect.Effect<A, E, R>,
  retry: (replayed: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | R2>
): Effect.Effect<A, E, R | R2> =>
  Effect.catchAll(self, (first) => {
    let replay = true
    return retry(
      Effect.suspend(() => {
        if (!replay) return self
        replay = false
        return Effect.fail(first)
      })
    )
  })

import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Schedule } from "effect"
import { callWithDeadline, retryAfterFailure } from "../../src/llm/deadline.js"

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A call that never answers by itself; resolves with "aborted" when its signal aborts. */
const hanging = (seen: Array<AbortSignal>) => (signal: AbortSignal) =>
  new Promise<string>((_resolve, reject) => {
    seen.push(signal)
    signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true })
  })

describe("callWithDeadline", () => {
  it.live("answers with the call's value and aborts nothing once it settled", () =>
    Effect.gen(function* () {
      const seen: Array<AbortSignal> = []
      const value = yield* callWithDeadline(
        30,
        (signal) => {
          seen.push(signal)
          return Promise.resolve("ok")
        },
        (_e, timedOut) => ({ timedOut })
      )
      expect(value).toBe("ok")
      // the deadline was cleared with the answer: it never fires afterwards
      yield* Effect.promise(() => sleep(60))
      expect(seen[0]?.aborted).toBe(false)
    })
  )

  it.live("aborts the call at the deadline and reports it as a timeout", () =>
    Effect.gen(function* () {
      const seen: Array<AbortSignal> = []
      const result = yield* Effect.either(callWithDeadline(20, hanging(seen), (_e, timedOut) => ({ timedOut })))
      expect(result).toEqual(Either.left({ timedOut: true }))
      expect(seen[0]?.aborted).toBe(true)
    })
  )

  it.live("a failure before the deadline is not a timeout", () =>
    Effect.gen(function* () {
      const result = yield* Effect.either(
        callWithDeadline(
          1_000,
          () => Promise.reject(new Error("refused")),
          (e, timedOut) => ({ timedOut, message: e instanceof Error ? e.message : String(e) })
        )
      )
      expect(result).toEqual(Either.left({ timedOut: false, message: "refused" }))
    })
  )

  it.live("interrupting the fiber aborts the call", () =>
    Effect.gen(function* () {
      const seen: Array<AbortSignal> = []
      const fiber = yield* Effect.fork(callWithDeadline(10_000, hanging(seen), (_e, timedOut) => ({ timedOut })))
      yield* Effect.promise(() => sleep(20))
      yield* Fiber.interrupt(fiber)
      expect(seen[0]?.aborted).toBe(true)
    })
  )
})

describe("retryAfterFailure", () => {
  const policy = Schedule.recurs(2)

  it.effect("runs the effect once when it succeeds", () =>
    Effect.gen(function* () {
      let runs = 0
      const value = yield* retryAfterFailure(
        Effect.sync(() => ++runs),
        (replayed) => Effect.retry(replayed, policy)
      )
      expect(value).toBe(1)
      expect(runs).toBe(1)
    })
  )

  it.effect("retries like Effect.retry: the policy sees the first failure, then re-runs the effect", () =>
    Effect.gen(function* () {
      let runs = 0
      const flaky = Effect.suspend(() => (++runs < 3 ? Effect.fail(`failure ${runs}`) : Effect.succeed(runs)))
      expect(yield* retryAfterFailure(flaky, (replayed) => Effect.retry(replayed, policy))).toBe(3)
      expect(runs).toBe(3)
      // the same budget as Effect.retry: 1 run + 2 retries, then the last error
      runs = -10
      const error = yield* Effect.flip(retryAfterFailure(flaky, (replayed) => Effect.retry(replayed, policy)))
      expect(error).toBe("failure -7")
      expect(runs).toBe(-7)
    })
  )
})

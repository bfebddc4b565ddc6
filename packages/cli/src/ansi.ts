/**
 * Minimal ANSI styling. Colours are applied only when the `Style` was built with colour on (a TTY without
 * `NO_COLOR` / `--no-color`); otherwise every function returns its input unchanged.
 */

/** Functions that style a piece of text. */
export interface Style {
  readonly enabled: boolean
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly red: (s: string) => string
  readonly green: (s: string) => string
  readonly yellow: (s: string) => string
  readonly cyan: (s: string) => string
}

const wrap =
  (enabled: boolean, open: number, close: number) =>
  (s: string): string =>
    enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s

/** Builds a `Style`; with `enabled` false it never emits escape codes. */
export const makeStyle = (enabled: boolean): Style => ({
  enabled,
  bold: wrap(enabled, 1, 22),
  dim: wrap(enabled, 2, 22),
  red: wrap(enabled, 31, 39),
  green: wrap(enabled, 32, 39),
  yellow: wrap(enabled, 33, 39),
  cyan: wrap(enabled, 36, 39)
})

const ansiPattern = /\u001b\[[0-9;]*m/g

/** Length of a string as displayed (escape codes do not count). */
export const visibleLength = (s: string): number => s.replace(ansiPattern, "").length

/* eslint-disable security/detect-object-injection -- chart data keys are chosen by the script itself */
/**
 * Plain-SVG charts for docs/benchmarks.md: grouped bars, lines over categorical x, horizontal bars. No dependencies.
 */
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"]
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
const num = (v) => (Number.isFinite(v) ? v : 0)
const niceMax = (v) => {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}
const compact = (v) =>
  v >= 1000 ? `${Math.round(v / 100) / 10}k` : v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10)

const frame = (width, height, title, body) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>
${body}
</svg>
`

const legend = (series, x, y) =>
  series
    .map(
      (s, i) =>
        `<rect x="${x}" y="${y + i * 18}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 18}" y="${y + i * 18 + 10}">${esc(s)}</text>`
    )
    .join("\n")

/** groups: [{ label, values: [v per series] }], series: [name]. */
export const groupedBarChart = ({ title, yLabel, groups, series, width = 860, height = 380 }) => {
  const left = 70
  const right = 230
  const top = 40
  const bottom = 60
  const plotW = width - left - right
  const plotH = height - top - bottom
  const max = niceMax(Math.max(...groups.flatMap((g) => g.values.map(num))))
  const groupW = plotW / groups.length
  const barW = (groupW * 0.8) / series.length
  const parts = []
  for (let t = 0; t <= 5; t++) {
    const v = (max * t) / 5
    const y = top + plotH - (plotH * t) / 5
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${compact(v)}</text>`
    )
  }
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + groupW * 0.1
    g.values.forEach((v, si) => {
      const h = (plotH * num(v)) / max
      const x = gx + si * barW
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(series[si])}: ${compact(num(v))}</title></rect>`
      )
      parts.push(
        `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" text-anchor="middle" font-size="10">${Number.isFinite(v) ? compact(v) : "n/a"}</text>`
      )
    })
    parts.push(
      `<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${esc(g.label)}</text>`
    )
  })
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`
  )
  parts.push(
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`
  )
  parts.push(legend(series, left + plotW + 20, top + 10))
  return frame(width, height, title, parts.join("\n"))
}

/** x: [label], lines: [{ name, values: [v per x], dashed? }]; log-scale y when `logY`. */
export const lineChart = ({ title, xLabel, yLabel, x, lines, logY = false, width = 860, height = 380 }) => {
  const left = 70
  const right = 250
  const top = 40
  const bottom = 60
  const plotW = width - left - right
  const plotH = height - top - bottom
  const all = lines.flatMap((l) => l.values).filter((v) => Number.isFinite(v) && v > 0)
  const maxV = Math.max(...all, 1)
  const minV = Math.min(...all, maxV)
  const lo = logY ? 10 ** Math.floor(Math.log10(minV)) : 0
  const hi = logY ? 10 ** Math.ceil(Math.log10(maxV)) : niceMax(maxV)
  const yOf = (v) =>
    logY
      ? top + plotH - (plotH * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo) || 1)
      : top + plotH - (plotH * v) / hi
  const xOf = (i) => left + (x.length === 1 ? plotW / 2 : (plotW * i) / (x.length - 1))
  const parts = []
  const ticks = logY
    ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, i) => lo * 10 ** i)
    : [0, 1, 2, 3, 4, 5].map((t) => (hi * t) / 5)
  for (const v of ticks) {
    const y = yOf(v)
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${compact(v)}</text>`
    )
  }
  x.forEach((label, i) =>
    parts.push(`<text x="${xOf(i)}" y="${top + plotH + 18}" text-anchor="middle">${esc(label)}</text>`)
  )
  lines.forEach((l, li) => {
    const color = PALETTE[li % PALETTE.length]
    const pts = l.values.map((v, i) => (Number.isFinite(v) && v > 0 ? [xOf(i), yOf(v)] : undefined)).filter(Boolean)
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2"${l.dashed ? ' stroke-dasharray="6 4"' : ""} points="${pts.map((p) => p.map((c) => c.toFixed(1)).join(",")).join(" ")}"/>`
      )
    for (const [px, py] of pts)
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5" fill="${color}"/>`)
  })
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`
  )
  parts.push(`<text x="${left + plotW / 2}" y="${height - 16}" text-anchor="middle">${esc(xLabel)}</text>`)
  parts.push(
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`
  )
  parts.push(
    legend(
      lines.map((l) => l.name),
      left + plotW + 20,
      top + 10
    )
  )
  return frame(width, height, title, parts.join("\n"))
}

/** bars: [{ label, value }] drawn horizontally, value in percent. */
export const horizontalBarChart = ({ title, bars, unit = "%", width = 860, barHeight = 20 }) => {
  const left = 330
  const right = 60
  const top = 40
  const height = top + bars.length * (barHeight + 6) + 20
  const plotW = width - left - right
  const max = niceMax(Math.max(...bars.map((b) => num(b.value))))
  const parts = bars.map((b, i) => {
    const y = top + i * (barHeight + 6)
    const w = (plotW * num(b.value)) / max
    return `<text x="${left - 8}" y="${y + barHeight / 2 + 4}" text-anchor="end">${esc(b.label)}</text><rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${PALETTE[(b.colorIndex ?? 0) % PALETTE.length]}"/><text x="${(left + w + 4).toFixed(1)}" y="${y + barHeight / 2 + 4}">${num(b.value).toFixed(1)}${unit}</text>`
  })
  return frame(width, height, title, parts.join("\n"))
}

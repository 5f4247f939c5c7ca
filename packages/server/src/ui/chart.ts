// The refresh chart: stacked bars per time bucket, one band per outcome, drawn as SVG on
// the server. Error outcomes carry a pattern as well as a colour so the chart reads
// without colour, and a data table beside it serves screen readers.
import { html, type Safe } from './html.js';

export interface SeriesPoint {
  at: string;
  success: number;
  transient_error: number;
  permanent_error: number;
  unknown: number;
}

export const OUTCOME_STYLES = [
  { key: 'success', label: 'Success', fill: '#2f855a', pattern: null },
  { key: 'transient_error', label: 'Transient error', fill: '#d69e2e', pattern: 'hatch' },
  { key: 'permanent_error', label: 'Permanent error', fill: '#c53030', pattern: 'cross' },
  { key: 'unknown', label: 'Unknown outcome', fill: '#6b46c1', pattern: 'dots' },
] as const;

type OutcomeKey = (typeof OUTCOME_STYLES)[number]['key'];

const WIDTH = 800;
const HEIGHT = 240;
const PAD = { left: 56, right: 8, top: 14, bottom: 34 };

function patternDefs(prefix: string): Safe {
  return html`<defs>
    <pattern id="${prefix}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
      <rect width="6" height="6" fill="#d69e2e"></rect><line x1="0" y1="0" x2="0" y2="6" stroke="#5c3d00" stroke-width="2"></line>
    </pattern>
    <pattern id="${prefix}-cross" patternUnits="userSpaceOnUse" width="6" height="6">
      <rect width="6" height="6" fill="#c53030"></rect><path d="M0 0L6 6M6 0L0 6" stroke="#fff" stroke-width="1.2"></path>
    </pattern>
    <pattern id="${prefix}-dots" patternUnits="userSpaceOnUse" width="5" height="5">
      <rect width="5" height="5" fill="#6b46c1"></rect><circle cx="2.5" cy="2.5" r="1.2" fill="#fff"></circle>
    </pattern>
  </defs>`;
}

/** A round axis step (1, 2 or 5 × 10^k, at least 1) near the given size. */
function niceStep(raw: number): number {
  if (raw <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

function fillOf(prefix: string, style: (typeof OUTCOME_STYLES)[number]): string {
  return style.pattern ? `url(#${prefix}-${style.pattern})` : style.fill;
}

function tickLabel(iso: string, bucket: string, spanMs: number): string {
  const d = iso.slice(0, 16).replace('T', ' ');
  if (bucket === 'day' || spanMs > 2 * 86_400_000) return d.slice(5, bucket === 'day' ? 10 : 16);
  return d.slice(11, 16);
}

/** A legend whose swatches use the same fills as the bars. */
export function chartLegend(prefix: string): Safe {
  return html`<ul class="legend">${OUTCOME_STYLES.map(
    (s) => html`<li><svg width="14" height="14" aria-hidden="true" focusable="false">${patternDefs(`${prefix}-l-${s.key}`)}<rect width="14" height="14" fill="${fillOf(`${prefix}-l-${s.key}`, s)}" stroke="#222" stroke-width="1"></rect></svg> ${s.label}</li>`,
  )}</ul>`;
}

export function refreshChart(series: SeriesPoint[], options: { bucket: string; title: string; id: string }): Safe {
  const prefix = options.id;
  const peak = Math.max(1, ...series.map((p) => p.success + p.transient_error + p.permanent_error + p.unknown));
  const step = niceStep(peak / 4);
  const max = Math.ceil(peak / step) * step;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, series.length);
  const barW = Math.max(1, slot * 0.8);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const totals: Record<OutcomeKey, number> = { success: 0, transient_error: 0, permanent_error: 0, unknown: 0 };
  for (const p of series) for (const s of OUTCOME_STYLES) totals[s.key] += p[s.key];
  const spanMs = series.length > 1 ? Date.parse(series[series.length - 1]!.at) - Date.parse(series[0]!.at) : 0;

  const bars = series.map((p, i) => {
    let base = 0;
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const rects = OUTCOME_STYLES.filter((s) => p[s.key] > 0).map((s) => {
      const top = y(base + p[s.key]);
      const height = y(base) - top;
      base += p[s.key];
      return html`<rect x="${x.toFixed(2)}" y="${top.toFixed(2)}" width="${barW.toFixed(2)}" height="${Math.max(0.5, height).toFixed(2)}" fill="${fillOf(prefix, s)}"></rect>`;
    });
    const label = `${p.at.slice(0, 16).replace('T', ' ')} UTC: ${p.success} success, ${p.transient_error} transient, ${p.permanent_error} permanent, ${p.unknown} unknown`;
    return html`<g class="bar"><title>${label}</title><rect x="${(PAD.left + i * slot).toFixed(2)}" y="${PAD.top}" width="${slot.toFixed(2)}" height="${plotH}" fill="transparent"></rect>${rects}</g>`;
  });

  const grid = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => {
    const value = i * step;
    const gy = y(value);
    return html`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${gy.toFixed(2)}" y2="${gy.toFixed(2)}" stroke="#bbb" stroke-width="1" stroke-dasharray="${i === 0 ? 'none' : '3 3'}"></line>
      <text x="${PAD.left - 6}" y="${(gy + 4).toFixed(2)}" text-anchor="end" font-size="12" fill="#333">${value}</text>`;
  });

  const tickIndexes = series.length === 0 ? [] : [...new Set([0, Math.floor((series.length - 1) / 2), series.length - 1])];
  const ticks = tickIndexes.map((i) => {
    const x = PAD.left + i * slot + slot / 2;
    const anchor = i === 0 ? 'start' : i === series.length - 1 ? 'end' : 'middle';
    return html`<text x="${x.toFixed(2)}" y="${HEIGHT - 8}" text-anchor="${anchor}" font-size="12" fill="#333">${tickLabel(series[i]!.at, options.bucket, spanMs)}</text>`;
  });

  const desc = `${series.length} ${options.bucket} buckets. Totals: ${totals.success} success, ${totals.transient_error} transient errors, ${totals.permanent_error} permanent errors, ${totals.unknown} unknown outcomes.`;
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${prefix}-title ${prefix}-desc">
    <title id="${prefix}-title">${options.title}</title>
    <desc id="${prefix}-desc">${desc}</desc>
    ${patternDefs(prefix)}
    ${grid}
    ${bars}
    ${ticks}
  </svg>`;
}

export function chartTotals(series: SeriesPoint[]): Record<OutcomeKey, number> {
  const totals: Record<OutcomeKey, number> = { success: 0, transient_error: 0, permanent_error: 0, unknown: 0 };
  for (const p of series) for (const s of OUTCOME_STYLES) totals[s.key] += p[s.key];
  return totals;
}

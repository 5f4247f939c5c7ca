// Human output: aligned tables, colour only on a TTY and never with NO_COLOR; JSON for scripts.
import type { Writable } from 'node:stream';

export interface Out {
  json: boolean;
  color: boolean;
  stdout: Writable;
  stderr: Writable;
}

export function makeOut(json: boolean): Out {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return { json, color: Boolean(process.stdout.isTTY) && !noColor && process.env.TERM !== 'dumb', stdout: process.stdout, stderr: process.stderr };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof CODES;

export function paint(out: Pick<Out, 'color'>, colour: Colour, text: string): string {
  return out.color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ANSI, '').length;

export function line(out: Out, text = ''): void {
  out.stdout.write(`${text}\n`);
}

export function printJson(out: Out, value: unknown): void {
  out.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to the widest cell; the header bold when colour is on. */
export function table(out: Out, headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const render = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c)))).join('  ').trimEnd();
  line(out, paint(out, 'bold', render(headers)));
  for (const row of rows) line(out, render(row));
}

/** `label: value` pairs with the labels aligned. */
export function fields(out: Out, pairs: [string, string | null | undefined][], indent = ''): void {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== null && p[1] !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  for (const [k, v] of shown) line(out, `${indent}${paint(out, 'gray', `${k}:`.padEnd(width + 1))} ${v}`);
}

const STATUS_COLOUR: Record<string, Colour> = {
  active: 'green',
  ok: 'green',
  refresh_failing: 'yellow',
  needs_reauth: 'red',
  integration_error: 'red',
  error: 'red',
};

export function status(out: Out, value: string): string {
  return paint(out, STATUS_COLOUR[value] ?? 'gray', value);
}

/** `2026-11-25 18:34:05Z` — compact, UTC, sortable. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

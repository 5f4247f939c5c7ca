// Reading and validating an import file before anything is sent: CSV (a header row, one
// grant per line) or JSON (an array of POST /v1/connections bodies). Every row is checked
// and every problem is reported with its row number, so a file is fixed in one pass.
import { createHash } from 'node:crypto';
import type { ConnectionImport } from '../api/schemas.js';

/** One row, as the body of its POST /v1/connections. */
type ImportBody = ConnectionImport;

export interface ImportRow {
  /** 1-based data row (the header of a CSV is not a row). */
  row: number;
  /** CSV: the line the record starts on. */
  line?: number;
  body: ImportBody;
  /** Deterministic per row content: a resumed import reuses it, so nothing is created twice. */
  idempotencyKey: string;
}

export interface RowProblem {
  row: number;
  line?: number;
  field: string;
  message: string;
}

interface ParsedFile {
  rows: ImportRow[];
  invalid: { row: number; line?: number; problems: RowProblem[] }[];
  /** Problems with the file as a whole (unreadable, no header, not an array…). */
  fileProblems: string[];
}

export const CSV_COLUMNS = [
  'integration',
  'external_id',
  'end_user_id',
  'end_user_email',
  'refresh_token',
  'access_token',
  'instance_url',
  'id_url',
  'issued_at',
  'metadata',
] as const;

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): { records: string[][]; lines: number[]; error?: string } {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM from spreadsheet exports
  const endRecord = () => {
    record.push(field);
    field = '';
    if (!(record.length === 1 && record[0] === '')) {
      records.push(record);
      lines.push(recordLine);
    }
    record = [];
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += ch;
  }
  if (quoted) return { records, lines, error: `an unterminated quoted field starts on line ${recordLine}` };
  if (field !== '' || record.length > 0) endRecord();
  return { records, lines };
}

export function parseImportFile(name: string, text: string, defaults: { integration?: string } = {}): ParsedFile {
  const lower = name.toLowerCase();
  if (lower.endsWith('.json')) return fromJson(text, defaults);
  if (lower.endsWith('.csv')) return fromCsv(text, defaults);
  return { rows: [], invalid: [], fileProblems: [`${name}: the file must end in .csv or .json`] };
}

function fromJson(text: string, defaults: { integration?: string }): ParsedFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // V8 quotes a piece of the input in its message: it could be part of a token, so say only where.
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    return { rows: [], invalid: [], fileProblems: [`not valid JSON${position ? ` (at character ${position})` : ''}`] };
  }
  if (isObject(data) && Array.isArray(data.connections)) data = data.connections;
  if (!Array.isArray(data)) return { rows: [], invalid: [], fileProblems: ['the JSON must be an array of connections (or {"connections": [...]})'] };
  return collect(data.map((item, index) => ({ row: index + 1, raw: item })), defaults);
}

function fromCsv(text: string, defaults: { integration?: string }): ParsedFile {
  const { records, lines, error } = parseCsv(text);
  if (error) return { rows: [], invalid: [], fileProblems: [`not valid CSV: ${error}`] };
  if (records.length === 0) return { rows: [], invalid: [], fileProblems: ['the file is empty (expected a header row)'] };
  const header = records[0]!.map((h) => h.trim());
  const problems: string[] = [];
  for (const h of header) {
    if (!CSV_COLUMNS.some((column) => column === h) && !/^(metadata|connection_config)\.[^.]+$/.test(h)) {
      problems.push(`unknown column "${h}" (known: ${CSV_COLUMNS.join(', ')}, metadata.<key>, connection_config.<key>)`);
    }
  }
  if (new Set(header).size !== header.length) problems.push('a column appears twice in the header');
  if (!header.includes('refresh_token')) problems.push('the header has no refresh_token column');
  if (!header.includes('end_user_id')) problems.push('the header has no end_user_id column');
  if (!header.includes('integration') && !defaults.integration) problems.push('the header has no integration column (or pass --integration)');
  if (problems.length) return { rows: [], invalid: [], fileProblems: problems };

  const items = records.slice(1).map((record, index) => {
    const row = index + 1;
    const line = lines[index + 1];
    if (record.length !== header.length) {
      return { row, line, raw: null, shape: `has ${record.length} fields, the header has ${header.length}` };
    }
    const cell = (name: string) => {
      const v = record[header.indexOf(name)];
      return v === undefined || v.trim() === '' ? undefined : v.trim();
    };
    const raw: Record<string, unknown> = {
      integration: cell('integration'),
      external_id: cell('external_id'),
      end_user: { id: cell('end_user_id'), email: cell('end_user_email') },
      credentials: {
        refresh_token: cell('refresh_token'),
        access_token: cell('access_token'),
        instance_url: cell('instance_url'),
        id_url: cell('id_url'),
        issued_at: cell('issued_at'),
      },
    };
    const metadataJson = cell('metadata');
    let metadataError: string | undefined;
    if (metadataJson !== undefined) {
      try {
        raw.metadata = JSON.parse(metadataJson);
      } catch {
        metadataError = 'must be a JSON object';
        raw.metadata = metadataJson;
      }
    }
    for (const h of header) {
      const m = /^(metadata|connection_config)\.(.+)$/.exec(h);
      const v = cell(h);
      if (!m || v === undefined) continue;
      const target = m[1]!;
      raw[target] ??= {};
      const members = raw[target];
      if (isObject(members)) members[m[2]!] = v;
    }
    return { row, line, raw, metadataError };
  });
  return collect(items, defaults);
}

interface Item {
  row: number;
  line?: number;
  raw: unknown;
  shape?: string;
  metadataError?: string;
}

function collect(items: Item[], defaults: { integration?: string }): ParsedFile {
  const rows: ImportRow[] = [];
  const invalid: ParsedFile['invalid'] = [];
  const seenTokens = new Map<string, number>();
  for (const item of items) {
    const problems: RowProblem[] = [];
    // Two checks may find the same fault (a metadata cell that is not JSON fails both the
    // parse and the object check): each problem is reported once.
    const add = (field: string, message: string) => {
      if (!problems.some((p) => p.field === field && p.message === message)) problems.push({ row: item.row, line: item.line, field, message });
    };
    if (item.shape) add('row', item.shape);
    if (item.metadataError) add('metadata', item.metadataError);
    const body = item.shape ? null : validateBody(item.raw, defaults, add);
    if (body) {
      const token = body.credentials.refresh_token;
      const earlier = token === undefined || token === '' ? undefined : seenTokens.get(token);
      if (token === undefined || token === '') {
        // a server-to-server row: no token to compare
      } else if (earlier !== undefined) add('credentials.refresh_token', `the same refresh token as row ${earlier}`);
      else seenTokens.set(token, item.row);
    }
    if (problems.length || !body) invalid.push({ row: item.row, line: item.line, problems });
    else rows.push({ row: item.row, line: item.line, body, idempotencyKey: idempotencyKeyFor(body) });
  }
  return { rows, invalid, fileProblems: items.length === 0 ? ['the file has no rows'] : [] };
}

const KNOWN_TOP = ['integration', 'external_id', 'end_user', 'metadata', 'connection_config', 'credentials'];
const KNOWN_CREDENTIALS = ['refresh_token', 'subject', 'access_token', 'instance_url', 'id_url', 'issued_at'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISSUED_AT = /^(\d{10,16}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The API's own rules for POST /v1/connections, checked locally so no row is sent in vain. */
function validateBody(raw: unknown, defaults: { integration?: string }, add: (field: string, message: string) => void): ImportBody | null {
  if (!isObject(raw)) {
    add('row', 'must be an object');
    return null;
  }
  for (const k of Object.keys(raw)) if (!KNOWN_TOP.includes(k)) add(k, 'is not a known field');
  const integration = raw.integration ?? defaults.integration;
  if (typeof integration !== 'string' || integration.length === 0) add('integration', 'is required (a column, a field, or --integration)');
  else if (integration.length > 64) add('integration', 'is longer than 64 characters');
  const externalId = raw.external_id;
  if (externalId !== undefined && (typeof externalId !== 'string' || externalId.length === 0 || externalId.length > 255 || /[\u0000-\u001f]/.test(externalId))) {
    add('external_id', 'must be a string of 1 to 255 characters without control characters');
  }

  const endUser = raw.end_user;
  if (!isObject(endUser)) add('end_user', 'is required: {"id", "email"?}');
  else {
    for (const k of Object.keys(endUser)) if (k !== 'id' && k !== 'email') add(`end_user.${k}`, 'is not a known field');
    if (typeof endUser.id !== 'string' || endUser.id.length === 0) add('end_user.id', 'is required');
    else if (endUser.id.length > 256) add('end_user.id', 'is longer than 256 characters');
    if (endUser.email !== undefined && endUser.email !== null && (typeof endUser.email !== 'string' || !EMAIL.test(endUser.email) || endUser.email.length > 320)) {
      add('end_user.email', 'is not an email address');
    }
  }

  if (raw.metadata !== undefined) {
    if (!isObject(raw.metadata)) add('metadata', 'must be a JSON object');
    else if (Object.keys(raw.metadata).length > 50) add('metadata', 'has more than 50 keys');
    else for (const k of Object.keys(raw.metadata)) if (k.length > 128) add(`metadata.${k.slice(0, 20)}…`, 'key longer than 128 characters');
  }
  if (raw.connection_config !== undefined) {
    if (!isObject(raw.connection_config)) add('connection_config', 'must be an object of strings');
    else {
      if (Object.keys(raw.connection_config).length > 20) add('connection_config', 'has more than 20 keys');
      for (const [k, v] of Object.entries(raw.connection_config)) {
        if (k.length > 64) add(`connection_config.${k.slice(0, 20)}…`, 'key longer than 64 characters');
        if (typeof v !== 'string' || v.length > 256) add(`connection_config.${k}`, 'must be a string of at most 256 characters');
      }
    }
  }

  const c = raw.credentials;
  if (!isObject(c)) add('credentials', 'is required: {"refresh_token", …}');
  else {
    for (const k of Object.keys(c)) if (!KNOWN_CREDENTIALS.includes(k)) add(`credentials.${k}`, 'is not a known field');
    // Server-to-server grants hold no refresh token: `{ subject }` (JWT Bearer) or `{}` (client credentials).
    const serverToServer = c.refresh_token === undefined && (c.subject !== undefined || Object.keys(c).length === 0);
    if (c.subject !== undefined && (typeof c.subject !== 'string' || c.subject.length === 0 || c.subject.length > 256)) add('credentials.subject', 'must be a non-empty string');
    if (serverToServer) {
      // nothing more to check: the server knows which the integration needs
    } else if (typeof c.refresh_token !== 'string' || c.refresh_token.length === 0) add('credentials.refresh_token', 'is required');
    else if (c.refresh_token.length > 8192 || /\s/.test(c.refresh_token)) add('credentials.refresh_token', 'is not a token (too long, or contains whitespace)');
    if (c.access_token !== undefined && (typeof c.access_token !== 'string' || c.access_token.length === 0 || c.access_token.length > 8192)) add('credentials.access_token', 'must be a non-empty string');
    for (const k of ['instance_url', 'id_url'] as const) {
      if (c[k] === undefined) continue;
      const value = c[k];
      if (typeof value !== 'string' || !isHttpUrl(value)) add(`credentials.${k}`, 'must be an http(s) URL');
    }
    if (c.issued_at !== undefined && (typeof c.issued_at !== 'string' || !ISSUED_AT.test(c.issued_at))) {
      add('credentials.issued_at', 'must be RFC 3339 (2026-01-31T12:00:00Z) or epoch milliseconds');
    }
  }
  if (typeof integration !== 'string' || !isObject(endUser) || !isObject(c)) return null;
  // Only the members given (null counts as not given), so the same row always makes the same
  // body. A row with problems is never sent; its body still serves the duplicate-token check.
  const { id, email } = endUser;
  const { refresh_token: refreshToken, subject, access_token: accessToken, instance_url: instanceUrl, id_url: idUrl, issued_at: issuedAt } = c;
  return {
    integration,
    ...(typeof externalId === 'string' ? { external_id: externalId } : {}),
    end_user: { id: typeof id === 'string' ? id : '', ...(typeof email === 'string' ? { email } : {}) },
    ...(isObject(raw.metadata) ? { metadata: raw.metadata } : {}),
    ...(isStringRecord(raw.connection_config) ? { connection_config: raw.connection_config } : {}),
    credentials: {
      ...(typeof refreshToken === 'string' || subject === undefined ? { refresh_token: typeof refreshToken === 'string' ? refreshToken : '' } : {}),
      ...(typeof subject === 'string' ? { subject } : {}),
      ...(typeof accessToken === 'string' ? { access_token: accessToken } : {}),
      ...(typeof instanceUrl === 'string' ? { instance_url: instanceUrl } : {}),
      ...(typeof idUrl === 'string' ? { id_url: idUrl } : {}),
      ...(typeof issuedAt === 'string' ? { issued_at: issuedAt } : {}),
    },
  };
}

const isStringRecord = (v: unknown): v is Record<string, string> => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && value.length <= 2048;
  } catch {
    return false;
  }
}

/** Keys sorted at every level, so the same row always gives the same key. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function idempotencyKeyFor(body: ImportBody): string {
  return `gk-import-${createHash('sha256').update(canonicalJson(body)).digest('hex')}`;
}

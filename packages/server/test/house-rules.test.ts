// The rules that keep the rooms of packages/server/src apart (DEVELOPERS.md "Rooms"),
// checked on the source text so a change that breaks one fails here, named.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(new URL('../src', import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => ({ path, name: relative(SRC, path), text: readFileSync(path, 'utf8') }));

/** Relative imports (type-only ones too: they tie rooms together just the same). */
function importsOf(file: { path: string; text: string }): string[] {
  return [...file.text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)].map((m) => resolve(dirname(file.path), m[1]!.replace(/\.js$/, '.ts')));
}

/** Every strongly connected group of more than one file (Tarjan). */
function importCycles(): string[][] {
  const graph = new Map(files.map((f) => [f.path, importsOf(f).filter((p) => p.startsWith(SRC))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(relative(SRC, w));
      } while (w !== v);
      if (group.length > 1) cycles.push(group.sort());
    }
  };
  for (const path of graph.keys()) if (!index.has(path)) visit(path);
  return cycles;
}

const room = (name: string) => name.split('/')[0]!;

describe('the rooms of packages/server/src', () => {
  it('have no import cycles', () => {
    expect(importCycles()).toEqual([]);
  });

  it('have no source file over 400 lines (migrations aside)', () => {
    const long = files.filter((f) => !f.name.startsWith('db/migrations/') && f.text.split('\n').length > 400).map((f) => f.name);
    expect(long).toEqual([]);
  });

  it('name no provider outside providers/', () => {
    const naming = files.filter((f) => room(f.name) !== 'providers' && /salesforce/i.test(f.text)).map((f) => f.name);
    expect(naming).toEqual([]);
  });

  it('use no `any`', () => {
    // `any` in a type position: after `:`, `<`, `,`, `|`, `(` or `as`, or as `any[]`.
    const anyType = /(?:[:<,|(]|\bas)\s*any\b(?!-)|\bany\s*\[\]/;
    const code = (text: string) => text.replace(/\/\/.*$/gm, '').replace(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''");
    expect(files.filter((f) => anyType.test(code(f.text))).map((f) => f.name)).toEqual([]);
  });

  it('write SQL only in db/', () => {
    const sql = /\.(selectFrom|updateTable|insertInto|deleteFrom)\(|\bsql`/;
    expect(files.filter((f) => room(f.name) !== 'db' && sql.test(f.text)).map((f) => f.name)).toEqual([]);
  });

  it('keep HTTP above the services: only api/, ui/ and the server assembly import fastify', () => {
    const http = files.filter((f) => /from 'fastify'|from '@fastify\//.test(f.text)).map((f) => room(f.name));
    expect([...new Set(http)].filter((r) => !['api', 'ui', 'server.ts', 'auth'].includes(r))).toEqual([]);
  });

  it('keep the lower rooms away from the upper ones', () => {
    // A room may import its own files and the rooms listed for it; domain/ imports nothing.
    const allowed: Record<string, readonly string[]> = {
      domain: [],
      crypto: [],
      db: ['domain', 'crypto'],
      outbound: [],
      policy: ['domain'],
      providers: ['domain', 'db', 'outbound'],
      oauth: ['providers', 'outbound', 'domain'],
      audit: ['domain', 'db', 'crypto'],
    };
    const violations: string[] = [];
    for (const file of files) {
      const own = room(file.name);
      const rule = allowed[own];
      if (!rule) continue;
      for (const target of importsOf(file)) {
        const targetRoom = room(relative(SRC, target));
        if (targetRoom !== own && !rule.includes(targetRoom)) violations.push(`${file.name} → ${relative(SRC, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

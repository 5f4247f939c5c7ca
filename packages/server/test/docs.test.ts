// The documentation against the code: users read docs/, the READMEs and the CLI's help, so
// these must not point at files they do not have, must not link to pages or headings that do
// not exist, and must name every setting, route, command, flag, webhook event and diagnosis
// code the code has. Each check reads the code's own lists (or its running OpenAPI document),
// so a new setting or route without its documentation fails here.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIAGNOSIS_RULES } from '../src/diagnosis/rules.js';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/outbox.js';
import { REPO_ROOT } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const docsPages = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);

/** Every file under `dir` (relative to the repository), skipping what is built or installed. */
function walk(dir: string): string[] {
  const skip = new Set(['node_modules', 'dist', '.git', 'test-artifacts', '.grantkeeper', '.results']);
  const out: string[] = [];
  for (const name of readdirSync(join(REPO_ROOT, dir))) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(join(REPO_ROOT, path)).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

describe('documentation a user reads stays inside the repository', () => {
  // Spelled in pieces so this file does not match itself.
  const outside = [['API', '.md'], ['DESIGN', '.md'], ['salesforce-oauth', '-spec'], ['..', '/shared'], ['seed-salesforce', '-invalid-grant']].map((p) => p.join(''));
  const files = ['README.md', 'DEVELOPERS.md', 'SECURITY.md', ...walk('docs'), ...walk('packages'), ...walk('bench')].filter(
    (f) => /\.(md|ts|js|mjs|json)$/.test(f) && resolve(REPO_ROOT, f) !== resolve(import.meta.filename),
  );

  it.each(outside)('nothing names %s', (name) => {
    const hits = files.filter((f) => read(f).includes(name));
    expect(hits).toEqual([]);
  });

  it('no help text of the CLI names a file outside the repository', () => {
    const bin = join(REPO_ROOT, 'packages/server/bin/grantkeeper.js');
    for (const command of [[], ['start'], ['migrate'], ['keys'], ['integrations'], ['connections'], ['doctor'], ['import']]) {
      const help = execFileSync(process.execPath, [bin, ...command, '--help'], { encoding: 'utf8' });
      for (const name of outside) expect(help, `grantkeeper ${command.join(' ')} --help`).not.toContain(name);
    }
  });
});

describe('links between the pages resolve', () => {
  const pages = ['README.md', 'DEVELOPERS.md', 'SECURITY.md', ...docsPages, ...walk('packages').filter((f) => /^packages\/[^/]+\/README\.md$/.test(f))];

  it.each(pages)('%s: every relative link names an existing file, and every #anchor a heading in it', (page) => {
    // Links in prose only: code (fenced or inline) may hold anything that looks like one.
    const markdown = read(page).replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '``');
    const broken: string[] = [];
    for (const [, target] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue; // http(s), mailto
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const file = path === '' ? page : relative(REPO_ROOT, resolve(REPO_ROOT, dirname(page), path));
      if (!existsSync(join(REPO_ROOT, file))) {
        broken.push(`${target} (no file ${file})`);
        continue;
      }
      if (anchor && file.endsWith('.md') && !anchors(read(file)).has(anchor)) broken.push(`${target} (no heading #${anchor} in ${file})`);
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/configuration.md names every setting the code reads', () => {
  // The config groups read each variable through the EnvReader (`r.int('PORT', …)`); the CLI
  // reads a few from the environment directly.
  const configFiles = ['packages/server/src/config.ts', ...walk('packages/server/src/config')];
  const read_ = configFiles.flatMap((f) => [...read(f).matchAll(/\.[a-z]\w*\(\s*['"]([A-Z][A-Z0-9_]+)['"]/g)].map((m) => `GRANTKEEPER_${m[1]}`));
  const direct = walk('packages/server/src').flatMap((f) => [...read(f).matchAll(/env\.(GRANTKEEPER_[A-Z0-9_]+)/g)].map((m) => m[1]!));
  const settings = [...new Set([...read_, ...direct])].sort();

  it('finds the settings (the reader calls are recognised)', () => {
    for (const known of ['GRANTKEEPER_PORT', 'GRANTKEEPER_DATABASE_URL', 'GRANTKEEPER_ALLOW_PRIVATE_NETWORK', 'GRANTKEEPER_URL']) {
      expect(settings).toContain(known);
    }
  });

  it.each(settings)('%s', (name) => {
    expect(read('docs/configuration.md')).toMatch(new RegExp(`\`${name}\``));
  });
});

describe('docs/cli.md describes every command and flag', () => {
  const bin = join(REPO_ROOT, 'packages/server/bin/grantkeeper.js');
  const commands = ['start', 'migrate', 'keys', 'integrations', 'connections', 'doctor', 'import', 'mcp'];
  const cli = read('docs/cli.md');

  it.each(commands)('grantkeeper %s: its section, its subcommands and every flag of its help', (command) => {
    const help = execFileSync(process.execPath, [bin, command, '--help'], { encoding: 'utf8' });
    expect(cli).toContain(`## \`grantkeeper ${command}`);
    // Subcommands, where the usage line offers a choice: `integrations <list|create|…>`.
    const usage = /Usage: grantkeeper \S+ <([a-z-]+(?:\|[a-z-]+)+)>/.exec(help);
    for (const sub of usage?.[1]?.split('|') ?? []) expect(cli, `${command} ${sub}`).toMatch(new RegExp(`\`(keys )?${sub}\\b`));
    const flags = new Set([...help.matchAll(/(?<![\w-])(--[a-z][a-z-]+)/g)].map((m) => m[1]!));
    for (const flag of flags) expect(cli, `${command} ${flag}`).toContain(flag);
  });
});

describe('the API reference covers the API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', {}, { logName: 'docs' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('every path of the OpenAPI document is in a reference page of docs/', async () => {
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const normalize = (path: string) => path.replace(/\{[^}]+\}/g, '{}');
    // A path as the pages write it: after a space, a backtick or a parenthesis (`GET /v1/…`).
    // Measurements and generated tables name paths without describing them.
    const reference = docsPages.filter((p) => p !== 'docs/benchmarks.md' && p !== 'docs/providers.md').map(read).join('\n');
    const documented = new Set([...reference.matchAll(/(?<=^|[\s`(])\/[A-Za-z0-9._{}/-]*/gm)].map((m) => normalize(m[0])));
    const paths = Object.keys(openapi.paths);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !documented.has(normalize(p)))).toEqual([]);
  });

  it('docs/api.md describes every webhook event type', () => {
    const api = read('docs/api.md');
    for (const type of WEBHOOK_EVENT_TYPES) expect(api).toContain(`\`${type}\``);
  });

  it('docs/design.md explains every diagnosis code', () => {
    const design = read('docs/design.md');
    for (const rule of DIAGNOSIS_RULES) expect(design).toContain(`\`${rule.code}\``);
  });
});

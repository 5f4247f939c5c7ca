// The README's quick start, run as a new user runs it: every code block of the section, in
// order, typed into one bash session in a directory laid out like a fresh clone; the server
// and the emulator started by the README's own commands; the connect step clicked through in
// headless Chromium; the jsforce snippet saved under the name the README gives and run. If the
// README changes, this test runs the new text — it cannot drift from what users read.
//
// Two things differ from a user's machine, both so that parallel runs cannot collide: ports
// 4280 and 4290 are replaced by free ports in the text, and GRANTKEEPER_PORT /
// GRANTKEEPER_PUBLIC_URL tell the server the first of them (its defaults name 4280). The
// directory is a temporary one whose node_modules, packages and package.json link to this
// repository, so the blocks' relative paths and the snippet's imports resolve as in a clone.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../helpers/connect-flow.js';
import { ARTIFACTS_DIR, REPO_ROOT } from '../helpers/paths.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
/** What tokens the emulator issues look like (its ids.ts): never in a log line. */
const ISSUED_TOKEN = /00D[A-Za-z0-9]{12}![A-Za-z0-9._]{100,}|5Aep861[A-Za-z0-9._]{70,}/;
/** The accounts the emulator's REST stub holds (packages/salesforce-emulator/src/endpoints/rest.ts). */
const EMULATOR_ACCOUNTS = ['Edge Communications', 'Burlington Textiles Corp of America', 'Pyramid Construction Inc.'];

interface Block {
  lang: string;
  code: string;
  /** 1-based line of the opening fence in README.md. */
  line: number;
}

/** The fenced code blocks of the README section whose heading starts with `title`. */
function sectionBlocks(markdown: string, title: string): Block[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## ${title}`));
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const blocks: Block[] = [];
  for (let i = start + 1; i < (end < 0 ? lines.length : end); i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith('```'); j++) body.push(lines[j]!);
    blocks.push({ lang: open[1] ?? '', code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/**
 * The JSON objects and arrays in a terminal's output, in order: curl -s prints no newline, so
 * they run into each other and into the text that follows; bracketed text that is not JSON is
 * skipped.
 */
function jsonValues(text: string): any[] {
  const values: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === '}' || c === ']') && depth > 0) {
      depth--;
      if (depth > 0) continue;
      try {
        values.push(JSON.parse(text.slice(start, i + 1)));
      } catch {
        i = start; // not JSON: look again from the character after its opening bracket
      }
    }
  }
  return values;
}

/** One bash session, like a user's terminal: variables and background jobs persist between blocks. */
class Terminal {
  private readonly shell: ChildProcessWithoutNullStreams;
  private stdout = '';
  private stderr = '';
  private blocks = 0;
  readonly exited: Promise<number | null>;

  constructor(cwd: string, env: Record<string, string>) {
    // Its own process group, so whatever the blocks start in the background can be ended with it.
    this.shell = spawn('bash', ['--noprofile', '--norc'], { cwd, env, detached: true });
    this.shell.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.shell.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.shell.on('exit', (code) => resolve(code)));
  }

  /** Types a block and waits for its prompt to come back: its output, and the status of its last command. */
  run(code: string): Promise<{ output: string; errors: string; status: number }> {
    const marker = `__quickstart_block_${++this.blocks}__`;
    const from = { out: this.stdout.length, err: this.stderr.length };
    this.shell.stdin.write(`${code}\nprintf '\\n${marker} %s\\n' "$?"\n`);
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = new RegExp(`\\n${marker} (\\d+)\\n`).exec(this.stdout.slice(from.out));
        if (!match) return false;
        this.shell.stdout.off('data', check);
        const output = this.stdout.slice(from.out, from.out + match.index);
        resolve({ output, errors: this.stderr.slice(from.err), status: Number(match[1]) });
        return true;
      };
      if (check()) return;
      this.shell.stdout.on('data', check);
      void this.exited.then((exit) => reject(new Error(`bash exited (${exit}) during the block:\n${code}\n${this.stderr.slice(from.err)}`)));
    });
  }

  /** Ends the session and everything it started that is still running. */
  async close(): Promise<void> {
    if (this.shell.exitCode !== null || this.shell.signalCode !== null) return;
    try {
      process.kill(-this.shell.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await this.exited;
  }
}

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

describe('README quick start, run literally', () => {
  const blocks = sectionBlocks(readme, 'Quick start');
  let dir = '';
  let gkPort = 0;
  let emuPort = 0;
  let terminal: Terminal;
  let browser: Browser;
  /** The blocks not yet run; each step takes the one it is about. */
  const pending = [...blocks];
  const gk = () => `http://localhost:${gkPort}`;
  const emu = () => `http://127.0.0.1:${emuPort}`;
  // What the steps learn, as the user would read it off the screen.
  let registeredCallback = '';
  let connectUrl = '';
  let connectionOnPage = '';

  /** The text a user would type for this block, with this run's ports. */
  const literal = (block: Block) => block.code.replaceAll('4280', String(gkPort)).replaceAll('4290', String(emuPort));

  /** Runs the next block, which must be the one `about` describes (the README's order). */
  async function next(about: RegExp) {
    const block = pending.shift();
    if (!block) throw new Error(`the quick start has no block left for ${about}`);
    expect(block.code, `README.md line ${block.line}: expected the block for ${about}`).toMatch(about);
    return { block, ...(await terminal.run(literal(block))) };
  }

  beforeAll(async () => {
    [gkPort, emuPort] = [await freePort(), await freePort()];
    while (emuPort === gkPort) emuPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'gk-quickstart-'));
    for (const entry of ['node_modules', 'packages', 'package.json']) symlinkSync(join(REPO_ROOT, entry), join(dir, entry));
    terminal = new Terminal(dir, {
      // The node running this test, first: `node` and the bins' shebangs use it.
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? dir,
      TMPDIR: tmpdir(),
      GRANTKEEPER_PORT: String(gkPort),
      GRANTKEEPER_PUBLIC_URL: `http://localhost:${gkPort}`,
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await terminal?.close();
    if (dir) {
      // The server's log joins the others, which the suite scans for secrets after the run.
      mkdirSync(join(ARTIFACTS_DIR, 'logs'), { recursive: true });
      for (const log of ['grantkeeper.log', 'emulator.log']) {
        if (existsSync(join(dir, log))) copyFileSync(join(dir, log), join(ARTIFACTS_DIR, 'logs', `quickstart-${log}`));
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('1. the server starts on the embedded database, the emulator beside it', async () => {
    const { output, status } = await next(/grantkeeper start/);
    expect(status).toBe(0);
    expect(jsonValues(output).at(-1)).toMatchObject({ status: 'ready', database: 'pglite' });
    expect(existsSync(join(dir, '.grantkeeper'))).toBe(true); // the README's default data directory
  }, 240_000);

  test('2. an OAuth app registered at the emulator with Grantkeeper\'s callback URL, and a user', async () => {
    const { output, status } = await next(/__emulator\/apps/);
    expect(status).toBe(0);
    const [app, user] = jsonValues(output);
    expect(app).toMatchObject({ client_id: 'quickstart-app' });
    expect(user).toMatchObject({ username: 'ann@acme.test' });
    [registeredCallback] = app.callback_urls;
    expect(registeredCallback).toBe(`${gk()}/oauth/callback`);
  });

  test('3. the integration is created against the emulator', async () => {
    const { output, status } = await next(/\/v1\/integrations/);
    expect(status).toBe(0);
    const [integration] = jsonValues(output);
    expect(integration).toMatchObject({ key: 'quickstart', provider: 'salesforce', status: 'ok', auth_base_url: emu() });
    // The contract's `callback_url`: what the README tells the user to register.
    expect.soft(integration.callback_url).toBe(registeredCallback);
  });

  test('4. a connect session, and the connect flow in a browser', async () => {
    const { output, status } = await next(/\/v1\/connect-sessions/);
    expect(status).toBe(0);
    const [session] = jsonValues(output);
    connectUrl = session.url;
    expect(connectUrl.startsWith(`${gk()}/connect/ct_`)).toBe(true);

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(connectUrl);
      // "Press Continue": the start page's one form.
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${emu()}/services/oauth2/authorize`)), page.locator('form[method="post"] button[type="submit"]').click()]);
      // "Pick ann@acme.test on the emulator's login page and press Allow."
      await page.selectOption('#username', 'ann@acme.test');
      await Promise.all([page.waitForURL((u) => u.href.startsWith(`${gk()}/oauth/callback`)), page.click('#allow')]);
      const text = await page.locator('body').innerText();
      expect(text).toMatch(/connected/i);
      connectionOnPage = /conn_[0-9a-f]{32}/.exec(text)?.[0] ?? '';
      expect(connectionOnPage).not.toBe('');
    } finally {
      await context.close();
    }
  }, 120_000);

  test('4b. the connection id is kept in the shell', async () => {
    const { output, status } = await next(/export CONN=/);
    expect(status).toBe(0);
    expect(output.trim()).toBe(connectionOnPage);
  });

  test('5. jsforce and the SDK call the emulator with tokens from Grantkeeper', async () => {
    const snippet = pending.shift()!;
    expect(snippet.lang).toBe('js');
    // Saved under the name the README gives it.
    const name = /^\/\/\s*(\S+\.mjs)/.exec(snippet.code)?.[1];
    expect(name, 'the snippet names its file in its first line').toBeDefined();
    writeFileSync(join(dir, name!), literal(snippet));
    const restBefore = (await (await fetch(`${emu()}/__emulator/stats`)).json()).rest_requests as number;

    const { output, errors, status } = await next(/node quickstart\.mjs/);
    expect(status, errors).toBe(0);
    expect(output).toContain(`accounts: ${EMULATOR_ACCOUNTS.join(', ')}`);
    expect(output).toMatch(/^limits: 200 \{"Max":\d+,"Remaining":\d+\}$/m);
    // Both calls reached the emulator's REST API (the query and the limits).
    const restAfter = (await (await fetch(`${emu()}/__emulator/stats`)).json()).rest_requests as number;
    expect(restAfter - restBefore).toBe(2);
  }, 60_000);

  test('6. a grant revoked at the emulator is diagnosed, and doctor explains it', async () => {
    const { output, status } = await next(/revoke-app/);
    expect(status).toBe(0);
    const [revoked, refused] = jsonValues(output);
    expect(revoked).toEqual({ revoked: 1 });
    expect(refused).toMatchObject({ status: 409, code: 'reauth_required', connection: { id: connectionOnPage, status: 'needs_reauth' } });
    expect(refused.reconnect_url).toMatch(new RegExp(`^${gk()}/reconnect/${connectionOnPage}\\?sig=`));
    // The user revoked a grant that had worked (verified when it was connected): `revoked`, for the end user.
    expect.soft(refused.diagnosis).toMatchObject({ code: 'revoked', who_fixes: 'end_user' });
    // doctor, as printed for people: the diagnosis, who acts, the link, and the refresh history.
    expect(output).toContain(`Diagnosis  ${refused.diagnosis.code}`);
    expect(output).toContain('Who fixes it');
    expect(output).toContain(refused.reconnect_url);
    expect(output).toMatch(/invalid_grant expired access\/refresh token/);
  }, 60_000);

  test('7. both processes stop, and nothing secret reached the server log', async () => {
    const { status } = await next(/kill %1 %2/);
    expect(status).toBe(0);
    // `wait` returns once both background jobs have exited.
    expect((await terminal.run('wait; echo stopped')).output.trim()).toBe('stopped');
    expect(pending, 'every block of the quick start ran').toEqual([]);

    const log = readFileSync(join(dir, 'grantkeeper.log'), 'utf8');
    expect(log).toContain('grantkeeper listening');
    expect(log).toMatch(/shutting down/);
    const key = (await terminal.run('printf %s "$GRANTKEEPER_SECRET_KEY"')).output;
    expect(key).toMatch(/^gk_sk_[0-9a-f]{48}$/);
    for (const secret of [key, 'emulator-only-secret']) expect(log).not.toContain(secret);
    expect(log).not.toMatch(ISSUED_TOKEN);
  }, 60_000);
});

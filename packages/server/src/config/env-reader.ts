// Reading GRANTKEEPER_* variables: every problem is collected, so one start reports them all.
// Each group of settings lives in its own file beside this one (`config/<group>.ts`: an
// interface and a `read…(r: EnvReader)` function); `../config.ts` composes them.

export type Env = Record<string, string | undefined>;

/** Reads variables and collects every problem, so one start reports them all. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[`GRANTKEEPER_${name}`];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) {
      this.problems.push(`GRANTKEEPER_${name} must be a whole number, got "${value}"`);
      return fallback;
    }
    const n = Number(value);
    if (n < min || n > max) {
      this.problems.push(`GRANTKEEPER_${name} must be between ${min} and ${max}, got ${n}`);
      return fallback;
    }
    return n;
  }

  ratio(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 1) {
      this.problems.push(`GRANTKEEPER_${name} must be a number in (0, 1], got "${value}"`);
      return fallback;
    }
    return n;
  }

  url(name: string, fallback: string | null): string | null {
    const value = this.raw(name) ?? fallback;
    if (value === null) return null;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      return value.replace(/\/+$/, '');
    } catch {
      this.problems.push(`GRANTKEEPER_${name} must be an http(s) URL, got "${value}"`);
      return fallback;
    }
  }

  list(name: string): string[] | null {
    const value = this.raw(name);
    if (value === undefined) return null;
    return value.split(',').map((s) => s.trim()).filter(Boolean);
  }
}

// The embedded database's files are the database: readable by the service's user only.
// PGlite writes through Node's fs with the modes of its own in-memory file system — on a
// first start it copies its initial cluster in with explicit 0666 files and 0777
// directories (less the umask) — so the modes are set here: the process umask is 077 while
// PGlite opens (restored after), and every file and directory it made is then tightened to
// 0600 / 0700. Afterwards PostgreSQL creates its files 0600 itself.
import { chmodSync, existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** Owner-only modes for everything under `dir` (symbolic links are left alone). */
export function tightenModes(dir: string): void {
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
    for (const name of readdirSync(dir)) tightenModes(join(dir, name));
  } else if ((stat.mode & 0o077) !== 0) {
    chmodSync(dir, stat.mode & 0o700 & ~0o111);
  }
}

/**
 * Memory (issue 20): PGlite's WebAssembly memory only grows, and what PostgreSQL touches stays
 * resident. Its default 128 MB of shared buffers fill up under load; the embedded database is
 * small and the OS caches its files anyway, so 16 MB of buffers do.
 */
const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** Opens (or creates) the embedded database in `dir` with owner-only files. */
export async function openPrivatePglite(dir: string): Promise<PGlite> {
  const previous = process.umask(0o077);
  let pglite: PGlite;
  try {
    const fresh = !existsSync(join(dir, 'PG_VERSION'));
    pglite = new PGlite(dir, { startParams: EMBEDDED_START_PARAMS });
    await pglite.waitReady;
    if (fresh) {
      // A first start runs initdb in a second WebAssembly instance whose memory (hundreds of
      // MB) the handle keeps: closing and reopening the new cluster lets it go.
      await pglite.close();
      pglite = new PGlite(dir, { startParams: EMBEDDED_START_PARAMS });
      await pglite.waitReady;
    }
  } finally {
    process.umask(previous);
  }
  tightenModes(dir);
  return pglite;
}

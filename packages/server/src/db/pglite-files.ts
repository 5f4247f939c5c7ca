// The embedded database's files are the database: readable by the service's user only.
// PGlite writes through Node's fs with the modes of its own in-memory file system — on a
// first start it copies its initial cluster in with explicit 0666 files and 0777
// directories (less the umask) — so the modes are set here: the process umask is 077 while
// PGlite opens (restored after), and every file and directory it made is then tightened to
// 0600 / 0700. Afterwards PostgreSQL creates its files 0600 itself.
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
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

/** Opens (or creates) the embedded database in `dir` with owner-only files. */
export async function openPrivatePglite(dir: string): Promise<PGlite> {
  const previous = process.umask(0o077);
  let pglite: PGlite;
  try {
    pglite = new PGlite(dir);
    await pglite.waitReady;
  } finally {
    process.umask(previous);
  }
  tightenModes(dir);
  return pglite;
}

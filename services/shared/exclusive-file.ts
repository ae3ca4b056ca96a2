// Files that are written once and never replaced, safely under concurrent writers (two processes
// starting at once): each writer prepares a temp file and publishes it with link(2), which fails
// if the target exists, so exactly one version wins and readers never see a half-written file.
// File systems without hard links fall back to an exclusive copy; readers of PEM files then see
// PARTIAL until the copy is complete.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';

export const MISSING = Symbol('missing');
export const PARTIAL = Symbol('partial');

/**
 * Writes `text` to `file` only if `file` does not exist yet.
 * true = ours was published; false = another writer's already was (ours is discarded).
 */
export async function publishExclusive(file: string, text: string, mode: number): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, text, { mode });
  try {
    await fs.link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    try {
      await fs.copyFile(tmp, file, constants.COPYFILE_EXCL);
      return true;
    } catch (copyErr) {
      if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw copyErr;
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** A PEM file's text; MISSING if there is no file, PARTIAL while it is still being copied. */
export async function readPem(file: string): Promise<string | typeof MISSING | typeof PARTIAL> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return /-----END [A-Z ]+-----/.test(text) ? text : PARTIAL;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return MISSING;
    throw err;
  }
}

// Writing the config file so that no reader ever sees half of it and no writer loses another's
// change: the new text goes to a temp file in the same folder (same file system), is fsynced,
// then renamed over the file (and the folder fsynced, so the rename survives a crash). Writers in
// different processes (`scc-sim connector` twice on one file) take turns through a lock file
// next to the config, created exclusively; a lock whose process is gone, or that is older than
// STALE_LOCK_MS, is taken over.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const STALE_LOCK_MS = 30_000;
const LOCK_STEP_MS = 10;
const LOCK_WAIT_MS = 10_000;

/** Replaces `file` with `text` atomically, keeping the file's permissions. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const mode = await fs.stat(file).then((s) => s.mode & 0o777, () => 0o644);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const folder = await fs.open(dir, 'r');
  try {
    await folder.sync();
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is atomic anyway.
  } finally {
    await folder.close();
  }
}

/** Runs `fn` while holding `<file>.lock`; other processes writing the same file wait for it. */
export async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      const handle = await fs.open(lock, 'wx', 0o644);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(lock)) {
        await fs.rm(lock, { force: true });
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) throw new Error(`${lock} is held by another process; remove it if no scc-sim is writing the file`);
      await new Promise((resolve) => setTimeout(resolve, LOCK_STEP_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function isStale(lock: string): Promise<boolean> {
  const [text, stat] = await Promise.all([fs.readFile(lock, 'utf8').catch(() => ''), fs.stat(lock).catch(() => undefined)]);
  if (stat === undefined) return false; // gone meanwhile: just try again
  if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return true;
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return false; // being written right now
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

// Notices hand edits of the config file. The folder is watched, not the file: an editor that saves
// by rename (and the store's own atomic writes) replaces the file's inode, which a watch on the
// file itself would stop seeing. Events for other names in the folder are ignored; a burst of
// events (an editor writing in steps) becomes one call, SETTLE_MS after the last event.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from './logger.js';

const SETTLE_MS = 25;

export interface FileWatch {
  close(): void;
}

export function watchConfigFile(file: string, onChange: () => void, log: Logger): FileWatch {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, SETTLE_MS);
    });
  } catch (err) {
    log.warn({ err, file }, 'cannot watch the config file: hand edits need a restart');
    return { close: () => {} };
  }
  watcher.on('error', (err) => log.warn({ err, file }, 'watching the config file failed: hand edits need a restart'));
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

// V8's gc function, for the service commands' buffer reclaim (services/shared/buffer-reclaim.ts),
// without asking users for `node --expose-gc`: the flag is set, one fresh context is made, which
// V8 gives `gc` then, and the flag is cleared again — no other context, the main one included,
// sees a `gc` global. Process-level, so it lives here with the CLI (STYLE.md "Build vs run").
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MinorGc } from '../services/shared/buffer-reclaim.js';

export function minorGc(): MinorGc | undefined {
  setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    return typeof gc === 'function' ? (gc as MinorGc) : undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

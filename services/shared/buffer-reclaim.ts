// Body bytes cross a service in the slices Node allocates for each socket read (up to 64 KiB each,
// outside V8's heap). Each dies as soon as it was written on, but V8 frees it only when a
// scavenge finds it dead, and scavenges come when the young generation fills with JS objects — of
// which a streamed body makes few. During a 1 GiB transfer V8 let 40-47 MB of dead slices pile up
// in proxy and connector (process.memoryUsage().arrayBuffers, Node 22), most of their growth
// (issue 10: peak RSS 163/170 MB against the 150 MB target).
//
// So the carriers (carrier-frames.ts) report every byte they read and write — bodies, and the few
// of the heads — and after every RECLAIM_BYTES a minor GC frees the slices that died: a scavenge of a young generation with
// little live in it (0.7-1.5 ms). Only once the process handed over V8's gc function
// (reclaimBuffersWith; the `scc-sim` command does, src/cli.ts): a library in someone else's
// process (startSimulator() in a test) does not collect that process's garbage.

/** Carrier bytes between two minor GCs. */
export const RECLAIM_BYTES = 8 * 1024 * 1024;

export type MinorGc = (options: { type: 'minor' }) => void;

let gc: MinorGc | undefined;
let moved = 0;

/** From now on, every RECLAIM_BYTES of carrier bytes end in `collect({ type: 'minor' })`. */
export function reclaimBuffersWith(collect: MinorGc): void {
  gc = collect;
  moved = 0;
}

/** `bytes` went through this process on a carrier (read from or written to it). */
export function carrierBytesMoved(bytes: number): void {
  if (gc === undefined) return;
  moved += bytes;
  if (moved < RECLAIM_BYTES) return;
  moved %= RECLAIM_BYTES; // the bytes past the mark count towards the next one
  gc({ type: 'minor' });
}

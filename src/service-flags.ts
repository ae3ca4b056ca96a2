// The node flags the services ship with: the Docker images' ENTRYPOINT and `npm start` pass them,
// and the bench starts its services with them (test/service-flags.test.ts holds all three to this
// list, and checks on the running node that the flag does what is said here).
//
// --max-semi-space-size=8: V8's young generation stops at 16 MB instead of 32 MB. Under steady load
// it grows to its maximum and keeps those pages when it shrinks again, so its maximum is resident.
// With it, on Node 22 (the image's runtime) the proxy's peak RSS during the bench's 1 GiB transfers
// fell from 162.3 to 143-146 MB; small-GET throughput did not suffer (README "Performance",
// "Measured 2026-12-07 (evening)").
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

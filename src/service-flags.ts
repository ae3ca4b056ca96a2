// The node flags the services ship with: the Docker images' ENTRYPOINT and `npm start` pass them,
// and the bench starts its services with them (test/service-flags.test.ts holds all three to this
// list, and checks on the running node that the flag does what is said here).
//
// --max-semi-space-size=8: V8's young generation stops at 16 MB instead of 32 MB. Under steady load
// it grows to its maximum and keeps those pages when it shrinks again, so its maximum is resident.
// With it, on Node 22 (the image's runtime) the proxy's peak RSS during the bench's 1 GiB transfers
// fell from 162.3 to 143-146 MB; small-GET throughput did not suffer (README "Performance",
// "Measured 2026-12-07 (evening)").
//
// --liftoff-only: WebAssembly stays in V8's baseline compiler. The WebAssembly the services run hot
// is undici's llhttp, the HTTP parser of the connector's backend pool. On Node 20, once it is hot,
// V8's optimizing tier compiles its one large parse function, and that compile takes ~30 MB for a
// moment: the connector's peak RSS, which the bench judges, while its RSS before and after stays
// 30 MB lower. With the flag that peak went from 136.6-142.0 to 105.1-111.6 MB, and the parser in
// the baseline tier costs no CPU that shows: the connector's µs/request came to 0.82-0.86× the
// undici chain's with it, 0.81-0.99× without. On Node 22 the effect is smaller and not consistent
// (README "Performance", "Measured 2026-12-08").
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--liftoff-only'];

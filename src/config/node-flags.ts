/**
 * The Node flags a worker runs with: the image's `CMD`, `npm start` and the benchmarks' daemon all
 * pass exactly these (test/docs/node-flags.test.ts holds them to it).
 *
 * `--max-semi-space-size=4` bounds V8's young generation at 2 × 4 MB (Node's default lets it
 * grow to 2 × 16 MB under media traffic). With the default, a worker's old generation (≈ 30 MB
 * live at rest: the app and its SDKs) keeps less room below its next collection than the young
 * generation's size; V8 then starts incremental marking again and again, each round finding
 * almost nothing to free — on this project's media bench one full mark-compact every 3–6 s, at
 * 15–40 ms of marking each, where the bound gives none. Young collections come more often
 * (a few a second at 300 calls, < 1 ms each: media allocates little per frame). A process below
 * V8's marking threshold, such as a bare relay, never meets this.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

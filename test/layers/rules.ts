/**
 * Which way the layers point (docs/ARCHITECTURE.md, "Layers"). Each rule is checked on every
 * import, type-only imports included, by `test/layers/layers.test.ts`.
 */
import type { Allowance, Rule } from './check.js';

/**
 * Pure codecs and generated audio of src/media a carrier adapter may use (not the bridge, pacing
 * or marks): no imports of their own, no I/O.
 */
const MEDIA_CODECS = [
  'src/media/formats.ts',
  'src/media/mulaw.ts',
  'src/media/resample.ts',
  'src/media/transcode.ts',
  'src/media/rechunk.ts',
  'src/media/tone.ts',
  'src/media/hold-music.ts',
];

/** Packages whose code computes and does no I/O: what the pure layers may reach. */
const PURE_PACKAGES = ['pkg:zod', 'pkg:libphonenumber-js'];

/** Official carrier SDKs, and the built-ins an adapter needs to sign, parse and reach the carrier. */
const ADAPTER_PACKAGES = [
  'pkg:twilio',
  'pkg:plivo',
  'pkg:zod',
  'node:crypto',
  'node:querystring',
  'node:buffer',
  'node:http',
  'node:https',
];

const PRODUCT = ['src/**', 'providers/**', 'sim/**'];
const TOOLING = ['test/**', 'bench/**', 'demo/**', 'support/**'];

export const RULES: readonly Rule[] = [
  {
    kind: 'never',
    id: 'product-not-tooling',
    says: 'src/, providers/ and sim/ never import tests, benchmarks, the demo or support/',
    from: PRODUCT,
    forbid: TOOLING,
  },
  {
    kind: 'never',
    id: 'src-not-sim',
    says: 'the daemon never imports the simulator',
    from: ['src/**'],
    forbid: ['sim/**'],
  },
  {
    kind: 'never',
    id: 'composition-root',
    says: 'src/app.ts and src/main.ts wire everything; nothing in the product imports them',
    from: PRODUCT,
    except: ['src/main.ts'],
    forbid: ['src/app.ts', 'src/main.ts'],
  },
  {
    kind: 'never',
    id: 'tools-not-tests',
    says: 'benchmarks, the demo and support/ never import test/: what they share with tests lives in support/',
    from: ['bench/**', 'demo/**', 'support/**', 'bin/**'],
    forbid: ['test/**'],
  },
  {
    kind: 'never',
    id: 'support-below-tools',
    says: 'support/ serves tests and benchmarks alike, so it imports neither',
    from: ['support/**'],
    forbid: ['bench/**', 'demo/**'],
  },
  {
    kind: 'never',
    id: 'src-sees-provider-seam',
    says: 'the daemon reaches carriers only through providers/types.ts and the registry providers/index.ts',
    from: ['src/**'],
    forbid: ['providers/**'],
    unless: ['providers/types.ts', 'providers/index.ts'],
  },
  {
    kind: 'only',
    id: 'providers-below-runtime',
    says: 'providers/ imports only providers/, src/domain, src/lib, src/phone, the media codecs, zod and the official SDKs (never src/runtime, src/http, src/store)',
    from: ['providers/**'],
    allow: [
      'providers/**',
      'src/domain/**',
      'src/lib/**',
      'src/phone/**',
      ...MEDIA_CODECS,
      ...ADAPTER_PACKAGES,
    ],
  },
  {
    kind: 'apart',
    id: 'carriers-apart',
    says: "a carrier's folder never imports another carrier's; what they share lives in providers/shared/",
    parent: 'providers',
    shared: ['shared'],
  },
  {
    kind: 'never',
    id: 'provider-common-not-carriers',
    says: 'providers/types.ts and providers/shared/ name no carrier; only the registry providers/index.ts does',
    from: ['providers/*.ts', 'providers/shared/**'],
    except: ['providers/index.ts'],
    forbid: ['providers/*/**'],
    unless: ['providers/shared/**'],
  },
  {
    kind: 'apart',
    id: 'simulators-apart',
    says: "a carrier simulator's folder never imports another carrier simulator's",
    parent: 'sim/carriers',
    shared: [],
  },
  {
    kind: 'never',
    id: 'sim-not-daemon',
    says: 'the simulator is the phone network, not the daemon: never its shell (runtime, http, store, ops, cli)',
    from: ['sim/**'],
    forbid: ['src/runtime/**', 'src/http/**', 'src/store/**', 'src/ops/**', 'src/cli/**'],
  },
  {
    kind: 'never',
    id: 'sim-sees-provider-types',
    says: 'sim/ (sim/carriers/** above all) imports from providers/ only providers/types.ts: a simulator written from the adapter would share its bugs',
    from: ['sim/**'],
    forbid: ['providers/**'],
    unless: ['providers/types.ts'],
  },
  {
    kind: 'only',
    id: 'domain-is-the-floor',
    says: 'src/domain imports nothing but itself',
    from: ['src/domain/**'],
    allow: ['src/domain/**'],
  },
  {
    kind: 'only',
    id: 'lib-above-domain-only',
    says: 'src/lib is used by every layer, so it imports only src/domain and packages',
    from: ['src/lib/**'],
    allow: ['src/lib/**', 'src/domain/**', 'pkg:**', 'node:**'],
  },
  {
    kind: 'only',
    id: 'phone-is-pure',
    says: 'src/phone (numbers, destinations, policy) imports only src/domain, src/lib and libphonenumber-js',
    from: ['src/phone/**'],
    allow: ['src/phone/**', 'src/domain/**', 'src/lib/**', ...PURE_PACKAGES],
  },
  {
    kind: 'only',
    id: 'transfer-is-pure',
    says: 'src/transfer imports only src/domain, src/phone, src/lib, the agent configuration types and schedule, and zod',
    from: ['src/transfer/**'],
    allow: [
      'src/transfer/**',
      'src/domain/**',
      'src/phone/**',
      'src/lib/**',
      'src/config/agent-types.ts',
      'src/config/schedule.ts',
      ...PURE_PACKAGES,
    ],
  },
  {
    kind: 'reach',
    id: 'pure-closure',
    says: 'src/domain, src/phone and src/transfer reach no I/O through any chain of imports',
    from: ['src/domain/**', 'src/phone/**', 'src/transfer/**'],
    external: PURE_PACKAGES,
  },
  {
    kind: 'only',
    id: 'examples-standalone',
    says: 'examples/ (the example agent) imports only itself, ws and Node: it can be copied out as the start of a bot',
    from: ['examples/**'],
    allow: ['examples/**', 'pkg:ws', 'node:**'],
  },
  {
    kind: 'acyclic',
    id: 'src-folders-acyclic',
    says: 'no import cycle between the top-level folders of src/',
    root: 'src',
  },
];

/**
 * Known violations that work under way removes. Each names that work; an entry that no longer
 * excuses anything fails the check, so it is deleted when the work lands.
 */
export const ALLOWANCES: readonly Allowance[] = [];

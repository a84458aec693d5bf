import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { DaemonError } from '../domain/errors.js';
import type { LuaScript } from '../store/lua.js';
import {
  clientOptions,
  DEFAULT_STORE_RETRY,
  replyArray,
  replyNumber,
  replyString,
  runScript,
  toStoreError,
} from '../store/redis-client.js';
import type { AgentBackend, AgentRow, BackendPublishResult } from './backend.js';

/**
 * Agent configurations in Redis (docs/operations.md has the key table):
 * - `agent:<id>:{agents}` — hash: `draft` (JSON), `rev`, `ver` (latest version, 0 = none),
 *   `prev` (the revision `ver` froze), `nums` (JSON list of the inbound numbers `ver` routes).
 * - `agent:<id>:{agents}:published` — hash: version → the published configuration (JSON).
 *   Versions are never changed or deleted, so a call keeps the version it started with.
 * - `agents:{agents}:numbers` — hash: inbound E.164 number → agent id (published versions only).
 * - `agents:{agents}:ids` — set of agent ids.
 *
 * Every key carries the `{agents}` hash tag, so on Redis Cluster they share one slot and publish
 * stays one atomic script. Agent configurations are small and rarely written.
 */
export interface RedisAgentBackendOptions {
  readonly redisUrl: string;
  /** Prepended to every key (tests). Default `''`. */
  readonly keyPrefix?: string;
}

function script(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS: state, ids. ARGV: id, draft. Returns 1 when created. */
const CREATE = script(
  'agent_create',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'draft', ARGV[2], 'rev', 1, 'ver', 0, 'prev', 0, 'nums', '[]')
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`,
);

/** KEYS: state. ARGV: expected revision, draft. Returns the new revision, or -1. */
const SAVE_DRAFT = script(
  'agent_save_draft',
  `
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev or rev ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'draft', ARGV[2])
return redis.call('HINCRBY', KEYS[1], 'rev', 1)
`,
);

/**
 * KEYS: state, published, number index. ARGV: id, expected revision, published JSON, numbers….
 * Returns {'ok', version, created 0|1} | {'missing'} | {'conflict'} | {'number_in_use', number, owner}.
 */
const PUBLISH = script(
  'agent_publish',
  `
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return {'missing'} end
if rev ~= ARGV[2] then return {'conflict'} end
if redis.call('HGET', KEYS[1], 'prev') == rev then
  return {'ok', tonumber(redis.call('HGET', KEYS[1], 'ver')), 0}
end
for i = 4, #ARGV do
  local owner = redis.call('HGET', KEYS[3], ARGV[i])
  if owner and owner ~= ARGV[1] then return {'number_in_use', ARGV[i], owner} end
end
local old = cjson.decode(redis.call('HGET', KEYS[1], 'nums') or '[]')
for _, n in ipairs(old) do
  if redis.call('HGET', KEYS[3], n) == ARGV[1] then redis.call('HDEL', KEYS[3], n) end
end
local nums = {}
for i = 4, #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[1])
  nums[#nums + 1] = ARGV[i]
end
local ver = redis.call('HINCRBY', KEYS[1], 'ver', 1)
redis.call('HSET', KEYS[2], tostring(ver), ARGV[3])
local encoded = '[]'
if #nums > 0 then encoded = cjson.encode(nums) end
redis.call('HSET', KEYS[1], 'prev', rev, 'nums', encoded)
return {'ok', ver, 1}
`,
);

/** KEYS: state, published. ARGV: version or ''. Returns {version, json} or {}. */
const PUBLISHED = script(
  'agent_published',
  `
local ver = ARGV[1]
if ver == '' then
  ver = redis.call('HGET', KEYS[1], 'ver')
  if not ver or ver == '0' then return {} end
end
local json = redis.call('HGET', KEYS[2], ver)
if not json then return {} end
return {ver, json}
`,
);

export class RedisAgentBackend implements AgentBackend {
  readonly #client: Redis;
  readonly #p: string;

  constructor(options: RedisAgentBackendOptions) {
    this.#client = new Redis(options.redisUrl, clientOptions(DEFAULT_STORE_RETRY));
    // Errors surface on the commands; the client reconnects by itself.
    this.#client.on('error', () => undefined);
    this.#p = options.keyPrefix ?? '';
  }

  #state(id: string): string {
    return `${this.#p}agent:${id}:{agents}`;
  }
  #published(id: string): string {
    return `${this.#p}agent:${id}:{agents}:published`;
  }
  #numbers(): string {
    return `${this.#p}agents:{agents}:numbers`;
  }
  #ids(): string {
    return `${this.#p}agents:{agents}:ids`;
  }

  async load(agentId: string): Promise<AgentRow | null> {
    const reply = replyArray(
      await this.#run(() => this.#client.call('HMGET', this.#state(agentId), 'draft', 'rev', 'ver', 'prev')),
    );
    const [draft, rev, ver, prev] = reply;
    if (draft === null || draft === undefined) return null;
    return {
      draft: replyString(draft),
      revision: replyNumber(rev),
      version: replyNumber(ver),
      publishedRevision: replyNumber(prev),
    };
  }

  async ids(): Promise<readonly string[]> {
    const reply = replyArray(await this.#run(() => this.#client.call('SMEMBERS', this.#ids())));
    return reply.map(replyString).sort();
  }

  async create(agentId: string, draft: string): Promise<boolean> {
    const reply = await this.#script(CREATE, [this.#state(agentId), this.#ids()], [agentId, draft]);
    return replyNumber(reply) === 1;
  }

  async saveDraft(agentId: string, expectedRevision: number, draft: string): Promise<number | null> {
    const reply = replyNumber(
      await this.#script(SAVE_DRAFT, [this.#state(agentId)], [String(expectedRevision), draft]),
    );
    return reply < 0 ? null : reply;
  }

  async publish(
    agentId: string,
    expectedRevision: number,
    published: string,
    numbers: readonly string[],
  ): Promise<BackendPublishResult> {
    const reply = replyArray(
      await this.#script(
        PUBLISH,
        [this.#state(agentId), this.#published(agentId), this.#numbers()],
        [agentId, String(expectedRevision), published, ...numbers],
      ),
    );
    const status = replyString(reply[0]);
    if (status === 'ok')
      return { ok: true, version: replyNumber(reply[1]), created: replyNumber(reply[2]) === 1 };
    if (status === 'missing' || status === 'conflict') return { ok: false, reason: status };
    if (status === 'number_in_use') {
      return { ok: false, reason: status, number: replyString(reply[1]), owner: replyString(reply[2]) };
    }
    throw new DaemonError('store_corrupt', 'unexpected publish reply');
  }

  async published(agentId: string, version?: number): Promise<{ version: number; json: string } | null> {
    const reply = replyArray(
      await this.#script(
        PUBLISHED,
        [this.#state(agentId), this.#published(agentId)],
        [version === undefined ? '' : String(version)],
      ),
    );
    if (reply.length < 2) return null;
    return { version: replyNumber(reply[0]), json: replyString(reply[1]) };
  }

  async ownerOf(e164: string): Promise<string | null> {
    const reply = await this.#run(() => this.#client.call('HGET', this.#numbers(), e164));
    return reply === null || reply === undefined ? null : replyString(reply);
  }

  async close(): Promise<void> {
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  #script(s: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.#run(() => runScript(this.#client, s, keys, args));
  }

  async #run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw toStoreError(err);
    }
  }
}

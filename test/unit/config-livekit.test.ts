import { describe, expect, it } from 'vitest';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { ConfigError } from '../../src/config/config-error.js';

const US = { defaultRegion: 'US' };

function withAgent(agent: Record<string, unknown>): unknown {
  return { agents: [{ id: 'front-desk', agent }] };
}

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseAgentsConfig(raw, US);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected parseAgentsConfig to throw');
}

describe('agent.transport: livekit', () => {
  it('takes agent.livekit with its defaults; agent.url follows livekit.url', () => {
    const config = parseAgentsConfig(
      withAgent({
        transport: 'livekit',
        livekit: { url: 'wss://lk.example.com', agentName: 'front-desk-bot' },
      }),
      US,
    );
    expect(config.agents[0]?.agent).toMatchObject({
      transport: 'livekit',
      url: 'wss://lk.example.com',
      livekit: {
        url: 'wss://lk.example.com',
        agentName: 'front-desk-bot',
        roomPrefix: 'patchthrough-',
        metadata: {},
      },
    });
  });

  it('keeps the websocket default untouched: no livekit block, url required', () => {
    const config = parseAgentsConfig(withAgent({ url: 'wss://bot.example.com/stream' }), US);
    expect(config.agents[0]?.agent.transport).toBe('websocket');
    expect(config.agents[0]?.agent.livekit).toBeUndefined();
    expect(issuesOf(withAgent({}))).toEqual([{ path: 'agents[0].agent.url', message: 'expected a URL' }]);
  });

  it('names the field of each problem', () => {
    expect(issuesOf(withAgent({ transport: 'livekit' }))).toEqual([
      {
        path: 'agents[0].agent.livekit',
        message: 'is required with transport: livekit ({ url, agentName?, roomPrefix?, metadata? })',
      },
    ]);
    expect(
      issuesOf(withAgent({ url: 'wss://bot.example.com', livekit: { url: 'wss://lk.example.com' } })),
    ).toEqual([{ path: 'agents[0].agent.livekit', message: 'is only read with transport: livekit' }]);
    expect(issuesOf(withAgent({ transport: 'livekit', livekit: { url: 'ftp://lk.example.com' } }))).toEqual([
      {
        path: 'agents[0].agent.livekit.url',
        message: 'must be a LiveKit server URL (wss:// or ws:// or https:// or http://)',
      },
    ]);
    const paths = issuesOf(
      withAgent({
        transport: 'livekit',
        livekit: {
          url: 'wss://lk.example.com',
          agentName: 'has spaces',
          roomPrefix: 'x'.repeat(33),
          metadata: { 'bad key': 'v' },
          apiSecret: 'never here',
        },
      }),
    ).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'agents[0].agent.livekit.agentName',
        'agents[0].agent.livekit.roomPrefix',
        'agents[0].agent.livekit.metadata.bad key',
        'agents[0].agent.livekit',
      ]),
    );
  });

  it('refuses an agent.url that contradicts livekit.url', () => {
    expect(
      issuesOf(
        withAgent({
          transport: 'livekit',
          url: 'wss://other.example.com',
          livekit: { url: 'wss://lk.example.com' },
        }),
      ),
    ).toEqual([
      {
        path: 'agents[0].agent.url',
        message: 'differs from livekit.url: give the LiveKit server once, in livekit.url',
      },
    ]);
  });
});

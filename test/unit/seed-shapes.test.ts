import { describe, expect, it } from 'vitest';
import { parseAgentConfig, parseAgentsConfig } from '../../src/config/agents.js';
import { ConfigError } from '../../src/config/config-error.js';
import { toolSchemasFor } from '../../src/transfer/tools.js';

/**
 * The seeds' own agent shapes (shared/seeds/002, 003, 004) load as written, beside the native one,
 * and come out native with a note of where each field came from; another shape's field name in
 * the wrong place gets a hint.
 */

const US = { defaultRegion: 'US' };
const base = { id: 'a', agent: { url: 'ws://127.0.0.1:9/agent' } };

function issues(raw: unknown): { path: string; message: string }[] {
  try {
    parseAgentsConfig({ agents: [raw] }, US);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected the configuration to be refused');
}

describe('nixflex (seed 002)', () => {
  it('maps transfer_type and transfer_whisper onto handoffConfig', () => {
    const agent = parseAgentConfig(
      { ...base, transfer_type: 'warm', transfer_whisper: 'Incoming refund request — please assist.' },
      US,
    );
    expect(agent.handoffConfig.warm).toBe(true);
    expect(agent.handoffConfig.whisper).toBe('Incoming refund request — please assist.');
    expect(agent.mappedFrom).toEqual({
      shapes: ['nixflex'],
      fields: [
        { from: 'transfer_type', to: 'handoffConfig.warm' },
        { from: 'transfer_whisper', to: 'handoffConfig.whisper' },
      ],
      unused: [],
    });
  });

  it('takes transfer_whisper: null (the summary) and cold', () => {
    const agent = parseAgentConfig({ ...base, transfer_type: 'cold', transfer_whisper: null }, US);
    expect(agent.handoffConfig).toMatchObject({ warm: false, whisper: null });
  });

  it('refuses another transfer type, and a clash with the native field', () => {
    expect(issues({ ...base, transfer_type: 'blind' })).toEqual([
      { path: 'agents[0].transfer_type', message: "must be 'cold' or 'warm'" },
    ]);
    expect(issues({ ...base, transfer_type: 'warm', handoffConfig: { warm: false } })[0]?.message).toMatch(
      /handoffConfig.warm is also set/,
    );
  });
});

describe('seed 003', () => {
  const template = {
    configurations: { transfer_number: '+14155550123' },
    global_builtin_functions: [
      {
        name: 'connect_to_live_agent',
        description: 'Transfer the customer to a live human agent when they request to speak with a person.',
        parameters: {},
      },
    ],
  };

  it('maps the template onto the default destination and the connect_to_live_agent tool', () => {
    const agent = parseAgentConfig({ ...base, ...template }, US);
    expect(agent.handoffConfig.transferDestination).toBe('+14155550123');
    expect(agent.tools.connectToLiveAgent?.description).toBe(
      'Transfer the customer to a live human agent when they request to speak with a person.',
    );
    const names = toolSchemasFor(agent).map((t) => t.function.name);
    expect(names).toContain('connect_to_live_agent');
    expect(agent.mappedFrom?.shapes).toEqual(['seed-003']);
  });

  it('offers connect_to_live_agent without a transfer_number (it will answer missing_transfer_number)', () => {
    const agent = parseAgentConfig(
      { ...base, global_builtin_functions: template.global_builtin_functions },
      US,
    );
    const tool = toolSchemasFor(agent).find((t) => t.function.name === 'connect_to_live_agent');
    expect(tool?.function.description).toMatch(/live human agent/);
  });

  it('reports a bad transfer_number where it came from, and an unknown built-in', () => {
    const found = issues({
      ...base,
      configurations: { transfer_number: '12' },
      global_builtin_functions: [{ name: 'send_sms', parameters: {} }],
    });
    expect(found.map((i) => i.path)).toEqual([
      'agents[0].global_builtin_functions[0].name',
      'agents[0].handoffConfig.transferDestination',
    ]);
  });
});

describe('VoiceDock (seed 004)', () => {
  const assistant = {
    name: 'Support Assistant',
    first_message: 'Welcome to Acme support, how can I help you?',
    llm_config: {
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'You are a support agent for Acme.' }],
      tools: [
        {
          type: 'transfer_call',
          destinations: [
            {
              type: 'number',
              number: '+31612345678',
              description: 'Human support assistant for complex issues',
              message: "I'm transferring you to one of my colleagues, one moment please.",
            },
          ],
        },
        { type: 'end_call' },
      ],
    },
  };

  it('maps destinations onto rules (label = the number), end_call onto a tool, and notes what it does not use', () => {
    const agent = parseAgentConfig({ ...base, ...assistant }, US);
    expect(agent.name).toBe('Support Assistant');
    expect(agent.handoffConfig.transferRules).toEqual([
      {
        label: '+31612345678',
        when: 'Human support assistant for complex issues',
        destination: ['+31612345678'],
        callerMessage: "I'm transferring you to one of my colleagues, one moment please.",
      },
    ]);
    expect(agent.tools.endCall).toEqual({});
    expect(toolSchemasFor(agent).map((t) => t.function.name)).toEqual(['transfer_call', 'end_call']);
    expect(agent.mappedFrom).toMatchObject({
      shapes: ['voicedock'],
      unused: ['first_message', 'llm_config.provider', 'llm_config.model', 'llm_config.messages'],
    });
  });

  it('refuses an unknown tool type and a destination without a number', () => {
    const found = issues({
      ...base,
      llm_config: {
        tools: [
          { type: 'sms' },
          { type: 'transfer_call', destinations: [{ type: 'number', description: 'x' }] },
        ],
      },
    });
    expect(found).toEqual([
      { path: 'agents[0].llm_config.tools[0].type', message: "must be 'transfer_call' or 'end_call'" },
      {
        path: 'agents[0].llm_config.tools[1].destinations[0].number',
        message: 'is required: a phone number in E.164 format',
      },
    ]);
  });
});

describe('hints for another shape’s field in the wrong place', () => {
  it.each([
    [
      { handoffConfig: { transfer_type: 'warm' } },
      'agents[0].handoffConfig.transfer_type',
      /nixflex's name.*handoffConfig.warm/,
    ],
    [
      { transfer_number: '+14155550123' },
      'agents[0].transfer_number',
      /seed 003's name.*configurations.transfer_number/,
    ],
    [{ tools: [{ type: 'end_call' }] }, 'agents[0].tools', /VoiceDock's.*llm_config.tools/],
    [
      { transferDestination: '+14155550123' },
      'agents[0].transferDestination',
      /flowyte's name.*handoffConfig.transferDestination/,
    ],
  ])('%o', (extra, path, message) => {
    const found = issues({ ...base, ...extra });
    expect(found.find((i) => i.path === path)?.message).toMatch(message);
  });

  it("gives no agent hint at the file's own top level", () => {
    try {
      parseAgentsConfig({ agents: [base], transfer_type: 'warm' }, US);
      throw new Error('expected the file to be refused');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      expect(err.issues).toEqual([{ path: '', message: 'Unrecognized key: "transfer_type"' }]);
    }
  });

  it('keeps the plain message for a key no shape has', () => {
    expect(issues({ ...base, colour: 'blue' })).toEqual([
      { path: 'agents[0]', message: 'Unrecognized key: "colour"' },
    ]);
  });
});

describe('the native form', () => {
  it('parses to the same value when written back (the note included)', () => {
    const agent = parseAgentConfig({ ...base, transfer_type: 'warm', transfer_whisper: null }, US);
    expect(parseAgentConfig(JSON.parse(JSON.stringify(agent)), US)).toEqual(agent);
  });
});

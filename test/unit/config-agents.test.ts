import { describe, expect, it } from 'vitest';
import {
  findAgentById,
  findAgentByNumber,
  parseAgentConfig,
  parseAgentsConfig,
  skillToolName,
} from '../../src/config/agents.js';
import { ConfigError } from '../../src/config/config-error.js';
import { DEMO_AGENT_URL_PLACEHOLDER, DEMO_AGENTS, demoAgents } from '../../src/config/demo-agents.js';

const US = { defaultRegion: 'US' };

function minimal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'front-desk', agent: { url: 'wss://bot.example.com/stream' }, ...extra };
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

describe('agent defaults', () => {
  it('fills every default from a minimal agent', () => {
    const config = parseAgentsConfig({ agents: [minimal()] }, US);
    expect(config).toEqual({
      defaultRegion: 'US',
      agents: [
        {
          id: 'front-desk',
          name: 'front-desk',
          numbers: [],
          carrier: 'twilio',
          agent: {
            transport: 'websocket',
            url: 'wss://bot.example.com/stream',
            audio: { encoding: 'mulaw', sampleRate: 8000 },
            headers: {},
            connectTimeoutMs: 5000,
            waitAudio: { sound: 'comfort_noise', afterMs: 1000 },
            speaksMessages: false,
          },
          handoffConfig: {
            mode: 'cold',
            warm: false,
            whisper: null,
            transferRules: [],
            summaryTimeoutMs: 2500,
            callerId: 'caller',
            handoffWaitMs: 4000,
            machineDetection: false,
            whisperVoice: 'carrier',
            sendDigits: {},
            briefingTimeoutSec: 30,
            waitForHumanSpeechMs: 0,
            acceptDigit: '1',
            declineDigit: '2',
          },
          skills: [],
          callControl: { onNoResponseAction: 'none', noResponseTimeoutSec: 10 },
          destinationPolicy: { allow: [], countries: [] },
          tools: {},
        },
      ],
    });
  });

  it('fills skill defaults and derives the tool name', () => {
    const config = parseAgentsConfig(
      {
        agents: [
          minimal({
            skills: [
              {
                name: 'Transfer to billing',
                description: 'When they ask about an invoice.',
                skillType: 'transfer',
                executionConfig: { destination: '4155550111' },
              },
            ],
          }),
        ],
      },
      US,
    );
    expect(config.agents[0]?.skills).toEqual([
      {
        name: 'Transfer to billing',
        description: 'When they ask about an invoice.',
        skillType: 'transfer',
        executionConfig: { destination: ['+14155550111'] },
        requiresConfirmation: false,
        stakes: 'medium',
        toolName: 'transfer_to_billing',
      },
    ]);
  });

  it('is deeply frozen', () => {
    const config = parseAgentsConfig({ agents: [minimal({ numbers: ['4155550100'] })] }, US);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.agents[0]?.numbers)).toBe(true);
    expect(Object.isFrozen(config.agents[0]?.handoffConfig.transferRules)).toBe(true);
  });
});

describe('normalization', () => {
  const config = parseAgentsConfig(
    {
      agents: [
        minimal({
          numbers: ['415 555 0100', '+1 (415) 555-0101'],
          outboundNumber: '4155550102',
          handoffConfig: {
            transferDestination: '(415) 555-0133',
            callerId: '415-555-0199',
            transferRules: [
              { label: 'Billing', when: 'invoices', destination: ['4155550111', 'tel:+14155550112'] },
              { label: 'PBX', when: 'desk phones', destination: 'SIP:Desk@PBX.Example.com' },
            ],
          },
          afterHours: {
            timezone: 'america/new_york',
            schedule: {},
            allowHumanTransfer: true,
            number: '4155550144',
          },
          destinationPolicy: { allow: ['+1 (415) 555-*', 'SIP:*@pbx.example.com'], countries: ['ca', 'US'] },
        }),
      ],
    },
    US,
  );
  const agent = config.agents[0]!;

  it('turns 10-digit US numbers into E.164', () => {
    expect(agent.numbers).toEqual(['+14155550100', '+14155550101']);
    expect(agent.outboundNumber).toBe('+14155550102');
    expect(agent.handoffConfig.transferDestination).toBe('+14155550133');
    expect(agent.handoffConfig.callerId).toBe('+14155550199');
    expect(agent.afterHours?.number).toBe('+14155550144');
  });

  it('keeps rule chains in order and makes a single destination a list', () => {
    expect(agent.handoffConfig.transferRules.map((rule) => rule.destination)).toEqual([
      ['+14155550111', '+14155550112'],
      ['sip:Desk@pbx.example.com'],
    ]);
  });

  it('canonicalizes time zones, patterns and countries', () => {
    expect(agent.afterHours?.timezone).toBe('America/New_York');
    expect(agent.destinationPolicy).toEqual({
      allow: ['+1415555*', 'sip:*@pbx.example.com'],
      countries: ['CA', 'US'],
    });
  });

  it('reads national numbers in the file defaultRegion', () => {
    const gb = parseAgentsConfig(
      { defaultRegion: 'gb', agents: [minimal({ handoffConfig: { transferDestination: '020 8760 1234' } })] },
      US,
    );
    expect(gb.defaultRegion).toBe('GB');
    expect(gb.agents[0]?.handoffConfig.transferDestination).toBe('+442087601234');
  });

  it('parses its own JSON output to the same value', () => {
    expect(parseAgentsConfig(JSON.parse(JSON.stringify(config)), US)).toEqual(config);
  });
});

describe('errors, each with its path', () => {
  const rulesWithBadSecond = {
    agents: [
      minimal({
        handoffConfig: {
          transferRules: [
            { label: 'Billing', when: 'invoices', destination: '+14155550111' },
            { label: 'Support', when: 'help', destination: '+1555' },
          ],
        },
      }),
    ],
  };

  it('names the destination and the reason', () => {
    expect(() => parseAgentsConfig(rulesWithBadSecond, US)).toThrow(
      'agents[0].handoffConfig.transferRules[1].destination: "+1555" is not a valid phone number (too short)',
    );
  });

  it.each([
    [{ agents: 'x' }, 'agents', 'expected array'],
    [{}, 'agents', 'is required'],
    [{ agents: [{ id: 'a' }] }, 'agents[0].agent', 'is required'],
    [{ agents: [minimal({ id: 'has space' })] }, 'agents[0].id', 'letters, digits'],
    [{ agents: [minimal({ agent: { url: 'https://bot.example.com' } })] }, 'agents[0].agent.url', 'ws://'],
    [
      { agents: [minimal({ agent: { url: 'ws://b', audio: { sampleRate: 11025 } } })] },
      'agents[0].agent.audio.sampleRate',
      '',
    ],
    [
      { agents: [minimal({ agent: { url: 'ws://b', headers: { 'X-A': 'a\r\nb' } } })] },
      'agents[0].agent.headers.X-A',
      'line breaks',
    ],
    [{ agents: [minimal({ carrier: 'vonage' })] }, 'agents[0].carrier', ''],
    [{ agents: [minimal({ numbers: ['555'] })] }, 'agents[0].numbers[0]', 'too short'],
    [
      { agents: [minimal({ numbers: ['sip:a@b.example'] })] },
      'agents[0].numbers[0]',
      'a phone number is needed',
    ],
    [
      { agents: [minimal({ outboundNumber: '+999123' })] },
      'agents[0].outboundNumber',
      'unknown country code',
    ],
    [{ agents: [minimal({ handoffConfig: { warm: 'yes' } })] }, 'agents[0].handoffConfig.warm', 'boolean'],
    [{ agents: [minimal({ handoffConfig: { mode: 'hot' } })] }, 'agents[0].handoffConfig.mode', 'cold'],
    [
      { agents: [minimal({ handoffConfig: { mode: 'cold', warm: true } })] },
      'agents[0].handoffConfig.mode',
      'warm: true is an alias of mode: warm',
    ],
    [
      { agents: [minimal({ handoffConfig: { mode: 'agentic', warm: true } })] },
      'agents[0].handoffConfig.mode',
      'alias',
    ],
    [
      { agents: [minimal({ handoffConfig: { acceptDigit: '12' } })] },
      'agents[0].handoffConfig.acceptDigit',
      'one DTMF key',
    ],
    [
      { agents: [minimal({ handoffConfig: { acceptDigit: '#', declineDigit: '#' } })] },
      'agents[0].handoffConfig.declineDigit',
      'must differ',
    ],
    [
      { agents: [minimal({ handoffConfig: { sendDigits: { '+14155550111': '12x' } } })] },
      'agents[0].handoffConfig.sendDigits.+14155550111',
      'keys 0-9',
    ],
    [
      { agents: [minimal({ handoffConfig: { sendDigits: { nope: '123' } } })] },
      'agents[0].handoffConfig.sendDigits.nope',
      '',
    ],
    [
      { agents: [minimal({ handoffConfig: { briefingTimeoutSec: 2 } })] },
      'agents[0].handoffConfig.briefingTimeoutSec',
      '',
    ],
    [
      { agents: [minimal({ handoffConfig: { warmm: true } })] },
      'agents[0].handoffConfig',
      'Unrecognized key: "warmm"',
    ],
    [
      { agents: [minimal({ handoffConfig: { ringTimeoutSec: 3 } })] },
      'agents[0].handoffConfig.ringTimeoutSec',
      '',
    ],
    [
      { agents: [minimal({ handoffConfig: { ringTimeoutSec: 121 } })] },
      'agents[0].handoffConfig.ringTimeoutSec',
      '',
    ],
    [
      { agents: [minimal({ handoffConfig: { callerId: 'boss' } })] },
      'agents[0].handoffConfig.callerId',
      "'caller', 'agent'",
    ],
    [
      { agents: [minimal({ handoffConfig: { holdAudio: 'file:///x.wav' } })] },
      'agents[0].handoffConfig.holdAudio',
      'http',
    ],
    [
      { agents: [minimal({ handoffConfig: { transferDestination: 'sip:x' } })] },
      'agents[0].handoffConfig.transferDestination',
      'SIP URI',
    ],
    [
      {
        agents: [minimal({ handoffConfig: { transferRules: [{ label: 'A', when: 'w', destination: [] }] } })],
      },
      'agents[0].handoffConfig.transferRules[0].destination',
      'at least one destination',
    ],
    [
      {
        agents: [
          minimal({
            handoffConfig: { transferRules: [{ label: 'A', when: 'w', destination: ['+14155550111', 'x'] }] },
          }),
        ],
      },
      'agents[0].handoffConfig.transferRules[0].destination[1]',
      'not a number',
    ],
    [
      {
        agents: [
          minimal({
            handoffConfig: { transferRules: [{ label: 'Default', when: 'w', destination: '+14155550111' }] },
          }),
        ],
      },
      'agents[0].handoffConfig.transferRules[0].label',
      'reserved',
    ],
    [
      { agents: [minimal({ skills: [{ name: 'Lookup', description: 'd', skillType: 'lookup' }] })] },
      'agents[0].skills[0].skillType',
      "only 'transfer' skills",
    ],
    [
      { agents: [minimal({ skills: [{ name: 'Transfer call', description: 'd', skillType: 'transfer' }] })] },
      'agents[0].skills[0].name',
      'reserved',
    ],
    [
      {
        agents: [
          minimal({ skills: [{ name: 'S', description: 'd', skillType: 'transfer', stakes: 'huge' }] }),
        ],
      },
      'agents[0].skills[0].stakes',
      '',
    ],
    [
      { agents: [minimal({ agent: { url: 'wss://bot.example.com/stream', waitAudio: { sound: 'beep' } } })] },
      'agents[0].agent.waitAudio.sound',
      'comfort_noise',
    ],
    [
      { agents: [minimal({ agent: { url: 'wss://bot.example.com/stream', waitAudio: { afterMs: 50 } } })] },
      'agents[0].agent.waitAudio.afterMs',
      '200',
    ],
    [
      { agents: [minimal({ callControl: { onNoResponseAction: 'voicemail' } })] },
      'agents[0].callControl.onNoResponseAction',
      '',
    ],
    [
      { agents: [minimal({ afterHours: { timezone: 'Mars/Olympus', schedule: {} } })] },
      'agents[0].afterHours.timezone',
      'IANA',
    ],
    [
      { agents: [minimal({ afterHours: { timezone: 'UTC', schedule: { mon: [['9:00', '17:00']] } } })] },
      'agents[0].afterHours.schedule.mon[0][0]',
      'HH:MM',
    ],
    [
      { agents: [minimal({ afterHours: { timezone: 'UTC', schedule: { mon: [['22:00', '02:00']] } } })] },
      'agents[0].afterHours.schedule.mon[0]',
      'cross midnight',
    ],
    [
      { agents: [minimal({ afterHours: { timezone: 'UTC', schedule: { monday: [] } } })] },
      'agents[0].afterHours.schedule',
      'Unrecognized key',
    ],
    [
      { agents: [minimal({ afterHours: { timezone: 'UTC', schedule: {}, closedDates: ['25/12/2025'] } })] },
      'agents[0].afterHours.closedDates[0]',
      'YYYY-MM-DD',
    ],
    [
      { agents: [minimal({ destinationPolicy: { allow: ['1415*'] } })] },
      'agents[0].destinationPolicy.allow[0]',
      'not a valid pattern',
    ],
    [
      { agents: [minimal({ destinationPolicy: { allow: ['+1415'] } })] },
      'agents[0].destinationPolicy.allow[0]',
      'add * to allow a prefix',
    ],
    [
      { agents: [minimal({ destinationPolicy: { countries: ['Narnia'] } })] },
      'agents[0].destinationPolicy.countries[0]',
      'ISO country',
    ],
    [{ defaultRegion: 'XX', agents: [] }, 'defaultRegion', 'ISO country'],
  ])('%j → %s', (raw, path, fragment) => {
    const issues = issuesOf(raw);
    const issue = issues.find((candidate) => candidate.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.message).toContain(fragment);
  });

  it('reports every problem at once, across agents', () => {
    const issues = issuesOf({
      agents: [
        minimal({
          id: 'bad id',
          numbers: ['+1555'],
          handoffConfig: { transferDestination: 'nope', warm: 1 },
        }),
        minimal({ id: 'ok', agent: { url: 'http://x' }, callControl: { noResponseTimeoutSec: 0 } }),
        minimal({ id: 'ok' }),
      ],
    });
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        'agents[0].id',
        'agents[0].numbers[0]',
        'agents[0].handoffConfig.warm',
        'agents[0].handoffConfig.transferDestination',
        'agents[1].agent.url',
        'agents[1].callControl.noResponseTimeoutSec',
        'agents[2].id',
      ]),
    );
    expect(issues).toHaveLength(7);
    const agentOrder = issues.map((issue) => Number(/^agents\[(\d)\]/.exec(issue.path)?.[1]));
    expect(agentOrder).toEqual([...agentOrder].sort());
  });

  it('refuses duplicate agent ids', () => {
    expect(issuesOf({ agents: [minimal(), minimal()] })).toEqual([
      { path: 'agents[1].id', message: 'duplicate agent id "front-desk" (also agents[0])' },
    ]);
  });

  it('refuses an inbound number claimed by two agents, however it is written', () => {
    expect(
      issuesOf({
        agents: [
          minimal({ numbers: ['+14155550100'] }),
          minimal({ id: 'other', numbers: ['(415) 555-0100'] }),
        ],
      }),
    ).toEqual([
      { path: 'agents[1].numbers[0]', message: '+14155550100 is already routed by agents[0].numbers[0]' },
    ]);
  });

  it('refuses duplicate rule labels (any case) and skill names', () => {
    const skill = (name: string) => ({ name, description: 'd', skillType: 'transfer' });
    const issues = issuesOf({
      agents: [
        minimal({
          handoffConfig: {
            transferRules: [
              { label: 'Billing', when: 'a', destination: '+14155550111' },
              { label: 'billing', when: 'b', destination: '+14155550112' },
            ],
          },
          skills: [skill('To billing'), skill('to BILLING'), skill('To-billing!')],
        }),
      ],
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      'agents[0].handoffConfig.transferRules[1].label',
      'agents[0].skills[1].name',
      'agents[0].skills[2].name',
    ]);
    expect(issues[2]?.message).toContain('tool name "to_billing"');
  });
});

describe('skill tool names', () => {
  const skill = (name: string, toolName?: string) => ({
    name,
    description: 'd',
    skillType: 'transfer',
    ...(toolName === undefined ? {} : { toolName }),
  });

  it('takes a configured toolName over the derived one', () => {
    const config = parseAgentsConfig({ agents: [minimal({ skills: [skill('請求', 'billing_jp')] })] }, US);
    expect(config.agents[0]?.skills[0]?.toolName).toBe('billing_jp');
  });

  it.each([
    [[skill('A', 'has space')], 'agents[0].skills[0].toolName', 'LLM function name'],
    [[skill('A', 'connect_to_live_agent')], 'agents[0].skills[0].toolName', 'reserved'],
    [[skill('Billing'), skill('Other', 'billing')], 'agents[0].skills[1].toolName', 'also that of skills[0]'],
  ])('refuses %j', (skills, path, fragment) => {
    const issue = issuesOf({ agents: [minimal({ skills })] }).find((candidate) => candidate.path === path);
    expect(issue?.message).toContain(fragment);
  });
});

describe('skillToolName', () => {
  it.each([
    ['Transfer to billing', 0, 'transfer_to_billing'],
    ['  Escalate -> Manager!! ', 0, 'escalate_manager'],
    ['Facturación', 0, 'facturacion'],
    ['請求', 2, 'skill_3'],
    ['x'.repeat(80), 0, 'x'.repeat(64)],
  ])('%s → %s', (name, index, tool) => {
    expect(skillToolName(name, index)).toBe(tool);
    expect(tool).toMatch(/^[a-z0-9_]{1,64}$/);
  });
});

describe('single agents and lookups', () => {
  it('parseAgentConfig reports paths relative to the agent', () => {
    expect(() => parseAgentConfig({ id: 'a', agent: { url: 'ws://x' }, numbers: ['1'] }, US)).toThrow(
      /numbers\[0\]: "1" is not a valid phone number/,
    );
    expect(parseAgentConfig(minimal(), US).id).toBe('front-desk');
  });

  it('finds agents by id and by the called number in carrier formats', () => {
    const config = parseAgentsConfig(
      { agents: [minimal({ numbers: ['+14155550100'] }), minimal({ id: 'uk', numbers: ['+442087601234'] })] },
      US,
    );
    expect(findAgentById(config, 'uk')?.id).toBe('uk');
    expect(findAgentById(config, 'nope')).toBeUndefined();
    expect(findAgentByNumber(config, '+14155550100')?.id).toBe('front-desk');
    expect(findAgentByNumber(config, '14155550100')?.id).toBe('front-desk');
    expect(findAgentByNumber(config, '442087601234')?.id).toBe('uk');
    expect(findAgentByNumber(config, '+14155550199')).toBeUndefined();
    expect(findAgentByNumber(config, 'anonymous')).toBeUndefined();
  });
});

describe('DEMO_AGENTS', () => {
  it('has the demo agent with the seed rules, a skill and a closed policy', () => {
    const agent = DEMO_AGENTS.agents[0]!;
    expect(DEMO_AGENTS.agents).toHaveLength(1);
    expect(agent.carrier).toBe('twilio');
    expect(agent.numbers).toEqual(['+14155550100']);
    expect(agent.agent.url).toBe(DEMO_AGENT_URL_PLACEHOLDER);
    expect(agent.handoffConfig.warm).toBe(false);
    expect(agent.handoffConfig.transferDestination).toBe('+14155550133');
    expect(agent.handoffConfig.transferRules.map((rule) => [rule.label, rule.destination])).toEqual([
      ['Billing', ['+14155550111', '+14155550112']],
      ['Spanish line', ['+14155550122']],
    ]);
    expect(agent.skills.map((skill) => skill.name)).toEqual(['Transfer to billing']);
    expect(agent.destinationPolicy).toEqual({ allow: [], countries: [] });
  });

  it('takes the real agent URL', () => {
    expect(demoAgents('ws://127.0.0.1:41234/agent').agents[0]?.agent.url).toBe('ws://127.0.0.1:41234/agent');
  });
});

describe('handoffConfig.mode', () => {
  const modeOf = (handoffConfig: Record<string, unknown>) =>
    parseAgentsConfig({ agents: [minimal({ handoffConfig })] }, { defaultRegion: 'US' }).agents[0]!
      .handoffConfig;

  it.each([
    [{}, 'cold', false],
    [{ warm: false }, 'cold', false],
    [{ warm: true }, 'warm', true],
    [{ mode: 'warm' }, 'warm', true],
    [{ mode: 'warm', warm: true }, 'warm', true],
    [{ mode: 'cold', warm: false }, 'cold', false],
    [{ mode: 'agentic' }, 'agentic', false],
    [{ mode: 'agentic', warm: false }, 'agentic', false],
    [{ mode: 'warm', warm: false }, 'warm', true],
  ] as const)('%j → mode %s (warm %s)', (given, mode, warm) => {
    expect(modeOf(given)).toMatchObject({ mode, warm });
  });

  it('reads sendDigits by destination, normalized like every destination', () => {
    expect(modeOf({ sendDigits: { '(415) 555-0111': 'ww123#' } }).sendDigits).toEqual({
      '+14155550111': 'ww123#',
    });
  });

  it('has the briefing defaults: 30 s, accept 1, decline 2', () => {
    expect(modeOf({ mode: 'agentic' })).toMatchObject({
      briefingTimeoutSec: 30,
      acceptDigit: '1',
      declineDigit: '2',
    });
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatOf, loadAgentsFile, parseAgentsText } from '../../src/config/agents-file.js';
import { ConfigError } from '../../src/config/config-error.js';
import { isDestinationAllowed } from '../../src/phone/policy.js';
import { planTransfer } from '../../src/transfer/plan.js';
import { toolSchemasFor } from '../../src/transfer/tools.js';

const US = { defaultRegion: 'US' };
const dir = mkdtempSync(join(tmpdir(), 'patchthrough-agents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function issuesOf(path: string): Promise<{ path: string; message: string }[]> {
  try {
    await loadAgentsFile(path, US);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected loadAgentsFile to throw');
}

describe('examples/agents.yaml', () => {
  it('parses cleanly, normalizing every number', async () => {
    const config = await loadAgentsFile('examples/agents.yaml', US);
    expect(config.agents.map((agent) => agent.id)).toEqual(['acme-front-desk', 'uk-clinic']);
    const [acme, clinic] = config.agents;
    expect(acme?.numbers).toEqual(['+14155550100']);
    expect(acme?.handoffConfig.transferDestination).toBe('+14155550133');
    expect(acme?.handoffConfig.transferRules[2]?.destination).toEqual([
      'sip:reception@pbx.acme.example;transport=tls',
    ]);
    expect(acme?.skills.map((skill) => skill.toolName)).toEqual(['transfer_to_billing', 'account_owner']);
    expect(acme?.afterHours?.schedule.fri).toEqual([
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ]);
    expect(clinic?.handoffConfig.transferRules[0]?.destination).toEqual(['+442079460020', '+442079460021']);
    expect(clinic?.destinationPolicy.countries).toEqual(['GB']);
  });

  it('parses its own JSON output to the same value (skills and tool names included)', async () => {
    const config = await loadAgentsFile('examples/agents.yaml', US);
    expect(parseAgentsText(JSON.stringify(config), 'json', US)).toEqual(config);
  });

  it('is the same configuration as examples/agents.json', async () => {
    expect(await loadAgentsFile('examples/agents.json', US)).toEqual(
      await loadAgentsFile('examples/agents.yaml', US),
    );
  });

  it('is the complete example shown in docs/configuration.md', async () => {
    const doc = readFileSync('docs/configuration.md', 'utf8');
    const block = /## Complete example[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    expect(parseAgentsText(block ?? '', 'yaml', US)).toEqual(
      await loadAgentsFile('examples/agents.yaml', US),
    );
  });

  it('offers the tools docs/configuration.md lists for the front desk', async () => {
    const acme = (await loadAgentsFile('examples/agents.yaml', US)).agents[0]!;
    const tools = toolSchemasFor(acme);
    expect(tools.map((tool) => tool.function.name)).toEqual([
      'transfer_call',
      'connect_to_live_agent',
      'transfer_to_billing',
      'account_owner',
    ]);
    expect(tools[0]?.function.parameters.properties?.['destination']?.enum).toEqual([
      'Billing',
      'Spanish line',
      'Front desk phone',
      'default',
    ]);
    expect(tools[2]?.function.parameters.required).toEqual(['confirmed']);
  });

  it('plans the transfers the comments promise', async () => {
    const acme = (await loadAgentsFile('examples/agents.yaml', US)).agents[0]!;
    const tuesdayNoonLa = Date.parse('2025-01-07T20:00:00Z');
    const ctx = { nowMs: tuesdayNoonLa, callerNumber: '+12125550123', defaultRegion: 'US' };
    const billing = planTransfer(acme, { type: 'rule', label: 'Billing' }, ctx);
    expect(billing).toMatchObject({
      ok: true,
      plan: {
        mode: 'warm',
        chain: ['+14155550111', '+14155550112'],
        ringTimeoutMs: 20_000,
        whisper: { kind: 'summary' },
      },
    });
    const rep = planTransfer(
      acme,
      { type: 'skill', name: 'Account owner', confirmed: false, dynamicDestination: '+14155550234' },
      ctx,
    );
    expect(rep).toMatchObject({ ok: true, plan: { chain: ['+14155550234'] } });
    const sundayLa = Date.parse('2025-01-12T20:00:00Z');
    expect(planTransfer(acme, { type: 'default' }, { ...ctx, nowMs: sundayLa })).toMatchObject({
      ok: true,
      plan: { chain: ['+14155550144'] },
    });
    const clinic = (await loadAgentsFile('examples/agents.yaml', US)).agents[1]!;
    expect(isDestinationAllowed(clinic, { kind: 'pstn', e164: '+442079460999', country: 'GB' })).toEqual({
      allowed: true,
    });
  });
});

describe('loadAgentsFile', () => {
  const agentYaml =
    'agents:\n  - id: a\n    agent: { url: "ws://127.0.0.1:1/agent" }\n    numbers: ["4155550100"]\n';

  it.each([
    ['agents.yaml', agentYaml],
    ['agents.yml', agentYaml],
    [
      'agents.json',
      JSON.stringify({
        agents: [{ id: 'a', agent: { url: 'ws://127.0.0.1:1/agent' }, numbers: ['4155550100'] }],
      }),
    ],
  ])('reads %s', async (name, text) => {
    const config = await loadAgentsFile(write(name, text), US);
    expect(config.agents[0]?.numbers).toEqual(['+14155550100']);
  });

  it('names the file and every problem with its path', async () => {
    const path = write(
      'bad.yaml',
      [
        'agents:',
        '  - id: a',
        '    agent: { url: "ws://127.0.0.1:1/agent" }',
        '    handoffConfig:',
        '      transferRules:',
        '        - { label: Billing, when: invoices, destination: "+14155550111" }',
        '        - { label: Support, when: help, destination: "+1555" }',
        '  - id: a',
        '    agent: { url: "http://nope" }',
      ].join('\n'),
    );
    const err = await loadAgentsFile(path, US).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(`invalid configuration in ${path}`);
    expect((err as ConfigError).issues).toEqual([
      {
        path: 'agents[0].handoffConfig.transferRules[1].destination',
        message: '"+1555" is not a valid phone number (too short)',
      },
      { path: 'agents[1].agent.url', message: 'must be a WebSocket URL (ws:// or wss://)' },
      { path: 'agents[1].id', message: 'duplicate agent id "a" (also agents[0])' },
    ]);
  });

  it('reports YAML syntax errors with their line', async () => {
    const issues = await issuesOf(write('syntax.yaml', 'agents:\n  - id: a\n   bad: [\n'));
    expect(issues[0]?.message).toMatch(/not valid YAML at line \d+, column \d+/);
  });

  it('refuses duplicate YAML keys', async () => {
    const issues = await issuesOf(write('dup.yaml', 'agents: []\nagents: []\n'));
    expect(issues[0]?.message).toContain('not valid YAML');
  });

  it('reports JSON syntax errors', async () => {
    const issues = await issuesOf(write('syntax.json', '{"agents": [}'));
    expect(issues[0]?.message).toContain('not valid JSON');
  });

  it('reports a missing file', async () => {
    const issues = await issuesOf(join(dir, 'missing.yaml'));
    expect(issues).toEqual([{ path: '', message: 'cannot read the agents file (ENOENT)' }]);
  });

  it('refuses other extensions', () => {
    expect(() => formatOf('agents.toml')).toThrow(ConfigError);
    expect(formatOf('AGENTS.YML')).toBe('yaml');
  });

  it('parses text directly', () => {
    expect(parseAgentsText('{"agents": []}', 'json', US)).toEqual({ defaultRegion: 'US', agents: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { ANSWERS, useE2e } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';
import { runSeed, seedAgent } from './seed-support.js';

/**
 * VoiceDock (seed 004), end to end on every carrier: the page's "Complete Transfer Setup"
 * assistant, as written (its number is already a valid Dutch mobile), loads as an agent; the
 * LLM's `transfer_call` names the destination by its number; the destination's `message` is
 * spoken to the caller before anyone is dialed — by the carrier's text-to-speech (Twilio `<Say>`,
 * Plivo `<Speak>`), or in the agent's own voice (`say`/`said`, agent.speaksMessages) where the
 * carrier has none (Exotel); `end_call` hangs up (`agent_hangup`). On virtual time: the messages
 * and the rings cost no wall time.
 */

const NUMBER = '+31612345678';
const WRITE_KEY = 'e2e-writer-key-0123456789';
const MESSAGE = "I'm transferring you to one of my colleagues, one moment please.";

/** The page's example, verbatim. */
const ASSISTANT = {
  name: 'Support Assistant',
  first_message: 'Welcome to Acme support, how can I help you?',
  llm_config: {
    provider: 'openai',
    model: 'gpt-4o-mini',
    messages: [
      {
        role: 'system',
        content:
          'You are a support agent for Acme. Help customers with questions about products and services. Transfer only if:\n1. The customer explicitly asks for a human\n2. You cannot answer a question after 2 attempts\n3. There is a complaint that requires escalation',
      },
    ],
    tools: [
      {
        type: 'transfer_call',
        destinations: [
          {
            type: 'number',
            number: NUMBER,
            description:
              'Human support assistant for complex issues or when customer explicitly requests a human',
            message: MESSAGE,
          },
        ],
      },
      { type: 'end_call' },
    ],
  },
};

const TRANSFER = [
  { say: 300 },
  { toolCall: { name: 'transfer_call', arguments: { destination: NUMBER } } },
  { say: 100 },
] as const;

describe.each(['twilio', 'plivo', 'exotel'] as const)('VoiceDock (seed 004) on %s', (carrier) => {
  const e2e = useE2e(carrier, { virtualTime: true });
  // Exotel cannot speak to the caller before a dial: there only the bot can speak the message.
  const voices = carrier === 'exotel' ? (['agent'] as const) : (['carrier', 'agent'] as const);

  it.each(voices)(
    'transfer_call: the message (%s voice) is heard by the caller before the transfer, then the human',
    async (voice) => {
      const agentVoice = voice === 'agent';
      const h = await runSeed(e2e, {
        script: TRANSFER,
        ...(agentVoice ? { sayToneHz: 523 } : {}),
        agent: seedAgent(ASSISTANT, {}, agentVoice ? { speaksMessages: true } : {}),
      });
      const human = h.sim.network.addHuman(NUMBER, ANSWERS);
      const call = await e2e.placeCall(h);
      const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
      // The tool named the destination by its number: the rule the destination was mapped to.
      expect(connected.transfers).toMatchObject([{ trigger: 'rule', outcome: 'connected' }]);
      expect(connected.endedReason).toBeUndefined();
      await h.sim.waitFor(
        () => call.heard.from('party:').length > 0 && human.heard.from('party:').length > 0,
        5000,
      );
      const session = await h.agent!.session(0);
      expect(session.frames('tool_result')[0]?.frame).toMatchObject({ id: 'call_1', ok: true });
      const firstParty = call.heard.first('party:')!;
      if (agentVoice) {
        expect(session.frames('say').map((f) => f.frame['text'])).toEqual([MESSAGE]);
        expect(call.heard.from('say')).toEqual([]);
        // The bot's message (20 ms a character) played to its end before the caller left the AI.
        const streamMs = call.heard.from('stream:').reduce((ms, s) => ms + (s.endMs - s.startMs), 0);
        expect(streamMs).toBeGreaterThanOrEqual(300 + MESSAGE.length * 20 - 60);
        expect(call.heard.last('stream:')!.endMs).toBeLessThanOrEqual(firstParty.startMs);
      } else {
        expect(session.frames('say')).toEqual([]);
        const said = call.heard.first('say');
        expect(said?.text).toBe(MESSAGE);
        expect(said!.endMs).toBeLessThanOrEqual(firstParty.startMs);
        expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'say', 'ringback', 'party:']);
      }
      // The human heard the caller, and no message meant for the caller.
      expect(human.heard.from('say')).toEqual([]);
      expect(human.heard.from('party:').length).toBeGreaterThan(0);
      call.hangup();
      const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
      expect(ended.endedReason).toBe('transferred');
    },
  );

  it.runIf(carrier === 'exotel')(
    'Exotel, a bot that does not speak messages: the transfer goes on, and the timeline says the message went unspoken',
    async () => {
      const h = await runSeed(e2e, { script: TRANSFER, agent: seedAgent(ASSISTANT) });
      const human = h.sim.network.addHuman(NUMBER, ANSWERS);
      const call = await e2e.placeCall(h);
      const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
      expect(connected.timeline).toContainEqual(
        expect.objectContaining({ event: 'caller_message.unspoken' }),
      );
      await h.sim.waitFor(() => human.heard.from('party:').length > 0, 5000);
      expect(call.heard.from('say')).toEqual([]);
      expect((await h.agent!.session(0)).frames('say')).toEqual([]);
      call.hangup();
    },
  );

  it("the Call Control API's transfer body, as written: the message first, then the destination", async () => {
    const agentVoice = carrier === 'exotel';
    const h = await runSeed(e2e, {
      script: [{ say: 300 }],
      ...(agentVoice ? { sayToneHz: 523 } : {}),
      agent: seedAgent(ASSISTANT, {}, agentVoice ? { speaksMessages: true } : {}),
      env: { PATCHTHROUGH_API_KEYS: `${WRITE_KEY}:calls:read+calls:write` },
    });
    const human = h.sim.network.addHuman(NUMBER, ANSWERS);
    const call = await e2e.placeCall(h);
    await h.sim.waitFor(() => call.heard.from('stream:').length > 0, 5000);
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/v1/calls/${call.sid}/transfer`,
      headers: { authorization: `Bearer ${WRITE_KEY}` },
      payload: { type: 'transfer', destination: NUMBER, message: 'Connecting you to support now.' },
    });
    expect(res.statusCode, res.body).toBe(202);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers).toMatchObject([{ trigger: 'api', outcome: 'connected' }]);
    await h.sim.waitFor(
      () => human.heard.from('party:').length > 0 && call.heard.from('party:').length > 0,
      5000,
    );
    const session = await h.agent!.session(0);
    if (agentVoice) {
      expect(session.frames('say').map((f) => f.frame['text'])).toEqual(['Connecting you to support now.']);
    } else {
      expect(call.heard.first('say')?.text).toBe('Connecting you to support now.');
      expect(call.heard.first('say')!.endMs).toBeLessThanOrEqual(call.heard.first('party:')!.startMs);
    }
    call.hangup();
  });

  it('end_call: the call ends cleanly, agent_hangup', async () => {
    const h = await runSeed(e2e, {
      script: [{ say: 300 }, { toolCall: { name: 'end_call' } }],
      agent: seedAgent(ASSISTANT),
    });
    const call = await e2e.placeCall(h);
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended', 15_000);
    expect(ended.endedReason).toBe('agent_hangup');
    expect(ended.transfers).toEqual([]);
    await h.sim.waitFor(() => call.state === 'ended', 5000);
  });
});

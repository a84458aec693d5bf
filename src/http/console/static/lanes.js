/**
 * A call as swimlanes: the caller, the AI, each human leg and the transfer itself, each with its
 * events (a dot per event) and its states over time (bars). Pure: the console's call view in,
 * lanes out.
 */

const LEG_STATE = {
  'leg.ringing': () => 'ringing',
  'leg.answered': (e) =>
    e.state === 'whispering'
      ? 'whisper'
      : e.state === 'briefing'
        ? 'briefing'
        : e.state === 'connected'
          ? 'joined'
          : 'answered',
  'whisper.played': () => 'joining',
  'human.joined': () => 'joined',
  'briefing.result': (e) => (/accepted=true/.test(e.detail ?? '') ? 'accepted' : 'declined'),
  'briefing.failed': () => 'failed',
  'leg.ended': () => 'ended',
  'leg.error': () => 'error',
};

function legOf(detail) {
  const m = /(?:^| )(?:leg|next)=(\S+)/.exec(detail ?? '');
  return m ? m[1] : null;
}

export function buildLanes(call, nowMs) {
  const t = call.transferDetail;
  const t0 = call.createdAtMs;
  const t1 = Math.max(call.endedAtMs ?? nowMs, t0 + 1000);
  const lanes = new Map();
  const lane = (id, label) => {
    if (!lanes.has(id)) lanes.set(id, { id, label, events: [], states: [] });
    return lanes.get(id);
  };
  const caller = lane('caller', `Caller ${call.from}`);
  const ai = lane('ai', `AI (${call.agentId})`);
  const legsById = new Map((t?.legs ?? []).map((l) => [l.legId, l]));
  for (const l of t?.legs ?? []) lane(`leg:${l.legId}`, `Human ${l.index + 1} ${l.destination}`);
  const transfer = t === null ? null : lane('transfer', `Transfer (${t.mode})`);

  const at = (ln, e, state) => {
    ln.events.push(e);
    if (state !== undefined) ln.states.push({ atMs: e.atMs, state });
  };
  caller.states.push({ atMs: t0, state: 'ai' });
  ai.states.push({ atMs: t0, state: 'talking' });

  for (const e of call.timeline) {
    const ev = { ...e, source: 'call' };
    if (e.event === 'call.started') at(caller, ev);
    else if (e.event === 'call.ended') {
      at(caller, ev, 'ended');
      ai.states.push({ atMs: e.atMs, state: 'ended' });
    } else if (e.event.startsWith('transfer.') && transfer !== null) at(transfer, ev);
    else if (e.event.startsWith('agent.')) at(ai, ev);
    else at(caller, ev);
  }

  if (t !== null) {
    const mode = t.mode;
    const dialed = new Set();
    for (const e of t.timeline) {
      const ended = e.event === 'leg.ended' ? /(?:^| )outcome=(\S+)/.exec(e.detail ?? '') : null;
      const ev = { ...e, source: 'transfer', ...(ended ? { outcome: ended[1] } : {}) };
      transfer.states.push({ atMs: e.atMs, state: e.state });
      const legId = legOf(e.detail);
      if (e.event === 'transfer.started') {
        at(transfer, ev);
        const first = t.legs[0];
        if (first && mode !== 'cold') {
          dialed.add(first.legId);
          lanes.get(`leg:${first.legId}`).states.push({ atMs: e.atMs, state: 'dialing' });
        }
        continue;
      }
      if (legId !== null && legsById.has(legId) && !dialed.has(legId) && e.event !== 'leg.ringing') {
        // The line naming the next leg (`next=`) is when it was dialed.
        if (/(?:^| )next=/.test(e.detail ?? '')) {
          dialed.add(legId);
          lanes.get(`leg:${legId}`).states.push({ atMs: e.atMs, state: 'dialing' });
        }
      }
      const legLane = legId !== null ? lanes.get(`leg:${legId}`) : undefined;
      const legState = LEG_STATE[e.event];
      if (legLane !== undefined && legState !== undefined) {
        dialed.add(legId);
        at(legLane, ev, legState(e));
        if (e.event === 'leg.answered' && e.state === 'connected')
          caller.states.push({ atMs: e.atMs, state: 'person' });
        if (e.event === 'human.joined' && e.state === 'connected')
          caller.states.push({ atMs: e.atMs, state: 'person' });
      } else if (e.event === 'caller.held') at(caller, ev, 'hold');
      else if (e.event === 'caller.left' || e.event === 'caller.hangup') at(caller, ev, 'ended');
      else if (e.event === 'handoff.played') {
        at(ai, ev, 'paused');
        if (mode === 'cold') caller.states.push({ atMs: e.atMs, state: 'ringback' });
      } else if (e.event === 'summary.received') at(ai, ev);
      else at(transfer, ev);
      if (e.state === 'connected') ai.states.push({ atMs: e.atMs, state: 'left' });
      if (e.state === 'returned') {
        caller.states.push({ atMs: e.atMs, state: 'ai' });
        ai.states.push({ atMs: e.atMs, state: 'talking' });
      }
    }
  }
  for (const ln of lanes.values()) {
    ln.events.sort((a, b) => a.atMs - b.atMs);
    ln.states.sort((a, b) => a.atMs - b.atMs);
    ln.segments = ln.states
      .map((s, i) => ({ fromMs: s.atMs, toMs: ln.states[i + 1]?.atMs ?? t1, state: s.state }))
      .filter((s) => s.toMs > s.fromMs && s.state !== 'ended');
  }
  return { t0, t1, lanes: [...lanes.values()] };
}

/** Words for the API's closed sets. */
export const PHASE_WORDS = {
  ai: 'with the AI',
  transferring: 'transferring',
  human: 'with a person',
  ended: 'ended',
};

export function shortId(id) {
  return id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id;
}

export function transferText(t) {
  if (t === null || t === undefined) return '—';
  return `${t.mode} · ${t.outcome ?? t.phase}`;
}

export function percent(x) {
  return x === null || x === undefined ? '—' : `${Math.round(x * 100)} %`;
}

/**
 * The bounds the invariants judge by, each derived from a limit the daemon documents. One place,
 * so a run that fails on a bound names the reasoning it failed.
 */

import { DEFAULT_CARRIER_RETRY } from '../../providers/shared/settings.js';
import { DURABLE_EFFECT_RETRY } from '../../src/lib/retry.js';

/**
 * The longest a caller may hear nothing at all (hold audio, ringback, whispers and the AI's and
 * the human's voices all count as sound). A correct daemon's worst dead air is an agent socket
 * that fails and is reopened: `agent.connectTimeoutMs` (5000 ms by default, docs/configuration.md)
 * plus the 250 ms reconnect delay (docs/agent-protocol.md, "Reconnect and failure"), after which
 * the caller hears the AI or the default destination's ringback. On top, 750 ms for the carrier
 * to move the caller (a markup fetch and a new stream's start on loopback).
 */
export const DEAD_AIR_BOUND_MS = 5000 + 250 + 750;

/**
 * The longest a caller may hear nothing while their call's media stream is open — the daemon
 * holding the line: the agent speaks, or the caller, left waiting there (for the agent's voice —
 * its socket, its first words — or for the carrier to move them at a transfer), hears the wait
 * audio from `agent.waitAudio.afterMs` (1 000 ms by default, docs/configuration.md) into the
 * wait. On top, 500 ms: a stream's start reads before its session exists, the wait audio's tick,
 * a loaded machine.
 */
export const STREAM_DEAD_AIR_BOUND_MS = 1000 + 500;

/**
 * How long the carrier's audio may lag a decision the daemon has taken and recorded: a REST
 * round trip on loopback and a 20 ms media tick, with room for a loaded machine. A human still
 * heard this long after the daemon said "failed", or a caller not yet with the human this long
 * after it said "connected", is the daemon's word against the parties'.
 */
export const SETTLE_MS = 500;

/**
 * How long a caller frame may take from the caller's mouth to the agent (carrier stream, daemon,
 * agent socket, all on loopback). Frames said earlier than this before the transfer started must
 * have reached the agent.
 */
export const TRANSIT_MS = 250;

/** Both parties heard each other at least this long: they talked (not a frame in a race). */
export const MIN_TALK_MS = 200;

/**
 * What a worker's death or a Redis restart (an outage, soak only) may add to the dead-air bound:
 * the balancer takes a dead worker out after two failed health checks 2 s apart
 * (deploy/haproxy.cfg `inter 2s fall 2`; until then its retries and `redispatch` carry requests to
 * the other worker), the carrier notices its dropped media socket and asks the daemon where the
 * caller goes, and the new stream's agent opens within its connect timeout (5000 ms).
 */
export const OUTAGE_RECOVERY_MS = 4000 + 5000 + 1000;

/**
 * How long before an outage a caller frame may already be inside the worker that died: held
 * until the agent's socket opens (at most the agent's connect timeout and one reconnect, 5250 ms)
 * or on its way through (TRANSIT_MS). Such frames die with the worker, not lost by a live daemon.
 */
export const OUTAGE_HELD_MS = 5000 + 250 + TRANSIT_MS;

/**
 * How long a human's phone may ring on once the daemon knows nobody is coming to it (the caller
 * gone, the transfer over): the cancel's first try and its durable retries, each with the carrier
 * client's quick retries (`DEFAULT_CARRIER_RETRY`, providers/shared/settings.ts;
 * `DURABLE_EFFECT_RETRY`, src/lib/retry.ts — errors answered at once, as the simulator answers
 * them), then SETTLE_MS for the carrier to end the leg.
 */
export const LEG_STOP_BOUND_MS =
  (1 + DURABLE_EFFECT_RETRY.maxRetries) *
    DEFAULT_CARRIER_RETRY.maxRetries *
    DEFAULT_CARRIER_RETRY.retryIntervalMs +
  DURABLE_EFFECT_RETRY.maxRetries * DURABLE_EFFECT_RETRY.retryIntervalMs +
  SETTLE_MS;

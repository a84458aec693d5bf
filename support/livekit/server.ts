/**
 * A LiveKit server for tests and benchmarks, just large enough for real rtc-node rooms: the
 * RoomService API (CreateRoom, DeleteRoom; Twirp JSON) and the signalling of protocol 17 on
 * `/rtc/v1` (one peer connection, the client offering), with werift as the server's WebRTC. Data
 * packets (user data, RPC, text streams) are routed between participants over the data channels;
 * participant updates and attributes are relayed. Written from the protocol (livekit/protocol's
 * `livekit_rtc.proto`, `livekit_models.proto`) and the Rust SDK's signal client; nothing here is
 * LiveKit's code. It lives in support/ because both test/ and bench/ use it.
 *
 * libwebrtc ignores loopback interfaces: run it, and the rooms, in a network namespace with a
 * veth pair (support/livekit/netns.sh), and give `host` the veth address.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  DataPacket,
  DisconnectReason,
  JoinRequest,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  MediaSectionsRequirement,
  ParticipantInfo,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  ParticipantUpdate,
  Pong,
  RequestResponse,
  RequestResponse_Reason,
  Room,
  ServerInfo,
  ServerInfo_Edition,
  SessionDescription,
  SignalRequest,
  SignalResponse,
  TrackInfo,
  TrackPublishedResponse,
  TrackSubscribed,
  TrackType,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '@livekit/protocol';
import { jwtVerify } from 'jose';
import { MediaStreamTrack, type RTCDataChannel, RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { type WebSocket, WebSocketServer } from 'ws';

export interface TestLivekitServerOptions {
  /** The address to listen on and to offer ICE candidates for (not a loopback one). */
  readonly host: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

interface Grants {
  readonly identity: string;
  readonly name: string;
  readonly room: string;
  readonly kind: ParticipantInfo_Kind;
  readonly attributes: Record<string, string>;
}

class Peer {
  readonly sid = `PA_${randomBytes(6).toString('hex')}`;
  readonly info: ParticipantInfo;
  readonly pc: RTCPeerConnection;
  /** The server's own channels to the client (the client's are for what it sends). */
  reliable: RTCDataChannel | undefined;
  lossy: RTCDataChannel | undefined;
  /** The first answer is sent: other participants' tracks may be added. */
  answered = false;
  /** Audio tracks this participant published and the server receives (by track sid). */
  readonly published = new Map<string, MediaStreamTrack>();
  /** Published tracks announced (`addTrack`) whose media has not arrived yet. */
  readonly pending: TrackInfo[] = [];
  /** Which section carries which track to this participant (`mid_to_track_id`). */
  readonly midToTrack: Record<string, string> = {};
  /** Tracks of others this participant already receives. */
  readonly receiving = new Set<string>();

  constructor(
    readonly grants: Grants,
    readonly ws: WebSocket,
    host: string,
  ) {
    this.info = new ParticipantInfo({
      sid: this.sid,
      identity: grants.identity,
      name: grants.name,
      kind: grants.kind,
      attributes: grants.attributes,
      state: ParticipantInfo_State.ACTIVE,
      joinedAt: BigInt(Math.floor(Date.now() / 1000)),
      version: 1,
    });
    this.pc = new RTCPeerConnection({ iceInterfaceAddresses: { udp4: host }, iceUseIpv6: false });
  }

  send(message: SignalResponse['message']): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(new SignalResponse({ message }).toBinary());
  }
}

interface RoomState {
  readonly info: Room;
  readonly peers: Map<string, Peer>;
}

export class TestLivekitServer {
  readonly #o: TestLivekitServerOptions;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #rooms = new Map<string, RoomState>();
  /** Tracks not sent to a participant yet for want of an audio section (`from → to sid`). */
  readonly #waiting = new Set<string>();

  /** What the server has not forwarded yet, for a failure's message. */
  waitingForwards(): readonly string[] {
    return [...this.#waiting];
  }

  /** Room service calls, in order (`CreateRoom` with its body, `DeleteRoom`). */
  readonly calls: { readonly method: string; readonly body: Record<string, unknown> }[] = [];
  port = 0;
  /** Called for each agent a created room dispatches (what LiveKit's agent dispatch does). */
  onDispatch: ((room: string, agentName: string, metadata: string) => void) | undefined;

  private constructor(options: TestLivekitServerOptions) {
    this.#o = options;
    this.#http = createServer((req, res) => {
      this.#onHttp(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    this.#http.on('upgrade', (req, socket, head) => {
      this.#onUpgrade(req).then(
        (grants) => {
          if (grants === undefined) {
            socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
            return;
          }
          this.#wss.handleUpgrade(req, socket, head, (ws) => this.#join(ws, grants.grants, grants.join));
        },
        () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'),
      );
    });
  }

  static async start(options: TestLivekitServerOptions): Promise<TestLivekitServer> {
    const server = new TestLivekitServer(options);
    await new Promise<void>((resolve) => server.#http.listen(0, options.host, resolve));
    server.port = (server.#http.address() as AddressInfo).port;
    return server;
  }

  get url(): string {
    return `ws://${this.#o.host}:${this.port}`;
  }

  /** The participants of a room now, by identity. */
  participants(room: string): string[] {
    return [...(this.#rooms.get(room)?.peers.keys() ?? [])];
  }

  roomNames(): string[] {
    return [...this.#rooms.keys()];
  }

  async close(): Promise<void> {
    for (const room of this.#rooms.values()) for (const peer of room.peers.values()) await peer.pc.close();
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  async #onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('/validate')) {
      res.writeHead(200).end('success');
      return;
    }
    const match = /^\/twirp\/livekit\.RoomService\/(\w+)$/.exec(url.pathname);
    if (match === null || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if ((await this.#verify(token)) === undefined) {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const method = match[1] ?? '';
    this.calls.push({ method, body });
    const name = String(body['name'] ?? body['room'] ?? '');
    if (method === 'CreateRoom') {
      const fresh = !this.#rooms.has(name);
      const room = this.#room(name, String(body['metadata'] ?? ''));
      res.writeHead(200, { 'content-type': 'application/json' }).end(room.info.toJsonString());
      const agents =
        (body['agents'] as { agentName?: string; agent_name?: string; metadata?: string }[] | undefined) ??
        [];
      if (fresh)
        for (const a of agents) this.onDispatch?.(name, a.agentName ?? a.agent_name ?? '', a.metadata ?? '');
      return;
    }
    if (method === 'DeleteRoom') {
      const room = this.#rooms.get(name);
      this.#rooms.delete(name);
      for (const peer of room?.peers.values() ?? []) {
        peer.send({
          case: 'leave',
          value: new LeaveRequest({
            reason: DisconnectReason.ROOM_DELETED,
            action: LeaveRequest_Action.DISCONNECT,
          }),
        });
        peer.ws.close();
        await peer.pc.close();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(404).end();
  }

  #room(name: string, metadata = ''): RoomState {
    let room = this.#rooms.get(name);
    if (room === undefined) {
      room = {
        info: new Room({
          sid: `RM_${randomBytes(6).toString('hex')}`,
          name,
          metadata,
          creationTime: BigInt(Math.floor(Date.now() / 1000)),
          emptyTimeout: 300,
        }),
        peers: new Map(),
      };
      this.#rooms.set(name, room);
    }
    return room;
  }

  async #verify(token: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(this.#o.apiSecret), {
        issuer: this.#o.apiKey,
      });
      return payload as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  async #onUpgrade(req: IncomingMessage): Promise<{ grants: Grants; join: JoinRequest } | undefined> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/rtc/v1') throw new Error('only /rtc/v1');
    const token =
      (req.headers.authorization ?? '').replace(/^Bearer /, '') ||
      (url.searchParams.get('access_token') ?? '');
    const claims = await this.#verify(token);
    const video = claims?.['video'] as { room?: string; roomJoin?: boolean } | undefined;
    if (claims === undefined || video?.roomJoin !== true || video.room === undefined) return undefined;
    const param = url.searchParams.get('join_request') ?? '';
    const wrapped = WrappedJoinRequest.fromBinary(Buffer.from(param, 'base64url'));
    const bytes =
      wrapped.compression === WrappedJoinRequest_Compression.GZIP
        ? gunzipSync(wrapped.joinRequest)
        : wrapped.joinRequest;
    const kinds: Record<string, ParticipantInfo_Kind> = {
      agent: ParticipantInfo_Kind.AGENT,
      sip: ParticipantInfo_Kind.SIP,
    };
    return {
      grants: {
        identity: String(claims['sub'] ?? ''),
        name: String(claims['name'] ?? ''),
        room: video.room,
        kind: kinds[String(claims['kind'] ?? '')] ?? ParticipantInfo_Kind.STANDARD,
        attributes: (claims['attributes'] as Record<string, string> | undefined) ?? {},
      },
      join: JoinRequest.fromBinary(bytes),
    };
  }

  #join(ws: WebSocket, grants: Grants, join: JoinRequest): void {
    const room = this.#room(grants.room);
    const peer = new Peer(grants, ws, this.#o.host);
    const others = [...room.peers.values()];
    room.peers.set(grants.identity, peer);
    peer.pc.onTrack.subscribe((track) => {
      const info = peer.pending.shift();
      if (info === undefined || track.kind !== 'audio') return;
      peer.published.set(info.sid, track);
      for (const other of room.peers.values()) if (other !== peer) this.#forward(peer, info.sid, other);
    });
    peer.pc.onDataChannel.subscribe((dc) => {
      dc.onMessage.subscribe((data) => {
        if (typeof data !== 'string') this.#route(room, peer, data);
      });
    });
    peer.send({
      case: 'join',
      value: new JoinResponse({
        room: room.info,
        participant: peer.info,
        otherParticipants: others.map((o) => o.info),
        serverVersion: '1.9.0',
        serverInfo: new ServerInfo({ edition: ServerInfo_Edition.Standard, version: '1.9.0', protocol: 16 }),
        pingInterval: 5,
        pingTimeout: 15,
        subscriberPrimary: false,
      }),
    });
    this.#broadcast(room, peer);
    ws.on('message', (data: Buffer) => {
      this.#onSignal(room, peer, SignalRequest.fromBinary(new Uint8Array(data))).catch(() => undefined);
    });
    ws.on('close', () => this.#leave(room, peer, DisconnectReason.CLIENT_INITIATED));
    const offer = join.publisherOffer;
    if (offer !== undefined) this.#answer(peer, offer).catch(() => undefined);
  }

  async #answer(peer: Peer, offer: SessionDescription): Promise<void> {
    await peer.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    // The client's receive-only sections are where the server sends other participants' tracks;
    // an inactive section would be answered with port 0 (rejected), taking the bundle down with it.
    for (const t of peer.pc.getTransceivers()) t.setDirection('sendrecv');
    const answer = await peer.pc.createAnswer();
    await peer.pc.setLocalDescription(answer);
    const sdp = peer.pc.localDescription?.sdp ?? answer.sdp;
    peer.answered = true;
    peer.send({
      case: 'answer',
      value: new SessionDescription({
        type: 'answer',
        sdp,
        id: offer.id,
        midToTrackId: { ...peer.midToTrack },
      }),
    });
    // What the others publish and this participant does not receive yet, now that it can: on its
    // first answer, and on any later one that may bring the audio section an earlier try lacked.
    const room = this.#rooms.get(peer.grants.room);
    for (const other of room?.peers.values() ?? [])
      if (other !== peer) for (const sid of other.published.keys()) this.#forward(other, sid, peer);
    if (peer.reliable === undefined) {
      peer.reliable = peer.pc.createDataChannel('_reliable', { ordered: true });
      peer.lossy = peer.pc.createDataChannel('_lossy', { ordered: false, maxRetransmits: 0 });
    }
  }

  async #onSignal(room: RoomState, peer: Peer, request: SignalRequest): Promise<void> {
    const m = request.message;
    switch (m.case) {
      case 'offer':
        await this.#answer(peer, m.value);
        return;
      case 'trickle': {
        const init = JSON.parse(m.value.candidateInit) as {
          candidate: string;
          sdpMid?: string;
          sdpMLineIndex?: number;
        };
        if (init.candidate !== '') await peer.pc.addIceCandidate(init);
        return;
      }
      case 'addTrack': {
        const track = new TrackInfo({
          sid: `TR_${randomBytes(6).toString('hex')}`,
          name: m.value.name,
          type: m.value.type,
          source: m.value.source,
          muted: m.value.muted,
        });
        if (track.type === TrackType.AUDIO) {
          peer.info.tracks.push(track);
          peer.pending.push(track);
        }
        peer.send({ case: 'trackPublished', value: new TrackPublishedResponse({ cid: m.value.cid, track }) });
        peer.info.version += 1;
        this.#broadcast(room, peer);
        return;
      }
      case 'updateMetadata': {
        for (const [key, value] of Object.entries(m.value.attributes)) {
          if (value === '') delete peer.info.attributes[key];
          else peer.info.attributes[key] = value;
        }
        peer.info.version += 1;
        peer.send({
          case: 'requestResponse',
          value: new RequestResponse({ requestId: m.value.requestId, reason: RequestResponse_Reason.OK }),
        });
        this.#broadcast(room, peer, true);
        return;
      }
      case 'ping':
        peer.send({ case: 'pong', value: m.value });
        return;
      case 'pingReq':
        peer.send({
          case: 'pongResp',
          value: new Pong({ lastPingTimestamp: m.value.timestamp, timestamp: BigInt(Date.now()) }),
        });
        return;
      case 'leave':
        this.#leave(room, peer, DisconnectReason.CLIENT_INITIATED);
        return;
      default:
        return;
    }
  }

  /**
   * Sends `from`'s track `sid` to `to` on one of the receive-only audio sections `to` offered,
   * then has `to` negotiate again (an empty `MediaSectionsRequirement`), so that the answer names
   * the section's stream (`PA_…|TR_…`) and track (`mid_to_track_id`). Opus passes through.
   */
  #forward(from: Peer, sid: string, to: Peer): void {
    const source = from.published.get(sid);
    if (source === undefined || !to.answered || to.receiving.has(sid)) return;
    const free = to.pc
      .getTransceivers()
      .find(
        (t: RTCRtpTransceiver) =>
          t.kind === 'audio' && typeof t.mid === 'string' && to.midToTrack[t.mid] === undefined,
      );
    const mid = free?.mid;
    if (free === undefined || typeof mid !== 'string') {
      // No audio section to send it on yet: the participant's next answer tries again.
      this.#waiting.add(`${from.grants.identity} → ${to.grants.identity} ${sid}`);
      return;
    }
    this.#waiting.delete(`${from.grants.identity} → ${to.grants.identity} ${sid}`);
    to.receiving.add(sid);
    to.midToTrack[mid] = sid;
    const out = new MediaStreamTrack({ kind: 'audio' });
    free.sender.streamIds = [`${from.sid}|${sid}`];
    free.sender.replaceTrack(out).catch(() => undefined);
    source.onReceiveRtp.subscribe((rtp) => out.writeRtp(rtp.clone()));
    to.send({
      case: 'mediaSectionsRequirement',
      value: new MediaSectionsRequirement({ numAudios: 0, numVideos: 0 }),
    });
    from.send({ case: 'trackSubscribed', value: new TrackSubscribed({ trackSid: sid }) });
  }

  /** A data packet from `from`: to its destinations (or everyone else), stamped with the sender. */
  #route(room: RoomState, from: Peer, data: Buffer): void {
    const packet = DataPacket.fromBinary(new Uint8Array(data));
    packet.participantIdentity = from.grants.identity;
    packet.participantSid = from.sid;
    if (packet.value.case === 'user') {
      packet.value.value.participantIdentity = from.grants.identity;
      packet.value.value.participantSid = from.sid;
    }
    const to = packet.destinationIdentities;
    const bytes = Buffer.from(packet.toBinary());
    for (const peer of room.peers.values()) {
      if (peer === from || (to.length > 0 && !to.includes(peer.grants.identity))) continue;
      if (peer.reliable?.readyState === 'open') peer.reliable.send(bytes);
    }
  }

  /** Tells the room's other participants (and, with `self`, the participant itself) about `peer`. */
  #broadcast(room: RoomState, peer: Peer, self = false): void {
    const update = new ParticipantUpdate({ participants: [peer.info] });
    for (const other of room.peers.values()) {
      if (other !== peer || self) other.send({ case: 'update', value: update });
    }
  }

  #leave(room: RoomState, peer: Peer, reason: DisconnectReason): void {
    if (room.peers.get(peer.grants.identity) !== peer) return;
    room.peers.delete(peer.grants.identity);
    const gone = peer.info.clone();
    gone.state = ParticipantInfo_State.DISCONNECTED;
    gone.disconnectReason = reason;
    for (const other of room.peers.values()) {
      other.send({ case: 'update', value: new ParticipantUpdate({ participants: [gone] }) });
    }
    peer.pc.close().catch(() => undefined);
  }
}

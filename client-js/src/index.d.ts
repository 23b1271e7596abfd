// Public API of jigsync-client. Message and record shapes come from the
// generated ./generated/schema.js (produced from the Rust schema crate);
// nothing here redeclares them.

import type * as Y from 'yjs';

import type {
  Attachment,
  BoardInfo,
  BoardMeta,
  ChatRules,
  ClientMsg,
  ErrorCode,
  LobbyMsg,
  Message,
  Move,
  Participant,
  PresenceEvent,
  ServerMsg,
  Spotlight,
  UploadGrant,
  WhisperRule,
} from './generated/schema.js';

export type * from './generated/schema.js';

// ---------------------------------------------------------------------------
// Errors

/** Codes the client itself uses, beside the server's ErrorCode values. */
export type ClientErrorCode = 'timeout' | 'disconnected' | 'closed' | 'queue_full' | 'http';

export declare const CLIENT_ERROR_CODES: Readonly<{
  timeout: 'timeout';
  disconnected: 'disconnected';
  closed: 'closed';
  queueFull: 'queue_full';
  http: 'http';
}>;

export declare class JigsyncError extends Error {
  constructor(code: ErrorCode | ClientErrorCode, message: string, details?: { ref?: number | null; status?: number });
  readonly name: 'JigsyncError';
  /** The server's error code (PROTOCOL.md §9) or a ClientErrorCode. */
  code: ErrorCode | ClientErrorCode;
  /** The request's ref, for errors from the room channel. */
  ref: number | null;
  /** The HTTP status, for errors from the HTTP API. */
  status?: number;
}

// ---------------------------------------------------------------------------
// HTTP helpers

export interface HttpOptions {
  /** ms before the request fails with code 'timeout' (default 10 000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface CreatedRoom {
  roomId: string;
  joinCode: string;
  teacherToken: string;
  userId: string;
  /** The creator's teacher pass: send it with their next createRoom. */
  teacherPass: string;
  /** The teacher id the pass carries (give it to colleagues for addTeacher). */
  teacherId: string;
}

export interface ServerConfig {
  /** What createRoom needs: nothing, a signupSecret, or a teacherPass. */
  teacherSignup: 'open' | 'secret' | 'token';
}

export interface JoinedRoom {
  roomId: string;
  token: string;
  userId: string;
  color: string;
  /** The name the room shows: numbered ("Ann 2") if someone has it already. */
  name: string;
}

export interface UploadInfo {
  uploadId: string;
  url: string;
  contentType: string;
  bytes: number;
}

export interface PuzzleStarted {
  puzzleId: number;
  boards: BoardInfo[];
  spotlight: Spotlight | null;
}

export interface BoardsList {
  puzzleId: number | null;
  boards: BoardInfo[];
  spotlight: Spotlight | null;
}

export interface HistoryPage {
  messages: Message[];
  hasMore: boolean;
}

/** `url`: the server, as http(s)://host:port or ws(s)://host:port. */
export declare function createRoom(
  url: string,
  room: { name: string; teacherName: string; teacherPass?: string; signupSecret?: string },
  options?: HttpOptions,
): Promise<CreatedRoom>;
export declare function getServerConfig(url: string, options?: HttpOptions): Promise<ServerConfig>;
export declare function joinRoom(
  url: string,
  join: { joinCode: string; name: string },
  options?: HttpOptions,
): Promise<JoinedRoom>;
export declare function addTeacher(
  url: string,
  teacher: { roomId: string; teacherToken: string; name: string; teacherId?: string },
  options?: HttpOptions,
): Promise<JoinedRoom>;
/** `token`: the owner's teacher token, or the server's operator secret. */
export declare function deleteRoom(
  url: string,
  room: { roomId: string; token: string },
  options?: HttpOptions,
): Promise<void>;

/** One student's line of the end-of-class report. */
export interface StudentReport {
  userId: string;
  name: string;
  status: 'active' | 'left' | 'kicked';
  board: number | null;
  solved: boolean;
  /** Ms from the puzzle's start to the write that completed the board. */
  tookMs: number | null;
  /** 0–1. */
  progress: number;
  drops: number;
}
export interface ClassReport {
  roomId: string;
  roomName: string;
  closedAt: number | null;
  puzzle: { puzzleId: number; mode: BoardInfo['mode']; rows: number; cols: number; startedAt: number } | null;
  students: StudentReport[];
}
/** The end-of-class report (teacher token; also after the class has ended). */
export declare function fetchReport(
  url: string,
  report: { roomId: string; token: string },
  options?: HttpOptions,
): Promise<ClassReport>;

// ---------------------------------------------------------------------------
// The client

export interface ReconnectOptions {
  /** ms; the first retry waits random(0, baseDelay). Default 250. */
  baseDelay?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Cap of the backoff window, ms. Default 10 000. */
  maxDelay?: number;
  /** Attempts before giving up (state 'closed'). Default Infinity. */
  maxAttempts?: number;
}

export declare const RECONNECT_DEFAULTS: Readonly<Required<ReconnectOptions>>;
export declare const DEFAULTS: Readonly<{ requestTimeout: number; offlineQueueLimit: number; moveHz: number }>;

export interface ConnectOptions {
  /** A token from createRoom / joinRoom / addTeacher. */
  token: string;
  /** ms to wait for a request's ack (default 10 000). */
  requestTimeout?: number;
  /** Backoff settings, or false to never reconnect. */
  reconnect?: ReconnectOptions | false;
  /** Chat and whisper kept while offline (default 50). */
  offlineQueueLimit?: number;
  /** Drag positions per second per piece (default 30). */
  moveHz?: number;
  /** Resume after this seq already on the first connection (e.g. a page reload that kept its messages). */
  since?: number;
  /** The room id, if known before the welcome (HTTP helpers otherwise wait for it). */
  roomId?: string;
  /** A WebSocket implementation (default: the platform's, else the `ws` package). */
  WebSocket?: unknown;
  fetch?: typeof fetch;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

type Variant<U, T> = Omit<Extract<U, { type: T }>, 'type'>;

export type WelcomeEvent = Variant<ServerMsg, 'welcome'> & {
  /** True when this connection resumed (`since`): history holds only what was missed. */
  resumed: boolean;
};

export interface BoardChange {
  boardId: number;
  /** 'local': a write made on this client; 'remote': a `doc` or `update` from the server. */
  origin: 'local' | 'remote';
  /** The writer of a remote update; null for the server's own writes, whole documents, or hidden names. */
  by: string | null;
  /** The replica was rebuilt from the server's whole document: `board.doc` is a new Y.Doc. */
  replaced: boolean;
}

export interface ClientEvents {
  welcome: WelcomeEvent;
  /** The active members after each change, in joined order. */
  participants: Participant[];
  presence: { event: PresenceEvent; participant: Participant; count: number };
  owner: { user: string | null };
  /** Teachers closed the room to new students (or opened it again). */
  joining: { locked: boolean };
  /** The chat rules, from each welcome and whenever a teacher changes them. */
  chatrules: ChatRules;
  /** The room's upload grant changed (a welcome, or a renewal): pictures not yet loaded may ask `uploadUrl` again. */
  uploadGrant: UploadGrant;
  /** Chat, whisper and system messages, each exactly once, in seq order (welcome history included). */
  message: Message;
  /** Errors that answer no request of this client (e.g. a refused move), and undecodable frames. */
  error: JigsyncError;
  boards: { boards: BoardInfo[]; spotlight: Spotlight | null };
  board: BoardChange;
  /** Batched drag positions (positions of pieces known to be released are left out). */
  motion: { moves: Move[] };
  grab: { board: number; piece: number; by: string | null };
  release: { board: number; piece: number };
  progress: { board: number; progress: number; done: boolean };
  /** Removed from the room (close 4403). The client is closed. */
  kicked: { code: number; reason: string };
  /** The room was closed (close 4404). The client is closed. */
  roomClosed: { code: number; reason: string };
  connectionState: ConnectionState;
}

export interface Ack {
  /** Seq of the first message the request stored; null for board requests. */
  seq: number | null;
}

export interface PieceValue {
  x: number;
  y: number;
  r: number;
  z: number;
  g: number;
}

export interface PieceMove extends PieceValue {
  piece: number;
}

export interface DropResult {
  /** Every piece the drop wrote, by ascending id. */
  moves: PieceMove[];
  /** True when the group merged with at least one other group. */
  snapped: boolean;
}

/** Transaction origin of updates applied from the server. */
export declare const REMOTE_ORIGIN: Readonly<{ jigsync: 'remote' }>;

/** Transaction origin of drops made through Board.drop. */
export declare class DropOrigin {
  constructor(piece: number);
  piece: number;
  update: Uint8Array | null;
}

/** One visible board: a Y.Doc replica and the puzzle API on top. */
export declare class Board {
  readonly id: number;
  /** BoardInfo from the latest `boards` frame (progress follows `progress` frames). */
  info: BoardInfo | null;
  /** The replica. A new Y.Doc after a rebuild (see `rebuild`; the `board` event says `replaced`). */
  readonly doc: Y.Doc;
  /** True while the replica holds a write the server refused, until it is rebuilt. */
  readonly needsRebuild: boolean;
  readonly meta: BoardMeta | null;
  readonly locked: boolean;
  readonly progress: number;
  readonly done: boolean;
  /** Soft locks from `grab`/`release` frames: piece -> holder (null when names are hidden). */
  readonly locks: Map<number, string | null>;
  /** Every piece, indexed by piece id (copies; a missing entry is undefined). */
  pieces(): Array<PieceValue | undefined>;
  piece(index: number): PieceValue | undefined;
  heldBy(piece: number): string | null | undefined;
  /** Takes the soft lock on the piece's group (rejects with 'busy' or 'locked'). */
  grab(piece: number): Promise<Ack>;
  /** Streams a drag position, throttled per piece; the last one is always sent. */
  move(piece: number, x: number, y: number): void;
  /**
   * Snaps with the shared puzzle logic, writes the result in one Yjs
   * transaction, sends it with the piece's release, and resolves on the ack.
   */
  drop(piece: number, x: number, y: number, options?: { tolerance?: number }): Promise<DropResult>;
  /**
   * Starts the replica over from the server's whole document. Done
   * automatically when the server refuses (or does not answer) a write.
   */
  rebuild(): Promise<void>;
}

export declare class JigsyncClient {
  constructor(url: string, options: ConnectOptions);

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void;
  once<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void;
  off<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): void;

  /**
   * Resolves with the first welcome once every board it lists has its
   * document (so `boards` and their replicas are filled); rejects (code
   * unauthorized / forbidden / not_found / closed) if the client ends first.
   */
  readonly ready: Promise<Omit<WelcomeEvent, 'resumed'>>;
  readonly connectionState: ConnectionState;
  /** Highest message seq seen; reconnects resume after it. */
  readonly lastSeq: number;
  readonly me: Participant | null;
  readonly roomId: string | null;
  readonly roomName: string | null;
  readonly owner: string | null;
  /** True while teachers keep new students out (`joining`). */
  readonly joinLocked: boolean;
  /** Whispers, chat off and who is muted. */
  readonly chatRules: ChatRules;
  /** What keeps me from posting now, by the rules (a whisper if `whisper`); null for nothing. */
  chatBlocked(whisper?: boolean): 'muted' | 'chat_off' | 'whispers_off' | null;
  readonly participants: Participant[];
  readonly participantsById: Map<string, Participant>;
  readonly currentSpotlight: Spotlight | null;
  /** The room's upload grant, renewed by itself while the client lives. */
  readonly uploads: UploadGrants;
  /**
   * A stored picture URL (`meta.image`, an attachment's `url`) as this member
   * fetches it: absolute, with the current upload grant. Other URLs are
   * returned as they are.
   */
  uploadUrl(url: string): string;
  readonly boards: Board[];
  board(boardId: number): Board | undefined;

  // Chat
  chat(text: string, uploadId?: string | null): Promise<Ack>;
  whisper(userId: string, text: string): Promise<Ack>;
  upload(file: Blob | Uint8Array | ArrayBuffer, name?: string): Promise<UploadInfo>;
  uploadImage(file: Blob | Uint8Array | ArrayBuffer, name?: string): Promise<Ack & { upload: UploadInfo }>;
  history(page?: { before?: number; limit?: number }): Promise<HistoryPage>;
  /** A board's replay (teachers and the board's members), optionally a window of it (ms). */
  replay(boardId: number, window?: ReplayWindow): Promise<Replay>;

  // Teacher controls
  startPuzzle(puzzle: {
    uploadId: string;
    rows: number;
    cols: number;
    mode: BoardInfo['mode'];
    groups?: string[][];
  }): Promise<PuzzleStarted>;
  fetchBoards(): Promise<BoardsList>;
  focus(boardId: number | null): Promise<Ack>;
  lock(boardId: number | null, locked?: boolean): Promise<Ack>;
  /** Closes the room to new students (teachers); `false` opens it again. */
  lockJoining(locked?: boolean): Promise<Ack>;
  /** Mutes a student (teachers); `false` lifts it. */
  mute(userId: string, muted?: boolean): Promise<Ack>;
  /** Switches chat off for the students (teachers); `false` switches it on. */
  chatOff(off?: boolean): Promise<Ack>;
  /** Whether students may whisper (teachers always see their whispers). */
  setWhispers(rule: WhisperRule): Promise<Ack>;
  /** Gives a student another display name (teachers); a taken name gets a number. */
  rename(userId: string, name: string): Promise<Ack>;
  spotlight(boardId: number | null, hideNames?: boolean): Promise<Ack>;
  reset(boardId: number): Promise<Ack>;
  kick(userId: string): Promise<Ack>;
  transferOwnership(userId: string): Promise<Ack>;

  // Membership
  leave(): Promise<Ack>;
  closeRoom(): Promise<Ack>;
  /** Disconnects for good without leaving the room. */
  close(): void;
}

export declare function connect(url: string, options: ConnectOptions): JigsyncClient;

// ---------------------------------------------------------------------------
// Drag throttle

export interface MoveThrottle {
  move(board: number, piece: number, x: number, y: number): void;
  end(board: number, piece: number): void;
  flush(): void;
  close(): void;
}

export declare function createMoveThrottle(options: {
  send: (move: Move) => void;
  hz?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}): MoveThrottle;

// ---------------------------------------------------------------------------
// Shared puzzle logic (src/puzzle)

export type Side = 'top' | 'right' | 'bottom' | 'left';

export declare function snapDrop(
  meta: BoardMeta,
  pieces: Array<PieceValue | undefined>,
  piece: number,
  x: number,
  y: number,
  options?: { tolerance?: number; isHeld?: (piece: number) => boolean },
): DropResult;
export declare function progress(meta: BoardMeta, pieces: Array<PieceValue | undefined>): number;
export declare function edgeShape(meta: Pick<BoardMeta, 'rows' | 'cols' | 'seed'>): {
  tab(row: number, col: number, side: Side): -1 | 0 | 1;
};
export declare function piecePath(meta: BoardMeta, row: number, col: number): string;

// ---------------------------------------------------------------------------
// Codec (for bots and tools that speak the room channel directly)

export declare class CodecError extends Error {}
export declare function encodeClientMsg(msg: ClientMsg): Uint8Array;
export declare function decodeServerMsg(bytes: Uint8Array): ServerMsg;
export declare function decodeLobbyMsg(bytes: Uint8Array): LobbyMsg;

export type { Attachment };

// ---------------------------------------------------------------------------
// Replay (replay.js; schema/PROTOCOL.md §11, Board history)

export interface ReplayWindow {
  /** ms; the replay starts at the state of this moment. */
  from?: number;
  /** ms; the replay ends at the last update at or before this moment. */
  to?: number;
}

export interface HistoryKeyframe {
  seq: number;
  ts: number;
  /** The whole document after update `seq` (Yjs v1). */
  state: Uint8Array;
}

export interface HistoryUpdate {
  seq: number;
  ts: number;
  /** The user id whose write it was; null for the server's own. */
  author: string | null;
  /** Yjs v1 update. */
  update: Uint8Array;
}

export interface DecodedHistory {
  board: number;
  completedAt: number | null;
  base: HistoryKeyframe | null;
  keyframes: HistoryKeyframe[];
  authors: string[];
  updates: HistoryUpdate[];
}

export interface ReplayMark {
  kind: 'drop' | 'join' | 'solved';
  time: number;
  author: string | null;
}

export interface ReplayEvents {
  seek: { time: number; doc: Y.Doc; replaced: boolean; index: number };
  play: { speed: number };
  pause: { time: number };
}

/** Transaction origin of every change a replay makes to its document. */
export declare const REPLAY_ORIGIN: Readonly<{ jigsync: 'replay' }>;

export declare function loadReplay(
  url: string,
  options: ReplayWindow & { roomId: string; boardId: number; token: string } & HttpOptions,
): Promise<Replay>;

export declare function decodeHistory(bytes: Uint8Array): DecodedHistory;

/** How long after receiving an upload grant a new one is fetched (ms). */
export declare const GRANT_RENEW_MS: number;

/** `url` (a stored `/uploads/…` path) as the server at `base` serves it to a holder of `grant`. */
export declare function grantedUploadUrl(base: string, url: string, grant: string | null | undefined): string;

/** A room's current upload grant, renewed every `GRANT_RENEW_MS`; emits `change`. */
export declare class UploadGrants {
  constructor(base: string, fetchGrant: () => Promise<UploadGrant>);
  readonly current: UploadGrant | null;
  set(grant: UploadGrant): void;
  renew(): Promise<UploadGrant>;
  url(url: string): string;
  close(): void;
  on(event: 'change', listener: (grant: UploadGrant) => void): () => void;
}

/** The upload grants of a room for a token holder, without a room channel; resolves once the first is in. */
export declare function openUploadGrants(
  url: string,
  options: { roomId: string; token: string } & HttpOptions,
): Promise<UploadGrants>;

export declare class Replay {
  constructor(history: DecodedHistory, info?: { bytes?: number });
  readonly board: number;
  readonly completedAt: number | null;
  readonly updates: HistoryUpdate[];
  /** The keyframes the server sent, oldest first. */
  readonly keyframes: Array<{ seq: number; ts: number }>;
  /** Size of the body it was loaded from. */
  readonly bytes: number;
  /** First and last moment of the timeline (ms). */
  readonly start: number;
  readonly end: number;
  /** The document as of `time`; a new Y.Doc after a seek backward. */
  readonly doc: Y.Doc;
  readonly time: number;
  readonly playing: boolean;
  readonly speed: number;
  on<E extends keyof ReplayEvents>(event: E, listener: (payload: ReplayEvents[E]) => void): () => void;
  once<E extends keyof ReplayEvents>(event: E, listener: (payload: ReplayEvents[E]) => void): () => void;
  off<E extends keyof ReplayEvents>(event: E, listener: (payload: ReplayEvents[E]) => void): void;
  /** Positions the document at `time` (clamped) and returns it. */
  seek(time: number): Y.Doc;
  play(options?: { speed?: number }): void;
  pause(): void;
  setSpeed(speed: number): void;
  /** Drops, group joins and the solved moment, in order. */
  marks(): ReplayMark[];
  destroy(): void;
}

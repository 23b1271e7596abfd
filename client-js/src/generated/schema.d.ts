// Generated from the Rust types in schema/src by schema/tests/generated_js.rs. Do not edit;
// regenerate with `UPDATE_GENERATED=1 cargo test -p jigsync-schema --test generated_js`.

export declare const TYPES: Record<string, unknown>;

export type ClientMsg =
  | { type: 'chat'; ref: number | null; text: string; upload: string | null }
  | { type: 'whisper'; ref: number | null; to: string; text: string }
  | { type: 'kick'; ref: number | null; user: string }
  | { type: 'owner'; ref: number | null; user: string }
  | { type: 'leave'; ref: number | null }
  | { type: 'close'; ref: number | null }
  | { type: 'sync'; ref: number | null; board: number; sv: Uint8Array }
  | { type: 'grab'; ref: number | null; board: number; piece: number }
  | ({ type: 'mv' } & Move)
  | { type: 'update'; ref: number | null; board: number; update: Uint8Array; release: number | null }
  | { type: 'focus'; ref: number | null; board: number | null }
  | { type: 'lock'; ref: number | null; board: number | null; locked: boolean }
  | { type: 'spotlight'; ref: number | null; board: number | null; hideNames: boolean }
  | { type: 'reset'; ref: number | null; board: number }
  | { type: 'joining'; ref: number | null; locked: boolean }
  | { type: 'mute'; ref: number | null; user: string; muted: boolean }
  | { type: 'chatoff'; ref: number | null; off: boolean }
  | { type: 'whispers'; ref: number | null; rule: WhisperRule }
  | { type: 'rename'; ref: number | null; user: string; name: string };

export type ServerMsg =
  | { type: 'welcome'; me: Participant; room: string; roomName: string; owner: string | null; participants: Participant[]; history: Message[]; truncated: boolean; joinLocked: boolean; chat: ChatRules; uploadGrant: UploadGrant }
  | { type: 'ack'; ref: number | null; seq: number | null }
  | { type: 'error'; ref: number | null; code: ErrorCode; message: string }
  | ({ type: 'msg' } & Message)
  | { type: 'presence'; event: PresenceEvent; participant: Participant; count: number }
  | { type: 'owner'; user: string | null }
  | { type: 'boards'; boards: BoardInfo[]; spotlight: Spotlight | null }
  | { type: 'doc'; board: number; update: Uint8Array }
  | { type: 'update'; board: number; update: Uint8Array; by: string | null }
  | { type: 'motion'; moves: Move[] }
  | { type: 'grab'; board: number; piece: number; by: string | null }
  | { type: 'release'; board: number; piece: number }
  | { type: 'progress'; board: number; progress: number; done: boolean }
  | { type: 'joining'; locked: boolean }
  | ({ type: 'chatrules' } & ChatRules);

export type LobbyMsg =
  | { type: 'rooms'; rooms: RoomSummary[] }
  | ({ type: 'room' } & RoomSummary)
  | { type: 'closed'; room: string };

export interface Attachment { id: string; url: string; contentType: string }
export interface BoardInfo { boardId: number; puzzleId: number; mode: BoardMode; members: string[]; locked: boolean; progress: number; done: boolean; meta: BoardMeta }
export interface BoardMeta { image: string; rows: number; cols: number; pieceWidth: number; pieceHeight: number; seed: number; width: number; height: number }
export type BoardMode = 'individual' | 'shared' | 'groups';
export interface ChatRules { whispers: WhisperRule; chatOff: boolean; muted: string[] }
export type ErrorCode = 'invalid' | 'malformed' | 'unauthorized' | 'forbidden' | 'not_found' | 'busy' | 'locked' | 'rate_limited' | 'too_large' | 'unsupported_media_type' | 'internal' | 'unavailable' | 'muted' | 'chat_off' | 'whispers_off' | 'signup_secret_required' | 'teacher_token_required';
export interface Message { seq: number; ts: number; kind: MessageKind; from: string | null; to: string | null; text: string; upload: Attachment | null; event: SystemEvent | null }
export type MessageKind = 'chat' | 'whisper' | 'system';
export interface Move { board: number; piece: number; x: number; y: number; seq: number; t: number }
export interface Participant { id: string; name: string; role: Role; color: string; online: boolean }
export type PresenceEvent = 'join' | 'leave' | 'online' | 'offline' | 'rename';
export type Role = 'teacher' | 'student';
export interface RoomSummary { id: string; name: string; participants: number; online: number }
export interface Spotlight { board: number; hideNames: boolean }
export interface SystemEvent { kind: SystemEventKind; user: string; by: string | null; userName: string | null; byName: string | null; board: number | null; mode: BoardMode | null; tookMs: number | null }
export type SystemEventKind = 'join' | 'leave' | 'kick' | 'owner' | 'closed' | 'solved' | 'mute' | 'unmute' | 'chat_off' | 'chat_on' | 'whispers_off' | 'whispers_on';
export interface UploadGrant { grant: string; expiresAt: number }
export type WhisperRule = 'visible_to_teachers' | 'off';

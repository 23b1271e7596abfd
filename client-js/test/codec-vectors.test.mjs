// Byte compatibility with the server: every golden vector in schema/vectors
// decodes to the expected object, and that object encodes to the same bytes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { CodecError, decode, encode } from '../src/codec.js';
import { TYPES } from '../src/generated/schema.js';

const VECTORS_DIR = new URL('../../schema/vectors/', import.meta.url);
const FILES = [
  ['client.json', 'ClientMsg'],
  ['server.json', 'ServerMsg'],
  ['lobby.json', 'LobbyMsg'],
];

const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (bytes) => Buffer.from(bytes).toString('hex');

/**
 * The vectors' `json` names fields in declaration order and shows `bytes` as
 * arrays of numbers; the codec's objects carry Uint8Array there. Walk the
 * schema to convert one into the other.
 */
function expected(expr, json) {
  if (json === null) return null;
  if (typeof expr === 'object' && 'option' in expr) return expected(expr.option, json);
  if (typeof expr === 'object' && 'list' in expr) return json.map((item) => expected(expr.list, item));
  if (expr === 'bytes') return Uint8Array.from(json);
  const type = TYPES[expr];
  if (!type || type.kind === 'enum') return json;
  return fieldsOf(type.fields, json, {});
}

function fieldsOf(fields, json, target) {
  assert.deepEqual(Object.keys(json), fields.map(([name]) => name), 'vector keys follow declaration order');
  for (const [name, expr] of fields) target[name] = expected(expr, json[name]);
  return target;
}

function expectedMessage(typeName, json) {
  const [tag, body] = Object.entries(json)[0];
  const variant = TYPES[typeName].variants[tag];
  assert.ok(variant, `${typeName} has a variant ${tag}`);
  const fields = 'newtype' in variant ? TYPES[variant.newtype].fields : variant.fields;
  return fieldsOf(fields, body, { type: tag });
}

for (const [file, typeName] of FILES) {
  const vectors = JSON.parse(readFileSync(new URL(file, VECTORS_DIR), 'utf8'));

  test(`${file}: every ${typeName} variant has a vector`, () => {
    const covered = new Set(vectors.map((v) => Object.keys(v.json)[0]));
    assert.deepEqual([...covered].sort(), Object.keys(TYPES[typeName].variants).sort());
  });

  for (const vector of vectors) {
    test(`${file} › ${vector.name}: decode and encode byte for byte`, () => {
      const bytes = fromHex(vector.hex);
      const object = expectedMessage(typeName, vector.json);
      assert.deepEqual(decode(typeName, bytes), object);
      assert.equal(toHex(encode(typeName, object)), vector.hex);
    });
  }
}

test('f32 fields go out as float 32 even when whole, integers in their smallest form', () => {
  const bytes = encode('ClientMsg', { type: 'mv', board: 300, piece: 2, x: 100, y: 0, seq: 70000, t: 2 ** 32 - 1 });
  assert.equal(toHex(bytes), '81a26d7696cd012c02ca42c80000ca00000000ce00011170ceffffffff');
});

test('strings and bins of every length class take the smallest header, as the server writes them', () => {
  const strHeader = (n) => (n < 32 ? [0xa0 | n] : n < 0x100 ? [0xd9, n] : n < 0x10000 ? [0xda, n >> 8, n & 0xff] : [0xdb, 0, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  const binHeader = (n) => (n < 0x100 ? [0xc4, n] : n < 0x10000 ? [0xc5, n >> 8, n & 0xff] : [0xc6, 0, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  for (const length of [0, 31, 32, 255, 256, 65535, 65536]) {
    // Two-byte characters exercise the UTF-8 path, a trailing 'x' makes odd lengths.
    const text = 'é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2);
    assert.equal(Buffer.byteLength(text), length);
    const msg = { type: 'chat', ref: 7, text, upload: null };
    const bytes = encode('ClientMsg', msg);
    // 81 a4 "chat" 93 07, then the text.
    assert.deepEqual([...bytes.subarray(8, 8 + strHeader(length).length)], strHeader(length), `str of ${length} bytes`);
    assert.deepEqual(decode('ClientMsg', bytes), msg);

    const update = new Uint8Array(length).map((_, i) => i & 0xff);
    const up = { type: 'update', ref: null, board: 1, update, release: null };
    const upBytes = encode('ClientMsg', up);
    // 81 a6 "update" 94 c0 01, then the bin.
    assert.deepEqual([...upBytes.subarray(11, 11 + binHeader(length).length)], binHeader(length), `bin of ${length} bytes`);
    assert.deepEqual(decode('ClientMsg', upBytes), up);
  }
  const ascii = encode('ClientMsg', { type: 'chat', ref: null, text: 'a'.repeat(31), upload: null });
  assert.equal(ascii[8], 0xa0 | 31);
  const negative = encode('Message', {
    seq: 1, ts: -5_000_000_000, kind: 'chat', from: 'a', to: null, text: '', upload: null, event: null,
  });
  assert.equal(decode('Message', negative).ts, -5_000_000_000);
});

test('frames that do not fit the schema are refused with CodecError', () => {
  const bad = [
    '81a361636b9101', // ack with one field instead of two
    '81a361636b93010c00', // ack with three
    '82a361636b9201c0a46b69636b9101', // two entries
    '81a3666f6f90', // unknown tag
    '81a56572726f729303a3626164a0', // error code not in the enum
    '93010203', // not a map
    'c1', // not MessagePack
    '81a3646f6392039100', // doc update as an array, not bin
  ];
  for (const hex of bad) assert.throws(() => decode('ServerMsg', fromHex(hex)), CodecError, hex);
  assert.throws(() => encode('ClientMsg', { type: 'chat', ref: -1, text: 'x', upload: null }), CodecError);
  assert.throws(() => encode('ClientMsg', { type: 'grab', ref: 1, board: 1, piece: 70000 }), CodecError);
  assert.throws(() => encode('ClientMsg', { type: 'chat', ref: 1, upload: null }), CodecError);
  assert.throws(() => encode('ClientMsg', { type: 'nope' }), CodecError);
});

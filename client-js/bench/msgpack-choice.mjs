// Which MessagePack library should the client decode with? Times
// @msgpack/msgpack against msgpackr on the two frames a client handles most:
// a `motion` batch (30 positions) and a chat `msg`. Also times encoding the
// same frames with each library and with the client's own schema-driven
// writer (which the client uses: f32 fields must be float 32 even when whole,
// which neither library can be told per field).
//
//   npm install --no-save msgpackr && node bench/msgpack-choice.mjs
//
// (msgpackr is not a dependency of the package: see the README for why.)
//
// Each figure is the median of 7 rounds of N operations; ratios matter more
// than absolute numbers on a shared machine.

import { Decoder, Encoder } from '@msgpack/msgpack';
const { Packr, Unpackr } = await import('msgpackr').catch(() => {
  throw new Error('install msgpackr first: npm install --no-save msgpackr');
});

import { decode, encode } from '../src/codec.js';

const N = 200_000;
const motion = {
  type: 'motion',
  moves: Array.from({ length: 30 }, (_, i) => ({
    board: 3 + (i % 4), piece: i * 7, x: 412.5 + i * 3.25, y: 96.25 + i, seq: 100_000 + i, t: 5_000_123 + i * 33,
  })),
};
const msg = {
  type: 'msg', seq: 1234, ts: 1_790_000_000_000, kind: 'chat', from: 'u7kq2mwx9ahc', to: null,
  text: 'look at this one, the corner piece goes here',
  upload: {
    id: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    url: '/uploads/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.gif',
    contentType: 'image/gif',
  },
  event: null,
};

function time(fn) {
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - start) / N);
  }
  rounds.sort((a, b) => a - b);
  return rounds[3];
}

const msgpack = new Decoder();
const msgpackEnc = new Encoder({ forceFloat32: true });
const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false, int64AsType: 'number' });
const packr = new Packr({ useRecords: false, useFloat32: 1 /* ALWAYS */ });

// The wire trees a library would be given to encode (arrays in field order).
const wireOf = {
  motion: { motion: [motion.moves.map((m) => [m.board, m.piece, m.x, m.y, m.seq, m.t])] },
  msg: { msg: [msg.seq, msg.ts, msg.kind, msg.from, msg.to, msg.text, [msg.upload.id, msg.upload.url, msg.upload.contentType], null] },
};

const rows = [];
for (const [name, object] of [['motion (30 moves)', motion], ['msg (chat + upload)', msg]]) {
  const bytes = encode('ServerMsg', object);
  const key = name.startsWith('motion') ? 'motion' : 'msg';
  rows.push([name, bytes.length, 'decode, raw', {
    '@msgpack/msgpack': time(() => msgpack.decode(bytes)),
    msgpackr: time(() => unpackr.unpack(bytes)),
  }]);
  rows.push([name, bytes.length, 'decode + schema', {
    'codec.js (msgpackr + schema checks)': time(() => decode('ServerMsg', bytes)),
  }]);
  rows.push([name, bytes.length, 'encode', {
    '@msgpack/msgpack': time(() => msgpackEnc.encode(wireOf[key])),
    msgpackr: time(() => packr.pack(wireOf[key])),
    'codec.js writer (schema)': time(() => encode('ServerMsg', object)),
  }]);
}

console.log(`node ${process.version}; ns per operation, median of 7 rounds of ${N}`);
for (const [name, size, op, results] of rows) {
  const figures = Object.entries(results).map(([lib, ns]) => `${lib} ${ns.toFixed(0)} ns`).join(', ');
  console.log(`${name}, ${size} B, ${op}: ${figures}`);
}

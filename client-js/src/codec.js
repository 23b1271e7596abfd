// The room channel's MessagePack codec, driven by the generated schema
// (./generated/schema.js, produced from the Rust types in schema/src), so no
// message shape is written down twice.
//
// Wire form (schema/PROTOCOL.md §1): a message is a one-entry map
// {tag: [fields…]}, or {tag: record} for a newtype variant; records are arrays
// of their fields in order; absent options are nil; `f32` fields are float 32
// and `bytes` fields are bin. In JavaScript a message is a plain object
// `{ type: tag, ...fields }` (a newtype variant's record fields flattened in),
// and records are plain objects keyed by their wire names.
//
// Encoding is a direct schema-driven write (see msgpack-writer.js for why);
// decoding parses with @msgpack/msgpack (README: why this library), then
// checks and names every field.

import { Decoder } from '@msgpack/msgpack';

import { TYPES } from './generated/schema.js';
import { MsgpackWriter } from './msgpack-writer.js';

/** A value that does not fit the schema (on encode) or a frame that does not decode. */
export class CodecError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CodecError';
  }
}

const INT_RANGES = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  u64: [0, Number.MAX_SAFE_INTEGER],
  i64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function describe(expr) {
  return typeof expr === 'string' ? expr : JSON.stringify(expr);
}

function fail(path, what, value) {
  let shown;
  try {
    shown = value instanceof Uint8Array ? `<${value.length} bytes>` : JSON.stringify(value);
  } catch {
    shown = String(value);
  }
  throw new CodecError(`${path}: expected ${what}, got ${shown?.slice(0, 80)}`);
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * Compiles encoders and decoders for every type of a schema. Exported for
 * tests and tools; the module-level functions below use the generated TYPES.
 */
export function createCodec(types) {
  const encoders = new Map();
  const decoders = new Map();

  // --- encoders: (writer, value, path) -> void -----------------------------

  function encoderFor(expr) {
    if (typeof expr === 'string') {
      const cached = encoders.get(expr);
      if (cached) return cached;
      let compiled;
      // A forwarding stub first, so recursive types compile.
      const stub = (w, v, p) => compiled(w, v, p);
      encoders.set(expr, stub);
      compiled = compileEncoder(expr);
      encoders.set(expr, compiled);
      return compiled;
    }
    if (expr && 'option' in expr) {
      const inner = encoderFor(expr.option);
      return (w, v, p) => (v === null || v === undefined ? w.nil() : inner(w, v, p));
    }
    if (expr && 'list' in expr) {
      const inner = encoderFor(expr.list);
      return (w, v, p) => {
        if (!Array.isArray(v)) fail(p, 'an array', v);
        w.arrayHeader(v.length);
        for (let i = 0; i < v.length; i++) inner(w, v[i], p);
      };
    }
    throw new CodecError(`unknown type expression ${describe(expr)}`);
  }

  function fieldsEncoder(fields, what) {
    // Labels for error messages are built here, once, not on every call.
    const names = fields.map(([name]) => name);
    const labels = names.map((name) => `${what}.${name}`);
    const encs = fields.map(([, expr]) => encoderFor(expr));
    const n = fields.length;
    return (w, obj) => {
      w.arrayHeader(n);
      for (let i = 0; i < n; i++) encs[i](w, obj[names[i]], labels[i]);
    };
  }

  function compileEncoder(name) {
    switch (name) {
      case 'str':
        return (w, v, p) => (typeof v === 'string' ? w.str(v) : fail(p, 'a string', v));
      case 'bool':
        return (w, v, p) => (typeof v === 'boolean' ? w.bool(v) : fail(p, 'a boolean', v));
      case 'u8':
      case 'u16':
      case 'u32':
      case 'u64':
      case 'i64': {
        const [min, max] = INT_RANGES[name];
        return (w, v, p) => (Number.isInteger(v) && v >= min && v <= max ? w.int(v) : fail(p, `a ${name}`, v));
      }
      case 'f32':
        return (w, v, p) => (typeof v === 'number' ? w.float32(v) : fail(p, 'a number', v));
      case 'f64':
        return (w, v, p) => (typeof v === 'number' ? w.float64(v) : fail(p, 'a number', v));
      case 'bytes':
        return (w, v, p) => (v instanceof Uint8Array ? w.bin(v) : fail(p, 'a Uint8Array', v));
      default:
        break;
    }
    const type = types[name];
    if (!type) throw new CodecError(`unknown type ${name}`);
    if (type.kind === 'enum') {
      const values = new Set(type.values);
      return (w, v, p) => (values.has(v) ? w.str(v) : fail(p, `one of ${type.values.join('|')}`, v));
    }
    if (type.kind === 'struct') {
      const enc = fieldsEncoder(type.fields, name);
      return (w, v, p) => (isPlainObject(v) ? enc(w, v) : fail(p, `a ${name} object`, v));
    }
    if (type.kind === 'message') {
      const variants = new Map();
      for (const [tag, variant] of Object.entries(type.variants)) {
        const body =
          'newtype' in variant ? encoderFor(variant.newtype) : fieldsEncoder(variant.fields, `${name}.${tag}`);
        variants.set(tag, body);
      }
      return (w, v, p) => {
        if (!isPlainObject(v)) fail(p, `a ${name} object`, v);
        const body = variants.get(v.type);
        if (!body) fail(`${p}.type`, `a ${name} tag`, v.type);
        w.mapHeader(1);
        w.str(v.type);
        body(w, v, `${name}.${v.type}`);
      };
    }
    throw new CodecError(`type ${name} has unknown kind ${type.kind}`);
  }

  // --- decoders: (wireValue, path) -> value --------------------------------

  function decoderFor(expr) {
    if (typeof expr === 'string') {
      const cached = decoders.get(expr);
      if (cached) return cached;
      let compiled;
      const stub = (v, p) => compiled(v, p);
      decoders.set(expr, stub);
      compiled = compileDecoder(expr);
      decoders.set(expr, compiled);
      return compiled;
    }
    if (expr && 'option' in expr) {
      const inner = decoderFor(expr.option);
      return (v, p) => (v === null || v === undefined ? null : inner(v, p));
    }
    if (expr && 'list' in expr) {
      const inner = decoderFor(expr.list);
      return (v, p) => {
        if (!Array.isArray(v)) fail(p, 'an array', v);
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = inner(v[i], p);
        return out;
      };
    }
    throw new CodecError(`unknown type expression ${describe(expr)}`);
  }

  /** Decodes a fields array into `target` (which may already hold `type`). */
  function fieldsDecoder(fields, what) {
    const names = fields.map(([name]) => name);
    const labels = names.map((name) => `${what}.${name}`);
    const decs = fields.map(([, expr]) => decoderFor(expr));
    const n = fields.length;
    return (arr, target) => {
      if (!Array.isArray(arr) || arr.length !== n) fail(what, `an array of ${n} fields`, arr);
      for (let i = 0; i < n; i++) target[names[i]] = decs[i](arr[i], labels[i]);
      return target;
    };
  }

  function compileDecoder(name) {
    switch (name) {
      case 'str':
        return (v, p) => (typeof v === 'string' ? v : fail(p, 'a string', v));
      case 'bool':
        return (v, p) => (typeof v === 'boolean' ? v : fail(p, 'a boolean', v));
      case 'u8':
      case 'u16':
      case 'u32':
      case 'u64':
      case 'i64': {
        const [min, max] = INT_RANGES[name];
        // u64/i64 beyond 2^53 lose precision as numbers; the protocol's
        // counters (seq, ts) stay far below that.
        const lo = name === 'i64' ? -Infinity : min;
        const hi = name === 'u64' || name === 'i64' ? Infinity : max;
        return (v, p) => (Number.isInteger(v) && v >= lo && v <= hi ? v : fail(p, `a ${name}`, v));
      }
      case 'f32':
      case 'f64':
        return (v, p) => (typeof v === 'number' ? v : fail(p, 'a number', v));
      case 'bytes':
        return (v, p) => {
          if (!(v instanceof Uint8Array)) fail(p, 'bin', v);
          // A plain Uint8Array view (never a Buffer subclass) on every platform.
          return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        };
      default:
        break;
    }
    const type = types[name];
    if (!type) throw new CodecError(`unknown type ${name}`);
    if (type.kind === 'enum') {
      const values = new Set(type.values);
      return (v, p) => (values.has(v) ? v : fail(p, `one of ${type.values.join('|')}`, v));
    }
    if (type.kind === 'struct') {
      const dec = fieldsDecoder(type.fields, name);
      return (v) => dec(v, {});
    }
    if (type.kind === 'message') {
      const variants = new Map();
      for (const [tag, variant] of Object.entries(type.variants)) {
        let body;
        if ('newtype' in variant) {
          const record = types[variant.newtype];
          if (!record || record.kind !== 'struct') {
            throw new CodecError(`${name}.${tag}: newtype ${variant.newtype} is not a struct`);
          }
          body = fieldsDecoder(record.fields, `${name}.${tag}`);
        } else {
          body = fieldsDecoder(variant.fields, `${name}.${tag}`);
        }
        variants.set(tag, body);
      }
      return (v, p) => {
        if (!isPlainObject(v)) fail(p, `a ${name} (a one-entry map)`, v);
        let tag;
        for (const key in v) {
          if (tag !== undefined) fail(p, `a ${name} (a one-entry map)`, Object.keys(v));
          tag = key;
        }
        const body = variants.get(tag);
        if (!body) fail(p, `a ${name} tag`, tag);
        return body(v[tag], { type: tag });
      };
    }
    throw new CodecError(`type ${name} has unknown kind ${type.kind}`);
  }

  const writer = new MsgpackWriter();
  const decoder = new Decoder();

  return {
    /** Encodes `value` of the named schema type into MessagePack bytes. */
    encode(typeName, value) {
      const enc = encoderFor(typeName);
      writer.length = 0;
      enc(writer, value, typeName);
      return writer.finish();
    },
    /** Decodes MessagePack bytes as the named schema type; throws CodecError. */
    decode(typeName, bytes) {
      const dec = decoderFor(typeName);
      let wire;
      try {
        wire = decoder.decode(bytes);
      } catch (err) {
        throw new CodecError(`${typeName}: not MessagePack (${err.message})`);
      }
      return dec(wire, typeName);
    },
  };
}

const codec = createCodec(TYPES);

/** Encodes any schema type by name, e.g. encode('ClientMsg', { type: 'chat', ref: 1, text: 'hi', upload: null }). */
export const encode = codec.encode;
/** Decodes any schema type by name; throws CodecError. */
export const decode = codec.decode;

export const encodeClientMsg = (msg) => codec.encode('ClientMsg', msg);
export const decodeServerMsg = (bytes) => codec.decode('ServerMsg', bytes);
export const decodeLobbyMsg = (bytes) => codec.decode('LobbyMsg', bytes);

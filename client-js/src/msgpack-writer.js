// A small MessagePack writer that the schema-driven encoder (codec.js) calls
// value by value. It exists because the protocol types every number: an `f32`
// field must go out as float 32 (0xca) even when its value is whole (a piece
// width of 100), which no general-purpose MessagePack encoder can be told per
// field. Integers take the smallest encoding, as the server's own encoder does.

const textEncoder = new TextEncoder();

export class MsgpackWriter {
  constructor(initialSize = 256) {
    this.bytes = new Uint8Array(initialSize);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  /** The bytes written so far (a copy, so the writer may be reused). */
  finish() {
    const out = this.bytes.slice(0, this.length);
    this.length = 0;
    return out;
  }

  ensure(extra) {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(value) {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }

  nil() {
    this.byte(0xc0);
  }

  bool(value) {
    this.byte(value ? 0xc3 : 0xc2);
  }

  /** Any safe integer, in its smallest encoding. */
  int(value) {
    if (value >= 0) {
      if (value < 0x80) return this.byte(value);
      this.ensure(9);
      const at = this.length;
      if (value < 0x100) {
        this.bytes[at] = 0xcc;
        this.bytes[at + 1] = value;
        this.length += 2;
      } else if (value < 0x10000) {
        this.bytes[at] = 0xcd;
        this.view.setUint16(at + 1, value);
        this.length += 3;
      } else if (value < 0x100000000) {
        this.bytes[at] = 0xce;
        this.view.setUint32(at + 1, value);
        this.length += 5;
      } else {
        this.bytes[at] = 0xcf;
        this.view.setUint32(at + 1, Math.floor(value / 0x100000000));
        this.view.setUint32(at + 5, value >>> 0);
        this.length += 9;
      }
      return undefined;
    }
    if (value >= -32) return this.byte(value & 0xff);
    this.ensure(9);
    const at = this.length;
    if (value >= -0x80) {
      this.bytes[at] = 0xd0;
      this.view.setInt8(at + 1, value);
      this.length += 2;
    } else if (value >= -0x8000) {
      this.bytes[at] = 0xd1;
      this.view.setInt16(at + 1, value);
      this.length += 3;
    } else if (value >= -0x80000000) {
      this.bytes[at] = 0xd2;
      this.view.setInt32(at + 1, value);
      this.length += 5;
    } else {
      this.bytes[at] = 0xd3;
      this.view.setInt32(at + 1, Math.floor(value / 0x100000000));
      this.view.setUint32(at + 5, value >>> 0);
      this.length += 9;
    }
    return undefined;
  }

  float32(value) {
    this.ensure(5);
    this.bytes[this.length] = 0xca;
    this.view.setFloat32(this.length + 1, value);
    this.length += 5;
  }

  float64(value) {
    this.ensure(9);
    this.bytes[this.length] = 0xcb;
    this.view.setFloat64(this.length + 1, value);
    this.length += 9;
  }

  str(value) {
    const n = value.length;
    if (n < 0x20) {
      // Short strings are mostly ASCII (tags, ids, enum values): copy them
      // directly, which is much faster than TextEncoder for a few bytes.
      this.ensure(1 + n);
      const at = this.length;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        this.bytes[at + 1 + i] = c;
      }
      if (i === n) {
        this.bytes[at] = 0xa0 | n;
        this.length += 1 + n;
        return;
      }
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit; reserve for the worst
    // case, write, then fix up the header to the real length.
    const max = value.length * 3;
    const header = max < 0x20 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
    this.ensure(header + max);
    const start = this.length + header;
    const { written } = textEncoder.encodeInto(value, this.bytes.subarray(start));
    const small = written < 0x20 ? 1 : written < 0x100 ? 2 : written < 0x10000 ? 3 : 5;
    if (small !== header) this.bytes.copyWithin(this.length + small, start, start + written);
    const at = this.length;
    if (small === 1) {
      this.bytes[at] = 0xa0 | written;
    } else if (small === 2) {
      this.bytes[at] = 0xd9;
      this.bytes[at + 1] = written;
    } else if (small === 3) {
      this.bytes[at] = 0xda;
      this.view.setUint16(at + 1, written);
    } else {
      this.bytes[at] = 0xdb;
      this.view.setUint32(at + 1, written);
    }
    this.length += small + written;
  }

  bin(value) {
    const n = value.length;
    this.ensure(5 + n);
    const at = this.length;
    let header;
    if (n < 0x100) {
      this.bytes[at] = 0xc4;
      this.bytes[at + 1] = n;
      header = 2;
    } else if (n < 0x10000) {
      this.bytes[at] = 0xc5;
      this.view.setUint16(at + 1, n);
      header = 3;
    } else {
      this.bytes[at] = 0xc6;
      this.view.setUint32(at + 1, n);
      header = 5;
    }
    this.bytes.set(value, at + header);
    this.length += header + n;
  }

  arrayHeader(n) {
    this.containerHeader(n, 0x90, 0xdc, 0xdd);
  }

  mapHeader(n) {
    this.containerHeader(n, 0x80, 0xde, 0xdf);
  }

  /** An array or map header: fix form below 16 entries, else 16- or 32-bit. */
  containerHeader(n, fix, wide16, wide32) {
    if (n < 0x10) {
      this.byte(fix | n);
      return;
    }
    this.ensure(5);
    const at = this.length;
    if (n < 0x10000) {
      this.bytes[at] = wide16;
      this.view.setUint16(at + 1, n);
      this.length += 3;
    } else {
      this.bytes[at] = wide32;
      this.view.setUint32(at + 1, n);
      this.length += 5;
    }
  }
}

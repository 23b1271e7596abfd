//! A bounded cursor over lib0-encoded bytes (the encoding Yjs and
//! y-protocols use). Every read checks the bytes are there, every number is
//! checked against the range its field allows, and every count is checked
//! against the bytes left, so a few bytes can never claim a large allocation
//! or a long loop. Nothing here allocates.

use super::WireError;

/// lib0 integers are JavaScript-safe: a client id is below 2^53.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes between two positions already read.
    pub fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        &self.bytes[from.min(to)..to.min(self.bytes.len())]
    }

    pub fn finish(&self) -> Result<(), WireError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(WireError::Trailing)
        }
    }

    pub fn u8(&mut self) -> Result<u8, WireError> {
        let byte = *self.bytes.get(self.pos).ok_or(WireError::Truncated)?;
        self.pos += 1;
        Ok(byte)
    }

    pub fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        if len > self.remaining() {
            return Err(WireError::Truncated);
        }
        let taken = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(taken)
    }

    /// An unsigned varint no larger than `max`.
    pub fn var_uint(&mut self, max: u64) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift >= 64 || (bits << shift) >> shift != bits {
                return Err(WireError::Overflow);
            }
            value |= bits << shift;
            if byte < 0x80 {
                break;
            }
            shift += 7;
        }
        if value > max {
            return Err(WireError::Overflow);
        }
        Ok(value)
    }

    pub fn var_u32(&mut self) -> Result<u32, WireError> {
        self.var_uint(u64::from(u32::MAX)).map(|v| v as u32)
    }

    /// A count of items that each take at least `min_bytes` bytes: larger
    /// than the bytes left could hold, it is refused before anything loops
    /// over it.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, WireError> {
        let n = self.var_uint(u64::from(u32::MAX))? as usize;
        if n.saturating_mul(min_bytes.max(1)) > self.remaining() {
            return Err(WireError::Truncated);
        }
        Ok(n)
    }

    /// A signed lib0 varint (first byte: continuation, sign, 6 value bits),
    /// within ±2^53.
    pub fn var_int(&mut self) -> Result<i64, WireError> {
        let first = self.u8()?;
        let negative = first & 0x40 != 0;
        let mut value = u64::from(first & 0x3f);
        let mut more = first & 0x80 != 0;
        let mut shift = 6u32;
        while more {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift > 48 {
                return Err(WireError::Overflow);
            }
            value |= bits << shift;
            more = byte & 0x80 != 0;
            shift += 7;
        }
        if value > MAX_SAFE_INTEGER {
            return Err(WireError::Overflow);
        }
        let value = value as i64;
        Ok(if negative { -value } else { value })
    }

    /// A length-prefixed byte string.
    pub fn buf(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.count(1)?;
        self.take(len)
    }

    /// A length-prefixed UTF-8 string of at most `max_bytes` bytes.
    pub fn string(&mut self, max_bytes: usize) -> Result<&'a str, WireError> {
        let bytes = self.buf()?;
        if bytes.len() > max_bytes {
            return Err(WireError::TextTooLong);
        }
        std::str::from_utf8(bytes).map_err(|_| WireError::Utf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_bounded_by_their_field() {
        assert_eq!(Reader::new(&[0x7f]).var_u32(), Ok(127));
        assert_eq!(Reader::new(&[0x80, 0x01]).var_u32(), Ok(128));
        assert_eq!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f]).var_u32(), Ok(u32::MAX));
        assert_eq!(Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x10]).var_u32(), Err(WireError::Overflow));
        assert_eq!(Reader::new(&[0xff; 11]).var_uint(u64::MAX), Err(WireError::Overflow));
        assert_eq!(Reader::new(&[0x80]).var_u32(), Err(WireError::Truncated));
        let mut two_pow_53 = Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
        assert_eq!(two_pow_53.var_uint(MAX_SAFE_INTEGER), Err(WireError::Overflow));
    }

    #[test]
    fn signed_varints_carry_their_sign_and_stop_at_53_bits() {
        assert_eq!(Reader::new(&[0x05]).var_int(), Ok(5));
        assert_eq!(Reader::new(&[0x45]).var_int(), Ok(-5));
        assert_eq!(Reader::new(&[0x80, 0x01]).var_int(), Ok(64));
        assert_eq!(Reader::new(&[0xff; 12]).var_int(), Err(WireError::Overflow));
    }

    #[test]
    fn counts_cannot_claim_more_than_the_bytes_left() {
        assert_eq!(Reader::new(&[3, 0, 0, 0]).count(1), Ok(3));
        assert_eq!(Reader::new(&[3, 0, 0]).count(1), Err(WireError::Truncated));
        assert_eq!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f]).count(1), Err(WireError::Truncated));
        assert_eq!(Reader::new(&[2, b'h', 0xff]).string(10), Err(WireError::Utf8));
        assert_eq!(Reader::new(&[2, b'h', b'i']).string(1), Err(WireError::TextTooLong));
    }
}

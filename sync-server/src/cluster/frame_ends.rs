//! Where WebSocket frames end in a byte stream, without reading them: a
//! relay that passes a connection's bytes through untouched still needs to
//! know when it stands between two frames, so that it can end the
//! connection with a close frame of its own (the node is shutting down, the
//! owner went away) instead of cutting a frame in half.
//!
//! Only frame headers are looked at (2 to 14 bytes each); payloads are
//! skipped by their length.

/// The longest frame header: 2 bytes, 8 of extended length, 4 of mask.
const MAX_HEADER: usize = 14;

#[derive(Debug, Default)]
pub struct FrameEnds {
    header: [u8; MAX_HEADER],
    /// Header bytes seen of the frame that starts next (0 between frames).
    have: usize,
    /// Payload bytes still to come of the current frame.
    left: u64,
}

impl FrameEnds {
    /// True between two frames.
    pub fn at_boundary(&self) -> bool {
        self.have == 0 && self.left == 0
    }

    /// Follows `bytes` up to the end of the current frame, or through all of
    /// them; returns how many it followed (at least one, if any were given).
    pub fn take(&mut self, bytes: &[u8]) -> usize {
        let mut used = 0;
        while used < bytes.len() {
            if self.left > 0 {
                let skip = usize::try_from(self.left).unwrap_or(usize::MAX).min(bytes.len() - used);
                self.left -= skip as u64;
                used += skip;
                if self.left == 0 {
                    return used;
                }
                continue;
            }
            self.header[self.have] = bytes[used];
            self.have += 1;
            used += 1;
            if let Some(payload) = self.payload_len() {
                self.have = 0;
                self.left = payload;
                if payload == 0 {
                    return used;
                }
            }
        }
        used
    }

    /// The payload length, once the whole header has been seen.
    fn payload_len(&self) -> Option<u64> {
        if self.have < 2 {
            return None;
        }
        let masked = self.header[1] & 0x80 != 0;
        let (extended, mask) = match self.header[1] & 0x7f {
            126 => (2, 4 * usize::from(masked)),
            127 => (8, 4 * usize::from(masked)),
            _ => (0, 4 * usize::from(masked)),
        };
        if self.have < 2 + extended + mask {
            return None;
        }
        Some(match extended {
            0 => u64::from(self.header[1] & 0x7f),
            2 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            _ => {
                let mut len = [0u8; 8];
                len.copy_from_slice(&self.header[2..10]);
                u64::from_be_bytes(len)
            }
        })
    }
}

/// A server's close frame (unmasked) with `code` and a short `reason`.
pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let reason = &reason.as_bytes()[..reason.len().min(123)];
    let mut frame = Vec::with_capacity(4 + reason.len());
    frame.extend_from_slice(&[0x88, 2 + reason.len() as u8]);
    frame.extend_from_slice(&code.to_be_bytes());
    frame.extend_from_slice(reason);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize, masked: bool) -> Vec<u8> {
        let mut out = vec![0x82];
        let mask_bit = if masked { 0x80 } else { 0 };
        match len {
            0..=125 => out.push(mask_bit | len as u8),
            126..=65535 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        if masked {
            out.extend_from_slice(&[1, 2, 3, 4]);
        }
        out.extend(std::iter::repeat_n(7u8, len));
        out
    }

    /// Feeds `stream` in chunks of `chunk` bytes; returns the offsets at
    /// which the tracker said a frame ended.
    fn ends(stream: &[u8], chunk: usize) -> Vec<usize> {
        let mut tracker = FrameEnds::default();
        let (mut at, mut ends) = (0, Vec::new());
        for piece in stream.chunks(chunk) {
            let mut used = 0;
            while used < piece.len() {
                used += tracker.take(&piece[used..]);
                if tracker.at_boundary() {
                    ends.push(at + used);
                }
            }
            at += piece.len();
        }
        ends
    }

    #[test]
    fn frame_ends_are_found_however_the_bytes_are_cut() {
        let frames = [frame(0, false), frame(5, false), frame(125, true), frame(300, false), frame(70_000, true)];
        let stream: Vec<u8> = frames.concat();
        let mut expected = Vec::new();
        let mut at = 0;
        for f in &frames {
            at += f.len();
            expected.push(at);
        }
        for chunk in [1, 2, 3, 7, 64, 1000, stream.len()] {
            assert_eq!(ends(&stream, chunk), expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn mid_frame_is_not_a_boundary() {
        let mut tracker = FrameEnds::default();
        assert!(tracker.at_boundary());
        let f = frame(10, false);
        assert_eq!(tracker.take(&f[..1]), 1);
        assert!(!tracker.at_boundary(), "inside the header");
        assert_eq!(tracker.take(&f[1..5]), 4);
        assert!(!tracker.at_boundary(), "inside the payload");
        assert_eq!(tracker.take(&f[5..]), f.len() - 5);
        assert!(tracker.at_boundary());
    }

    #[test]
    fn a_close_frame_is_a_frame_the_tracker_reads_whole() {
        let close = close_frame(1001, "bye");
        assert_eq!(&close[..4], &[0x88, 5, 0x03, 0xe9]);
        assert_eq!(ends(&close, 1), vec![close.len()]);
        assert_eq!(close_frame(1001, &"x".repeat(500)).len(), 4 + 123);
    }
}

//! GIF metadata removal: a GIF is a header, a screen descriptor with its
//! colour table, then a flat list of blocks up to a trailer byte. Comments
//! (extension `0xFE`) and application extensions carry text of any kind,
//! XMP among it (the `XMP DataXMP` application extension); only the looping
//! extensions browsers act on (`NETSCAPE2.0`, `ANIMEXTS1.0`) are kept, with
//! frame timing (graphic control), plain text and the images. The kept
//! blocks are copied byte for byte and nothing is decoded.
//!
//! Our own reader, because the GIF crates decode frames to strip them. It
//! walks the bytes once, never recurses and reads only within the slice, so
//! its work is bounded by the upload limit; anything that does not parse
//! (truncated blocks, an unknown block type) is refused.

/// Block introducers and extension labels.
const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;
const GRAPHIC_CONTROL: u8 = 0xF9;
const PLAIN_TEXT: u8 = 0x01;
const APPLICATION: u8 = 0xFF;

/// Application extensions that only say how often an animation loops.
const LOOPING: [&[u8; 11]; 2] = [b"NETSCAPE2.0", b"ANIMEXTS1.0"];

/// The GIF without comments and non-looping application extensions, or
/// `None` if the bytes are no readable GIF. Bytes after the trailer go too.
pub fn strip(gif: &[u8]) -> Option<Vec<u8>> {
    let mut reader = Reader { bytes: gif, at: 0 };
    let header = reader.take(6)?;
    if header != b"GIF87a" && header != b"GIF89a" {
        return None;
    }
    let screen = reader.take(7)?;
    reader.take(color_table_len(screen[4]))?;
    let mut out = Vec::with_capacity(gif.len());
    out.extend_from_slice(&gif[..reader.at]);
    loop {
        let start = reader.at;
        match reader.byte()? {
            TRAILER => break,
            IMAGE => {
                let descriptor = reader.take(9)?;
                reader.take(color_table_len(descriptor[8]))?;
                reader.take(1)?; // the LZW minimum code size
                reader.skip_sub_blocks()?;
            }
            EXTENSION => {
                let label = reader.byte()?;
                let first = reader.sub_block()?;
                let keep = match label {
                    GRAPHIC_CONTROL | PLAIN_TEXT => true,
                    APPLICATION => LOOPING.iter().any(|id| first == id.as_slice()),
                    _ => false,
                };
                if !first.is_empty() {
                    reader.skip_sub_blocks()?;
                }
                if !keep {
                    continue;
                }
            }
            _ => return None,
        }
        out.extend_from_slice(&gif[start..reader.at]);
    }
    out.push(TRAILER);
    Some(out)
}

/// The size of the colour table a packed-fields byte announces.
fn color_table_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// One data sub-block: a length byte and that many bytes (empty for
    /// the terminator).
    fn sub_block(&mut self) -> Option<&'a [u8]> {
        let len = self.byte()?;
        self.take(usize::from(len))
    }

    /// The rest of a block's sub-blocks, through the terminator.
    fn skip_sub_blocks(&mut self) -> Option<()> {
        while !self.sub_block()?.is_empty() {}
        Some(())
    }
}

/// A 2×1 animated GIF (and the same without its metadata), for tests and
/// the fuzz seeds: with a global colour table, looping, with a
/// comment, XMP and another application's data around its two frames.
pub fn sample_with_metadata() -> (Vec<u8>, Vec<u8>) {
    let header = [b"GIF89a".as_slice(), &[2, 0, 1, 0, 0x80, 0, 0], &[0, 0, 0, 255, 255, 255]].concat();
    let looping = [&[EXTENSION, APPLICATION, 11][..], b"NETSCAPE2.0", &[3, 1, 0, 0, 0]].concat();
    let comment = [&[EXTENSION, 0xFE, 14][..], b"taken at home!", &[0]].concat();
    let xmp_packet = b"<x:xmpmeta><exif:GPSLatitude>37,33.9N</exif:GPSLatitude></x:xmpmeta>";
    let xmp = [&[EXTENSION, APPLICATION, 11][..], b"XMP DataXMP", &[xmp_packet.len() as u8], xmp_packet, &[0]].concat();
    let other_app = [&[EXTENSION, APPLICATION, 11][..], b"ICCRGBG1012", &[2, 9, 9, 0]].concat();
    let control = [EXTENSION, GRAPHIC_CONTROL, 4, 0, 10, 0, 0, 0].to_vec();
    let frame = [IMAGE, 0, 0, 0, 0, 2, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0].to_vec();
    let gif =
        [&header, &looping, &comment, &control, &frame, &xmp, &other_app, &control, &frame, &[TRAILER][..]].concat();
    let clean = [&header, &looping, &control, &frame, &control, &frame, &[TRAILER][..]].concat();
    (gif, clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_xmp_go_and_looping_timing_and_frames_stay() {
        let (gif, clean) = sample_with_metadata();
        let stripped = strip(&gif).expect("a readable GIF");
        assert_eq!(stripped, clean);
        let text = String::from_utf8_lossy(&stripped);
        assert!(!text.contains("XMP") && !text.contains("GPS") && !text.contains("home"), "{text}");
        assert_eq!(strip(&stripped), Some(stripped.clone()), "stripping again changes nothing");
        assert_eq!(imagesize::blob_size(&stripped).map(|s| (s.width, s.height)).ok(), Some((2, 1)));
    }

    #[test]
    fn a_gif_without_metadata_is_kept_as_it_is_and_trailing_bytes_go() {
        let (_, clean) = sample_with_metadata();
        assert_eq!(strip(&clean), Some(clean.clone()));
        let trailing = [&clean, b"appended secrets".as_slice()].concat();
        assert_eq!(strip(&trailing), Some(clean));
    }

    #[test]
    fn truncated_or_foreign_bytes_are_refused() {
        let (gif, _) = sample_with_metadata();
        for end in 0..gif.len() {
            assert_eq!(strip(&gif[..end]), None, "cut at {end}");
        }
        assert_eq!(strip(b"GIF90a\x01\x00\x01\x00\x00\x00\x00;"), None);
        let unknown_block = [&gif[..19], &[0x99], &gif[19..]].concat();
        assert_eq!(strip(&unknown_block), None);
    }
}

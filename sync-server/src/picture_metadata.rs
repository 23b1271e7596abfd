//! Uploaded pictures lose their metadata before they are stored: EXIF
//! (camera, time, GPS location), XMP, IPTC, ICC profiles, comments and
//! text chunks. Only the containers are edited (img-parts): JPEG segments
//! and PNG and WebP chunks are dropped, and the pixel data is kept byte for
//! byte, so the picture is otherwise identical. The bytes are already
//! bounded by the upload limit, img-parts reads them without recursion or
//! decoding, and it runs under a panic guard all the same.
//!
//! GIFs lose their comments and application extensions other than
//! looping (XMP among them) through our own reader, [`crate::gif_metadata`].
//!
//! A JPEG, WebP or GIF whose container cannot be read is refused: it cannot
//! be cleaned. A PNG that cannot be read is kept as it came (as before: the
//! sniffed type decides).

use std::panic::{catch_unwind, AssertUnwindSafe};

use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::{WebP, CHUNK_EXIF, CHUNK_ICCP, CHUNK_XMP};
use img_parts::Bytes;
use img_parts::ImageEXIF;

use crate::gif_metadata;

/// PNG chunks that describe rather than draw: EXIF, text (XMP travels in
/// `iTXt`), the last-modified time, the ICC profile.
const PNG_METADATA: [[u8; 4]; 6] = [*b"eXIf", *b"tEXt", *b"zTXt", *b"iTXt", *b"tIME", *b"iCCP"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StripError {
    #[error("the picture's {0} structure cannot be read, so its metadata cannot be removed")]
    Unreadable(&'static str),
}

/// The picture without its metadata; `content_type` is the sniffed type.
pub fn strip(content_type: &str, bytes: Vec<u8>) -> Result<Vec<u8>, StripError> {
    let kind = match content_type {
        "image/jpeg" => "JPEG",
        "image/webp" => "WebP",
        "image/png" => "PNG",
        "image/gif" => "GIF",
        _ => return Ok(bytes),
    };
    let input = Bytes::from(bytes);
    let stripped = catch_unwind(AssertUnwindSafe(|| match kind {
        "JPEG" => strip_jpeg(input.clone()),
        "WebP" => strip_webp(input.clone()),
        "GIF" => gif_metadata::strip(&input),
        _ => strip_png(input.clone()),
    }));
    match stripped {
        Ok(Some(clean)) => Ok(clean),
        _ if kind == "PNG" => Ok(input.to_vec()),
        _ => Err(StripError::Unreadable(kind)),
    }
}

/// Keeps APP0 (JFIF) and APP14 (Adobe: how the colors are encoded); drops
/// every other application segment (EXIF and XMP in APP1, ICC in APP2,
/// IPTC in APP13, …) and comments.
fn strip_jpeg(input: Bytes) -> Option<Vec<u8>> {
    let mut jpeg = Jpeg::from_bytes(input).ok()?;
    jpeg.segments_mut().retain(|segment| {
        let marker = segment.marker();
        let application = (markers::APP0..=markers::APP15).contains(&marker);
        let kept_application = marker == markers::APP0 || marker == markers::APP14;
        marker != markers::COM && (!application || kept_application)
    });
    Some(jpeg.encoder().bytes().to_vec())
}

fn strip_png(input: Bytes) -> Option<Vec<u8>> {
    let mut png = Png::from_bytes(input).ok()?;
    png.chunks_mut().retain(|chunk| !PNG_METADATA.contains(&chunk.kind()));
    Some(png.encoder().bytes().to_vec())
}

fn strip_webp(input: Bytes) -> Option<Vec<u8>> {
    let mut webp = WebP::from_bytes(input).ok()?;
    webp.remove_chunks_by_id(CHUNK_XMP);
    webp.remove_chunks_by_id(CHUNK_ICCP);
    webp.remove_chunks_by_id(CHUNK_EXIF);
    // Also brings the VP8X header's flags in line with the chunks left.
    webp.set_exif(None);
    Some(webp.encoder().bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_containers_are_refused_except_for_png() {
        let broken_jpeg = b"\xff\xd8\xff\xe1\xff\xff truncated".to_vec();
        assert_eq!(strip("image/jpeg", broken_jpeg), Err(StripError::Unreadable("JPEG")));
        assert_eq!(strip("image/webp", b"RIFF\x24\0\0\0WEBPVP8 ".to_vec()), Err(StripError::Unreadable("WebP")));
        let header_only_png = b"\x89PNG\r\n\x1a\nno header".to_vec();
        assert_eq!(strip("image/png", header_only_png.clone()), Ok(header_only_png));
        assert_eq!(strip("image/gif", b"GIF89a".to_vec()), Err(StripError::Unreadable("GIF")));
    }

    #[test]
    fn gifs_lose_comments_and_xmp() {
        let (gif, clean) = crate::gif_metadata::sample_with_metadata();
        assert_eq!(strip("image/gif", gif), Ok(clean));
    }
}

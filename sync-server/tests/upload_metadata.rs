//! Uploaded pictures are stored without their metadata: a JPEG with a GPS
//! location in its EXIF (and XMP and IPTC segments) comes back as the very
//! same JPEG without them, and a PNG loses its text and EXIF chunks.

mod common;

use common::*;
use img_parts::png::{Png, PngChunk};
use img_parts::Bytes;
use jigsync_server::uploads::content_id;

const WIDTH: u16 = 16;
const HEIGHT: u16 = 12;

/// A little-endian TIFF block, as EXIF is: IFD0 points to a GPS IFD that
/// says 37° 33' 12.34" N.
fn exif_with_gps() -> Vec<u8> {
    let mut exif = b"Exif\0\0II*\0".to_vec();
    exif.extend(8u32.to_le_bytes());
    // IFD0: one entry, GPSInfo (0x8825, LONG) pointing at offset 26.
    exif.extend(1u16.to_le_bytes());
    exif.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0]);
    exif.extend(26u32.to_le_bytes());
    exif.extend(0u32.to_le_bytes());
    // GPS IFD: GPSLatitudeRef "N", GPSLatitude three rationals at offset 56.
    exif.extend(2u16.to_le_bytes());
    exif.extend([1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    exif.extend([2, 0, 5, 0, 3, 0, 0, 0]);
    exif.extend(56u32.to_le_bytes());
    exif.extend(0u32.to_le_bytes());
    for (numerator, denominator) in [(37u32, 1u32), (33, 1), (1234, 100)] {
        exif.extend(numerator.to_le_bytes());
        exif.extend(denominator.to_le_bytes());
    }
    exif
}

const XMP: &[u8] =
    b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>37,33.2057N</exif:GPSLatitude></x:xmpmeta>";
const IPTC: &[u8] = b"Photoshop 3.0\0 8BIM caption: Ann at home";

/// A gradient, encoded with the given application segments.
fn jpeg(segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let pixels: Vec<u8> =
        (0..HEIGHT).flat_map(|y| (0..WIDTH).flat_map(move |x| [(x * 15) as u8, (y * 20) as u8, 128])).collect();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    for (number, data) in segments {
        encoder.add_app_segment(*number, data.clone()).expect("app segment");
    }
    encoder.encode(&pixels, WIDTH, HEIGHT, jpeg_encoder::ColorType::Rgb).expect("encode");
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// What a member of `room` fetches at the upload's `url`.
async fn download(server: &TestServer, room: &Room, url: &str) -> Vec<u8> {
    let grant = upload_grant(server, &room.id, &room.teacher.token).await;
    let res = server.http.get(server.url(&with_grant(url, &grant))).send().await.expect("download");
    assert_eq!(res.status(), 200);
    res.bytes().await.expect("bytes").to_vec()
}

#[tokio::test]
async fn a_jpeg_with_a_gps_location_comes_back_without_it_and_otherwise_identical() {
    let server = TestServer::start().await;
    let room = server.create_room("Photos", "T").await;
    let with_location = jpeg(&[(1, exif_with_gps()), (1, XMP.to_vec()), (13, IPTC.to_vec())]);
    assert!(contains(&with_location, b"Exif\0\0") && contains(&with_location, b"GPSLatitude"));
    let plain = jpeg(&[]);

    let (status, body) = upload(&server, &room, &room.teacher.token, with_location, "photo.jpg").await;
    assert_eq!(status, 201, "{body}");
    let stored = download(&server, &room, body["url"].as_str().expect("url")).await;
    for secret in [&b"Exif\0\0"[..], b"GPSLatitude", b"xmpmeta", b"Photoshop", b"Ann at home"] {
        assert!(!contains(&stored, secret), "{:?} was kept", String::from_utf8_lossy(secret));
    }
    assert_eq!(stored, plain, "the same JPEG as one encoded without metadata, byte for byte");
    assert_eq!(body["uploadId"], content_id(&plain).as_str(), "named by what is stored");
    assert_eq!(body["bytes"], plain.len());
}

#[tokio::test]
async fn a_png_loses_its_text_and_exif_chunks_and_keeps_the_rest() {
    let server = TestServer::start().await;
    let room = server.create_room("Screenshots", "T").await;
    let chunk = |kind: &[u8; 4], contents: &[u8]| PngChunk::new(*kind, Bytes::copy_from_slice(contents));
    let ihdr = [&16u32.to_be_bytes()[..], &12u32.to_be_bytes()[..], &[8, 2, 0, 0, 0]].concat();
    let drawing = [chunk(b"IHDR", &ihdr), chunk(b"sRGB", &[0]), chunk(b"IDAT", b"pixels as they came")];
    let metadata =
        [chunk(b"tEXt", b"Comment\0taken at 37.5665N"), chunk(b"eXIf", &exif_with_gps()[6..]), chunk(b"iTXt", XMP)];
    let build = |chunks: Vec<PngChunk>| {
        let mut png = Png::from_bytes(Bytes::from_static(b"\x89PNG\r\n\x1a\n")).expect("signature");
        png.chunks_mut().extend(chunks);
        png.chunks_mut().push(chunk(b"IEND", b""));
        png.encoder().bytes().to_vec()
    };
    let with_text = build(drawing.iter().cloned().chain(metadata.iter().cloned()).collect());
    let plain = build(drawing.to_vec());

    let (status, body) = upload(&server, &room, &room.teacher.token, with_text, "shot.png").await;
    assert_eq!(status, 201, "{body}");
    let stored = download(&server, &room, body["url"].as_str().expect("url")).await;
    assert_eq!(stored, plain);
}

#[tokio::test]
async fn a_jpeg_whose_structure_cannot_be_read_is_refused() {
    let server = TestServer::start().await;
    let room = server.create_room("Broken", "T").await;
    let mut truncated = jpeg(&[(1, exif_with_gps())]);
    truncated.truncate(40);
    let (status, body) = upload(&server, &room, &room.teacher.token, truncated, "cut.jpg").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid")), "{body}");
}

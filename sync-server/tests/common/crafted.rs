//! Hostile Yjs updates that crash, corrupt or bloat yrs 0.28.1 when it is
//! fed them unchecked, each named by what it does. The hostile-input tests
//! send them to a live server, and the fuzz targets start from them
//! (`tests/fuzz_regressions.rs`).

/// One struct by client 1 at clock 0 writing `pieces["0"]`, whose value is
/// an array nested `depth` deep (two bytes a level).
pub fn nested_update(depth: usize) -> Vec<u8> {
    let mut bytes = hex::decode("01010100280106706965636573013001").unwrap();
    bytes.extend(std::iter::repeat_n([0x75, 0x01], depth).flatten());
    bytes.extend([0x7e, 0x00]);
    bytes
}

const PIECE_0: &str = "01010500280106706965636573013001";

/// Sequences of updates, applied one after another to one document.
pub fn crafted_sequences() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let h = |s: &str| hex::decode(s).unwrap();
    let object_bomb = format!("{PIECE_0}{}00", "768080804000".repeat(8));
    vec![
        (
            "a struct at clock 2^31+2 after clock 0 (block_store.rs:317 unwrap)",
            vec![h("010105002801067069656365730130017e00"), h("01010582808080082801067069656365730131017800")],
        ),
        (
            "the same in one update",
            vec![h("020105002801067069656365730130017e010582808080082801067069656365730131017800")],
        ),
        (
            "one client's structs twice (use after free)",
            vec![h("020105002801067069656365730130017e0105002801067069656365730130017e00")],
        ),
        (
            "a section running past a skip (diff_end underflow)",
            vec![h("020105012801067069656365730130017e0105002801067069656365730131027e7e00")],
        ),
        (
            "two sections with a gap (unreachable! in exclude)",
            vec![
                h("010105002801067069656365730130017e00"),
                h("020105002801067069656365730130017e0105022801067069656365730131017800"),
            ],
        ),
        (
            "a new client at clock 2^31+2, then a delete range",
            vec![h("01010582808080082801067069656365730131017800"), h("0001050100ffffffff0f")],
        ),
        (
            "three updates that plant a wrong skip, and a fourth",
            vec![
                h("010105ffffffff072801067069656365730130017e00"),
                h("01010582808080082801067069656365730130017e00"),
                h("010105002801067069656365730130017e00"),
                h("010105012801067069656365730131017800"),
            ],
        ),
        ("JSON content that poisons every later encoding", vec![h("01010500820600000000")]),
        ("client id 2^53", vec![h("01018080808080808010002801067069656365730130017e00")]),
        ("client id 2^53 in a delete set", vec![h("00018080808080808010010001")]),
        ("a delete range whose end overflows u32", vec![h("00010501ffffffff0f01")]),
        ("a struct at clock 2^32-1", vec![h("010105ffffffff0f2801067069656365730130017e00")]),
        ("a new client at clock 2^31", vec![h("01010580808080082801067069656365730130017e00")]),
        (
            "local clock 2^31, then clock 0",
            vec![h("010105ffffffff072801067069656365730130017e00"), h("010105002801067069656365730131017800")],
        ),
        ("an 11-byte integer", vec![h(&format!("{PIECE_0}7d808080808080808080800100"))]),
        ("negative zero with bit 63", vec![h(&format!("{PIECE_0}7dc0808080808080808080020000"))]),
        ("a count claiming 2^28 clients", vec![h("8080808001")]),
        ("objects claiming 2^27 entries", vec![h(&object_bomb)]),
        ("a value nested 10,000 deep", vec![nested_update(10_000)]),
        ("a value nested 32,000 deep", vec![nested_update(32_000)]),
    ]
}

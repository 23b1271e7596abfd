//! Identifiers and the things derived from them: room and user ids, join codes
//! a teacher can read aloud, and participant colors.

use rand::Rng;
use sha2::{Digest, Sha256};

/// No 0/O, 1/I/L or U/V: letters that are misheard or misread in a classroom.
const JOIN_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTWXYZ23456789";
pub const JOIN_CODE_LEN: usize = 6;
const ID_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";

fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect()
}

pub fn room_id() -> String {
    format!("r{}", random_string(ID_ALPHABET, 11))
}

/// A node's name in a cluster, when none is configured.
pub fn node_id() -> String {
    format!("n{}", random_string(ID_ALPHABET, 10))
}

pub fn user_id() -> String {
    format!("u{}", random_string(ID_ALPHABET, 11))
}

/// A teacher's id across classes, when this server makes one (a district's
/// passes bring their own).
pub fn teacher_id() -> String {
    format!("t{}", random_string(ID_ALPHABET, 15))
}

pub fn join_code() -> String {
    random_string(JOIN_ALPHABET, JOIN_CODE_LEN)
}

/// Accepts what a student types: any case, with spaces or dashes.
pub fn normalize_join_code(input: &str) -> String {
    input.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// The color of a room's `index`-th member (0 for the creator). Hues step by
/// the golden angle, so each newcomer's color is far from the previous few,
/// and the chat and the dashboard tell neighbours apart; lightness alternates
/// for a second cue. Saturation and lightness keep names readable on white.
pub fn member_color(index: usize) -> String {
    const GOLDEN_ANGLE: f64 = 137.507_764;
    // Start at blue so the first member (the teacher) gets a calm color.
    let hue = (210.0 + GOLDEN_ANGLE * index as f64) % 360.0;
    let lightness = if index % 2 == 0 { 0.44 } else { 0.38 };
    let (r, g, b) = hsl_to_rgb(hue, 0.68, lightness);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A color from the user id's hash, for members stored before colors were:
/// the hue varies, saturation and lightness stay where names remain readable.
pub fn color_for(user_id: &str) -> String {
    let hash = Sha256::digest(user_id.as_bytes());
    let hue = u16::from_be_bytes([hash[0], hash[1]]) % 360;
    let saturation = [0.55, 0.65, 0.75][usize::from(hash[2]) % 3];
    let lightness = [0.40, 0.48, 0.56][usize::from(hash[3]) % 3];
    let (r, g, b) = hsl_to_rgb(f64::from(hue), saturation, lightness);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn hsl_to_rgb(h: f64, s: f64, l: f64) -> (u8, u8, u8) {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match h as u16 {
        0..=59 => (c, x, 0.0),
        60..=119 => (x, c, 0.0),
        120..=179 => (0.0, c, x),
        180..=239 => (0.0, x, c),
        240..=299 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let to_byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    (to_byte(r), to_byte(g), to_byte(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_are_short_and_unambiguous() {
        for _ in 0..200 {
            let code = join_code();
            assert_eq!(code.len(), JOIN_CODE_LEN);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        }
        assert_eq!(normalize_join_code(" abc-23x "), "ABC23X");
    }

    #[test]
    fn colors_are_stable_per_user_and_vary_between_users() {
        assert_eq!(color_for("u_alice"), color_for("u_alice"));
        let colors: std::collections::HashSet<_> = (0..50).map(|i| color_for(&format!("u{i}"))).collect();
        assert!(colors.len() > 40, "{} distinct colors", colors.len());
        assert!(colors.iter().all(|c| c.len() == 7 && c.starts_with('#')));
    }

    #[test]
    fn members_who_join_one_after_another_get_distant_hues() {
        let hue = |index: usize| (210.0 + 137.507_764 * index as f64) % 360.0;
        for i in 0..40 {
            let gap = (hue(i + 1) - hue(i)).rem_euclid(360.0);
            assert!(gap.min(360.0 - gap) > 90.0, "members {i} and {} are {gap} degrees apart", i + 1);
        }
        let colors: std::collections::HashSet<_> = (0..40).map(member_color).collect();
        assert_eq!(colors.len(), 40, "every member of a class of 40 gets their own color");
        assert!(colors.iter().all(|c| c.len() == 7 && c.starts_with('#')));
    }

    #[test]
    fn primary_hues_convert_exactly() {
        assert_eq!(hsl_to_rgb(0.0, 1.0, 0.5), (255, 0, 0));
        assert_eq!(hsl_to_rgb(120.0, 1.0, 0.5), (0, 255, 0));
        assert_eq!(hsl_to_rgb(240.0, 1.0, 0.5), (0, 0, 255));
    }
}

//! Display names that tell people apart: a name already taken in the room
//! gets the first free number after it ("Ann", "Ann 2", "Ann 3", …), so
//! cards, the people list, confirmations and chat never show two people
//! alike.

/// `wanted`, or with a number suffix if someone in the room (any member
/// ever, so history stays unambiguous too) has it already. Names are
/// compared ignoring case, as people read "Ann" and "ann" as one name. The
/// result keeps within `max` characters by shortening the name, never the
/// number.
pub fn distinct(wanted: &str, taken: &[&str], max: usize) -> String {
    let taken: Vec<String> = taken.iter().map(|name| name.to_lowercase()).collect();
    let free = |name: &str| !taken.contains(&name.to_lowercase());
    if free(wanted) {
        return wanted.to_owned();
    }
    // At most `taken.len() + 1` numbers can be tried before one is free.
    (2..).map(|n| numbered(wanted, n, max)).find(|name| free(name)).unwrap_or_else(|| wanted.to_owned())
}

fn numbered(name: &str, n: usize, max: usize) -> String {
    let suffix = format!(" {n}");
    let room = max.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(room).collect();
    format!("{}{suffix}", base.trim_end())
}

#[cfg(test)]
mod tests {
    use super::distinct;

    #[test]
    fn a_taken_name_gets_the_first_free_number() {
        assert_eq!(distinct("Ann", &[], 40), "Ann");
        assert_eq!(distinct("Ann", &["Ben"], 40), "Ann");
        assert_eq!(distinct("Ann", &["Ann"], 40), "Ann 2");
        assert_eq!(distinct("ann", &["Ann", "Ann 2"], 40), "ann 3");
        assert_eq!(distinct("Ann", &["Ann", "Ann 3"], 40), "Ann 2");
        assert_eq!(distinct("김민준", &["김민준"], 40), "김민준 2");
    }

    #[test]
    fn a_numbered_name_stays_within_the_limit() {
        let long = "a".repeat(40);
        let second = distinct(&long, &[&long], 40);
        assert_eq!(second, format!("{} 2", "a".repeat(38)));
        assert_eq!(second.chars().count(), 40);
        // A space where the name is cut is not kept before the number.
        let spaced = format!("{} bc", "a".repeat(37));
        assert_eq!(distinct(&spaced, &[&spaced], 40), format!("{} 2", "a".repeat(37)));
        let taken: Vec<String> = (2..=9).map(|n| format!("{} {n}", "a".repeat(38))).chain([long.clone()]).collect();
        let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
        assert_eq!(distinct(&long, &taken, 40), format!("{} 10", "a".repeat(37)));
    }
}

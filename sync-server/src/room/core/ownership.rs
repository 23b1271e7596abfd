//! Who owns a room after its owner leaves, and who may moderate.

use jigsync_schema::Role;

/// What the succession rule needs to know about a remaining member.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub user: &'a str,
    pub role: Role,
    pub online: bool,
    pub joined_at: i64,
}

/// The next owner when the owner explicitly leaves: a teacher who is present,
/// else any teacher, else the participant present the longest (online before
/// offline). `None` if nobody remains.
pub fn next_owner<'a>(candidates: &[Candidate<'a>]) -> Option<&'a str> {
    candidates.iter().min_by_key(|c| (c.role != Role::Teacher, !c.online, c.joined_at, c.user)).map(|c| c.user)
}

/// Teachers moderate; so does whoever owns the room (a student can inherit
/// ownership when no teacher is left).
pub fn can_moderate(role: Role, is_owner: bool) -> bool {
    role == Role::Teacher || is_owner
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(user: &str, role: Role, online: bool, joined_at: i64) -> Candidate<'_> {
        Candidate { user, role, online, joined_at }
    }

    #[test]
    fn prefers_a_present_teacher() {
        let list = [
            c("early_student", Role::Student, true, 1),
            c("offline_teacher", Role::Teacher, false, 2),
            c("teacher", Role::Teacher, true, 5),
        ];
        assert_eq!(next_owner(&list), Some("teacher"));
    }

    #[test]
    fn then_any_teacher_then_the_longest_present() {
        let list = [c("s1", Role::Student, true, 1), c("t", Role::Teacher, false, 9)];
        assert_eq!(next_owner(&list), Some("t"));
        let list =
            [c("late", Role::Student, true, 9), c("early", Role::Student, true, 1), c("gone", Role::Student, false, 0)];
        assert_eq!(next_owner(&list), Some("early"));
        assert_eq!(next_owner(&[]), None);
    }
}

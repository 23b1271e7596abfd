//! The soak's proof that nothing acknowledged was lost: every connection
//! marks the chat seqs it receives (live or replayed by a resume) in a
//! bitmap, counting any seq it already had as a duplicate; every sender
//! keeps the seqs its chats were acknowledged with. At the end each
//! acknowledged chat must be in the bitmap of every other member of its
//! room, once. A bitmap per member is a few hundred bytes for a class
//! hour, so 10,000 members check exactly, without sampling.

/// Chat seqs one member received (bit `seq`), and how many came twice.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    bits: Vec<u64>,
    pub duplicates: u64,
}

impl Seen {
    /// Records `seq`; returns false (and counts a duplicate) if it was
    /// already there.
    pub fn mark(&mut self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        let mask = 1u64 << bit;
        if self.bits[word] & mask != 0 {
            self.duplicates += 1;
            return false;
        }
        self.bits[word] |= mask;
        true
    }

    pub fn has(&self, seq: u64) -> bool {
        self.bits.get((seq / 64) as usize).is_some_and(|w| w & (1u64 << (seq % 64)) != 0)
    }
}

/// What one member of a room brings to the check.
#[derive(Debug, Default)]
pub struct MemberLedger {
    /// The room, by index.
    pub room: usize,
    /// Seqs the server acknowledged for this member's chats.
    pub acked: Vec<u64>,
    pub seen: Seen,
}

/// The check's result over all rooms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Acknowledged chats.
    pub acked: u64,
    /// Deliveries owed: each acknowledged chat to each other member.
    pub owed: u64,
    /// Of those, missing.
    pub lost: u64,
    /// Chats a member received more than once.
    pub duplicates: u64,
}

impl Verdict {
    pub fn clean(&self) -> bool {
        self.lost == 0 && self.duplicates == 0
    }
}

/// Checks every acknowledged chat against every other member of its room.
pub fn check(members: &[MemberLedger]) -> Verdict {
    let rooms = members.iter().map(|m| m.room + 1).max().unwrap_or(0);
    let mut by_room: Vec<Vec<&MemberLedger>> = vec![Vec::new(); rooms];
    for member in members {
        by_room[member.room].push(member);
    }
    let mut verdict = Verdict::default();
    for room in &by_room {
        for (i, sender) in room.iter().enumerate() {
            verdict.acked += sender.acked.len() as u64;
            for &seq in &sender.acked {
                for (j, other) in room.iter().enumerate() {
                    if i != j {
                        verdict.owed += 1;
                        verdict.lost += u64::from(!other.seen.has(seq));
                    }
                }
            }
        }
        verdict.duplicates += room.iter().map(|m| m.seen.duplicates).sum::<u64>();
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(room: usize, acked: &[u64], seen: &[u64]) -> MemberLedger {
        let mut s = Seen::default();
        for &seq in seen {
            s.mark(seq);
        }
        MemberLedger { room, acked: acked.to_vec(), seen: s }
    }

    #[test]
    fn seqs_are_marked_once_and_repeats_counted() {
        let mut seen = Seen::default();
        assert!(seen.mark(3));
        assert!(seen.mark(200));
        assert!(!seen.mark(3));
        assert!(seen.has(3) && seen.has(200) && !seen.has(4) && !seen.has(100_000));
        assert_eq!(seen.duplicates, 1);
    }

    #[test]
    fn every_other_member_of_the_room_must_have_each_acked_chat() {
        // Room 0: a's chat 5 reached b and c; b's chat 6 did not reach c.
        // Room 1 has its own seq 5, which room 0's members need not have.
        let members = [
            member(0, &[5], &[5, 6]),
            member(0, &[6], &[5, 6]),
            member(0, &[], &[5]),
            member(1, &[5], &[5]),
            member(1, &[], &[5]),
        ];
        let v = check(&members);
        assert_eq!(v, Verdict { acked: 3, owed: 5, lost: 1, duplicates: 0 });
        assert!(!v.clean());
    }

    #[test]
    fn a_chat_received_twice_fails_the_check() {
        let mut twice = member(0, &[], &[1]);
        twice.seen.mark(1);
        let v = check(&[member(0, &[1], &[1]), twice]);
        assert_eq!((v.lost, v.duplicates), (0, 1));
        assert!(!v.clean());
        assert!(check(&[member(0, &[1], &[1]), member(0, &[], &[1])]).clean());
    }
}

//! The last few indices used, searched before a map is hashed.

/// The last [`Recent::SLOTS`] indices used, oldest first. A data file interleaves a handful of
/// series (PortWatch: two ports × two fields, day by day), so the loaders find a series or a port,
/// and the store an observation's group, among these before hashing an id.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    slots: Vec<usize>,
}

impl Recent {
    const SLOTS: usize = 4;

    /// The first kept index for which `is` holds, oldest first.
    pub(crate) fn find(&self, is: impl FnMut(&usize) -> bool) -> Option<usize> {
        self.slots.iter().copied().find(is)
    }

    /// Note index `i` as used (found by other means), dropping the oldest beyond the slots.
    pub(crate) fn note(&mut self, i: usize) {
        if self.slots.len() == Self::SLOTS {
            self.slots.remove(0);
        }
        self.slots.push(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_four_noted() {
        let mut r = Recent::default();
        for i in 0..6 {
            r.note(i);
        }
        assert_eq!(r.find(|&i| i == 1), None);
        assert_eq!(r.find(|&i| i >= 2), Some(2));
        assert_eq!(r.find(|&i| i == 5), Some(5));
    }
}

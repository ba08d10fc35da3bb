//! How the query pane shares its height between the editor and the results: by itself (the editor fits its text
//! once a result is in, so the rows get the room), the results or the editor large (a key cycles), or the rows a
//! drag of the line between them set.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    #[default]
    Auto,
    /// The editor kept to three lines.
    Results,
    /// The results kept to their header and three rows.
    Editor,
    /// The editor's height, dragged.
    Rows(u16),
}

impl Split {
    /// The key's cycle: by itself → editor large → results large → by itself (the automatic split already gives
    /// the results the room once a query ran, so the first press shows the other way).
    pub fn next(self) -> Split {
        match self {
            Split::Auto | Split::Rows(_) => Split::Editor,
            Split::Editor => Split::Results,
            Split::Results => Split::Auto,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Split::Auto => "editor/results: automatic",
            Split::Results => "editor/results: results large",
            Split::Editor => "editor/results: editor large",
            Split::Rows(_) => "editor/results: as dragged",
        }
    }
}

/// The editor's height when it and the results (`result`: its rows, None before a run) share `avail` rows and the
/// buffer holds `lines` lines. The editor keeps at least three rows and the results at least two (a header and
/// a row) when there is room.
pub fn editor_rows(split: Split, avail: u16, lines: usize, result: Option<usize>) -> u16 {
    let lines = u16::try_from(lines).unwrap_or(u16::MAX);
    let part = |num: u32, den: u32| (u32::from(avail) * num / den) as u16;
    let rows = match split {
        // The editor fits its text within two fifths; more when the result is short and leaves rows empty.
        Split::Auto if let Some(n) = result => {
            let fit = lines.saturating_add(1).clamp(3, part(2, 5).max(3));
            let spare = avail.saturating_sub(u16::try_from(n).unwrap_or(u16::MAX).saturating_add(1));
            fit.max(lines.saturating_add(1).min(spare))
        }
        Split::Auto => part(3, 5),
        Split::Results => 3,
        Split::Editor => avail.saturating_sub(4),
        Split::Rows(n) => n,
    };
    let min = 3.min(avail);
    rows.clamp(min, avail.saturating_sub(2).max(min))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_results_get_the_room_once_a_query_ran() {
        // 120x40: 35 rows for the editor and the results.
        let many = Some(1000);
        assert_eq!(editor_rows(Split::Auto, 35, 1, None), 21);
        assert_eq!(editor_rows(Split::Auto, 35, 1, many), 3);
        assert_eq!(editor_rows(Split::Auto, 35, 8, many), 9);
        assert_eq!(editor_rows(Split::Auto, 35, 500, many), 14, "a long script keeps 2/5");
        // A one-row result: the editor keeps what the result does not use (35 - header - row).
        assert_eq!(editor_rows(Split::Auto, 35, 30, Some(1)), 31);
        assert_eq!(editor_rows(Split::Auto, 35, 500, Some(1)), 33);
        assert_eq!(editor_rows(Split::Auto, 35, 4, Some(1)), 5, "no more than its text");
        assert_eq!(editor_rows(Split::Results, 35, 500, many), 3);
        assert_eq!(editor_rows(Split::Editor, 35, 1, many), 31);
        assert_eq!(editor_rows(Split::Rows(20), 35, 1, many), 20);
        assert_eq!(editor_rows(Split::Rows(60), 35, 1, many), 33, "the results keep two rows");
        assert_eq!(Split::Auto.next().next().next(), Split::Auto);
        assert_eq!(Split::Rows(5).next(), Split::Editor);
    }

    proptest! {
        #[test]
        fn never_more_than_there_is(avail in any::<u16>(), lines in 0usize..100_000, n in 0u16..u16::MAX, result in proptest::option::of(0usize..100_000), k in 0usize..4) {
            let split = [Split::Auto, Split::Results, Split::Editor, Split::Rows(n)][k];
            let r = editor_rows(split, avail, lines, result);
            prop_assert!(r <= avail);
            if avail >= 5 {
                prop_assert!(r >= 3 && avail - r >= 2);
            }
        }
    }
}

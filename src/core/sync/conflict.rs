//! Two-way conflicts: a row changed on both sides since the last round (or one with a conflict waiting), settled
//! by the link's policy. Pure: what each direction skips and which changes of each side's own log are marked as
//! the link's own, so that a losing change is never sent later.
use std::collections::{HashMap, HashSet};

use super::Policy;
use super::apply;
use super::log::{self, Change};
use super::state::NewConflict;
use crate::core::profile::Engine;
use crate::core::transfer::Plan;

/// What a round does about its conflicts, per direction (0: source → target, 1: back).
#[derive(Debug, Default)]
pub struct Settlement {
    /// Indexes into each direction's changes that are not applied.
    pub skip: Vec<HashSet<usize>>,
    /// Sequence numbers marked as the link's own in the log of the side each direction writes.
    pub marks: Vec<Vec<i64>>,
    /// Every conflict met: settled (`taken`) or parked (manual, or waiting already).
    pub settled: Vec<NewConflict>,
    pub count: usize,
}

impl Settlement {
    pub fn none(dirs: usize) -> Settlement {
        Settlement { skip: vec![HashSet::new(); dirs], marks: vec![Vec::new(); dirs], ..Default::default() }
    }
}

/// Each (table, key) a direction's changes touch (an update that moves a row touches both keys).
fn key_set(plan: &Plan, changes: &[&Change]) -> HashMap<(String, String), Vec<usize>> {
    let mut m: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if let Some(k) = apply::change_key(plan, c) {
            m.entry((c.tbl.clone(), k)).or_default().push(i);
        }
        if let Some(k) = apply::moved_from(plan, c) {
            m.entry((c.tbl.clone(), k)).or_default().push(i);
        }
    }
    m
}

/// Settles the conflicts between the two directions' changes of one round.
pub fn settle(
    plans: [&Plan; 2],
    policy: Policy,
    relevant: &[Vec<&Change>],
    waiting: &HashSet<(String, String)>,
) -> Settlement {
    let mut out = Settlement::none(2);
    let ka = key_set(plans[0], &relevant[0]);
    let kb = key_set(plans[1], &relevant[1]);
    let mut keys: Vec<(String, String)> =
        ka.keys().filter(|k| kb.contains_key(*k) || waiting.contains(*k)).cloned().collect();
    keys.extend(kb.keys().filter(|k| !ka.contains_key(*k) && waiting.contains(*k)).cloned());
    keys.sort();
    let (ea, eb) = (plans[0].source_engine, plans[1].source_engine);
    for key in &keys {
        let ia = ka.get(key).cloned().unwrap_or_default();
        let ib = kb.get(key).cloned().unwrap_or_default();
        let last = |v: &[usize], rel: &[&Change]| v.iter().map(|&i| rel[i]).max_by_key(|c| c.seq).cloned();
        let first = |v: &[usize], rel: &[&Change]| v.iter().map(|&i| rel[i]).min_by_key(|c| c.seq).cloned();
        let (ca, cb) = (last(&ia, &relevant[0]), last(&ib, &relevant[1]));
        let base = first(&ia, &relevant[0])
            .and_then(|c| c.old.map(|m| (m, ea)))
            .or_else(|| first(&ib, &relevant[1]).and_then(|c| c.old.map(|m| (m, eb))));
        let taken: Option<&'static str> = if waiting.contains(key) {
            None
        } else {
            match policy {
                Policy::SourceWins => Some("source"),
                Policy::TargetWins => Some("target"),
                Policy::NewestWins => {
                    let ta = ca.as_ref().map_or(i64::MIN, |c| c.at);
                    let tb = cb.as_ref().map_or(i64::MIN, |c| c.at);
                    Some(if ta >= tb { "source" } else { "target" })
                }
                Policy::Manual => None,
            }
        };
        // A side's latest version: its row, or "null" when it deleted the row.
        let row = |c: &Option<Change>, e: Engine| {
            c.as_ref().map(|c| c.new.as_ref().map(|m| log::display_row(e, m)).unwrap_or_else(|| "null".into()))
        };
        let seqs = |v: &[usize], rel: &[&Change]| v.iter().map(|&i| rel[i].seq).collect::<Vec<_>>();
        match taken {
            // The source's change goes to the target; the target's are not sent, and are marked in its log in
            // the transaction that writes the target.
            Some("source") => {
                out.skip[1].extend(ib.iter().copied());
                out.marks[0].extend(seqs(&ib, &relevant[1]));
            }
            Some(_) => {
                out.skip[0].extend(ia.iter().copied());
                out.marks[1].extend(seqs(&ia, &relevant[0]));
            }
            None => {
                out.skip[0].extend(ia.iter().copied());
                out.skip[1].extend(ib.iter().copied());
                out.marks[0].extend(seqs(&ib, &relevant[1]));
                out.marks[1].extend(seqs(&ia, &relevant[0]));
            }
        }
        out.settled.push(NewConflict {
            table: key.0.clone(),
            key: key.1.clone(),
            source_row: row(&ca, ea),
            target_row: row(&cb, eb),
            base_row: base.map(|(m, e)| log::display_row(e, &m)),
            source_at: ca.as_ref().map(|c| c.at),
            target_at: cb.as_ref().map(|c| c.at),
            policy,
            taken,
        });
        out.count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::transfer::typemap::Cast;

    fn change(seq: i64, key: &str, body: &str, at: i64) -> Change {
        let row = |b: &str| {
            let mut m = serde_json::Map::new();
            m.insert("id".into(), serde_json::Value::String(key.into()));
            m.insert("body".into(), serde_json::Value::String(b.into()));
            m
        };
        Change { seq, tbl: "t".into(), op: 'U', old: Some(row("base")), new: Some(row(body)), origin: None, at }
    }

    #[test]
    fn each_policy_skips_and_marks_the_losing_side() {
        let cols = [("id", Cast::Text, "text"), ("body", Cast::Text, "text")];
        let pa = apply::tests::one_table(Engine::Postgres, Engine::Postgres, "t", &cols);
        let pb = pa.clone();
        let (a1, a2) = (change(10, "1", "a", 5), change(11, "2", "only a", 5));
        let b1 = change(70, "1", "b", 9);
        let relevant = vec![vec![&a1, &a2], vec![&b1]];
        let none = HashSet::new();
        let s = settle([&pa, &pb], Policy::SourceWins, &relevant, &none);
        assert_eq!((s.count, s.skip[1].len(), s.marks[0].clone(), s.skip[0].len()), (1, 1, vec![70], 0));
        let s = settle([&pa, &pb], Policy::NewestWins, &relevant, &none);
        assert_eq!((s.skip[0].iter().copied().collect::<Vec<_>>(), s.marks[1].clone()), (vec![0], vec![10]));
        assert_eq!(s.settled[0].taken, Some("target"));
        let s = settle([&pa, &pb], Policy::Manual, &relevant, &none);
        assert_eq!((s.skip[0].len(), s.skip[1].len(), s.settled[0].taken), (1, 1, None));
        assert!(s.settled[0].base_row.as_deref().is_some_and(|b| b.contains("base")));
        // A key with a conflict waiting is held even when only one side changed it.
        let waiting: HashSet<(String, String)> = [("t".to_string(), "[\"2\"]".to_string())].into();
        let s = settle([&pa, &pb], Policy::SourceWins, &relevant, &waiting);
        assert_eq!(s.count, 2);
        assert!(s.skip[0].contains(&1));
    }
}

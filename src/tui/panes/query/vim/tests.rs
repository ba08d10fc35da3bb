//! Vim mode on a text area: motions, operators, modes; any keys on any text without a panic.
use super::*;
use proptest::prelude::*;

fn ta(text: &str) -> TextArea<'static> {
    TextArea::new(text.lines().map(str::to_string).collect())
}

/// Types `keys` (as characters; `⎋` is Esc) in normal mode; the text and where the cursor is.
fn run(text: &str, keys: &str) -> (String, (usize, usize), Mode) {
    let mut t = ta(text);
    let mut v = Vim::default();
    for k in keys.chars() {
        let code = if k == '⎋' { KeyCode::Esc } else { KeyCode::Char(k) };
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        if v.key(&mut t, &key) == Outcome::Insert {
            t.input(key);
        }
    }
    (t.lines().join("\n"), cursor(&t), v.mode)
}

#[test]
fn motions_with_counts() {
    let sql = "select a, b\n  from t\nwhere x = 1;";
    assert_eq!(run(sql, "w").1, (0, 7));
    assert_eq!(run(sql, "2w").1, (0, 8));
    assert_eq!(run(sql, "j^").1, (1, 2));
    assert_eq!(run(sql, "G").1, (2, 0));
    assert_eq!(run(sql, "2G").1, (1, 2));
    assert_eq!(run(sql, "Ggg").1, (0, 0));
    assert_eq!(run(sql, "$").1, (0, 10), "rests on the last character");
    assert_eq!(run(sql, "fb").1, (0, 10));
    assert_eq!(run(sql, "tb").1, (0, 9));
    assert_eq!(run(sql, "$Fa").1, (0, 7));
    assert_eq!(run(sql, "3l").1, (0, 3));
    assert_eq!(run(sql, "100l").1, (0, 10));
    assert_eq!(run(sql, "5j").1, (2, 0));
}

#[test]
fn operators_motions_and_lines() {
    let sql = "select a, b\n  from t\nwhere x = 1;";
    assert_eq!(run(sql, "dw").0, "a, b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "d2w").0, ", b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "2dw").0, ", b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "de").0, " a, b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "d$").0, "\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "dd").0, "  from t\nwhere x = 1;");
    assert_eq!(run(sql, "2dd").0, "where x = 1;");
    assert_eq!(run(sql, "Gdd").0, "select a, b\n  from t");
    assert_eq!(run(sql, "dj").0, "where x = 1;");
    assert_eq!(run(sql, "Gdk").0, "select a, b");
    assert_eq!(run(sql, "dG").0, "");
    assert_eq!(run(sql, "dta").0, "a, b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "dfa").0, ", b\n  from t\nwhere x = 1;");
    // c: change, then typed text; cw changes to the word's end.
    let (t, _, m) = run(sql, "cwupdate⎋");
    assert_eq!((t.as_str(), m), ("update a, b\n  from t\nwhere x = 1;", Mode::Normal));
    assert_eq!(run(sql, "jccFROM u⎋").0, "select a, b\n  FROM u\nwhere x = 1;");
    assert_eq!(run(sql, "Cx⎋").0, "x\n  from t\nwhere x = 1;");
    // y and p: lines below / above, characters after / before.
    assert_eq!(run(sql, "yyjp").0, "select a, b\n  from t\nselect a, b\nwhere x = 1;");
    assert_eq!(run(sql, "yyP").0, "select a, b\nselect a, b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "ddp").0, "  from t\nselect a, b\nwhere x = 1;");
    assert_eq!(run(sql, "yw$p").0, "select a, bselect \n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "x3p").0, "essslect a, b\n  from t\nwhere x = 1;");
    assert_eq!(run("ab", "yl2P").0, "aaab");
    // x X D r J u.
    assert_eq!(run(sql, "3x").0, "ect a, b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "$X").0, "select a,b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "wD").0, "select \n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "2rX").0, "XXlect a, b\n  from t\nwhere x = 1;");
    assert_eq!(run(sql, "J").0, "select a, b from t\nwhere x = 1;");
    assert_eq!(run(sql, "3J").0, "select a, b from t where x = 1;");
    assert_eq!(run(sql, "ddu").0, sql);
}

#[test]
fn insert_and_visual_modes() {
    let sql = "select a\nfrom t";
    assert_eq!(run(sql, "A, b⎋").0, "select a, b\nfrom t");
    assert_eq!(run(sql, "Iexplain ⎋").0, "explain select a\nfrom t");
    assert_eq!(run(sql, "owhere 1⎋").0, "select a\nwhere 1\nfrom t");
    assert_eq!(run(sql, "Owith x⎋").0, "with x\nselect a\nfrom t");
    assert_eq!(run(sql, "ea, b⎋").0, "select, b a\nfrom t");
    assert_eq!(run(sql, "i").2, Mode::Insert);
    // v: characters, the one under the cursor included; V: lines.
    assert_eq!(run(sql, "vld").0, "lect a\nfrom t");
    assert_eq!(run(sql, "vey$p").0, "select aselect\nfrom t");
    assert_eq!(run(sql, "Vd").0, "from t");
    assert_eq!(run(sql, "Vjd").0, "");
    assert_eq!(run(sql, "Vy").2, Mode::Normal);
    assert_eq!(run(sql, "VjcX⎋").0, "X");
    assert_eq!(run(sql, "v⎋").2, Mode::Normal);
    assert_eq!(run(sql, "vV").2, Mode::VisualLine);
}

#[test]
fn text_objects_big_words_repeats_and_paragraphs() {
    let sql = "select count(*) from t where name = 'a b' and (x in (1, 2))";
    assert_eq!(run(sql, "wdiw").0, "select (*) from t where name = 'a b' and (x in (1, 2))");
    assert_eq!(run("a bc d", "wdaw").0, "a d");
    assert_eq!(run(sql, "f'ci'z⎋").0, "select count(*) from t where name = 'z' and (x in (1, 2))");
    assert_eq!(run(sql, "di'").0, "select count(*) from t where name = '' and (x in (1, 2))", "the next pair");
    assert_eq!(run(sql, "f1di(").0, "select count(*) from t where name = 'a b' and (x in ())");
    assert_eq!(run(sql, "fxda(").0, "select count(*) from t where name = 'a b' and ");
    assert_eq!(run("f(\n  a,\n  b\n)", "jdib").0, "f()");
    assert_eq!(run(sql, "wviwy$p").0, format!("{sql}count"));
    assert_eq!(run(sql, "diX").0, sql, "an unknown object: nothing");
    // W B E: words by blanks.
    assert_eq!(run(sql, "wW").1, (0, 16));
    assert_eq!(run(sql, "wE").1, (0, 14));
    assert_eq!(run(sql, "WWB").1, (0, 7));
    assert_eq!(run(sql, "wdW").0, "select from t where name = 'a b' and (x in (1, 2))");
    // % to the matching bracket, across lines; d% takes both brackets, either way.
    assert_eq!(run(sql, "f(%").1, (0, 14));
    assert_eq!(run(sql, "f(%%").1, (0, 12));
    assert_eq!(run(sql, "%").1, (0, 14), "the next bracket on the line");
    assert_eq!(run("f(a,\n  (b))", "%").1, (1, 5));
    assert_eq!(run(sql, "f(d%").0, "select count from t where name = 'a b' and (x in (1, 2))");
    assert_eq!(run(sql, "f)d%").0, "select count from t where name = 'a b' and (x in (1, 2))");
    assert_eq!(run("no brackets", "%").1, (0, 0));
    // ; and , repeat the last f/t.
    assert_eq!(run(sql, "fe;").1, (0, 3));
    assert_eq!(run(sql, "fe;,").1, (0, 1));
    // r⏎ splits the line; Ctrl-J in insert mode is a line break.
    assert_eq!(
        run_keys("ab cd", &[key('f'), key('c'), key('r'), KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)]).0,
        "ab \nd"
    );
    let mut t = ta("ab");
    let mut v = Vim::default();
    v.key(&mut t, &key('A'));
    v.key(&mut t, &KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    assert_eq!(t.lines(), ["ab", ""]);
    // { }: to the blank lines between paragraphs.
    let text = "a\nb\n\nc\nd\n\ne";
    assert_eq!(run(text, "}").1, (2, 0));
    assert_eq!(run(text, "}}").1, (5, 0));
    assert_eq!(run(text, "G{").1, (5, 0));
    assert_eq!(run(text, "d}").0, "\nc\nd\n\ne");
}

#[test]
fn found_in_review() {
    // t next to its target; dW / 2dw at a line's end keep the line break; vi( over lines; a selection left from
    // insert mode is not taken by o.
    assert_eq!(run("count(x) + sum(y)", "fxdt)").0, "count() + sum(y)", "t next to its target: that character");
    assert_eq!(run("count(xy) + sum(y)", "fxdt)").0, "count() + sum(y)");
    assert_eq!(run("select a\n  from t", "wdW").0, "select \n  from t");
    assert_eq!(run("select a b\n  from t", "w2dw").0, "select \n  from t");
    assert_eq!(run("select a\n  from t", "wd2w").0, "select t");
    assert_eq!(run("IN (\n 1, 2\n)", "jvi(d").0, "IN (\n)");
    let mut t = ta("a\nb\nc");
    let mut v = Vim::default();
    v.key(&mut t, &key('i'));
    t.input(KeyEvent::new(KeyCode::Down, KeyModifiers::SHIFT));
    v.key(&mut t, &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    v.key(&mut t, &key('o'));
    assert_eq!(t.lines(), ["a", "b", "", "c"], "nothing taken by o");
    // Undo history belongs to one buffer: another one starts fresh.
    let mut t1 = ta("one");
    let mut t2 = ta("two");
    let mut v = Vim::default();
    v.use_buffer(1, &mut t1);
    v.key(&mut t1, &key('x'));
    v.use_buffer(2, &mut t2);
    v.key(&mut t2, &key('u'));
    assert_eq!(t2.lines(), ["two"]);
    // A visual-line anchor past the text after a redo shortens.
    let mut t = ta("a\nb\nc\nd");
    let mut v = Vim::default();
    for k in "Gddgg".chars() {
        v.key(&mut t, &key(k));
    }
    v.key(&mut t, &key('u'));
    for k in "GV".chars() {
        v.key(&mut t, &key(k));
    }
    v.key(&mut t, &KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    assert!(v.line_selection(&t).is_none_or(|(_, b)| b < t.lines().len()));
}

#[test]
fn dot_repeats_the_last_change() {
    let sql = "select a, b, c from t";
    assert_eq!(run(sql, "x..").0, "ect a, b, c from t");
    assert_eq!(run(sql, "dw.").0, ", b, c from t");
    assert_eq!(run(sql, "dwl.").0, "ab, c from t", "a motion between is no change");
    assert_eq!(run(sql, "cwSELECT⎋w.").0, "SELECT SELECT, b, c from t");
    assert_eq!(run(sql, "ix⎋3.").0, "xxxxselect a, b, c from t");
    assert_eq!(run("a\nb\nc", "dd.").0, "c");
    assert_eq!(run(sql, "A;⎋.").0, "select a, b, c from t;;");
    // One undo step per repeat.
    assert_eq!(run(sql, "x..u").0, "lect a, b, c from t");
    assert_eq!(run(sql, ".").0, sql, "nothing to repeat");
}

#[test]
fn undo_takes_back_a_whole_insert_or_command() {
    let sql = "select id from t";
    assert_eq!(run(sql, "Aabc⎋u").0, sql);
    assert_eq!(run(sql, "wcwname⎋u").0, sql);
    assert_eq!(run(sql, "wcwname⎋uu").0, sql, "nothing more to undo");
    assert_eq!(run(sql, "xxu").0, "elect id from t");
    let (t, c, _) = run(sql, "xxuu");
    assert_eq!((t.as_str(), c), (sql, (0, 0)));
    // Ctrl-R redoes.
    let mut t = ta(sql);
    let mut v = Vim::default();
    for k in "dwu".chars() {
        v.key(&mut t, &key(k));
    }
    assert_eq!(t.lines().join(""), sql);
    v.key(&mut t, &KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    assert_eq!(t.lines().join(""), "id from t");
    // `du`: the operator is dropped, nothing undone.
    assert_eq!(run(sql, "xdu").0, "elect id from t");
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn run_keys(text: &str, keys: &[KeyEvent]) -> (String, (usize, usize), Mode) {
    let mut t = ta(text);
    let mut v = Vim::default();
    for k in keys {
        if v.key(&mut t, k) == Outcome::Insert {
            t.input(*k);
        }
    }
    (t.lines().join("\n"), cursor(&t), v.mode)
}

#[test]
fn esc_leaves_the_editor_only_from_plain_normal_mode() {
    let mut t = ta("select 1");
    let mut v = Vim::default();
    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    let d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE);
    assert_eq!(v.key(&mut t, &d), Outcome::Handled);
    assert_eq!(v.status(), "NORMAL d");
    assert_eq!(v.key(&mut t, &esc), Outcome::Handled, "Esc first drops the pending d");
    assert_eq!(v.key(&mut t, &esc), Outcome::Esc, "Esc stays in the editor");
    let ctrl_w = KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL);
    assert_eq!(v.key(&mut t, &ctrl_w), Outcome::Handled);
    assert_eq!(v.status(), "NORMAL ^W");
    assert_eq!(v.key(&mut t, &KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)), Outcome::Leave);
    let two = KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE);
    v.key(&mut t, &two);
    v.key(&mut t, &d);
    assert_eq!(v.status(), "NORMAL 2d");
    assert_eq!(v.key(&mut t, &KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE)), Outcome::Palette);
}

proptest! {
    /// Any keys on any text: no panic, and the cursor stays inside the text.
    #[test]
    fn no_key_sequence_panics(text in "[a-z \\n\\t()\\[\\]{}'\",;é李]{0,40}", keys in proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(
                "hjklwbeWBE0^$gGfFtTdcyxXDCsSrJpPuivVaAIoO{}()[]'\"b;,.%123⎋ é".chars().collect::<Vec<_>>()
            ).prop_map(|c| KeyEvent::new(if c == '⎋' { KeyCode::Esc } else { KeyCode::Char(c) }, KeyModifiers::NONE)),
            proptest::sample::select(vec![KeyCode::Left, KeyCode::Enter, KeyCode::Backspace, KeyCode::Delete, KeyCode::Tab])
                .prop_map(|k| KeyEvent::new(k, KeyModifiers::NONE)),
            proptest::sample::select("rwjuh".chars().collect::<Vec<_>>())
                .prop_map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
        ],
        0..60,
    )) {
        let mut t = ta(&text);
        if t.lines().is_empty() {
            t = ta("");
        }
        let mut v = Vim::default();
        for key in keys {
            // A key said not to change the text (no undo copy is taken for it) leaves it as it was.
            let fixed = v.mode != Mode::Insert && !v.may_change(&key);
            let before = t.lines().to_vec();
            if v.key(&mut t, &key) == Outcome::Insert {
                t.input(key);
            }
            if fixed {
                prop_assert_eq!(t.lines(), before.as_slice(), "{:?}", key);
            }
            let (r, c) = cursor(&t);
            prop_assert!(r < t.lines().len());
            prop_assert!(c <= line_len(&t, r));
        }
    }
}

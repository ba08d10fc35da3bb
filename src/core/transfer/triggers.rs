//! SQLite triggers that enforce a rule, carried to PostgreSQL: a BEFORE/AFTER INSERT/UPDATE/DELETE trigger whose
//! body is only `SELECT RAISE(ABORT|FAIL|ROLLBACK|IGNORE, 'message') [WHERE condition]` or
//! `SELECT CASE WHEN condition THEN RAISE(…) END` statements becomes a PL/pgSQL trigger function and a trigger.
//! Conditions and the WHEN clause go through the expression translator (re-emitted token by token with the
//! target's quoting; column names mapped); the message is a literal of the target. Anything else — other
//! statements in the body, a RAISE in an expression elsewhere, INSTEAD OF triggers — is reported with its SQL.
use crate::core::catalog::quote;
use crate::core::profile::Engine;
use crate::core::sql::lex::{Tok, Token, tokens};

/// A rule trigger read from its CREATE TRIGGER text.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrigger {
    pub name: String,
    /// `BEFORE` or `AFTER`.
    pub timing: String,
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub event: String,
    /// `UPDATE OF` columns.
    pub of_columns: Vec<String>,
    pub table: String,
    /// The WHEN clause, as written.
    pub when: Option<String>,
    pub rules: Vec<Rule>,
}

/// One `SELECT RAISE(…) WHERE …` of the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `ABORT`, `FAIL`, `ROLLBACK` (an error) or `IGNORE` (the row is skipped).
    pub kind: String,
    pub message: String,
    /// The condition, as written; None raises always.
    pub condition: Option<String>,
}

struct Cursor<'a> {
    sql: &'a str,
    toks: Vec<Token>,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(sql: &'a str) -> Self {
        let toks = tokens(sql, Engine::Sqlite).into_iter().filter(|t| !matches!(t.kind, Tok::Space | Tok::Comment));
        Cursor { sql, toks: toks.collect(), i: 0 }
    }

    fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.i).map(|t| t.text(self.sql))
    }

    fn word(&self, w: &str) -> bool {
        self.peek().is_some_and(|x| x.eq_ignore_ascii_case(w))
    }

    fn eat(&mut self, w: &str) -> bool {
        let ok = self.word(w);
        if ok {
            self.i += 1;
        }
        ok
    }

    fn expect(&mut self, w: &str) -> Result<(), String> {
        if self.eat(w) { Ok(()) } else { Err(format!("expected {w} at `{}`", self.peek().unwrap_or("the end"))) }
    }

    /// A name (plain or quoted), the last part of a dotted one.
    fn name(&mut self) -> Result<String, String> {
        loop {
            let t = self.toks.get(self.i).ok_or("a name is missing")?;
            let text = t.text(self.sql);
            if !matches!(t.kind, Tok::Word | Tok::QuotedIdent | Tok::String) {
                return Err(format!("expected a name at `{text}`"));
            }
            self.i += 1;
            if self.peek() == Some(".") {
                self.i += 1;
                continue;
            }
            return Ok(crate::core::sql::refs::unquote(text));
        }
    }

    /// The source text from token `from` up to (not including) token `to`.
    fn text(&self, from: usize, to: usize) -> &'a str {
        match (self.toks.get(from), to.checked_sub(1).and_then(|j| self.toks.get(j))) {
            (Some(a), Some(b)) if b.end >= a.start => &self.sql[a.start..b.end],
            _ => "",
        }
    }

    /// Index of the next `stop` word at parenthesis depth 0 (and not inside CASE … END), or the end.
    fn until(&self, stop: &[&str]) -> usize {
        let mut depth = 0i32;
        let mut case = 0i32;
        let mut j = self.i;
        while let Some(t) = self.toks.get(j) {
            let x = t.text(self.sql);
            if depth == 0 && case == 0 && stop.iter().any(|s| x.eq_ignore_ascii_case(s)) {
                return j;
            }
            match x {
                "(" => depth += 1,
                ")" => depth -= 1,
                _ if t.kind == Tok::Word && x.eq_ignore_ascii_case("case") => case += 1,
                _ if t.kind == Tok::Word && x.eq_ignore_ascii_case("end") && case > 0 => case -= 1,
                _ => {}
            }
            j += 1;
        }
        j
    }
}

/// Reads a SQLite CREATE TRIGGER; Err says why it is not a rule trigger this translation carries.
pub fn parse(sql: &str) -> Result<RuleTrigger, String> {
    let mut c = Cursor::new(sql);
    c.expect("create")?;
    let _ = c.eat("temp") || c.eat("temporary");
    c.expect("trigger")?;
    if c.eat("if") {
        c.expect("not")?;
        c.expect("exists")?;
    }
    let name = c.name()?;
    let timing = if c.eat("before") {
        "BEFORE"
    } else if c.eat("after") {
        "AFTER"
    } else if c.word("instead") {
        return Err("an INSTEAD OF trigger (on a view) has no PostgreSQL rule equivalent here".into());
    } else {
        "BEFORE"
    };
    let event = if c.eat("insert") {
        "INSERT"
    } else if c.eat("delete") {
        "DELETE"
    } else if c.eat("update") {
        "UPDATE"
    } else {
        return Err(format!("unknown event at `{}`", c.peek().unwrap_or("the end")));
    };
    let mut of_columns = Vec::new();
    if event == "UPDATE" && c.eat("of") {
        loop {
            of_columns.push(c.name()?);
            if !c.eat(",") {
                break;
            }
        }
    }
    c.expect("on")?;
    let table = c.name()?;
    if c.eat("for") {
        c.expect("each")?;
        c.expect("row")?;
    }
    let when = if c.eat("when") {
        let from = c.i;
        let to = c.until(&["begin"]);
        c.i = to;
        Some(c.text(from, to).to_string())
    } else {
        None
    };
    c.expect("begin")?;
    let mut rules = Vec::new();
    loop {
        if c.eat("end") {
            break;
        }
        if c.eat(";") {
            continue;
        }
        rules.push(rule(&mut c)?);
        if !c.eat(";") {
            c.expect("end")?;
            break;
        }
    }
    if rules.is_empty() {
        return Err("the body does nothing".into());
    }
    if rules.iter().any(|r| r.kind == "IGNORE") && timing != "BEFORE" {
        return Err("RAISE(IGNORE) outside a BEFORE trigger".into());
    }
    Ok(RuleTrigger { name, timing: timing.into(), event: event.into(), of_columns, table, when, rules })
}

/// `RAISE ( kind , 'message' )` at the cursor.
fn raise(c: &mut Cursor) -> Result<(String, String), String> {
    c.expect("raise")?;
    c.expect("(")?;
    let kind = c.peek().unwrap_or("").to_ascii_uppercase();
    if !["ABORT", "FAIL", "ROLLBACK", "IGNORE"].contains(&kind.as_str()) {
        return Err(format!("RAISE({kind}): unknown kind"));
    }
    c.i += 1;
    let message = if kind == "IGNORE" {
        String::new()
    } else {
        c.expect(",")?;
        let t = c.toks.get(c.i).ok_or("RAISE without a message")?;
        if t.kind != Tok::String {
            return Err("RAISE with a message that is not a plain string".into());
        }
        c.i += 1;
        crate::core::sql::literal::decode(t.text(c.sql), Engine::Sqlite, false)?
    };
    c.expect(")")?;
    Ok((kind, message))
}

/// One body statement: `SELECT RAISE(…) [WHERE cond]` or `SELECT CASE WHEN cond THEN RAISE(…) [ELSE NULL] END`.
fn rule(c: &mut Cursor) -> Result<Rule, String> {
    if !c.eat("select") {
        return Err(format!(
            "the body runs `{}`: only SELECT RAISE(…) rules are translated",
            c.peek().unwrap_or("").to_ascii_uppercase()
        ));
    }
    if c.eat("case") {
        c.expect("when")?;
        let from = c.i;
        let to = c.until(&["then"]);
        let condition = c.text(from, to).to_string();
        c.i = to;
        c.expect("then")?;
        let (kind, message) = raise(c)?;
        if c.eat("else") {
            c.expect("null")?;
        }
        c.expect("end")?;
        if !(c.word(";") || c.word("end")) {
            return Err("a CASE rule followed by more (FROM, WHERE): not translated".into());
        }
        return Ok(Rule { kind, message, condition: Some(condition) });
    }
    let (kind, message) = raise(c)?;
    let condition = if c.eat("where") {
        let from = c.i;
        let to = c.until(&[";", "end"]);
        c.i = to;
        Some(c.text(from, to).to_string())
    } else if c.word(";") || c.word("end") {
        None
    } else {
        return Err(format!("SELECT RAISE(…) followed by `{}`: not translated", c.peek().unwrap_or("")));
    };
    Ok(Rule { kind, message, condition })
}

/// A dollar-quote tag that does not occur in `body`.
fn tag_for(body: &str) -> String {
    (0..)
        .map(|n| if n == 0 { "$dbc$".to_string() } else { format!("$dbc{n}$") })
        .find(|t| !body.contains(t.as_str()))
        .unwrap_or_default()
}

/// The PostgreSQL statements for a rule trigger: its function, then the trigger. `translate` carries an
/// expression of the source to the target (columns mapped), or says why it cannot.
pub fn to_postgres(
    t: &RuleTrigger,
    schema: &str,
    target_table: &str,
    target_columns: &dyn Fn(&str) -> Option<String>,
    translate: &dyn Fn(&str) -> Result<String, String>,
) -> Result<[String; 2], String> {
    let d = Engine::Postgres;
    let mut body = String::from("BEGIN\n");
    for r in &t.rules {
        let action = if r.kind == "IGNORE" {
            "RETURN NULL;".to_string()
        } else {
            format!("RAISE EXCEPTION USING MESSAGE = {}, ERRCODE = 'check_violation';", quote::literal(d, &r.message))
        };
        match &r.condition {
            Some(cond) => {
                let x = translate(cond).map_err(|e| format!("its condition {e}"))?;
                body.push_str(&format!("  IF ({x}) THEN {action} END IF;\n"));
            }
            None => body.push_str(&format!("  {action}\n")),
        }
    }
    body.push_str(if t.event == "DELETE" { "  RETURN OLD;\nEND\n" } else { "  RETURN NEW;\nEND\n" });
    let tag = tag_for(&body);
    let function = quote::qualified(d, schema, &format!("{}_fn", t.name));
    let create_fn = format!("CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS {tag}\n{body}{tag}");
    let mut event = t.event.clone();
    if !t.of_columns.is_empty() {
        let cols: Result<Vec<String>, String> = t
            .of_columns
            .iter()
            .map(|c| {
                target_columns(c)
                    .map(|x| quote::ident(d, &x))
                    .ok_or_else(|| format!("UPDATE OF names `{c}`, not a column"))
            })
            .collect();
        event = format!("UPDATE OF {}", cols?.join(", "));
    }
    let when = match &t.when {
        Some(w) => format!(" WHEN ({})", translate(w).map_err(|e| format!("its WHEN clause {e}"))?),
        None => String::new(),
    };
    let create_trigger = format!(
        "CREATE TRIGGER {} {} {event} ON {} FOR EACH ROW{when} EXECUTE PROCEDURE {function}()",
        quote::ident(d, &t.name),
        t.timing,
        quote::qualified(d, schema, target_table),
    );
    Ok([create_fn, create_trigger])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_triggers_are_read() {
        let t = parse(
            "CREATE TRIGGER IF NOT EXISTS \"qty check\" BEFORE UPDATE OF qty, price ON main.items FOR EACH ROW \
             WHEN NEW.qty IS NOT NULL BEGIN SELECT RAISE(ABORT, 'qty must be > 0; it''s required') WHERE NEW.qty <= 0; \
             SELECT CASE WHEN NEW.price < 0 THEN RAISE(FAIL, 'price') END; END",
        )
        .unwrap();
        assert_eq!(
            (t.name.as_str(), t.timing.as_str(), t.event.as_str(), t.table.as_str()),
            ("qty check", "BEFORE", "UPDATE", "items")
        );
        assert_eq!(t.of_columns, ["qty", "price"]);
        assert_eq!(t.when.as_deref(), Some("NEW.qty IS NOT NULL"));
        assert_eq!(t.rules[0].message, "qty must be > 0; it's required");
        assert_eq!(t.rules[0].condition.as_deref(), Some("NEW.qty <= 0"));
        assert_eq!((t.rules[1].kind.as_str(), t.rules[1].condition.as_deref()), ("FAIL", Some("NEW.price < 0")));
        let t = parse("CREATE TRIGGER no_del BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no'); END").unwrap();
        assert_eq!(t.rules[0].condition, None);
    }

    #[test]
    fn other_triggers_say_why_not() {
        for (sql, why) in [
            ("CREATE TRIGGER a AFTER UPDATE ON t BEGIN UPDATE t SET x = 1; END", "only SELECT RAISE"),
            ("CREATE TRIGGER a INSTEAD OF INSERT ON v BEGIN SELECT RAISE(ABORT, 'x'); END", "INSTEAD OF"),
            ("CREATE TRIGGER a BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'x') FROM u; END", "followed by"),
            ("CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT RAISE(IGNORE); END", "IGNORE"),
            ("CREATE TRIGGER a BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, x); END", "plain string"),
        ] {
            let e = parse(sql).unwrap_err();
            assert!(e.contains(why), "{sql}: {e}");
        }
    }

    #[test]
    fn the_function_body_cannot_be_closed_by_a_message() {
        let t =
            parse("CREATE TRIGGER a BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'x $dbc$; DROP TABLE t; --'); END")
                .unwrap();
        let [f, _] = to_postgres(&t, "public", "t", &|c| Some(c.into()), &|e| Ok(e.into())).unwrap();
        assert!(f.contains("AS $dbc1$") && f.ends_with("$dbc1$"), "{f}");
        assert_eq!(crate::core::sql::split(&f, Engine::Postgres).len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "(?s).{0,200}") {
            let _ = parse(&s);
            let _ = parse(&format!("CREATE TRIGGER x BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'm') WHERE {s}; END"));
        }
    }
}

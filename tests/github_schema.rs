//! Every GraphQL query repodeck sends validates against GitHub's public schema
//! (tests/fixtures/github/graphql/schema.graphql): fields, arguments, enum values, input fields,
//! fragment type conditions and leaf/object selections.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::collections::{HashMap, HashSet};

use async_graphql::Value;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{parse_query, parse_schema};
use repodeck::domain::RepoKey;
use repodeck::github::RepoTarget;
use repodeck::github::graphql::{Shape, build_query, pr_ends_query};

struct Field {
    args: HashMap<String, Type>,
    ty: Type,
}

enum Kind {
    Scalar,
    Object {
        fields: HashMap<String, Field>,
        implements: HashSet<String>,
    },
    Union(HashSet<String>),
    Enum(HashSet<String>),
    Input(HashMap<String, Type>),
}

struct Schema {
    types: HashMap<String, Kind>,
}

fn base_name(t: &Type) -> &str {
    match &t.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => base_name(inner),
    }
}

impl Schema {
    fn load() -> Self {
        let sdl = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/graphql/schema.graphql"
        ))
        .expect("schema fixture");
        let doc = parse_schema(sdl).expect("GitHub's schema parses");
        let mut types = HashMap::new();
        for def in doc.definitions {
            let TypeSystemDefinition::Type(t) = def else {
                continue;
            };
            let t = t.node;
            let fields_of = |fs: &Vec<
                async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>,
            >| {
                fs.iter()
                    .map(|f| {
                        let args = f
                            .node
                            .arguments
                            .iter()
                            .map(|a| (a.node.name.node.to_string(), a.node.ty.node.clone()))
                            .collect();
                        (
                            f.node.name.node.to_string(),
                            Field {
                                args,
                                ty: f.node.ty.node.clone(),
                            },
                        )
                    })
                    .collect::<HashMap<_, _>>()
            };
            let kind = match &t.kind {
                TypeKind::Scalar => Kind::Scalar,
                TypeKind::Object(o) => Kind::Object {
                    fields: fields_of(&o.fields),
                    implements: o.implements.iter().map(|n| n.node.to_string()).collect(),
                },
                TypeKind::Interface(i) => Kind::Object {
                    fields: fields_of(&i.fields),
                    implements: i.implements.iter().map(|n| n.node.to_string()).collect(),
                },
                TypeKind::Union(u) => {
                    Kind::Union(u.members.iter().map(|n| n.node.to_string()).collect())
                }
                TypeKind::Enum(e) => Kind::Enum(
                    e.values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                ),
                TypeKind::InputObject(i) => Kind::Input(
                    i.fields
                        .iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone()))
                        .collect(),
                ),
            };
            types.insert(t.name.node.to_string(), kind);
        }
        for s in ["String", "Int", "Float", "Boolean", "ID"] {
            types.insert(s.to_string(), Kind::Scalar);
        }
        Self { types }
    }

    /// Whether a fragment on `cond` may be spread inside `parent`.
    fn compatible(&self, parent: &str, cond: &str) -> bool {
        if parent == cond {
            return true;
        }
        let implements = |t: &str, i: &str| matches!(self.types.get(t), Some(Kind::Object { implements, .. }) if implements.contains(i));
        match self.types.get(parent) {
            Some(Kind::Union(members)) => members.contains(cond),
            Some(Kind::Object { .. }) => implements(cond, parent) || implements(parent, cond),
            _ => false,
        }
    }

    fn check_value(&self, ty: &Type, v: &Value, at: &str, errs: &mut Vec<String>) {
        match (&ty.base, v) {
            (_, Value::Null) if ty.nullable => {}
            (BaseType::List(inner), Value::List(items)) => items
                .iter()
                .for_each(|i| self.check_value(inner, i, at, errs)),
            (BaseType::List(inner), other) => self.check_value(inner, other, at, errs),
            (BaseType::Named(n), v) => match (self.types.get(n.as_str()), v) {
                (Some(Kind::Enum(values)), Value::Enum(e)) if values.contains(e.as_str()) => {}
                (Some(Kind::Enum(_)), other) => {
                    errs.push(format!("{at}: {other} is not a value of enum {n}"))
                }
                (Some(Kind::Input(fields)), Value::Object(obj)) => {
                    for (k, fv) in obj {
                        match fields.get(k.as_str()) {
                            Some(fty) => self.check_value(fty, fv, &format!("{at}.{k}"), errs),
                            None => errs.push(format!("{at}: input {n} has no field {k}")),
                        }
                    }
                }
                (Some(Kind::Scalar), Value::String(_) | Value::Number(_) | Value::Boolean(_)) => {}
                (_, other) => errs.push(format!("{at}: {other} does not fit type {n}")),
            },
        }
    }

    fn check_set(
        &self,
        doc: &ExecutableDocument,
        ty: &str,
        set: &SelectionSet,
        at: &str,
        errs: &mut Vec<String>,
    ) {
        for sel in &set.items {
            match &sel.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let name = f.name.node.as_str();
                    if name == "__typename" {
                        continue;
                    }
                    let Some(Kind::Object { fields, .. }) = self.types.get(ty) else {
                        errs.push(format!("{at}: {ty} has no fields (selecting {name})"));
                        continue;
                    };
                    let Some(def) = fields.get(name) else {
                        errs.push(format!("{at}: {ty} has no field {name}"));
                        continue;
                    };
                    let here = format!("{at}.{name}");
                    for (arg, val) in &f.arguments {
                        match def.args.get(arg.node.as_str()) {
                            Some(aty) => match val.node.clone().into_const() {
                                Some(c) => self.check_value(
                                    aty,
                                    &c,
                                    &format!("{here}({})", arg.node),
                                    errs,
                                ),
                                None => {
                                    errs.push(format!("{here}: variables are not used by repodeck"))
                                }
                            },
                            None => errs.push(format!("{here}: no argument {}", arg.node)),
                        }
                    }
                    for (aname, aty) in &def.args {
                        if !aty.nullable
                            && !f.arguments.iter().any(|(n, _)| n.node.as_str() == aname)
                        {
                            errs.push(format!("{here}: required argument {aname} missing"));
                        }
                    }
                    let rt = base_name(&def.ty);
                    let leaf = matches!(self.types.get(rt), Some(Kind::Scalar | Kind::Enum(_)));
                    if leaf && !f.selection_set.node.items.is_empty() {
                        errs.push(format!(
                            "{here}: {rt} is a leaf, it cannot have a selection"
                        ));
                    } else if !leaf && f.selection_set.node.items.is_empty() {
                        errs.push(format!("{here}: {rt} needs a selection"));
                    } else if !leaf {
                        self.check_set(doc, rt, &f.selection_set.node, &here, errs);
                    }
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    match doc.fragments.get(name) {
                        Some(frag) => {
                            let cond = frag.node.type_condition.node.on.node.as_str();
                            if !self.compatible(ty, cond) {
                                errs.push(format!(
                                    "{at}: fragment {name} on {cond} cannot be spread in {ty}"
                                ));
                            }
                            self.check_set(
                                doc,
                                cond,
                                &frag.node.selection_set.node,
                                &format!("{at}...{name}"),
                                errs,
                            );
                        }
                        None => errs.push(format!("{at}: unknown fragment {name}")),
                    }
                }
                Selection::InlineFragment(i) => {
                    let cond = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.to_string())
                        .unwrap_or(ty.to_string());
                    if !self.compatible(ty, &cond) {
                        errs.push(format!("{at}: ... on {cond} cannot appear in {ty}"));
                    }
                    self.check_set(
                        doc,
                        &cond,
                        &i.node.selection_set.node,
                        &format!("{at}...on {cond}"),
                        errs,
                    );
                }
            }
        }
    }

    fn validate(&self, query: &str) -> Vec<String> {
        let doc = match parse_query(query) {
            Ok(d) => d,
            Err(e) => return vec![format!("does not parse: {e}")],
        };
        let mut errs = Vec::new();
        for (_, op) in doc.operations.iter() {
            self.check_set(
                &doc,
                "Query",
                &op.node.selection_set.node,
                "Query",
                &mut errs,
            );
        }
        errs
    }
}

fn targets() -> (Vec<RepoTarget>, Vec<RepoTarget>) {
    let names = (0..3)
        .map(|i| RepoTarget::Name(RepoKey::parse(&format!("octo-org/repo-{i:04}")).unwrap()))
        .collect();
    let nodes = (0..3)
        .map(|i| RepoTarget::Node(format!("R_kgDO{i}")))
        .collect();
    (names, nodes)
}

#[test]
fn every_query_we_send_validates_against_githubs_schema() {
    let schema = Schema::load();
    let (names, nodes) = targets();
    for shape in [Shape::Probe, Shape::Detail] {
        for group in [&names, &nodes] {
            let refs: Vec<&RepoTarget> = group.iter().collect();
            let q = build_query(shape, &refs);
            let errs = schema.validate(&q);
            assert!(
                errs.is_empty(),
                "{shape:?} query is invalid:\n{}\n{q}",
                errs.join("\n")
            );
        }
    }
    let asks = vec![
        (RepoKey::parse("octo-org/repo-0001").unwrap(), vec![3, 12]),
        (RepoKey::parse("octo-org/repo-0002").unwrap(), vec![7]),
    ];
    let q = pr_ends_query(&asks);
    let errs = schema.validate(&q);
    assert!(
        errs.is_empty(),
        "pr ends query is invalid:\n{}\n{q}",
        errs.join("\n")
    );
}

#[test]
fn the_validator_rejects_what_github_would() {
    let schema = Schema::load();
    let bad = [
        "query { repository(owner: \"o\", name: \"n\") { starCount } }",
        "query { repository(owner: \"o\", name: \"n\") { issues(states: SHUT) { totalCount } } }",
        "query { repository(owner: \"o\") { id } }",
        "query { repository(owner: \"o\", name: \"n\") { defaultBranchRef } }",
        "query { repository(owner: \"o\", name: \"n\") { languages(first: 5, orderBy: {field: BYTES, direction: DESC}) { totalSize } } }",
        "query { repository(owner: \"o\", name: \"n\") { ... on User { login } } }",
        "query { rateLimit { cost limit remaining used resetAt nodeCount bogus } }",
    ];
    for q in bad {
        assert!(!schema.validate(q).is_empty(), "accepted: {q}");
    }
    assert!(
        schema
            .validate("query { viewer { login } rateLimit { cost } }")
            .is_empty()
    );
}

#[test]
fn the_attention_search_validates_against_githubs_schema() {
    let schema = Schema::load();
    let q = repodeck::github::attention::query();
    let errs = schema.validate(&q);
    assert!(
        errs.is_empty(),
        "attention query is invalid:\n{}\n{q}",
        errs.join("\n")
    );
    // The validator sees through the fragment on the search's union: a field PullRequest lacks
    // is refused there too.
    let bad = q.replace("isDraft", "isDrafty");
    assert!(!schema.validate(&bad).is_empty(), "accepted: {bad}");
}

/// The fields of `set` by response key (alias or name), fragments flattened.
fn selected<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    out: &mut HashMap<String, &'a SelectionSet>,
) {
    for sel in &set.items {
        match &sel.node {
            Selection::Field(f) => {
                let key = f
                    .node
                    .alias
                    .as_ref()
                    .map_or(f.node.name.node.to_string(), |a| a.node.to_string());
                out.insert(key, &f.node.selection_set.node);
            }
            Selection::FragmentSpread(s) => {
                if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                    selected(doc, &frag.node.selection_set.node, out);
                }
            }
            Selection::InlineFragment(i) => selected(doc, &i.node.selection_set.node, out),
        }
    }
}

/// Every key of `answer` is a field `set` selects (so, with the query valid, one of GitHub's).
fn answer_fits(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    answer: &serde_json::Value,
    at: &str,
    errs: &mut Vec<String>,
) {
    match answer {
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                answer_fits(doc, set, v, &format!("{at}[{i}]"), errs);
            }
        }
        serde_json::Value::Object(map) => {
            let mut fields = HashMap::new();
            selected(doc, set, &mut fields);
            for (k, v) in map {
                match fields.get(k.as_str()) {
                    Some(sub) => answer_fits(doc, sub, v, &format!("{at}.{k}"), errs),
                    None => errs.push(format!("{at}.{k} is not selected by the query")),
                }
            }
        }
        _ => {}
    }
}

/// The keys of `tests/fixtures/github/graphql/<fixture>`'s `data` that query `q` does not select.
fn fixture_misfits(q: &str, fixture: &str) -> Vec<String> {
    let doc = parse_query(q).unwrap();
    let op = match &doc.operations {
        async_graphql::parser::types::DocumentOperations::Single(op) => op.node.clone(),
        async_graphql::parser::types::DocumentOperations::Multiple(_) => panic!("one operation"),
    };
    let path = format!(
        "{}/tests/fixtures/github/graphql/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut errs = Vec::new();
    answer_fits(&doc, &op.selection_set.node, &v["data"], "data", &mut errs);
    errs
}

#[test]
fn the_handwritten_graphql_fixture_answers_the_detail_query() {
    let key = RepoTarget::Name(RepoKey::parse("octocat/Hello-World").unwrap());
    let q = build_query(Shape::Detail, &[&key]);
    let errs = fixture_misfits(&q, "detail-insight.json");
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    assert!(Schema::load().validate(&q).is_empty());
}

#[test]
fn the_item_extras_query_validates_and_its_fixture_answers_it() {
    let schema = Schema::load();
    let key = RepoKey::parse("octocat/Hello-World").unwrap();
    let q = repodeck::github::items::query(&key);
    let errs = schema.validate(&q);
    assert!(
        errs.is_empty(),
        "item extras query is invalid:\n{}\n{q}",
        errs.join("\n")
    );
    let bad = q.replace("reviewRequests", "reviewRequest");
    assert!(!schema.validate(&bad).is_empty(), "accepted: {bad}");
    let errs = fixture_misfits(&q, "item-extras.json");
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

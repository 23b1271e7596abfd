//! The JavaScript client's view of the wire types, generated from this crate:
//! `client-js/src/generated/schema.js`, a table of every type the three message
//! enums reach (the JS codec walks it to turn MessagePack arrays into objects and
//! back), and `schema.d.ts`, TypeScript declarations of the decoded shapes.
//!
//! Message types must not be written twice by hand (issue 4), so both files come
//! from the Rust types. They are read with `serde-reflection`, which traces
//! serde's own view of a type: wire names after `rename`/`rename_all`, byte
//! strings from `serde_bytes`, and field order, which is the contract since
//! fields travel as arrays.
//!
//! This test fails when either file differs from what the types generate.
//! After a deliberate change to the types, regenerate with
//! `UPDATE_GENERATED=1 cargo test -p jigsync-schema --test generated_js` (or
//! `make gen`, which also regenerates the vectors) and commit the result.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;

use jigsync_schema::server::PresenceEvent;
use jigsync_schema::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_reflection::{ContainerFormat, Format, Named, Registry, Tracer, TracerConfig, VariantFormat};

const HEADER: &str = "\
// Generated from the Rust types in schema/src by schema/tests/generated_js.rs. Do not edit;
// regenerate with `UPDATE_GENERATED=1 cargo test -p jigsync-schema --test generated_js`.
";

const REGENERATE: &str = "if the change to the Rust types is deliberate, regenerate with \
     `UPDATE_GENERATED=1 cargo test -p jigsync-schema --test generated_js` (or `make gen`) and commit the result";

/// The message enums: every type in the output is reached from one of these,
/// and they come first in it, in this order.
const ROOTS: [&str; 3] = ["ClientMsg", "ServerMsg", "LobbyMsg"];

// ---------------------------------------------------------------------------
// Tracing

fn trace<T: DeserializeOwned>(tracer: &mut Tracer) {
    if let Err(e) = tracer.trace_simple_type::<T>() {
        panic!("serde-reflection cannot trace {}: {e} ({})", std::any::type_name::<T>(), e.explanation());
    }
}

/// Serde's view of every type reachable from the message enums.
fn registry() -> Registry {
    let mut tracer = Tracer::new(TracerConfig::default());
    trace::<ClientMsg>(&mut tracer);
    trace::<ServerMsg>(&mut tracer);
    trace::<LobbyMsg>(&mut tracer);
    // serde-reflection explores every variant only of the enum it is asked to
    // trace; an enum nested in another type must be traced on its own. This is
    // a list of names, not of fields: one left out fails just below, naming it.
    trace::<Role>(&mut tracer);
    trace::<MessageKind>(&mut tracer);
    trace::<SystemEventKind>(&mut tracer);
    trace::<WhisperRule>(&mut tracer);
    trace::<BoardMode>(&mut tracer);
    trace::<ErrorCode>(&mut tracer);
    trace::<PresenceEvent>(&mut tracer);
    match tracer.registry() {
        Ok(registry) => registry,
        Err(serde_reflection::Error::MissingVariants(names)) => {
            panic!(
                "enums {names:?} were only partly traced: add them to the nested enums in generated_js.rs registry()"
            )
        }
        Err(e) => panic!("serde-reflection: {e} ({})", e.explanation()),
    }
}

// ---------------------------------------------------------------------------
// The model both files are rendered from, checked against the contract of
// schema.js: anything serde-reflection reports that the contract cannot say
// fails here with the type's name rather than producing a half-right file.

#[derive(Debug, Clone, PartialEq)]
enum Ty {
    /// 'str' | 'bool' | 'u8' | 'u16' | 'u32' | 'u64' | 'i64' | 'f32' | 'f64' | 'bytes'
    Prim(&'static str),
    Named(String),
    Option(Box<Ty>),
    List(Box<Ty>),
}

#[derive(Debug)]
struct Field {
    name: String,
    ty: Ty,
}

#[derive(Debug)]
enum Variant {
    Fields(Vec<Field>),
    Newtype(String),
}

#[derive(Debug)]
enum Def {
    Struct(Vec<Field>),
    /// Unit-only enum: its wire strings in declaration order.
    Enum(Vec<String>),
    /// Externally tagged enum whose variants all carry data: (tag, variant)
    /// in declaration order.
    Message(Vec<(String, Variant)>),
}

/// Every type reachable from [`ROOTS`]: the roots in order, then the rest by name.
fn model() -> Vec<(String, Def)> {
    let registry = registry();
    let defs: BTreeMap<String, Def> = registry.iter().map(|(name, format)| (name.clone(), def(name, format))).collect();

    let mut reached = BTreeSet::new();
    let mut pending: Vec<String> = ROOTS.iter().map(|r| r.to_string()).collect();
    while let Some(name) = pending.pop() {
        let def = defs.get(&name).unwrap_or_else(|| panic!("{name} is referenced but was not traced"));
        if reached.insert(name) {
            pending.extend(referenced(def));
        }
    }
    let unreached: Vec<&String> = defs.keys().filter(|name| !reached.contains(*name)).collect();
    assert!(unreached.is_empty(), "{unreached:?} traced but reached by no message: drop them from registry()");

    let mut defs = defs;
    let mut ordered: Vec<(String, Def)> = ROOTS.iter().map(|r| (r.to_string(), defs.remove(*r).unwrap())).collect();
    ordered.extend(defs);
    for (name, def) in &ordered {
        check_no_type_field(name, def, &ordered);
    }
    ordered
}

fn def(name: &str, format: &ContainerFormat) -> Def {
    match format {
        ContainerFormat::Struct(fields) => Def::Struct(fields_of(name, fields)),
        ContainerFormat::Enum(variants) => {
            // Keyed by declaration index, so this is declaration order.
            let variants: Vec<&Named<VariantFormat>> = variants.values().collect();
            if variants.iter().all(|v| v.value == VariantFormat::Unit) {
                return Def::Enum(variants.iter().map(|v| v.name.clone()).collect());
            }
            Def::Message(
                variants
                    .iter()
                    .map(|v| {
                        let at = format!("{name}::{}", v.name);
                        let variant = match &v.value {
                            VariantFormat::Struct(fields) => Variant::Fields(fields_of(&at, fields)),
                            VariantFormat::NewType(inner) => match &**inner {
                                Format::TypeName(target) => Variant::Newtype(target.clone()),
                                other => unsupported(&at, &format!("a newtype variant around {other:?}")),
                            },
                            // A unit variant encodes as a bare string, not a one-entry map.
                            VariantFormat::Unit => unsupported(&at, "a unit variant in an enum with data variants"),
                            other => unsupported(&at, &format!("a {other:?} variant")),
                        };
                        (v.name.clone(), variant)
                    })
                    .collect(),
            )
        }
        other => unsupported(name, &format!("a {other:?} container")),
    }
}

fn fields_of(at: &str, fields: &[Named<Format>]) -> Vec<Field> {
    fields.iter().map(|f| Field { name: f.name.clone(), ty: ty(&format!("{at}.{}", f.name), &f.value) }).collect()
}

fn ty(at: &str, format: &Format) -> Ty {
    match format {
        Format::TypeName(name) => Ty::Named(name.clone()),
        Format::Str => Ty::Prim("str"),
        Format::Bool => Ty::Prim("bool"),
        Format::U8 => Ty::Prim("u8"),
        Format::U16 => Ty::Prim("u16"),
        Format::U32 => Ty::Prim("u32"),
        Format::U64 => Ty::Prim("u64"),
        Format::I64 => Ty::Prim("i64"),
        Format::F32 => Ty::Prim("f32"),
        Format::F64 => Ty::Prim("f64"),
        Format::Bytes => Ty::Prim("bytes"),
        Format::Option(inner) => Ty::Option(Box::new(ty(at, inner))),
        Format::Seq(inner) => Ty::List(Box::new(ty(at, inner))),
        other => unsupported(at, &format!("{other:?}")),
    }
}

fn unsupported(at: &str, what: &str) -> ! {
    panic!(
        "{at} is {what}, which client-js/src/generated/schema.js cannot express: extend the contract \
         (the generator in schema/tests/generated_js.rs and the JS codec that reads TYPES) first"
    )
}

fn referenced(def: &Def) -> Vec<String> {
    fn named(ty: &Ty, out: &mut Vec<String>) {
        match ty {
            Ty::Prim(_) => {}
            Ty::Named(name) => out.push(name.clone()),
            Ty::Option(inner) | Ty::List(inner) => named(inner, out),
        }
    }
    let mut out = Vec::new();
    let fields = |fields: &[Field], out: &mut Vec<String>| fields.iter().for_each(|f| named(&f.ty, out));
    match def {
        Def::Struct(fs) => fields(fs, &mut out),
        Def::Enum(_) => {}
        Def::Message(variants) => {
            for (_, variant) in variants {
                match variant {
                    Variant::Fields(fs) => fields(fs, &mut out),
                    Variant::Newtype(target) => out.push(target.clone()),
                }
            }
        }
    }
    out
}

/// The decoded shape of a message puts the tag in `type` beside the variant's
/// fields, so no field of a variant (or of a newtype variant's struct) may be
/// called `type`.
fn check_no_type_field(name: &str, def: &Def, defs: &[(String, Def)]) {
    let Def::Message(variants) = def else { return };
    for (tag, variant) in variants {
        let clash = match variant {
            Variant::Fields(fields) => fields.iter().any(|f| f.name == "type"),
            Variant::Newtype(target) => match defs.iter().find(|(n, _)| n == target).map(|(_, d)| d) {
                Some(Def::Struct(fields)) => fields.iter().any(|f| f.name == "type"),
                _ => {
                    unsupported(&format!("{name}::{tag}"), &format!("a newtype variant around {target}, not a struct"))
                }
            },
        };
        assert!(!clash, "{name}::{tag} has a field named `type`, which the decoded shape uses for the tag");
    }
}

// ---------------------------------------------------------------------------
// schema.js

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn key(s: &str) -> String {
    if is_identifier(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

fn js_ty(ty: &Ty) -> String {
    match ty {
        Ty::Prim(p) => quoted(p),
        Ty::Named(name) => quoted(name),
        Ty::Option(inner) => format!("{{ option: {} }}", js_ty(inner)),
        Ty::List(inner) => format!("{{ list: {} }}", js_ty(inner)),
    }
}

fn js_fields(fields: &[Field]) -> String {
    let fields: Vec<String> = fields.iter().map(|f| format!("[{}, {}]", quoted(&f.name), js_ty(&f.ty))).collect();
    format!("[{}]", fields.join(", "))
}

fn render_js(defs: &[(String, Def)]) -> String {
    let mut out = String::from(HEADER);
    out.push_str("export const TYPES = {\n");
    for (name, def) in defs {
        match def {
            Def::Struct(fields) => {
                writeln!(out, "  {name}: {{ kind: 'struct', fields: {} }},", js_fields(fields)).unwrap();
            }
            Def::Enum(values) => {
                let values: Vec<String> = values.iter().map(|v| quoted(v)).collect();
                writeln!(out, "  {name}: {{ kind: 'enum', values: [{}] }},", values.join(", ")).unwrap();
            }
            Def::Message(variants) => {
                writeln!(out, "  {name}: {{ kind: 'message', variants: {{").unwrap();
                for (tag, variant) in variants {
                    let body = match variant {
                        Variant::Fields(fields) => format!("fields: {}", js_fields(fields)),
                        Variant::Newtype(target) => format!("newtype: {}", quoted(target)),
                    };
                    writeln!(out, "      {}: {{ {body} }},", key(tag)).unwrap();
                }
                out.push_str("  } },\n");
            }
        }
    }
    out.push_str("};\n");
    out
}

// ---------------------------------------------------------------------------
// schema.d.ts

fn ts_ty(ty: &Ty) -> String {
    match ty {
        Ty::Prim("str") => "string".into(),
        Ty::Prim("bool") => "boolean".into(),
        Ty::Prim("bytes") => "Uint8Array".into(),
        Ty::Prim(_) => "number".into(),
        Ty::Named(name) => name.clone(),
        Ty::Option(inner) => match &**inner {
            Ty::Option(_) => unsupported("an Option", "an Option<Option<_>>"),
            inner => format!("{} | null", ts_ty(inner)),
        },
        Ty::List(inner) => match &**inner {
            Ty::Option(_) => format!("({})[]", ts_ty(inner)),
            inner => format!("{}[]", ts_ty(inner)),
        },
    }
}

fn ts_members(fields: &[Field]) -> Vec<String> {
    fields.iter().map(|f| format!("{}: {}", key(&f.name), ts_ty(&f.ty))).collect()
}

fn render_dts(defs: &[(String, Def)]) -> String {
    let mut out = String::from(HEADER);
    out.push_str("\nexport declare const TYPES: Record<string, unknown>;\n\n");
    for (name, def) in defs {
        match def {
            Def::Struct(fields) => {
                writeln!(out, "export interface {name} {{ {} }}", ts_members(fields).join("; ")).unwrap();
            }
            Def::Enum(values) => {
                let values: Vec<String> = values.iter().map(|v| quoted(v)).collect();
                writeln!(out, "export type {name} = {};", values.join(" | ")).unwrap();
            }
            Def::Message(variants) => {
                write!(out, "export type {name} =").unwrap();
                for (tag, variant) in variants {
                    let tag = format!("type: {}", quoted(tag));
                    match variant {
                        Variant::Fields(fields) => {
                            let members: Vec<String> = std::iter::once(tag).chain(ts_members(fields)).collect();
                            write!(out, "\n  | {{ {} }}", members.join("; ")).unwrap();
                        }
                        Variant::Newtype(target) => write!(out, "\n  | ({{ {tag} }} & {target})").unwrap(),
                    }
                }
                out.push_str(";\n\n");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Checks

fn check(file: &str, rendered: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../client-js/src/generated");
    let path = dir.join(file);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, rendered).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; {REGENERATE}", path.display()));
    if stored == rendered {
        return;
    }
    let (stored_lines, rendered_lines): (Vec<&str>, Vec<&str>) = (stored.lines().collect(), rendered.lines().collect());
    let at = (0..).find(|&i| stored_lines.get(i) != rendered_lines.get(i)).unwrap();
    panic!(
        "client-js/src/generated/{file} is stale: it differs from the Rust types in schema/src, first at line {}:\n  \
         in the file:       {}\n  from the types:    {}\n{REGENERATE}",
        at + 1,
        stored_lines.get(at).unwrap_or(&"(end of file)"),
        rendered_lines.get(at).unwrap_or(&"(end of file)"),
    );
}

#[test]
fn schema_js_is_current() {
    check("schema.js", &render_js(&model()));
}

#[test]
fn schema_d_ts_is_current() {
    check("schema.d.ts", &render_dts(&model()));
}

/// Checks a JSON rendering of a value (as in `vectors/*.json`) against the
/// table, as the JS codec will read it: struct fields by name and in order,
/// enum strings among the values, options, lists and bytes.
fn conforms(defs: &BTreeMap<&str, &Def>, ty: &Ty, value: &Value, at: &str) {
    let fails = || panic!("{at}: {value} does not fit {ty:?}");
    match (ty, value) {
        (Ty::Option(_), Value::Null) => {}
        (Ty::Option(inner), _) => conforms(defs, inner, value, at),
        (Ty::List(inner), Value::Array(items)) => {
            items.iter().enumerate().for_each(|(i, item)| conforms(defs, inner, item, &format!("{at}[{i}]")))
        }
        (Ty::Prim("str"), Value::String(_)) | (Ty::Prim("bool"), Value::Bool(_)) => {}
        (Ty::Prim("bytes"), Value::Array(items)) if items.iter().all(|b| b.as_u64().is_some_and(|b| b < 256)) => {}
        (Ty::Prim("f32" | "f64"), Value::Number(_)) => {}
        (Ty::Prim("i64"), Value::Number(n)) if n.is_i64() => {}
        (Ty::Prim(_), Value::Number(n)) if n.is_u64() => {}
        (Ty::Named(name), _) => match (defs[name.as_str()], value) {
            (Def::Struct(fields), Value::Object(object)) => conforms_fields(defs, fields, object, at),
            (Def::Enum(values), Value::String(s)) if values.contains(s) => {}
            (Def::Message(variants), Value::Object(object)) if object.len() == 1 => {
                let (tag, body) = object.iter().next().unwrap();
                let Some((_, variant)) = variants.iter().find(|(t, _)| t == tag) else {
                    panic!("{at}: tag {tag} is not a variant of {name}")
                };
                let at = format!("{at}.{tag}");
                match (variant, body) {
                    (Variant::Fields(fields), Value::Object(object)) => conforms_fields(defs, fields, object, &at),
                    (Variant::Newtype(target), _) => conforms(defs, &Ty::Named(target.clone()), body, &at),
                    _ => fails(),
                }
            }
            _ => fails(),
        },
        _ => fails(),
    }
}

fn conforms_fields(defs: &BTreeMap<&str, &Def>, fields: &[Field], object: &serde_json::Map<String, Value>, at: &str) {
    let names: Vec<&str> = object.keys().map(String::as_str).collect();
    let expected: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, expected, "{at}: fields differ from the table");
    for field in fields {
        conforms(defs, &field.ty, &object[&field.name], &format!("{at}.{}", field.name));
    }
}

#[test]
fn golden_vectors_fit_the_table() {
    let model = model();
    let defs: BTreeMap<&str, &Def> = model.iter().map(|(name, def)| (name.as_str(), def)).collect();
    for (file, root) in [("client.json", "ClientMsg"), ("server.json", "ServerMsg"), ("lobby.json", "LobbyMsg")] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors").join(file);
        let vectors: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut tags = BTreeSet::new();
        for vector in &vectors {
            let at = format!("{file} › {}", vector["name"]);
            conforms(&defs, &Ty::Named(root.into()), &vector["json"], &at);
            tags.extend(vector["json"].as_object().unwrap().keys().cloned());
        }
        let Def::Message(variants) = defs[root] else { panic!("{root} is not a message enum") };
        let untested: Vec<&String> = variants.iter().map(|(tag, _)| tag).filter(|tag| !tags.contains(*tag)).collect();
        assert!(untested.is_empty(), "{file} has no vector for {root} variants {untested:?}");
    }
}

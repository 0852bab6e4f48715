//! Checking answers against the spec's response schemas (feature `generate`: it reads the
//! spec's YAML like the table generator).
//!
//! [`ResponseSchemas`] holds the spec's operations and `components` as JSON and checks an
//! answer (operation, status, JSON body) against the schema the spec gives for that status.
//! The schema dialect is OpenAPI 3.0's: `type` (with `integer` meaning a whole number),
//! `nullable`, `enum`, `properties`, `required`, `additionalProperties` (`false`, `true` or a
//! schema), `items`, `allOf`, `oneOf`, `anyOf` and `$ref`. Formats, lengths, patterns and
//! numeric bounds are not checked; the `discriminator` is not used. `oneOf` is checked as
//! `anyOf`: the spec's alternatives for verifications overlap, so "exactly one" would reject
//! answers the spec plainly means to allow.
//!
//! A finding is a [`ResponseViolation`]: where in the spec (the component schema and the
//! property path inside it, e.g. `Client.SignUp.Verifications/web3_wallet`), where in the
//! answer (a JSON pointer) and what was wrong. The place in the spec is stable however deep
//! the schema is reused, so a list of the spec's known inaccuracies can name it
//! ([`ResponseViolation::key`]).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_spec::responses::{ResponseSchemas, ViolationKind};
//!
//! let spec = r##"
//! openapi: 3.0.3
//! paths:
//!   /v1/thing:
//!     get:
//!       responses:
//!         "200":
//!           content:
//!             application/json:
//!               schema: { $ref: "#/components/schemas/Thing" }
//! components:
//!   schemas:
//!     Thing:
//!       type: object
//!       additionalProperties: false
//!       required: [id]
//!       properties:
//!         id: { type: string }
//!         count: { type: integer, nullable: true }
//! "##;
//! let schemas = ResponseSchemas::from_yaml(spec)?;
//! let good = serde_json::json!({ "id": "t_1", "count": null });
//! assert!(schemas.check("GET", "/v1/thing", 200, Some(&good)).is_ok());
//!
//! let bad = serde_json::json!({ "count": 1.5, "colour": "blue" });
//! let violations = schemas.check("GET", "/v1/thing", 200, Some(&bad)).unwrap_err();
//! let keys: Vec<String> = violations.iter().map(|v| v.key()).collect();
//! assert_eq!(keys, ["Thing: missing id", "Thing: unexpected colour", "Thing/count: wrong type"]);
//! assert!(matches!(violations[0].kind, ViolationKind::MissingRequired { .. }));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::generate::{GenerateError, SPEC_FILE_NAME, yaml_to_json};

/// How deep schemas may nest (through `$ref`s) before the check gives up on a branch; the
/// spec's deepest answer is far shallower, so reaching it means a reference cycle.
const MAX_DEPTH: usize = 128;

/// The spec's response schemas, ready to check answers.
#[derive(Debug, Clone)]
pub struct ResponseSchemas {
    spec: Value,
}

/// One way an answer departs from the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseViolation {
    /// Where in the spec: the component schema last entered and the property path inside it,
    /// `[]` standing for an array's items (e.g. `Client.Client-2/sessions[]/status`). An
    /// inline schema outside `components` is named after the operation.
    pub schema: String,
    /// Where in the answer: a JSON pointer (empty for the whole body).
    pub instance: String,
    /// What was wrong.
    pub kind: ViolationKind,
}

/// What was wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// The operation does not document this status.
    UndocumentedStatus {
        /// The answer's status.
        status: u16,
    },
    /// The status is documented without a JSON body, and the answer has one (or the other
    /// way round).
    UnexpectedBody,
    /// The spec documents a JSON body and the answer has none.
    MissingBody,
    /// `null` where the schema is not nullable.
    NullNotAllowed,
    /// A value of another JSON type than the schema's.
    WrongType {
        /// The schema's type.
        expected: String,
        /// The value's JSON type.
        found: &'static str,
    },
    /// A value the schema's `enum` does not list.
    NotInEnum {
        /// The value, as JSON.
        value: String,
    },
    /// A required property is absent.
    MissingRequired {
        /// The property.
        name: String,
    },
    /// A property a closed schema (`additionalProperties: false`) does not list.
    UnexpectedProperty {
        /// The property.
        name: String,
    },
    /// No alternative of a `oneOf`/`anyOf` accepts the value; `closest` is what the
    /// closest alternative said: one whose `object` value the answer has, else the one with
    /// the fewest findings.
    NoAlternative {
        /// That alternative's findings.
        closest: Vec<ResponseViolation>,
    },
    /// The spec holds something this check does not read (a dangling `$ref`, a cycle).
    Unreadable {
        /// What.
        reason: String,
    },
}

impl ResponseViolation {
    /// A short, stable name for the finding that leaves the answer's values out (but for an
    /// enum's): the schema place and the kind (`Client.Client-2/sign_in: null`,
    /// `Thing: missing id`); for a `oneOf` that nothing matched, the closest alternative's
    /// keys too. A list of the spec's known inaccuracies is a list of these.
    #[must_use]
    pub fn key(&self) -> String {
        let what = match &self.kind {
            ViolationKind::UndocumentedStatus { status } => format!("undocumented status {status}"),
            ViolationKind::UnexpectedBody => "unexpected body".to_owned(),
            ViolationKind::MissingBody => "missing body".to_owned(),
            ViolationKind::NullNotAllowed => "null".to_owned(),
            ViolationKind::WrongType { .. } => "wrong type".to_owned(),
            ViolationKind::NotInEnum { value } => format!("not in enum {value}"),
            ViolationKind::MissingRequired { name } => format!("missing {name}"),
            ViolationKind::UnexpectedProperty { name } => format!("unexpected {name}"),
            ViolationKind::NoAlternative { closest } => {
                let closest: Vec<String> = closest.iter().map(ResponseViolation::key).collect();
                format!("no alternative (closest: {})", closest.join("; "))
            }
            ViolationKind::Unreadable { .. } => "unreadable schema".to_owned(),
        };
        format!("{}: {what}", self.schema)
    }
}

impl fmt::Display for ResponseViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance.is_empty() { "the body" } else { self.instance.as_str() };
        write!(f, "{at} (spec: {}): ", self.schema)?;
        match &self.kind {
            ViolationKind::UndocumentedStatus { status } => write!(f, "status {status} is not documented"),
            ViolationKind::UnexpectedBody => f.write_str("a JSON body where the spec documents none"),
            ViolationKind::MissingBody => f.write_str("no JSON body where the spec documents one"),
            ViolationKind::NullNotAllowed => f.write_str("null, and the schema is not nullable"),
            ViolationKind::WrongType { expected, found } => write!(f, "{found}, the schema says {expected}"),
            ViolationKind::NotInEnum { value } => write!(f, "{value} is not one of the listed values"),
            ViolationKind::MissingRequired { name } => write!(f, "required property `{name}` is missing"),
            ViolationKind::UnexpectedProperty { name } => write!(f, "property `{name}` is not in the schema"),
            ViolationKind::NoAlternative { closest } => {
                f.write_str("no alternative accepts it; the closest says: ")?;
                for (i, violation) in closest.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{violation}")?;
                }
                Ok(())
            }
            ViolationKind::Unreadable { reason } => write!(f, "the spec cannot be read here: {reason}"),
        }
    }
}

impl ResponseSchemas {
    /// Reads `<shared>/fapi/openapi-2026-05-12.yml`.
    ///
    /// # Errors
    ///
    /// [`GenerateError`] when the file cannot be read or is not YAML.
    pub fn load_from_dir(shared: &Path) -> Result<Self, GenerateError> {
        let path = shared.join("fapi").join(SPEC_FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| GenerateError::Read { path, message: e.to_string() })?;
        Self::from_yaml(&text)
    }

    /// Reads a spec from its YAML text.
    ///
    /// # Errors
    ///
    /// [`GenerateError::Yaml`] when the text is not YAML, [`GenerateError::Spec`] when it has
    /// no `paths`.
    pub fn from_yaml(text: &str) -> Result<Self, GenerateError> {
        let spec = yaml_to_json(text)?;
        if !spec.get("paths").is_some_and(Value::is_object) {
            return Err(GenerateError::Spec("no `paths` object".to_owned()));
        }
        Ok(ResponseSchemas { spec })
    }

    /// Checks an answer to `method` on the path template `template` (as
    /// [`SpecTable::operation`](crate::SpecTable::operation) names it) with `status` and
    /// `body` (`None`: no JSON body).
    ///
    /// # Errors
    ///
    /// Every finding, ordered by place in the answer. An operation the spec does not have is reported as an undocumented
    /// status.
    pub fn check(
        &self,
        method: &str,
        template: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Result<(), Vec<ResponseViolation>> {
        let operation_name = format!("{} {template}", method.to_ascii_uppercase());
        let responses = self
            .spec
            .get("paths")
            .and_then(|paths| paths.get(template))
            .and_then(|item| item.get(method.to_ascii_lowercase()))
            .and_then(|operation| operation.get("responses"));
        let response = responses.and_then(|r| r.get(status.to_string()).or_else(|| r.get("default")));
        let Some(response) = response else {
            return Err(vec![ResponseViolation {
                schema: operation_name,
                instance: String::new(),
                kind: ViolationKind::UndocumentedStatus { status },
            }]);
        };
        let mut checker = Checker { spec: &self.spec, violations: Vec::new() };
        let Some(response) = checker.resolve(response) else {
            return Err(vec![unreadable(&operation_name, "", "dangling response $ref")]);
        };
        let schema = response.get("content").and_then(|c| c.get("application/json")).and_then(|m| m.get("schema"));
        match (schema, body) {
            (None, None) => {}
            (None, Some(_)) => checker.push(&operation_name, "", ViolationKind::UnexpectedBody),
            (Some(_), None) => checker.push(&operation_name, "", ViolationKind::MissingBody),
            (Some(schema), Some(body)) => {
                let mut instance = String::new();
                checker.check(schema, body, &Place::root(&operation_name), &mut instance, 0);
            }
        }
        if checker.violations.is_empty() {
            return Ok(());
        }
        let mut violations = checker.violations;
        violations.sort_by_cached_key(|v| (v.instance.clone(), v.key()));
        Err(violations)
    }
}

fn unreadable(schema: &str, instance: &str, reason: &str) -> ResponseViolation {
    ResponseViolation {
        schema: schema.to_owned(),
        instance: instance.to_owned(),
        kind: ViolationKind::Unreadable { reason: reason.to_owned() },
    }
}

/// Where in the spec a schema is: the component last entered and the property path since.
#[derive(Debug, Clone)]
struct Place {
    component: String,
    path: String,
}

impl Place {
    fn root(name: &str) -> Self {
        Place { component: name.to_owned(), path: String::new() }
    }

    fn entering(component: &str) -> Self {
        Place { component: component.to_owned(), path: String::new() }
    }

    fn property(&self, name: &str) -> Self {
        Place { component: self.component.clone(), path: format!("{}/{name}", self.path) }
    }

    fn items(&self) -> Self {
        Place { component: self.component.clone(), path: format!("{}[]", self.path) }
    }

    fn name(&self) -> String {
        format!("{}{}", self.component, self.path)
    }
}

struct Checker<'s> {
    spec: &'s Value,
    violations: Vec<ResponseViolation>,
}

impl<'s> Checker<'s> {
    fn push(&mut self, schema: &str, instance: &str, kind: ViolationKind) {
        self.violations.push(ResponseViolation { schema: schema.to_owned(), instance: instance.to_owned(), kind });
    }

    /// Follows `$ref`s to a node without one.
    fn resolve(&self, mut node: &'s Value) -> Option<&'s Value> {
        for _ in 0..MAX_DEPTH {
            let Some(reference) = node.get("$ref") else {
                return Some(node);
            };
            node = self.spec.pointer(reference.as_str()?.strip_prefix('#')?)?;
        }
        None
    }

    /// Whether `schema` accepts `null` (OpenAPI 3.0: only where `nullable: true` says so,
    /// through `$ref`s, and through an `anyOf`/`oneOf` alternative that does).
    fn accepts_null(&self, schema: &'s Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
            return true;
        }
        if let Some(target) = schema.get("$ref").and_then(|_| self.resolve(schema)) {
            return self.accepts_null(target, depth + 1);
        }
        ["oneOf", "anyOf"].iter().any(|keyword| {
            schema
                .get(*keyword)
                .and_then(Value::as_array)
                .is_some_and(|alternatives| alternatives.iter().any(|a| self.accepts_null(a, depth + 1)))
        })
    }

    fn check(&mut self, schema: &'s Value, value: &Value, place: &Place, instance: &mut String, depth: usize) {
        if depth > MAX_DEPTH {
            self.push(&place.name(), instance, ViolationKind::Unreadable { reason: "schemas nest too deep".into() });
            return;
        }
        if let Some(reference) = schema.get("$ref") {
            let component = reference.as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
            match self.resolve(schema) {
                Some(target) => {
                    let place = component.map_or_else(|| place.clone(), Place::entering);
                    self.check(target, value, &place, instance, depth + 1);
                }
                None => {
                    self.push(&place.name(), instance, ViolationKind::Unreadable { reason: "dangling $ref".into() })
                }
            }
            return;
        }
        if value.is_null() {
            if !self.accepts_null(schema, depth) {
                self.push(&place.name(), instance, ViolationKind::NullNotAllowed);
            }
            return;
        }
        if let Some(expected) = schema.get("type").and_then(Value::as_str)
            && !type_matches(expected, value)
        {
            let kind = ViolationKind::WrongType { expected: expected.to_owned(), found: json_type(value) };
            self.push(&place.name(), instance, kind);
            return;
        }
        if let Some(listed) = schema.get("enum").and_then(Value::as_array)
            && !listed.contains(value)
        {
            self.push(&place.name(), instance, ViolationKind::NotInEnum { value: value.to_string() });
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.check(part, value, place, instance, depth + 1);
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(keyword).and_then(Value::as_array) {
                self.check_alternatives(alternatives, value, place, instance, depth);
            }
        }
        match value {
            Value::Object(object) => self.check_object(schema, object, place, instance, depth),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    let items_place = place.items();
                    for (index, item) in items.iter().enumerate() {
                        let mark = instance.len();
                        instance.push('/');
                        instance.push_str(&index.to_string());
                        self.check(item_schema, item, &items_place, instance, depth + 1);
                        instance.truncate(mark);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_alternatives(
        &mut self,
        alternatives: &'s [Value],
        value: &Value,
        place: &Place,
        instance: &mut String,
        depth: usize,
    ) {
        // The closest alternative is one whose `object` (Clerk's kind tag) the value has,
        // then the one with the fewest findings.
        let object_pointer = format!("{instance}/object");
        let rank = |violations: &[ResponseViolation]| {
            let wrong_kind = violations
                .iter()
                .any(|v| v.instance == object_pointer && matches!(v.kind, ViolationKind::NotInEnum { .. }));
            (wrong_kind, violations.len())
        };
        let mut closest: Option<((bool, usize), Vec<ResponseViolation>)> = None;
        for alternative in alternatives {
            let mut trial = Checker { spec: self.spec, violations: Vec::new() };
            trial.check(alternative, value, place, instance, depth + 1);
            if trial.violations.is_empty() {
                return;
            }
            let trial_rank = rank(&trial.violations);
            if closest.as_ref().is_none_or(|(best, _)| trial_rank < *best) {
                closest = Some((trial_rank, trial.violations));
            }
        }
        if let Some((_, closest)) = closest {
            self.push(&place.name(), instance, ViolationKind::NoAlternative { closest });
        }
    }

    fn check_object(
        &mut self,
        schema: &'s Value,
        object: &serde_json::Map<String, Value>,
        place: &Place,
        instance: &mut String,
        depth: usize,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    self.push(&place.name(), instance, ViolationKind::MissingRequired { name: name.to_owned() });
                }
            }
        }
        let additional = schema.get("additionalProperties");
        for (name, member) in object {
            let mark = instance.len();
            instance.push('/');
            push_pointer_token(instance, name);
            match (properties.and_then(|p| p.get(name)), additional) {
                (Some(member_schema), _) => {
                    self.check(member_schema, member, &place.property(name), instance, depth + 1)
                }
                (None, Some(Value::Bool(false))) => {
                    instance.truncate(mark);
                    self.push(&place.name(), instance, ViolationKind::UnexpectedProperty { name: name.clone() });
                }
                (None, Some(extra @ Value::Object(_))) => {
                    self.check(extra, member, &place.property("*"), instance, depth + 1);
                }
                (None, _) => {}
            }
            instance.truncate(mark);
        }
    }
}

/// Appends `token` to a JSON pointer, escaped (RFC 6901).
fn push_pointer_token(pointer: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: &str = r##"
openapi: 3.0.3
paths:
  /v1/thing:
    get:
      responses:
        "200": { $ref: "#/components/responses/Thing" }
        "204": { description: gone }
components:
  responses:
    Thing:
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Wrapper" }
  schemas:
    Wrapper:
      type: object
      properties:
        response: { type: object, nullable: true, allOf: [ { $ref: "#/components/schemas/Thing" } ] }
        list: { type: array, items: { $ref: "#/components/schemas/Thing" } }
        either: { oneOf: [ { type: string }, { type: integer } ] }
        open: { type: object, additionalProperties: { type: string } }
    Thing:
      type: object
      additionalProperties: false
      required: [id]
      properties:
        id: { type: string }
        status: { type: string, enum: [active, ended] }
        "a/b": { type: boolean }
"##;

    fn schemas() -> ResponseSchemas {
        ResponseSchemas::from_yaml(SPEC).unwrap_or_else(|e| panic!("{e}"))
    }

    fn keys(result: Result<(), Vec<ResponseViolation>>) -> Vec<String> {
        result.err().unwrap_or_default().iter().map(|v| format!("{} @{}", v.key(), v.instance)).collect::<Vec<_>>()
    }

    #[test]
    fn nullable_all_of_accepts_null_and_checks_the_object() {
        let schemas = schemas();
        assert!(schemas.check("get", "/v1/thing", 200, Some(&json!({ "response": null }))).is_ok());
        let found = keys(schemas.check("GET", "/v1/thing", 200, Some(&json!({ "response": { "status": "x" } }))));
        assert_eq!(found, ["Thing: missing id @/response", r#"Thing/status: not in enum "x" @/response/status"#]);
    }

    #[test]
    fn places_name_the_component_and_instances_the_pointer() {
        let body = json!({ "list": [ { "id": "a" }, { "id": 7, "a/b": null, "extra": 1 } ] });
        let found = keys(schemas().check("GET", "/v1/thing", 200, Some(&body)));
        assert_eq!(
            found,
            ["Thing: unexpected extra @/list/1", "Thing/a/b: null @/list/1/a~1b", "Thing/id: wrong type @/list/1/id"]
        );
    }

    #[test]
    fn alternatives_and_open_maps() {
        let schemas = schemas();
        assert!(schemas.check("GET", "/v1/thing", 200, Some(&json!({ "either": 3, "open": { "k": "v" } }))).is_ok());
        let found = keys(schemas.check("GET", "/v1/thing", 200, Some(&json!({ "either": true, "open": { "k": 1 } }))));
        assert_eq!(
            found,
            [
                "Wrapper/either: no alternative (closest: Wrapper/either: wrong type) @/either",
                "Wrapper/open/*: wrong type @/open/k"
            ]
        );
    }

    #[test]
    fn statuses_and_bodies() {
        let schemas = schemas();
        assert!(schemas.check("GET", "/v1/thing", 204, None).is_ok());
        assert_eq!(
            keys(schemas.check("GET", "/v1/thing", 204, Some(&json!({})))),
            ["GET /v1/thing: unexpected body @"]
        );
        assert_eq!(keys(schemas.check("GET", "/v1/thing", 200, None)), ["GET /v1/thing: missing body @"]);
        assert_eq!(keys(schemas.check("GET", "/v1/thing", 418, None)), ["GET /v1/thing: undocumented status 418 @"]);
        assert_eq!(keys(schemas.check("POST", "/v1/other", 200, None)), ["POST /v1/other: undocumented status 200 @"]);
    }

    #[test]
    fn a_reference_cycle_is_reported_not_followed_forever() {
        let spec = r##"
paths:
  /v1/loop:
    get:
      responses:
        "200":
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Node" }
components:
  schemas:
    Node: { type: object, properties: { next: { $ref: "#/components/schemas/Node" } } }
"##;
        let schemas = ResponseSchemas::from_yaml(spec).unwrap_or_else(|e| panic!("{e}"));
        let mut body = json!({});
        for _ in 0..200 {
            body = json!({ "next": body });
        }
        let found = keys(schemas.check("GET", "/v1/loop", 200, Some(&body)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains(": unreadable schema @/next/next/"), "{found:?}");
    }
}

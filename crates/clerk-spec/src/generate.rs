//! The table generator (feature `generate`): reads Clerk's OpenAPI spec of the Frontend API and
//! `undocumented.json` from the shared test-data directory and writes `operations.json`.
//!
//! Run it with `cargo run -p clerk-spec --bin gen-spec-table`. The test
//! `tests/regenerate.rs` regenerates the table and compares it byte for byte with the committed
//! file.
//!
//! What is taken from the spec: every operation under `paths` (method, template, path
//! parameter names, query and header parameters, the form body's properties with `$ref`s
//! resolved into `components`, body media types, the security requirement in effect, the
//! documented response codes) and `components.securitySchemes`. A schema construct the table
//! cannot express (`oneOf`, `anyOf`, `allOf`, `not`, cookie parameters, non-numeric response
//! keys, …) fails the generation instead of being dropped silently, and so does an
//! `undocumented.json` entry naming an operation the spec does not have.
//!
//! A form schema without `additionalProperties` is taken as closed: only its properties are
//! documented (valid requests are those the spec documents, not those JSON Schema would
//! tolerate). Only an explicit `additionalProperties: true` (or a schema) opens it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value};

use crate::table::{
    ApiKeyLocation, Operation, Parameter, ParameterType, SecurityScheme, SpecTable, TableDocument, TableSource,
    UndocumentedExtras,
};

/// File name of the spec inside `<shared>/fapi/`.
pub const SPEC_FILE_NAME: &str = "openapi-2026-05-12.yml";
/// File name of the known gaps inside `<shared>/fapi/`.
pub const UNDOCUMENTED_FILE_NAME: &str = "undocumented.json";
/// Environment variable naming the shared test-data directory.
pub const SHARED_DIR_ENV: &str = "CLERK_SHARED_DIR";

/// Width the rendered table stays within where it can (longer single values stay on one line).
const LINE_WIDTH: usize = 100;

/// HTTP methods an OpenAPI path item may hold, in the order the table lists them.
const METHODS: &[&str] = &["get", "head", "post", "put", "patch", "delete", "options", "trace"];

/// The generator failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// A source file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        message: String,
    },
    /// The spec is not YAML this generator reads.
    #[error("spec is not readable YAML: {0}")]
    Yaml(String),
    /// `undocumented.json` is not JSON.
    #[error("undocumented.json is not JSON: {0}")]
    Json(String),
    /// The spec holds something the table cannot express, or is malformed.
    #[error("spec: {0}")]
    Spec(String),
    /// `undocumented.json` does not have the expected shape or names an unknown operation.
    #[error("undocumented.json: {0}")]
    Undocumented(String),
    /// The generated table does not load (a bug in the generator).
    #[error("generated table does not load: {0}")]
    Table(String),
}

/// The shared test-data directory: `$CLERK_SHARED_DIR`, else `<workspace root>/../shared`.
#[must_use]
pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The committed table, `crates/clerk-spec/src/operations.json`.
#[must_use]
pub fn table_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/operations.json")
}

/// Generates the table's text from `<shared>/fapi/openapi-2026-05-12.yml` and
/// `<shared>/fapi/undocumented.json`.
///
/// # Errors
///
/// [`GenerateError`] when a file cannot be read or holds what the table cannot express.
pub fn generate_from_dir(shared: &Path) -> Result<String, GenerateError> {
    let read = |name: &str| {
        let path = shared.join("fapi").join(name);
        std::fs::read_to_string(&path).map_err(|e| GenerateError::Read { path, message: e.to_string() })
    };
    generate(&read(SPEC_FILE_NAME)?, &read(UNDOCUMENTED_FILE_NAME)?)
}

/// Generates the table's text from the spec's YAML and `undocumented.json`'s text.
///
/// The output is deterministic: operations by path then method, parameters by name, response
/// codes ascending, enum values in spec order; it ends with a newline.
///
/// # Errors
///
/// [`GenerateError`] when the inputs do not parse or hold what the table cannot express.
pub fn generate(spec_yaml: &str, undocumented_json: &str) -> Result<String, GenerateError> {
    let spec = yaml_to_json(spec_yaml)?;
    let undocumented: Value =
        serde_json::from_str(undocumented_json).map_err(|e| GenerateError::Json(e.to_string()))?;
    let document = build_document(&spec, &undocumented)?;
    // The table must load, or it is not worth writing.
    SpecTable::from_document(document.clone()).map_err(|e| GenerateError::Table(e.to_string()))?;
    render(&document)
}

// ---------------------------------------------------------------------------------------------
// YAML → JSON

pub(crate) fn yaml_to_json(text: &str) -> Result<Value, GenerateError> {
    let documents = Yaml::load_from_str(text).map_err(|e| GenerateError::Yaml(e.to_string()))?;
    let mut documents = documents.iter();
    let (Some(document), None) = (documents.next(), documents.next()) else {
        return Err(GenerateError::Yaml("expected exactly one YAML document".to_owned()));
    };
    yaml_node_to_json(document)
}

fn yaml_node_to_json(node: &Yaml<'_>) -> Result<Value, GenerateError> {
    match node {
        Yaml::Value(scalar) => scalar_to_json(scalar),
        Yaml::Sequence(items) => items.iter().map(yaml_node_to_json).collect::<Result<_, _>>().map(Value::Array),
        Yaml::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Yaml::Value(Scalar::String(s)) => s.to_string(),
                    Yaml::Value(Scalar::Integer(i)) => i.to_string(),
                    Yaml::Value(Scalar::Boolean(b)) => b.to_string(),
                    other => {
                        return Err(GenerateError::Yaml(format!("unsupported mapping key {other:?}")));
                    }
                };
                if object.insert(key.clone(), yaml_node_to_json(value)?).is_some() {
                    return Err(GenerateError::Yaml(format!("duplicate key `{key}`")));
                }
            }
            Ok(Value::Object(object))
        }
        Yaml::Representation(..) | Yaml::Tagged(..) | Yaml::Alias(_) | Yaml::BadValue => Err(GenerateError::Yaml(
            format!("unsupported YAML node {node:?} (tags and aliases are not used by the spec)"),
        )),
    }
}

fn scalar_to_json(scalar: &Scalar<'_>) -> Result<Value, GenerateError> {
    Ok(match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
            .map(Value::Number)
            .ok_or_else(|| GenerateError::Yaml(format!("non-finite number {f}")))?,
        Scalar::String(s) => Value::String(s.to_string()),
    })
}

// ---------------------------------------------------------------------------------------------
// Spec → table

fn spec_error(message: impl Into<String>) -> GenerateError {
    GenerateError::Spec(message.into())
}

fn str_field<'v>(value: &'v Value, field: &str, context: &str) -> Result<&'v str, GenerateError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| spec_error(format!("{context}: `{field}` is missing or not a string")))
}

fn bool_field(value: &Value, field: &str, context: &str) -> Result<bool, GenerateError> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(spec_error(format!("{context}: `{field}` is not a boolean: {other}"))),
    }
}

/// Follows `$ref`s (local JSON pointers) until a node without one.
fn resolve<'v>(spec: &'v Value, mut node: &'v Value, context: &str) -> Result<&'v Value, GenerateError> {
    for _ in 0..32 {
        let Some(reference) = node.get("$ref") else {
            return Ok(node);
        };
        let pointer = reference
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .ok_or_else(|| spec_error(format!("{context}: non-local $ref {reference}")))?;
        node = spec.pointer(pointer).ok_or_else(|| spec_error(format!("{context}: dangling $ref {reference}")))?;
    }
    Err(spec_error(format!("{context}: $ref chain too long")))
}

fn build_document(spec: &Value, undocumented: &Value) -> Result<TableDocument, GenerateError> {
    let source = TableSource {
        spec: SPEC_FILE_NAME.to_owned(),
        openapi: str_field(spec, "openapi", "root")?.to_owned(),
        info_version: spec
            .get("info")
            .map(|info| str_field(info, "version", "info"))
            .transpose()?
            .unwrap_or_default()
            .to_owned(),
        undocumented: UNDOCUMENTED_FILE_NAME.to_owned(),
    };
    let security_schemes = security_schemes(spec)?;
    let global_security = match spec.get("security") {
        Some(requirement) => security_requirement(requirement, &security_schemes, "root")?,
        None => vec![Vec::new()],
    };

    let paths = spec.get("paths").and_then(Value::as_object).ok_or_else(|| spec_error("`paths` is missing"))?;
    let mut operations = Vec::new();
    for (path, item) in paths {
        let item = resolve(spec, item, path)?;
        let item = item.as_object().ok_or_else(|| spec_error(format!("{path}: path item is not an object")))?;
        let shared_parameters = item.get("parameters");
        for (key, operation) in item {
            if METHODS.contains(&key.as_str()) {
                let context = format!("{} {path}", key.to_ascii_uppercase());
                operations.push(build_operation(
                    spec,
                    path,
                    key,
                    operation,
                    shared_parameters,
                    &security_schemes,
                    &global_security,
                    &context,
                )?);
            } else if !matches!(key.as_str(), "parameters" | "summary" | "description" | "servers")
                && !key.starts_with("x-")
            {
                return Err(spec_error(format!("{path}: unknown path item key `{key}`")));
            }
        }
    }
    operations
        .sort_by(|a, b| (a.path.as_str(), method_rank(&a.method)).cmp(&(b.path.as_str(), method_rank(&b.method))));

    let undocumented = apply_undocumented(undocumented, &mut operations)?;
    Ok(TableDocument { source, security_schemes, undocumented, operations })
}

fn method_rank(method: &str) -> usize {
    METHODS.iter().position(|m| m.eq_ignore_ascii_case(method)).unwrap_or(METHODS.len())
}

fn security_schemes(spec: &Value) -> Result<Vec<SecurityScheme>, GenerateError> {
    let Some(schemes) = spec.pointer("/components/securitySchemes") else {
        return Ok(Vec::new());
    };
    let schemes = schemes.as_object().ok_or_else(|| spec_error("components.securitySchemes is not an object"))?;
    let mut schemes = schemes
        .iter()
        .map(|(name, scheme)| {
            let scheme = resolve(spec, scheme, name)?;
            let context = format!("security scheme {name}");
            match str_field(scheme, "type", &context)? {
                "apiKey" => Ok(SecurityScheme::ApiKey {
                    name: name.clone(),
                    location: match str_field(scheme, "in", &context)? {
                        "query" => ApiKeyLocation::Query,
                        "header" => ApiKeyLocation::Header,
                        "cookie" => ApiKeyLocation::Cookie,
                        other => {
                            return Err(spec_error(format!("{context}: unknown location `{other}`")));
                        }
                    },
                    parameter: str_field(scheme, "name", &context)?.to_owned(),
                }),
                "http" => Ok(SecurityScheme::Http {
                    name: name.clone(),
                    scheme: str_field(scheme, "scheme", &context)?.to_ascii_lowercase(),
                }),
                other => Err(spec_error(format!("{context}: unsupported type `{other}`"))),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    schemes.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(schemes)
}

/// A security requirement: alternatives, each the sorted names of the schemes that go together.
fn security_requirement(
    requirement: &Value,
    schemes: &[SecurityScheme],
    context: &str,
) -> Result<Vec<Vec<String>>, GenerateError> {
    let alternatives =
        requirement.as_array().ok_or_else(|| spec_error(format!("{context}: `security` is not a list")))?;
    alternatives
        .iter()
        .map(|alternative| {
            let names = alternative
                .as_object()
                .ok_or_else(|| spec_error(format!("{context}: security alternative is not an object")))?;
            let names: BTreeSet<String> = names.keys().cloned().collect();
            for name in &names {
                if !schemes.iter().any(|s| s.name() == name) {
                    return Err(spec_error(format!("{context}: unknown security scheme `{name}`")));
                }
            }
            Ok(names.into_iter().collect())
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn build_operation(
    spec: &Value,
    path: &str,
    method: &str,
    operation: &Value,
    shared_parameters: Option<&Value>,
    schemes: &[SecurityScheme],
    global_security: &[Vec<String>],
    context: &str,
) -> Result<Operation, GenerateError> {
    // Parameters: the path item's, overridden by the operation's with the same name and place.
    let mut parameters: BTreeMap<(String, String), &Value> = BTreeMap::new();
    for list in [shared_parameters, operation.get("parameters")].into_iter().flatten() {
        let list = list.as_array().ok_or_else(|| spec_error(format!("{context}: `parameters` is not a list")))?;
        for parameter in list {
            let parameter = resolve(spec, parameter, context)?;
            let name = str_field(parameter, "name", context)?.to_owned();
            let location = str_field(parameter, "in", context)?.to_owned();
            parameters.insert((location, name), parameter);
        }
    }

    let mut path_parameters = BTreeSet::new();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for ((location, name), parameter) in &parameters {
        let context = format!("{context} {location} parameter `{name}`");
        if parameter.get("content").is_some() {
            return Err(spec_error(format!("{context}: `content` parameters are not supported")));
        }
        let schema = parameter.get("schema").unwrap_or(&Value::Null);
        let mut described = describe_schema(spec, schema, name, &context)?;
        described.required = bool_field(parameter, "required", &context)?;
        if described.kind == ParameterType::Array {
            described.style = parameter.get("style").and_then(Value::as_str).map(str::to_owned);
        }
        match location.as_str() {
            "path" => {
                path_parameters.insert(name.clone());
            }
            "query" => query.push(described),
            "header" => headers.push(described),
            other => {
                return Err(spec_error(format!("{context}: unsupported location `{other}`")));
            }
        }
    }
    let template_parameters = template_parameter_names(path);
    let declared: BTreeSet<String> = template_parameters.iter().cloned().collect();
    if declared != path_parameters {
        return Err(spec_error(format!(
            "{context}: template parameters {declared:?} differ from declared path parameters {path_parameters:?}"
        )));
    }

    let (body_media_types, body, additional_body_parameters) = match operation.get("requestBody") {
        Some(body) => request_body(spec, resolve(spec, body, context)?, context)?,
        None => (Vec::new(), Vec::new(), false),
    };

    let security = match operation.get("security") {
        Some(requirement) => security_requirement(requirement, schemes, context)?,
        None => global_security.to_vec(),
    };

    let responses = operation
        .get("responses")
        .and_then(Value::as_object)
        .ok_or_else(|| spec_error(format!("{context}: `responses` is missing")))?;
    let mut responses = responses
        .keys()
        .map(|code| {
            code.parse::<u16>().map_err(|_| spec_error(format!("{context}: unsupported response key `{code}`")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    responses.sort_unstable();

    Ok(Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        operation_id: operation.get("operationId").and_then(Value::as_str).map(str::to_owned),
        deprecated: bool_field(operation, "deprecated", context)?,
        path_parameters: template_parameters,
        query,
        headers,
        body_media_types,
        body,
        additional_body_parameters,
        security,
        responses,
        undocumented_query: Vec::new(),
        undocumented_body: Vec::new(),
    })
}

/// Parameter names of a template, in order (`{sign_in_id}` → `sign_in_id`).
fn template_parameter_names(template: &str) -> Vec<String> {
    template
        .split('/')
        .filter_map(|segment| {
            let (_, rest) = segment.split_once('{')?;
            let (name, _) = rest.split_once('}')?;
            Some(name.to_owned())
        })
        .collect()
}

/// Media types (sorted), the form body's parameters (by name), and whether the form schema
/// allows parameters beyond them.
fn request_body(
    spec: &Value,
    body: &Value,
    context: &str,
) -> Result<(Vec<String>, Vec<Parameter>, bool), GenerateError> {
    let content = body
        .get("content")
        .and_then(Value::as_object)
        .ok_or_else(|| spec_error(format!("{context}: requestBody has no `content`")))?;
    let mut media_types: Vec<String> = content.keys().cloned().collect();
    media_types.sort();
    let Some(form) = content.get("application/x-www-form-urlencoded") else {
        return Ok((media_types, Vec::new(), false));
    };
    let context = format!("{context} form body");
    let schema = resolve(spec, form.get("schema").unwrap_or(&Value::Null), &context)?;
    reject_combinators(schema, &context)?;
    let required: BTreeSet<&str> = match schema.get("required") {
        None => BTreeSet::new(),
        Some(list) => list
            .as_array()
            .ok_or_else(|| spec_error(format!("{context}: `required` is not a list")))?
            .iter()
            .map(|name| name.as_str().ok_or_else(|| spec_error(format!("{context}: `required` holds a non-string"))))
            .collect::<Result<_, _>>()?,
    };
    let properties = match schema.get("properties") {
        None => Map::new(),
        Some(properties) => properties
            .as_object()
            .cloned()
            .ok_or_else(|| spec_error(format!("{context}: `properties` is not an object")))?,
    };
    for name in &required {
        if !properties.contains_key(*name) {
            return Err(spec_error(format!("{context}: required `{name}` is not a property")));
        }
    }
    let mut parameters = properties
        .iter()
        .map(|(name, property)| {
            let mut described = describe_schema(spec, property, name, &format!("{context} `{name}`"))?;
            described.required = required.contains(name.as_str());
            Ok(described)
        })
        .collect::<Result<Vec<_>, GenerateError>>()?;
    parameters.sort_by(|a, b| a.name.cmp(&b.name));
    let additional = match schema.get("additionalProperties") {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true) | Value::Object(_)) => true,
        Some(other) => {
            return Err(spec_error(format!("{context}: odd additionalProperties {other}")));
        }
    };
    Ok((media_types, parameters, additional))
}

fn reject_combinators(schema: &Value, context: &str) -> Result<(), GenerateError> {
    for keyword in ["oneOf", "anyOf", "allOf", "not"] {
        if schema.get(keyword).is_some() {
            return Err(spec_error(format!("{context}: `{keyword}` is not supported")));
        }
    }
    Ok(())
}

/// The table's description of a parameter with this schema (`required` left false).
fn describe_schema(spec: &Value, schema: &Value, name: &str, context: &str) -> Result<Parameter, GenerateError> {
    let schema = resolve(spec, schema, context)?;
    reject_combinators(schema, context)?;
    let kind = schema_type(schema, context)?;
    let mut nullable = bool_field(schema, "nullable", context)?;
    let (items, enum_source) = if kind == ParameterType::Array {
        let items = resolve(spec, schema.get("items").unwrap_or(&Value::Null), context)?;
        reject_combinators(items, context)?;
        (Some(schema_type(items, context)?), items)
    } else {
        (None, schema)
    };
    let mut allowed = Vec::new();
    if let Some(values) = enum_source.get("enum") {
        let values = values.as_array().ok_or_else(|| spec_error(format!("{context}: `enum` is not a list")))?;
        for value in values {
            match value {
                Value::Null => nullable = true,
                Value::String(s) => allowed.push(s.clone()),
                Value::Bool(_) | Value::Number(_) => allowed.push(value.to_string()),
                other => return Err(spec_error(format!("{context}: odd enum value {other}"))),
            }
        }
    }
    Ok(Parameter { name: name.to_owned(), required: false, kind, items, nullable, allowed, style: None })
}

fn schema_type(schema: &Value, context: &str) -> Result<ParameterType, GenerateError> {
    Ok(match schema.get("type") {
        None | Some(Value::Null) => ParameterType::Any,
        Some(Value::String(t)) => match t.as_str() {
            "string" => ParameterType::String,
            "boolean" => ParameterType::Boolean,
            "integer" => ParameterType::Integer,
            "number" => ParameterType::Number,
            "array" => ParameterType::Array,
            "object" => ParameterType::Object,
            other => return Err(spec_error(format!("{context}: unknown type `{other}`"))),
        },
        Some(other) => return Err(spec_error(format!("{context}: unsupported type {other}"))),
    })
}

// ---------------------------------------------------------------------------------------------
// undocumented.json

fn apply_undocumented(undocumented: &Value, operations: &mut [Operation]) -> Result<UndocumentedExtras, GenerateError> {
    let object = undocumented.as_object().ok_or_else(|| GenerateError::Undocumented("not an object".to_owned()))?;
    for key in object.keys() {
        if !matches!(
            key.as_str(),
            "about" | "query_on_every_operation" | "query_by_operation" | "body_by_operation" | "headers"
        ) {
            return Err(GenerateError::Undocumented(format!("unknown key `{key}`")));
        }
    }
    let names_of = |key: &str| -> Result<Vec<String>, GenerateError> {
        match object.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Object(map)) => Ok(map.keys().cloned().collect()),
            Some(_) => Err(GenerateError::Undocumented(format!("`{key}` is not an object"))),
        }
    };
    let mut query_on_every_operation = names_of("query_on_every_operation")?;
    query_on_every_operation.sort();
    let headers: BTreeSet<String> = names_of("headers")?.iter().map(|h| h.to_ascii_lowercase()).collect();

    for (key, is_body) in [("query_by_operation", false), ("body_by_operation", true)] {
        let Some(by_operation) = object.get(key) else {
            continue;
        };
        let by_operation =
            by_operation.as_object().ok_or_else(|| GenerateError::Undocumented(format!("`{key}` is not an object")))?;
        for (operation_key, names) in by_operation {
            let (method, path) = operation_key.split_once(' ').ok_or_else(|| {
                GenerateError::Undocumented(format!("{key}: `{operation_key}` is not `METHOD /path`"))
            })?;
            let operation =
                operations.iter_mut().find(|op| op.method == method && op.path == path).ok_or_else(|| {
                    GenerateError::Undocumented(format!("{key}: the spec has no operation `{operation_key}`"))
                })?;
            let names = names
                .as_array()
                .ok_or_else(|| GenerateError::Undocumented(format!("{key}: `{operation_key}` is not a list")))?
                .iter()
                .map(|n| {
                    n.as_str().map(str::to_owned).ok_or_else(|| {
                        GenerateError::Undocumented(format!("{key}: `{operation_key}` holds a non-string"))
                    })
                })
                .collect::<Result<BTreeSet<_>, _>>()?;
            let target = if is_body { &mut operation.undocumented_body } else { &mut operation.undocumented_query };
            target.extend(names);
            target.sort();
            target.dedup();
        }
    }
    Ok(UndocumentedExtras { query_on_every_operation, headers: headers.into_iter().collect() })
}

// ---------------------------------------------------------------------------------------------
// Rendering: JSON that keeps the struct's field order, one line per value where it fits.

fn render(document: &TableDocument) -> Result<String, GenerateError> {
    let compact = serde_json::to_string(document).map_err(|e| GenerateError::Table(e.to_string()))?;
    let node = JsonNode::parse(&compact).ok_or_else(|| GenerateError::Table("re-parse failed".to_owned()))?;
    let mut out = String::with_capacity(compact.len().saturating_mul(2));
    node.write(0, 0, &mut out);
    out.push('\n');
    Ok(out)
}

/// JSON text kept as written (scalars and keys verbatim), in order.
#[derive(Debug)]
enum JsonNode<'a> {
    Scalar(&'a str),
    Array(Vec<JsonNode<'a>>),
    Object(Vec<(&'a str, JsonNode<'a>)>),
}

impl<'a> JsonNode<'a> {
    /// Parses compact JSON as `serde_json` writes it (no whitespace).
    fn parse(text: &'a str) -> Option<Self> {
        let (node, rest) = Self::parse_value(text)?;
        rest.is_empty().then_some(node)
    }

    fn parse_value(text: &'a str) -> Option<(Self, &'a str)> {
        match text.as_bytes().first()? {
            b'{' => {
                let mut rest = text.get(1..)?;
                let mut members = Vec::new();
                if let Some(after) = rest.strip_prefix('}') {
                    return Some((Self::Object(members), after));
                }
                loop {
                    let (key, after_key) = split_string(rest)?;
                    let after_colon = after_key.strip_prefix(':')?;
                    let (value, after_value) = Self::parse_value(after_colon)?;
                    members.push((key, value));
                    if let Some(after) = after_value.strip_prefix(',') {
                        rest = after;
                    } else {
                        return Some((Self::Object(members), after_value.strip_prefix('}')?));
                    }
                }
            }
            b'[' => {
                let mut rest = text.get(1..)?;
                let mut items = Vec::new();
                if let Some(after) = rest.strip_prefix(']') {
                    return Some((Self::Array(items), after));
                }
                loop {
                    let (value, after_value) = Self::parse_value(rest)?;
                    items.push(value);
                    if let Some(after) = after_value.strip_prefix(',') {
                        rest = after;
                    } else {
                        return Some((Self::Array(items), after_value.strip_prefix(']')?));
                    }
                }
            }
            b'"' => {
                let (string, rest) = split_string(text)?;
                Some((Self::Scalar(string), rest))
            }
            _ => {
                let end = text.find([',', ']', '}']).unwrap_or(text.len());
                let (scalar, rest) = text.split_at(end);
                (!scalar.is_empty()).then_some((Self::Scalar(scalar), rest))
            }
        }
    }

    /// One-line form: `{"a": 1, "b": [1, 2]}`.
    fn compact(&self) -> String {
        match self {
            Self::Scalar(s) => (*s).to_owned(),
            Self::Array(items) => {
                let inner: Vec<String> = items.iter().map(Self::compact).collect();
                format!("[{}]", inner.join(", "))
            }
            Self::Object(members) => {
                let inner: Vec<String> = members.iter().map(|(k, v)| format!("{k}: {}", v.compact())).collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// Writes the node at `indent`, after `used` characters already on the line.
    fn write(&self, indent: usize, used: usize, out: &mut String) {
        let compact = self.compact();
        let fits = used.saturating_add(compact.len()) <= LINE_WIDTH;
        let pad = " ".repeat(indent.saturating_add(2));
        match self {
            Self::Array(items) if !fits && !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad);
                    item.write(indent.saturating_add(2), pad.len(), out);
                    out.push_str(if i.saturating_add(1) < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&" ".repeat(indent));
                out.push(']');
            }
            Self::Object(members) if !fits && !members.is_empty() => {
                out.push_str("{\n");
                for (i, (key, value)) in members.iter().enumerate() {
                    out.push_str(&pad);
                    out.push_str(key);
                    out.push_str(": ");
                    value.write(indent.saturating_add(2), pad.len().saturating_add(key.len()).saturating_add(2), out);
                    out.push_str(if i.saturating_add(1) < members.len() { ",\n" } else { "\n" });
                }
                out.push_str(&" ".repeat(indent));
                out.push('}');
            }
            _ => out.push_str(&compact),
        }
    }
}

/// Splits a JSON string literal (quotes included) off the front of `text`.
fn split_string(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i = i.checked_add(2)?,
            b'"' => {
                let end = i.checked_add(1)?;
                return Some((text.get(..end)?, text.get(end..)?));
            }
            _ => i = i.checked_add(1)?,
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn renderer_keeps_order_and_wraps_long_values() {
        let node = JsonNode::parse(r#"{"z":1,"a":[true,null,"x\"y"],"long":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","c"]}"#)
            .unwrap_or_else(|| panic!("parse"));
        let mut out = String::new();
        node.write(0, 0, &mut out);
        assert_eq!(
            out,
            "{\n  \"z\": 1,\n  \"a\": [true, null, \"x\\\"y\"],\n  \"long\": [\n    \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\n    \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\n    \"c\"\n  ]\n}"
        );
        let reparsed: Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(reparsed["a"][2], "x\"y");
    }

    #[test]
    fn unsupported_schema_constructs_fail_generation() {
        let spec = r#"
openapi: 3.0.3
info: {version: v1}
paths:
  /v1/x:
    post:
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              properties:
                a:
                  oneOf: [{type: string}, {type: integer}]
      responses: {'200': {description: ok}}
"#;
        let err = generate(spec, "{}").err();
        assert!(matches!(err, Some(GenerateError::Spec(ref m)) if m.contains("oneOf")), "{err:?}");
    }

    #[test]
    fn undocumented_entries_must_name_spec_operations() {
        let spec = "openapi: 3.0.3\ninfo: {version: v1}\npaths:\n  /v1/x:\n    get:\n      responses: {'200': {description: ok}}\n";
        let ok = generate(spec, r#"{"query_by_operation": {"GET /v1/x": ["a"]}}"#);
        assert!(ok.is_ok(), "{ok:?}");
        let err = generate(spec, r#"{"query_by_operation": {"GET /v1/y": ["a"]}}"#).err();
        assert!(matches!(err, Some(GenerateError::Undocumented(ref m)) if m.contains("GET /v1/y")), "{err:?}");
    }

    #[test]
    fn template_and_declared_path_parameters_must_agree() {
        let spec = "openapi: 3.0.3\ninfo: {version: v1}\npaths:\n  /v1/x/{id}:\n    get:\n      responses: {'200': {description: ok}}\n";
        let err = generate(spec, "{}").err();
        assert!(matches!(err, Some(GenerateError::Spec(ref m)) if m.contains("path parameters")), "{err:?}");
    }
}

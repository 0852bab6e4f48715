//! Path templates (`/v1/client/sign_ins/{sign_in_id}`) and matching concrete, percent-encoded
//! paths against them.

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplateSegment {
    /// Matches exactly this text (after percent-decoding the concrete segment).
    Literal(String),
    /// `{name}`, possibly with literal text around it (`{saml_connection_id}.xml`).
    Parameter { prefix: String, suffix: String },
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathTemplate {
    segments: Vec<TemplateSegment>,
}

impl PathTemplate {
    /// Parses a template; the error says what is wrong.
    pub(crate) fn parse(template: &str) -> Result<Self, String> {
        let rest = template.strip_prefix('/').ok_or_else(|| "does not start with `/`".to_owned())?;
        let segments = rest.split('/').map(parse_segment).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { segments })
    }

    /// Whether the concrete segments match; if so, the rank of the match: for each segment
    /// whether it matched a literal. Ranks compare lexicographically, so the template with the
    /// leftmost literal where others have a parameter wins.
    pub(crate) fn match_rank(&self, concrete: &[String]) -> Option<Vec<bool>> {
        if concrete.len() != self.segments.len() {
            return None;
        }
        self.segments
            .iter()
            .zip(concrete)
            .map(|(template, segment)| match template {
                TemplateSegment::Literal(literal) => (literal == segment).then_some(true),
                TemplateSegment::Parameter { prefix, suffix } => {
                    let value = segment.strip_prefix(prefix.as_str())?;
                    let value = value.strip_suffix(suffix.as_str())?;
                    (!value.is_empty()).then_some(false)
                }
            })
            .collect()
    }
}

fn parse_segment(segment: &str) -> Result<TemplateSegment, String> {
    if segment.is_empty() {
        return Err("empty segment".to_owned());
    }
    let Some(open) = segment.find('{') else {
        if segment.contains('}') {
            return Err(format!("unbalanced `}}` in segment `{segment}`"));
        }
        return Ok(TemplateSegment::Literal(segment.to_owned()));
    };
    let (prefix, after_open) = segment.split_at(open);
    let inner = after_open.get(1..).unwrap_or_default();
    let Some(close) = inner.find('}') else {
        return Err(format!("unbalanced `{{` in segment `{segment}`"));
    };
    let (name, after_name) = inner.split_at(close);
    let suffix = after_name.get(1..).unwrap_or_default();
    if name.is_empty() || name.contains('{') || suffix.contains(['{', '}']) {
        return Err(format!("segment `{segment}` must hold exactly one named parameter"));
    }
    Ok(TemplateSegment::Parameter { prefix: prefix.to_owned(), suffix: suffix.to_owned() })
}

/// Splits a concrete request path into percent-decoded segments. `None` when the path does not
/// start with `/`, holds a character that must be percent-encoded in a path segment (including
/// `?` and `#`), has a malformed `%` escape, or decodes to something other than UTF-8.
pub(crate) fn split_concrete(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix('/')?;
    rest.split('/').map(decode_segment).collect()
}

fn decode_segment(segment: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(segment.len());
    let mut iter = segment.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let high = hex_value(iter.next()?)?;
            let low = hex_value(iter.next()?)?;
            bytes.push((high << 4) | low);
        } else if is_pchar(b) {
            bytes.push(b);
        } else {
            return None;
        }
    }
    String::from_utf8(bytes).ok()
}

/// RFC 3986 `pchar` minus `%` (handled by the caller).
fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn concrete(path: &str) -> Vec<String> {
        split_concrete(path).unwrap_or_default()
    }

    #[test]
    fn literal_beats_parameter_from_the_left() {
        let literal = PathTemplate::parse("/v1/me/sessions/active").unwrap_or_else(|e| panic!("{e}"));
        let param = PathTemplate::parse("/v1/me/sessions/{session_id}").unwrap_or_else(|e| panic!("{e}"));
        let path = concrete("/v1/me/sessions/active");
        let (Some(a), Some(b)) = (literal.match_rank(&path), param.match_rank(&path)) else {
            panic!("both templates should match");
        };
        assert!(a > b);
        assert_eq!(literal.match_rank(&concrete("/v1/me/sessions/sess_1")), None);
    }

    #[test]
    fn parameter_with_suffix_needs_the_suffix_and_a_value() {
        let t = PathTemplate::parse("/v1/saml/metadata/{saml_connection_id}.xml").unwrap_or_else(|e| panic!("{e}"));
        assert!(t.match_rank(&concrete("/v1/saml/metadata/samlc_1.xml")).is_some());
        assert!(t.match_rank(&concrete("/v1/saml/metadata/samlc_1")).is_none());
        assert!(t.match_rank(&concrete("/v1/saml/metadata/.xml")).is_none());
    }

    #[test]
    fn concrete_paths_must_be_percent_encoded() {
        assert_eq!(split_concrete("/v1/a%20b"), Some(vec!["v1".into(), "a b".into()]));
        assert_eq!(split_concrete("/v1/a b"), None);
        assert_eq!(split_concrete("/v1/client?x=1"), None);
        assert_eq!(split_concrete("/v1/a%2"), None);
        assert_eq!(split_concrete("/v1/a%zz"), None);
        assert_eq!(split_concrete("v1/client"), None);
        assert_eq!(split_concrete("/v1/%FF"), None);
    }

    #[test]
    fn empty_segments_match_no_parameter() {
        let t = PathTemplate::parse("/v1/client/sign_ins/{sign_in_id}").unwrap_or_else(|e| panic!("{e}"));
        assert!(t.match_rank(&concrete("/v1/client/sign_ins/")).is_none());
        assert!(t.match_rank(&concrete("/v1/client/sign_ins/sia_1")).is_some());
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(PathTemplate::parse("v1/x").is_err());
        assert!(PathTemplate::parse("/v1//x").is_err());
        assert!(PathTemplate::parse("/v1/{a").is_err());
        assert!(PathTemplate::parse("/v1/{a}{b}").is_err());
        assert!(PathTemplate::parse("/v1/{}").is_err());
    }
}

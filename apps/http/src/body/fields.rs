//! Reading a JSON object field by field: each value is taken as its JSON type and handed to a
//! domain parser, and every failure is recorded under the field's name, so that one answer lists
//! them all. Rejected values never appear in a message: they may be passwords or tokens.

use poem_openapi::types::MaybeUndefined;
use postern_core::FieldError;
use serde_json::{Map, Value};

/// Collects field errors, so that a client learns all of them at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value, or records its error.
    pub fn check<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.0.push(e)).ok()
    }

    /// The values, or every recorded failure. `values` is `None` only when a failure was
    /// recorded.
    ///
    /// # Errors
    /// The recorded failures, when there are any.
    pub fn finish<T>(self, values: Option<T>) -> Result<T, Vec<FieldError>> {
        match values {
            Some(values) if self.0.is_empty() => Ok(values),
            _ => Err(self.0),
        }
    }
}

/// The fields of a JSON object body, read one by one.
#[derive(Debug)]
pub struct BodyFields {
    object: Map<String, Value>,
    errors: FieldErrors,
}

impl BodyFields {
    /// The fields of `object`.
    pub(crate) fn new(object: Map<String, Value>) -> Self {
        Self {
            object,
            errors: FieldErrors::default(),
        }
    }

    /// A field the body must have, not `null`, parsed by `parse`.
    pub fn required<K: JsonKind, T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(K) -> Result<T, FieldError>,
    ) -> Option<T> {
        match self.object.remove(name) {
            None => self.refuse(FieldError::new(name, "is required")),
            Some(Value::Null) => self.refuse(FieldError::new(name, "must not be null")),
            Some(value) => self.parse(name, value, parse),
        }
    }

    /// A field the body may leave out or set to `null` (both `Some(None)`).
    pub fn optional<K: JsonKind, T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(K) -> Result<T, FieldError>,
    ) -> Option<Option<T>> {
        match self.object.remove(name) {
            None | Some(Value::Null) => Some(None),
            Some(value) => self.parse(name, value, parse).map(Some),
        }
    }

    /// A field of a partial update, where leaving it out keeps the value and `null` clears it.
    pub fn patch<K: JsonKind, T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(K) -> Result<T, FieldError>,
    ) -> Option<MaybeUndefined<T>> {
        match self.object.remove(name) {
            None => Some(MaybeUndefined::Undefined),
            Some(Value::Null) => Some(MaybeUndefined::Null),
            Some(value) => self.parse(name, value, parse).map(MaybeUndefined::Value),
        }
    }

    /// Records a failure of a rule that no single field's parser checks; always `None`.
    pub fn refuse<T>(&mut self, error: FieldError) -> Option<T> {
        self.errors.check(Err(error))
    }

    /// The parsed body, or every recorded failure.
    pub(crate) fn finish<T>(self, parsed: Option<T>) -> Result<T, Vec<FieldError>> {
        self.errors.finish(parsed)
    }

    /// `value` as a `K`, parsed; a failure is recorded under `name`, whatever field the
    /// parser's own error names, because the client knows the field by the name it sent.
    fn parse<K: JsonKind, T>(
        &mut self,
        name: &str,
        value: Value,
        parse: impl FnOnce(K) -> Result<T, FieldError>,
    ) -> Option<T> {
        let parsed = K::from_json(value)
            .map_err(|expected| FieldError::new(name, format!("must be {expected}")))
            .and_then(|raw| parse(raw).map_err(|e| FieldError::new(name, e.message)));
        self.errors.check(parsed)
    }
}

/// A JSON type a field may have.
pub trait JsonKind: Sized {
    /// The value, or what it should have been (`a string`).
    ///
    /// # Errors
    /// The expected type, when `value` has another.
    fn from_json(value: Value) -> Result<Self, &'static str>;
}

impl JsonKind for String {
    fn from_json(value: Value) -> Result<Self, &'static str> {
        match value {
            Value::String(text) => Ok(text),
            _ => Err("a string"),
        }
    }
}

impl JsonKind for Map<String, Value> {
    fn from_json(value: Value) -> Result<Self, &'static str> {
        match value {
            Value::Object(object) => Ok(object),
            _ => Err("an object"),
        }
    }
}

impl JsonKind for bool {
    fn from_json(value: Value) -> Result<Self, &'static str> {
        value.as_bool().ok_or("a boolean")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> BodyFields {
        match value {
            Value::Object(object) => BodyFields::new(object),
            other => panic!("not an object: {other}"),
        }
    }

    fn text(raw: String) -> Result<String, FieldError> {
        Ok(raw)
    }

    fn named(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect()
    }

    #[test]
    fn every_failure_of_a_body_is_reported_under_its_field_name() {
        let mut body = fields(json!({"b": null, "c": 12_345_678, "d": "x", "e": "yes"}));

        let values = (
            body.required("a", text),
            body.required("b", text),
            body.required("c", text),
            body.required("d", |_: String| {
                Err::<(), _>(FieldError::new("other", "is wrong"))
            }),
            body.optional::<bool, _>("e", Ok),
        );
        let errors = body.finish(Some(values)).unwrap_err();

        assert_eq!(
            named(&errors),
            [
                ("a", "is required"),
                ("b", "must not be null"),
                ("c", "must be a string"),
                ("d", "is wrong"),
                ("e", "must be a boolean"),
            ]
        );
    }

    #[test]
    fn optional_fields_may_be_left_out_or_null_and_patches_tell_the_two_apart() {
        let mut body = fields(json!({"b": null}));
        let mut patch = fields(json!({"b": null, "c": "x"}));

        let optional = (body.optional("a", text), body.optional("b", text));
        let patches = (
            patch.patch("a", text),
            patch.patch("b", text),
            patch.patch("c", text),
        );

        assert_eq!(optional, (Some(None), Some(None)));
        assert_eq!(
            patches,
            (
                Some(MaybeUndefined::Undefined),
                Some(MaybeUndefined::Null),
                Some(MaybeUndefined::Value("x".to_owned())),
            )
        );
        assert_eq!(body.finish(Some(())), Ok(()));
        assert_eq!(patch.finish(Some(())), Ok(()));
    }

    #[test]
    fn a_rejected_value_is_never_quoted() {
        let mut body = fields(json!({"password": ["hunter2-secret"], "token": "tok-secret"}));

        body.required("password", text);
        body.required("token", |_: String| {
            Err::<(), _>(FieldError::new("token", "is not a valid token"))
        });
        let errors = body.finish(Some(())).unwrap_err();

        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|e| !e.message.contains("secret")));
    }
}

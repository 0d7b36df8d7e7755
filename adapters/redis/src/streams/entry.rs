//! One stream entry: the event as JSON beside its id and type, so that tools reading a stream
//! (and a dead-letter list) see what an entry is without decoding it.

use std::collections::HashMap;

use fred::types::Value;
use postern_core::domain::Event;
use postern_core::ports::{PortError, PortResult};

/// The field holding the event's id.
pub(super) const ID: &str = "id";
/// The field holding the event's type.
pub(super) const TYPE: &str = "type";
/// The field holding the whole event as JSON.
pub(super) const EVENT: &str = "event";
/// In a dead letter: why the last attempt failed.
pub(super) const ERROR: &str = "error";

/// An entry as read from a stream.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    /// The stream's id of the entry (`<ms>-<seq>`).
    pub id: String,
    pub fields: HashMap<String, String>,
}

impl Entry {
    /// The event the entry carries.
    pub fn event(&self) -> std::result::Result<Event, String> {
        let json = self
            .fields
            .get(EVENT)
            .ok_or_else(|| format!("stream entry {} has no `{EVENT}` field", self.id))?;
        serde_json::from_str(json)
            .map_err(|error| format!("stream entry {} does not decode: {error}", self.id))
    }

    /// The fields to store again (in the dead letters, or back in the stream on replay),
    /// without what an earlier dead-lettering added.
    pub fn original_fields(&self) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|(name, _)| name.as_str() != ERROR)
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        fields.sort();
        fields
    }
}

/// The fields of a new entry for `event`.
pub(super) fn fields_of(event: &Event) -> PortResult<Vec<(&'static str, String)>> {
    let json = serde_json::to_string(event).map_err(PortError::unexpected)?;
    Ok(vec![
        (ID, event.id.to_string()),
        (TYPE, event.data.type_name().to_owned()),
        (EVENT, json),
    ])
}

/// Entries from a RESP2 array of `[id, [field, value, ...]]` pairs, as XRANGE, XCLAIM and
/// XAUTOCLAIM return them. Entries deleted meanwhile come back without fields and are skipped.
pub(super) fn entries_from(value: Value) -> Vec<Entry> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    items.into_iter().filter_map(entry_from).collect()
}

fn entry_from(value: Value) -> Option<Entry> {
    let Value::Array(mut pair) = value else {
        return None;
    };
    if pair.len() != 2 {
        return None;
    }
    let fields = pair.pop()?;
    let id = pair.pop()?.into_string()?;
    let Value::Array(flat) = fields else {
        return None;
    };
    let mut fields = HashMap::with_capacity(flat.len() / 2);
    let mut flat = flat.into_iter();
    while let (Some(name), Some(value)) = (flat.next(), flat.next()) {
        fields.insert(name.into_string()?, value.into_string()?);
    }
    Some(Entry { id, fields })
}

/// The groups of an XINFO GROUPS reply, each as its fields by name. Parsed by hand because
/// fred's map conversion refuses the nil some fields hold (`entries-read` of a new group).
pub(super) fn groups_from(value: Value) -> Vec<HashMap<String, Value>> {
    let Value::Array(groups) = value else {
        return Vec::new();
    };
    groups
        .into_iter()
        .filter_map(|group| {
            let Value::Array(flat) = group else {
                return None;
            };
            let mut fields = HashMap::with_capacity(flat.len() / 2);
            let mut flat = flat.into_iter();
            while let (Some(name), Some(value)) = (flat.next(), flat.next()) {
                fields.insert(name.into_string()?, value);
            }
            Some(fields)
        })
        .collect()
}

/// A stream id (`<ms>-<seq>`) as a pair that orders like the stream does.
pub(super) fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_numerically_not_as_text() {
        assert!(parse_id("9-0") < parse_id("10-0"));
        assert!(parse_id("10-2") < parse_id("10-10"));
        assert_eq!(parse_id("garbage"), None);
    }

    #[test]
    fn entries_skip_deleted_ones_and_read_fields_in_pairs() {
        let value = Value::Array(vec![
            Value::Array(vec![
                Value::from("1-0"),
                Value::Array(vec![Value::from("id"), Value::from("x")]),
            ]),
            Value::Array(vec![Value::from("2-0"), Value::Null]),
        ]);

        let entries = entries_from(value);

        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].id, "1-0");
        assert_eq!(entries[0].fields.get("id").map(String::as_str), Some("x"));
    }
}

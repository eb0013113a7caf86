//! What DynamoDB bills for a write on demand, beyond the request: the table's write request
//! units by the item's size (the larger of its images before and after, 1 KB a unit), and
//! the writes to every global secondary index the item is projected into, before or after
//! (a new entry, a removed one, a changed projection: one write each; an index key changed:
//! two, the old entry deleted and the new one put).

use serde_json::{Map, Value};

/// A table's key attributes and global secondary indexes, from `DescribeTable`.
#[derive(Debug, Clone)]
pub struct TableShape {
    key: Vec<String>,
    indexes: Vec<IndexShape>,
}

#[derive(Debug, Clone)]
struct IndexShape {
    key: Vec<String>,
    projection: Projection,
}

#[derive(Debug, Clone)]
enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

fn key_names(schema: &Value) -> Vec<String> {
    schema.as_array().into_iter().flatten().filter_map(|key| key["AttributeName"].as_str().map(str::to_owned)).collect()
}

impl TableShape {
    /// From `DescribeTable`'s `Table` (as `CreateTable` takes it, too).
    pub fn from_description(table: &Value) -> Self {
        let indexes = table["GlobalSecondaryIndexes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|index| IndexShape {
                key: key_names(&index["KeySchema"]),
                projection: match index["Projection"]["ProjectionType"].as_str() {
                    Some("KEYS_ONLY") => Projection::KeysOnly,
                    Some("INCLUDE") => Projection::Include(
                        index["Projection"]["NonKeyAttributes"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|name| name.as_str().map(str::to_owned))
                            .collect(),
                    ),
                    _ => Projection::All,
                },
            })
            .collect();
        Self { key: key_names(&table["KeySchema"]), indexes }
    }

    /// The item's key, as `GetItem` takes it.
    pub fn key_of(&self, item: &Value) -> Value {
        Value::Object(self.key.iter().filter_map(|name| Some((name.clone(), item.get(name)?.clone()))).collect())
    }

    /// The index write request units of an item changed from `before` to `after` (absent:
    /// `None`).
    pub fn index_units(&self, before: Option<&Value>, after: Option<&Value>) -> f64 {
        self.indexes
            .iter()
            .map(|index| {
                let entry = |item: Option<&Value>| item.and_then(|item| self.entry(index, item));
                match (entry(before), entry(after)) {
                    (None, None) => 0.0,
                    (Some(entry), None) | (None, Some(entry)) => units(size(&Value::Object(entry))),
                    (Some(old), Some(new)) => {
                        let moved = index.key.iter().any(|name| old.get(name) != new.get(name));
                        let (old, new) = (Value::Object(old), Value::Object(new));
                        if moved {
                            units(size(&old)) + units(size(&new))
                        } else if old != new {
                            units(size(&new))
                        } else {
                            0.0
                        }
                    }
                }
            })
            .sum()
    }

    /// What `index` holds of `item`: nothing unless the item has every attribute of the
    /// index's key (a sparse index), else its projection.
    fn entry(&self, index: &IndexShape, item: &Value) -> Option<Map<String, Value>> {
        let item = item.as_object()?;
        if !index.key.iter().all(|name| item.contains_key(name)) {
            return None;
        }
        let keys = || self.key.iter().chain(&index.key);
        let projected: Vec<&String> = match &index.projection {
            Projection::All => return Some(item.clone()),
            Projection::KeysOnly => keys().collect(),
            Projection::Include(names) => keys().chain(names).collect(),
        };
        Some(item.iter().filter(|(name, _)| projected.contains(name)).map(|(n, v)| (n.clone(), v.clone())).collect())
    }
}

/// The write request units of an item written: 1 per started KB of the larger image.
pub fn table_units(before: Option<&Value>, after: Option<&Value>) -> f64 {
    units(before.map_or(0, size).max(after.map_or(0, size)))
}

fn units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// An item's size as DynamoDB counts it (approximately, in its JSON wire form): every
/// attribute's name and value; a number about one byte per two digits; a map or list three
/// bytes and one per element on top of its contents.
pub fn size(item: &Value) -> usize {
    item.as_object().into_iter().flatten().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|typed| typed.iter().next()) else { return 0 };
    match (kind.as_str(), inner) {
        ("S", Value::String(text)) => text.len(),
        ("N", Value::String(number)) => number.trim_start_matches('-').len().div_ceil(2) + 1,
        ("B", Value::String(base64)) => base64.len() * 3 / 4,
        ("BOOL" | "NULL", _) => 1,
        ("SS" | "NS" | "BS", Value::Array(members)) => members
            .iter()
            .map(|member| value_size(&Value::Object(Map::from_iter([(kind[..1].to_owned(), member.clone())]))))
            .sum(),
        ("L", Value::Array(elements)) => 3 + elements.iter().map(|element| 1 + value_size(element)).sum::<usize>(),
        ("M", Value::Object(_)) => {
            3 + inner.as_object().into_iter().flatten().map(|(n, v)| 1 + n.len() + value_size(v)).sum::<usize>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// An orders table with an index of every order by buyer (all attributes) and a sparse one
    /// of open orders (keys only).
    fn orders() -> TableShape {
        TableShape::from_description(&json!({
            "KeySchema": [{ "AttributeName": "id", "KeyType": "HASH" }],
            "GlobalSecondaryIndexes": [
                { "IndexName": "by-buyer", "KeySchema": [{ "AttributeName": "user_id", "KeyType": "HASH" }],
                  "Projection": { "ProjectionType": "ALL" } },
                { "IndexName": "open", "KeySchema": [{ "AttributeName": "open", "KeyType": "HASH" }, { "AttributeName": "until", "KeyType": "RANGE" }],
                  "Projection": { "ProjectionType": "KEYS_ONLY" } }
            ]
        }))
    }

    #[test]
    fn an_index_is_written_when_an_entry_appears_changes_moves_or_goes_and_not_otherwise() {
        let table = orders();
        let open = json!({ "id": { "S": "o1" }, "user_id": { "S": "u1" }, "open": { "S": "1" }, "until": { "N": "10" }, "status": { "S": "created" } });
        // A new open order: an entry in both indexes.
        assert_eq!(table.index_units(None, Some(&open)), 2.0);
        // Its status changes: the full copy is rewritten; the keys-only entry is the same.
        let mut paying = open.clone();
        paying["status"] = json!({ "S": "paying" });
        assert_eq!(table.index_units(Some(&open), Some(&paying)), 1.0);
        // Its reservation moves: the keys-only entry is deleted and put again.
        let mut later = open.clone();
        later["until"] = json!({ "N": "20" });
        assert_eq!(table.index_units(Some(&open), Some(&later)), 1.0 + 2.0);
        // It completes and leaves the sparse index: one delete there, one rewrite of the copy.
        let mut complete = paying.clone();
        complete.as_object_mut().unwrap().retain(|name, _| name != "open" && name != "until");
        complete["status"] = json!({ "S": "complete" });
        assert_eq!(table.index_units(Some(&paying), Some(&complete)), 2.0);
        // A write that changes nothing writes no index; a deletion removes every entry.
        assert_eq!(table.index_units(Some(&complete), Some(&complete)), 0.0);
        assert_eq!(table.index_units(Some(&open), None), 2.0);
        assert_eq!(table.key_of(&open), json!({ "id": { "S": "o1" } }));
    }

    #[test]
    fn an_item_costs_a_unit_per_started_kilobyte_of_its_larger_image() {
        let small = json!({ "id": { "S": "o1" }, "price": { "N": "4500" } });
        assert_eq!(size(&small), 2 + 2 + 5 + 3);
        let large = json!({ "id": { "S": "o1" }, "body": { "S": "x".repeat(1500) } });
        assert_eq!(table_units(None, Some(&small)), 1.0);
        assert_eq!(table_units(Some(&large), Some(&small)), 2.0);
        assert_eq!(table_units(None, None), 1.0);
        let nested = json!({ "m": { "M": { "a": { "L": [{ "S": "xy" }, { "BOOL": true }] } } } });
        assert_eq!(size(&nested), 1 + 3 + (1 + 1 + (3 + (1 + 2) + (1 + 1))));
    }
}

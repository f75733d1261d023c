//! Flattening an event into the (path, leaf value) pairs rules can test.
//!
//! The event is walked with serde's visitor API straight from the JSON text
//! (or a `serde_json::Value`), never building a tree: keys no rule mentions
//! are skipped with `IgnoredAny`. Each leaf records its *array trail*, the
//! `(array id, element index)` of every array it sits in, so the matcher can
//! refuse to combine fields from different elements of the same array.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;

use crate::ast::Leaf;
use crate::number::Number;
use crate::paths::{PathId, PathTable};

/// Deepest nesting the flattener descends into. serde_json stops JSON text
/// at 128 levels anyway; this bounds recursion for in-memory `Value`s too.
const MAX_DEPTH: u32 = 128;

/// One array an element sits in: which array, and which element.
pub type ArrayStep = (u32, u32);

/// A leaf value at a registered path.
#[derive(Debug, Clone)]
pub struct Field<'de> {
    pub path: PathId,
    pub leaf: Leaf<'de>,
    trail: (u32, u32),
}

/// The flattened event: fields plus the storage of their array trails.
#[derive(Debug, Default)]
pub struct FlatEvent<'de> {
    pub fields: Vec<Field<'de>>,
    trails: Vec<ArrayStep>,
}

impl<'de> FlatEvent<'de> {
    /// The arrays (outermost first) that field `index` is an element of.
    #[inline]
    pub fn trail(&self, index: usize) -> &[ArrayStep] {
        let (start, len) = self.fields[index].trail;
        &self.trails[start as usize..(start + len) as usize]
    }
}

/// True if two trails never put their fields in different elements of one
/// array. Trails are root-first paths in the JSON tree, so once the array ids
/// differ the fields are in disjoint subtrees and nothing more can conflict.
#[inline]
pub fn trails_compatible(a: &[ArrayStep], b: &[ArrayStep]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x.0 != y.0 {
            return true;
        }
        if x.1 != y.1 {
            return false;
        }
    }
    true
}

/// Flattens JSON text, keeping only fields at paths in `table`.
pub fn flatten_str<'de>(
    table: &PathTable,
    json: &'de str,
) -> Result<FlatEvent<'de>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let mut flattener = Flattener::new(table);
    Node {
        f: &mut flattener,
        leaf: None,
        top: true,
        depth: 0,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(flattener.out)
}

/// Flattens a decoded value, keeping only fields at paths in `table`.
pub fn flatten_value<'de>(table: &PathTable, value: &'de serde_json::Value) -> FlatEvent<'de> {
    let mut flattener = Flattener::new(table);
    // Deserializing from a `&Value` cannot fail: every visitor method accepts.
    let _ = Node {
        f: &mut flattener,
        leaf: None,
        top: true,
        depth: 0,
    }
    .deserialize(value);
    flattener.out
}

struct Flattener<'t, 'de> {
    table: &'t PathTable,
    path: String,
    arrays: Vec<ArrayStep>,
    next_array: u32,
    out: FlatEvent<'de>,
}

impl<'t, 'de> Flattener<'t, 'de> {
    fn new(table: &'t PathTable) -> Self {
        Flattener {
            table,
            path: String::with_capacity(64),
            arrays: Vec::new(),
            next_array: 0,
            out: FlatEvent {
                fields: Vec::with_capacity(16),
                trails: Vec::new(),
            },
        }
    }

    fn push(&mut self, path: Option<PathId>, leaf: Leaf<'de>) {
        if let Some(path) = path {
            let start = self.out.trails.len() as u32;
            self.out.trails.extend_from_slice(&self.arrays);
            let trail = (start, self.arrays.len() as u32);
            self.out.fields.push(Field { path, leaf, trail });
        }
    }
}

/// Visits one JSON node whose path is already in `f.path`.
struct Node<'a, 't, 'de> {
    f: &'a mut Flattener<'t, 'de>,
    /// The leaf id of the current path, if rules test values here.
    leaf: Option<PathId>,
    /// The event root: only an object is meaningful there.
    top: bool,
    /// Nesting level of this node.
    depth: u32,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Appends an object key to the current path.
struct Key<'a> {
    path: &'a mut String,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<(), E> {
        if !self.top {
            self.path.push('.');
        }
        self.path.push_str(key);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Node<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Num(Number::Signed(v)));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Num(Number::Unsigned(v)));
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Num(Number::Float(v)));
        Ok(())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Str(Cow::Borrowed(v)));
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if self.leaf.is_some() {
            self.f.push(self.leaf, Leaf::Str(Cow::Owned(v.to_owned())));
        }
        Ok(())
    }

    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Str(Cow::Owned(v)));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Null);
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        self.f.push(self.leaf, Leaf::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.top || self.depth >= MAX_DEPTH {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let id = self.f.next_array;
        self.f.next_array += 1;
        let mut index = 0;
        loop {
            self.f.arrays.push((id, index));
            let more = seq.next_element_seed(Node {
                f: self.f,
                leaf: self.leaf,
                top: false,
                depth: self.depth + 1,
            })?;
            self.f.arrays.pop();
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth >= MAX_DEPTH {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let base = self.f.path.len();
        while map
            .next_key_seed(Key {
                path: &mut self.f.path,
                top: self.top,
            })?
            .is_some()
        {
            match self.f.table.get(&self.f.path).copied() {
                Some(entry) => map.next_value_seed(Node {
                    f: self.f,
                    leaf: entry.leaf,
                    top: false,
                    depth: self.depth + 1,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.f.path.truncate(base);
        }
        Ok(())
    }
}

/// Turns SNS message attributes `(name, DataType, StringValue)` into the flat JSON object
/// a filter policy of `MessageAttributes` scope is matched against: `String.Array` values
/// decoded as JSON arrays, `Number` values as numbers, `Binary` ones left out.
pub fn attributes_to_event<K, T, V>(
    attributes: impl IntoIterator<Item = (K, T, V)>,
) -> serde_json::Value
where
    K: AsRef<str>,
    T: AsRef<str>,
    V: AsRef<str>,
{
    use serde_json::{Map, Value};
    let mut event = Map::new();
    for (name, data_type, value) in attributes {
        let (data_type, value) = (data_type.as_ref(), value.as_ref());
        let decoded = if data_type.starts_with("String.Array") {
            match serde_json::from_str::<Value>(value) {
                Ok(array @ Value::Array(_)) => array,
                _ => Value::String(value.to_owned()),
            }
        } else if data_type.starts_with("Number") {
            match Number::parse(value) {
                Some(Number::Unsigned(u)) => Value::from(u),
                Some(Number::Signed(i)) => Value::from(i),
                Some(Number::Float(f)) => Value::from(f),
                None => Value::String(value.to_owned()),
            }
        } else if data_type.starts_with("String") {
            Value::String(value.to_owned())
        } else {
            continue;
        };
        event.insert(name.as_ref().to_owned(), decoded);
    }
    Value::Object(event)
}

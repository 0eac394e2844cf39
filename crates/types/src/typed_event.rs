//! Typed events. A module declares its events as one enum (a variant per kind, named fields,
//! serde's default tagging with `rename_all = "snake_case"`) and implements [`ModuleEvent`];
//! [`Event::typed`] turns a value into the kind and attributes receipts carry, in field order,
//! and [`Event::decode`] reads them back into the enum. Attribute values stay plain text
//! (numbers in decimal, identifiers as they print), so receipts, the event stream and the
//! OpenAPI document keep one simple shape while modules and clients share one definition.

use serde::de::value::{Error, StrDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::ser::{self, Impossible, Serialize};

use crate::Event;

/// A module's event type.
pub trait ModuleEvent: Serialize + DeserializeOwned {
    /// The module's routing name (events carry it).
    const MODULE: &'static str;
}

impl Event {
    /// The event as receipts carry it. Fields that are `None` are left out; scalar fields print
    /// as text, anything else (a list) as JSON.
    pub fn typed<E: ModuleEvent>(event: &E) -> Event {
        let mut out = Event::new(E::MODULE, "");
        // Event enums are plain data: a variant and scalar fields. Anything else is a
        // programming error in the module, caught by its tests on first use.
        event.serialize(EventSerializer { out: &mut out }).expect("module events are enums of plain fields");
        out
    }

    /// Reads this event as `E`: `None` when it is another module's, an error when it is `E`'s
    /// module but does not decode (an unknown kind, a missing or malformed attribute).
    pub fn decode<E: ModuleEvent>(&self) -> Option<Result<E, String>> {
        if self.module != E::MODULE {
            return None;
        }
        Some(
            E::deserialize(EventDeserializer { event: self })
                .map_err(|e| format!("{} {}: {e}", self.module, self.kind)),
        )
    }
}

fn unsupported<T>(what: &str) -> Result<T, Error> {
    Err(ser::Error::custom(format!("an event cannot be {what}")))
}

/// Writes an enum value into an [`Event`]: the variant is the kind, its fields the attributes.
struct EventSerializer<'a> {
    out: &'a mut Event,
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, Error> { unsupported(stringify!($method)) })*
    };
}

impl<'a> ser::Serializer for EventSerializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Self;

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.out.kind = variant.to_string();
        Ok(())
    }

    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Self, Error> {
        self.out.kind = variant.to_string();
        Ok(self)
    }

    refuse! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), Error> {
        unsupported("an option")
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> Result<(), Error> {
        unsupported("a newtype")
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        unsupported("a newtype variant")
    }
}

impl<'a> ser::SerializeStructVariant for EventSerializer<'a> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let text = match value.serialize(Scalar) {
            Ok(text) => text,
            Err(_) => Some(serde_json::to_string(value).map_err(ser::Error::custom)?),
        };
        if let Some(text) = text {
            self.out.attributes.push((key.to_string(), text));
        }
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// One field as text; `None` for an absent optional field.
struct Scalar;

macro_rules! display {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<Option<String>, Error> { Ok(Some(v.to_string())) })*
    };
}

impl ser::Serializer for Scalar {
    type Ok = Option<String>;
    type Error = Error;
    type SerializeSeq = Impossible<Option<String>, Error>;
    type SerializeTuple = Impossible<Option<String>, Error>;
    type SerializeTupleStruct = Impossible<Option<String>, Error>;
    type SerializeTupleVariant = Impossible<Option<String>, Error>;
    type SerializeMap = Impossible<Option<String>, Error>;
    type SerializeStruct = Impossible<Option<String>, Error>;
    type SerializeStructVariant = Impossible<Option<String>, Error>;

    display! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_char(char);
        serialize_str(&str);
    }

    fn serialize_none(self) -> Result<Option<String>, Error> {
        Ok(None)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Option<String>, Error> {
        v.serialize(Scalar)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Option<String>, Error> {
        Ok(Some(variant.to_string()))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result<Option<String>, Error> {
        v.serialize(Scalar)
    }

    refuse! {
        serialize_f32(f32) -> Option<String>;
        serialize_f64(f64) -> Option<String>;
        serialize_bytes(&[u8]) -> Option<String>;
        serialize_unit() -> Option<String>;
        serialize_unit_struct(&'static str) -> Option<String>;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Option<String>, Error> {
        unsupported("a newtype variant")
    }
}

/// Reads an [`Event`] as an enum value: the kind picks the variant, attributes fill its fields.
struct EventDeserializer<'a> {
    event: &'a Event,
}

impl<'de, 'a> de::Deserializer<'de> for EventDeserializer<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("a module event type must be an enum"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de, 'a> de::EnumAccess<'de> for EventDeserializer<'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let kind: StrDeserializer<'_, Error> = self.event.kind.as_str().into_deserializer();
        Ok((seed.deserialize(kind)?, self))
    }
}

impl<'de, 'a> de::VariantAccess<'de> for EventDeserializer<'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, _: S) -> Result<S::Value, Error> {
        Err(de::Error::custom("event variants have named fields"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("event variants have named fields"))
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Attributes { rest: self.event.attributes.iter(), value: None })
    }
}

struct Attributes<'a> {
    rest: std::slice::Iter<'a, (String, String)>,
    value: Option<&'a str>,
}

impl<'de, 'a> de::MapAccess<'de> for Attributes<'a> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.rest.next() else { return Ok(None) };
        self.value = Some(value);
        let key: StrDeserializer<'_, Error> = key.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().ok_or_else(|| de::Error::custom("an attribute value without its key"))?;
        seed.deserialize(Text(value))
    }
}

/// One attribute's text, read as the type the field asks for.
struct Text<'a>(&'a str);

impl Text<'_> {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, Error> {
        self.0.parse().map_err(|_| de::Error::custom(format!("'{}' is not {what}", self.0)))
    }

    fn json(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_str(self.0).map_err(de::Error::custom)
    }
}

macro_rules! parsed {
    ($($method:ident => $visit:ident($ty:ty, $what:literal);)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit(self.parse::<$ty>($what)?)
        })*
    };
}

impl<'de, 'a> de::Deserializer<'de> for Text<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.0)
    }

    parsed! {
        deserialize_bool => visit_bool(bool, "true or false");
        deserialize_i8 => visit_i8(i8, "a number");
        deserialize_i16 => visit_i16(i16, "a number");
        deserialize_i32 => visit_i32(i32, "a number");
        deserialize_i64 => visit_i64(i64, "a number");
        deserialize_u8 => visit_u8(u8, "a whole number");
        deserialize_u16 => visit_u16(u16, "a whole number");
        deserialize_u32 => visit_u32(u32, "a whole number");
        deserialize_u64 => visit_u64(u64, "a whole number");
        deserialize_char => visit_char(char, "one character");
        deserialize_i128 => visit_i128(i128, "a number");
        deserialize_u128 => visit_u128(u128, "a whole number");
        deserialize_f32 => visit_f32(f32, "a number");
        deserialize_f64 => visit_f64(f64, "a number");
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A unit variant prints as its name; a variant with data was written as JSON.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.0.starts_with('{') {
            return de::Deserializer::deserialize_enum(self.json()?, name, variants, visitor)
                .map_err(de::Error::custom);
        }
        let variant: StrDeserializer<'_, Error> = self.0.into_deserializer();
        visitor.visit_enum(variant)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self.json()?, visitor).map_err(de::Error::custom)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self.json()?, visitor).map_err(de::Error::custom)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self.json()?, name, fields, visitor).map_err(de::Error::custom)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self.json()?, len, visitor).map_err(de::Error::custom)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple_struct(self.json()?, name, len, visitor).map_err(de::Error::custom)
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::{Address, Hash};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Sample {
        Opened { id: u64, by: Address, note: Option<String>, kind: Level },
        Closed { id: u64, root: Hash, members: Vec<u32> },
        Moved { to: Place, pair: (u8, String), big: u128, share: f64, via: Route },
        Reset,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Place {
        district: String,
        floor: i8,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Route {
        Road { km: u32 },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Level {
        Low,
        High,
    }

    impl ModuleEvent for Sample {
        const MODULE: &'static str = "sample";
    }

    #[test]
    fn typed_events_become_kinds_and_attributes_in_field_order_and_read_back() {
        let by = Address([7; 20]);
        let opened = Sample::Opened { id: 42, by, note: None, kind: Level::High };
        let e = Event::typed(&opened);
        assert_eq!((e.module.as_str(), e.kind.as_str()), ("sample", "opened"));
        let expected = [("id", "42".to_string()), ("by", by.to_string()), ("kind", "high".to_string())];
        let got: Vec<(&str, String)> = e.attributes.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        assert_eq!(got, expected, "None fields are left out, the rest in order");
        assert_eq!(Event::new("sample", "opened").with("id", 42).with("by", by).with("kind", "high"), e);
        assert_eq!(e.decode::<Sample>().unwrap().unwrap(), opened);

        let noted = Sample::Opened { id: 1, by, note: Some("12".into()), kind: Level::Low };
        assert_eq!(
            Event::typed(&noted).decode::<Sample>().unwrap().unwrap(),
            noted,
            "a numeric-looking string stays a string"
        );
        let closed = Sample::Closed { id: 9, root: Hash([1; 32]), members: vec![3, 4] };
        let e = Event::typed(&closed);
        assert_eq!(e.attributes[2], ("members".to_string(), "[3,4]".to_string()));
        assert_eq!(e.decode::<Sample>().unwrap().unwrap(), closed);
        let moved = Sample::Moved {
            to: Place { district: "Jongno".into(), floor: -1 },
            pair: (3, "b".into()),
            big: u128::MAX,
            share: 0.25,
            via: Route::Road { km: 12 },
        };
        let e = Event::typed(&moved);
        assert_eq!(e.attributes[0].1, r#"{"district":"Jongno","floor":-1}"#, "structs are written as JSON");
        assert_eq!(e.attributes[2].1, u128::MAX.to_string());
        assert_eq!(e.decode::<Sample>().unwrap().unwrap(), moved, "whatever is written reads back");
        let reset = Event::typed(&Sample::Reset);
        assert!(reset.attributes.is_empty());
        assert_eq!(reset.decode::<Sample>().unwrap().unwrap(), Sample::Reset);
    }

    #[test]
    fn events_of_other_modules_are_skipped_and_malformed_ones_are_errors() {
        assert!(Event::new("other", "opened").with("id", 1).decode::<Sample>().is_none());
        let by = Address([7; 20]);
        for bad in [
            Event::new("sample", "unknown_kind").with("id", 1),
            Event::new("sample", "opened").with("by", by).with("kind", "high"),
            Event::new("sample", "opened").with("id", "x").with("by", by).with("kind", "high"),
            Event::new("sample", "opened").with("id", "-1").with("by", by).with("kind", "high"),
            Event::new("sample", "opened").with("id", 1).with("by", "not an address").with("kind", "high"),
            Event::new("sample", "opened").with("id", 1).with("by", by).with("kind", "medium"),
            Event::new("sample", "closed").with("id", 1).with("root", Hash([0; 32])).with("members", "[1,"),
        ] {
            let r = bad.decode::<Sample>().expect("the sample module's");
            assert!(r.is_err(), "{bad:?} decoded as {r:?}");
        }
    }
}

//! The macros that forward serde's `deserialize_*` and `visit_*` methods
//! to the wrapped deserializer or visitor.

/// Forwards every `deserialize_*` method but `deserialize_struct` (and
/// `deserialize_ignored_any`) to `self.0`, the visitor wrapped by
/// `self.wrap`.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(
                self,
                $($arg: $ty,)*
                visitor: V,
            ) -> Result<V::Value, Self::Error> {
                let (de, visitor) = self.wrap(visitor);
                de.$method($($arg,)* visitor)
            }
        )*
        #[inline]
        fn deserialize_ignored_any<V: Visitor<'de>>(
            self,
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.deserialize_ignored_any(visitor)
        }
        #[inline]
        fn is_human_readable(&self) -> bool {
            self.0.is_human_readable()
        }
    };
}

macro_rules! forward_all {
    () => {
        forward! {
            deserialize_any();
            deserialize_bool();
            deserialize_i8();
            deserialize_i16();
            deserialize_i32();
            deserialize_i64();
            deserialize_i128();
            deserialize_u8();
            deserialize_u16();
            deserialize_u32();
            deserialize_u64();
            deserialize_u128();
            deserialize_f32();
            deserialize_f64();
            deserialize_char();
            deserialize_str();
            deserialize_string();
            deserialize_bytes();
            deserialize_byte_buf();
            deserialize_option();
            deserialize_unit();
            deserialize_unit_struct(name: &'static str);
            deserialize_newtype_struct(name: &'static str);
            deserialize_seq();
            deserialize_tuple(len: usize);
            deserialize_tuple_struct(name: &'static str, len: usize);
            deserialize_map();
            deserialize_enum(name: &'static str, variants: &'static [&'static str]);
            deserialize_identifier();
        }
    };
}

/// Forwards the `visit_*` methods that carry a plain value.
macro_rules! forward_visits {
    ($($method:ident($ty:ty);)*) => {
        $(
            #[inline]
            fn $method<E: de::Error>(mut self, v: $ty) -> Result<Self::Value, E> {
                self.record(&v);
                self.inner.$method(v)
            }
        )*
    };
}

macro_rules! plain_visits {
    () => {
        forward_visits! {
            visit_bool(bool);
            visit_i8(i8);
            visit_i16(i16);
            visit_i32(i32);
            visit_i64(i64);
            visit_i128(i128);
            visit_u8(u8);
            visit_u16(u16);
            visit_u32(u32);
            visit_u64(u64);
            visit_u128(u128);
            visit_f32(f32);
            visit_f64(f64);
            visit_char(char);
            visit_str(&str);
            visit_borrowed_str(&'de str);
            visit_string(String);
            visit_bytes(&[u8]);
            visit_borrowed_bytes(&'de [u8]);
            visit_byte_buf(Vec<u8>);
        }
        #[inline]
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_none()
        }
        #[inline]
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_unit()
        }
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.expecting(f)
        }
    };
}

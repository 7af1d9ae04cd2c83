//! The summary `cargo xtask regen` prints: what was generated and which types and fields changed
//! since the files it replaces.

use std::collections::{BTreeMap, BTreeSet};

use syn::{Fields, Item};

/// Members of each generated type: field names of a struct, variant names of an enum.
pub type TypeMembers = BTreeMap<String, BTreeSet<String>>;

/// Collects the types of the generated client's `types` module, or of the whole file when there
/// is none. A file that does not parse has no types.
pub fn type_members(code: &str) -> TypeMembers {
    let Ok(file) = syn::parse_file(code) else {
        return TypeMembers::new();
    };
    let types_module = file.items.iter().find_map(|item| match item {
        Item::Mod(module) if module.ident == "types" => {
            module.content.as_ref().map(|(_, items)| items)
        }
        _ => None,
    });
    let mut members = TypeMembers::new();
    for item in types_module.unwrap_or(&file.items) {
        match item {
            Item::Struct(item) => {
                let fields = match &item.fields {
                    Fields::Named(fields) => fields
                        .named
                        .iter()
                        .filter_map(|field| field.ident.as_ref().map(ToString::to_string))
                        .collect(),
                    _ => BTreeSet::new(),
                };
                members.insert(item.ident.to_string(), fields);
            }
            Item::Enum(item) => {
                let variants = item
                    .variants
                    .iter()
                    .map(|variant| variant.ident.to_string())
                    .collect();
                members.insert(item.ident.to_string(), variants);
            }
            _ => {}
        }
    }
    members
}

/// Lists the types and members in `new` and not in `old` (`+`), and the reverse (`-`).
pub fn type_changes(old: &TypeMembers, new: &TypeMembers) -> Vec<String> {
    let mut changes = Vec::new();
    for name in old.keys().filter(|name| !new.contains_key(*name)) {
        changes.push(format!("- type {name}"));
    }
    for name in new.keys().filter(|name| !old.contains_key(*name)) {
        changes.push(format!("+ type {name}"));
    }
    for (name, members) in new {
        let Some(old_members) = old.get(name) else {
            continue;
        };
        for member in old_members.difference(members) {
            changes.push(format!("- {name}.{member}"));
        }
        for member in members.difference(old_members) {
            changes.push(format!("+ {name}.{member}"));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_added_and_removed_types_and_fields() {
        let old = type_members(
            "pub mod types { pub struct A { pub x: i32, pub y: i32 } pub struct Gone; }",
        );
        let new = type_members(
            "pub mod types { pub struct A { pub x: i32, pub z: i64 } pub enum B { One, Two } }",
        );
        assert_eq!(
            type_changes(&old, &new),
            ["- type Gone", "+ type B", "- A.y", "+ A.z"]
        );
    }

    #[test]
    fn unparsable_file_has_no_types() {
        assert!(type_members("this is not rust").is_empty());
    }
}

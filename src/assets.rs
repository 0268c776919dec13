//! The stylesheet and script, compiled into the binary; their URLs carry
//! a hash of their content (`version`), so they are cached for good and a
//! new release is fetched at once.

use std::sync::OnceLock;

pub const CSS: &str = include_str!("../static/app.css");
pub const JS: &str = include_str!("../static/app.js");

/// FNV-1a over both files: changes whenever either does.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in CSS.bytes().chain(JS.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{:08x}", h as u32)
    })
}

#[doc = include_str!(concat!(env!("OUT_DIR"), "/README.md"))]
pub struct Readme;

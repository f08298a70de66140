//! Tests of the PE module. `support` makes inputs and drives the independent readers;
//! `unit` needs no tools; `external` uses MinGW, osslsigncode, pefile and Wine when
//! present; `fuzz` feeds corrupted files to every entry point.

mod external;
mod fuzz;
mod support;
mod unit;

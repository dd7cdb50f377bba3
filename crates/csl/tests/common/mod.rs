//! Shared by the integration tests: a Redis server fixture, the over-admission oracle and the
//! reference model. Not every test binary uses every helper.
#![allow(dead_code)]

pub(crate) mod model;
pub(crate) mod oracle;
pub(crate) mod redis_server;

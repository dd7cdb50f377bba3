//! The two HLS encryption methods for MPEG-TS: whole segments ([`aes128`],
//! `METHOD=AES-128`) and elementary-stream samples ([`sample_aes`], `METHOD=SAMPLE-AES`).

pub mod aes128;
pub mod sample_aes;

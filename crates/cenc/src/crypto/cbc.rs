//! AES-CBC over the encrypted blocks of a pattern, one `aes` backend call per protected range.
//! Encryption is inherently serial; decryption batches blocks for the backend's parallel path
//! (each block only needs the previous ciphertext block of the chain).

use cipher::consts::U16;
use cipher::typenum::Unsigned;
use cipher::{
    BlockCipherDecBackend, BlockCipherDecClosure, BlockCipherEncBackend, BlockCipherEncClosure,
    BlockSizeUser, ParBlocks,
};

use super::{AesBlock, crypt_groups, xor16};
use crate::scheme::Pattern;
use crate::subsample::BLOCK;

/// CBC encryption of one protected range, continuing `chain`.
pub(super) struct CbcEncryptRange<'a> {
    pub(super) data: &'a mut [u8],
    pub(super) chain: &'a mut [u8; 16],
    pub(super) pattern: Pattern,
    pub(super) blocks: &'a mut u64,
}

impl BlockSizeUser for CbcEncryptRange<'_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for CbcEncryptRange<'_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let mut chain = *self.chain;
        for group in crypt_groups(0..self.data.len(), self.pattern, false) {
            for chunk in self.data[group].chunks_exact_mut(BLOCK) {
                xor16(chunk, &chain);
                let mut block = AesBlock::try_from(&*chunk).expect("16 bytes");
                backend.encrypt_block_inplace(&mut block);
                chain = block.into();
                chunk.copy_from_slice(&chain);
                *self.blocks += 1;
            }
        }
        *self.chain = chain;
    }
}

/// CBC decryption of one protected range, continuing `chain`.
pub(super) struct CbcDecryptRange<'a> {
    pub(super) data: &'a mut [u8],
    pub(super) chain: &'a mut [u8; 16],
    pub(super) pattern: Pattern,
    pub(super) blocks: &'a mut u64,
}

impl BlockSizeUser for CbcDecryptRange<'_> {
    type BlockSize = U16;
}

/// Most blocks decrypted per batch (the widest `aes` backend, VAES-512, takes 64).
const MAX_BATCH: usize = 64;

impl BlockCipherDecClosure for CbcDecryptRange<'_> {
    #[inline(always)]
    fn call<B: BlockCipherDecBackend<BlockSize = U16>>(self, backend: &B) {
        let par = B::ParBlocksSize::USIZE.min(MAX_BATCH);
        let mut batch = ParBlocks::<B>::default();
        let mut offsets = [0usize; MAX_BATCH];
        let mut chain = *self.chain;
        let mut n = 0;
        let blocks =
            crypt_groups(0..self.data.len(), self.pattern, false).flat_map(|g| g.step_by(BLOCK));
        for offset in blocks {
            offsets[n] = offset;
            batch[n] = AesBlock::try_from(&self.data[offset..offset + BLOCK]).expect("16 bytes");
            n += 1;
            if n == par {
                chain = flush(backend, &mut batch, &offsets[..n], self.data, chain);
                *self.blocks += n as u64;
                n = 0;
            }
        }
        if n > 0 {
            chain = flush(backend, &mut batch, &offsets[..n], self.data, chain);
            *self.blocks += n as u64;
        }
        *self.chain = chain;
    }
}

/// Decrypts the `offsets.len()` blocks gathered in `batch` and writes the plain text back;
/// returns the chain value for the next block (the last ciphertext block).
#[inline(always)]
fn flush<B: BlockCipherDecBackend<BlockSize = U16>>(
    backend: &B,
    batch: &mut ParBlocks<B>,
    offsets: &[usize],
    data: &mut [u8],
    mut chain: [u8; 16],
) -> [u8; 16] {
    let n = offsets.len();
    if n == B::ParBlocksSize::USIZE {
        backend.decrypt_par_blocks_inplace(batch);
    } else {
        backend.decrypt_tail_blocks_inplace(&mut batch[..n]);
    }
    for (i, &offset) in offsets.iter().enumerate() {
        let block = &mut data[offset..offset + BLOCK];
        let ciphertext: [u8; 16] = (&*block).try_into().expect("16 bytes");
        let plain: [u8; 16] = batch[i].into();
        block.copy_from_slice(&plain);
        xor16(block, &chain);
        chain = ciphertext;
    }
    chain
}

//! A three-stage pipeline over a few recycled batch buffers: a source thread reads batch k+1
//! while the calling thread encrypts or verifies batch k (with its own worker threads) and a
//! sink thread writes batch k-1. Input, computation and output overlap, so throughput is set
//! by the slowest stage rather than by their sum.
//!
//! Errors: a stage that fails returns its error and drops its channels; the other stages see
//! the hang-up and stop quietly. The first failing stage in pipeline order is reported.

use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

use crate::error::Result;

/// Runs the pipeline until `source` returns `Ok(None)` or a stage fails.
///
/// - `source(buf)`: fills `buf` with the next batch and returns its description, or `None` at
///   the end. Runs on its own thread.
/// - `process(buf, meta)`: transforms the batch in place on the calling thread.
/// - `sink(buf, meta)`: consumes the processed batch. Runs on its own thread.
///
/// `buffers` batch buffers (at least 2) circulate; memory use is bounded by them.
pub(crate) fn run<M, S, P, K>(buffers: usize, source: S, mut process: P, sink: K) -> Result<()>
where
    M: Send,
    S: FnMut(&mut Vec<u8>) -> Result<Option<M>> + Send,
    P: FnMut(&mut Vec<u8>, &M) -> Result<()>,
    K: FnMut(&[u8], &M) -> Result<()> + Send,
{
    let (free_tx, free_rx) = channel::<Vec<u8>>();
    for _ in 0..buffers.max(2) {
        // Cannot fail: the receiver is alive.
        let _ = free_tx.send(Vec::new());
    }
    let (filled_tx, filled_rx) = sync_channel::<(Vec<u8>, M)>(1);
    let (done_tx, done_rx) = sync_channel::<(Vec<u8>, M)>(1);
    std::thread::scope(|scope| {
        let source_thread = scope.spawn(move || source_stage(source, free_rx, filled_tx));
        let sink_thread = scope.spawn(move || sink_stage(sink, done_rx, free_tx));
        let processed = (|| {
            while let Ok((mut buf, meta)) = filled_rx.recv() {
                process(&mut buf, &meta)?;
                if done_tx.send((buf, meta)).is_err() {
                    // The sink stopped; its error is reported below.
                    break;
                }
            }
            Ok(())
        })();
        drop(filled_rx);
        drop(done_tx);
        let sourced = join(source_thread);
        let sunk = join(sink_thread);
        sourced.and(processed).and(sunk)
    })
}

fn source_stage<M, S>(
    mut source: S,
    free: Receiver<Vec<u8>>,
    filled: SyncSender<(Vec<u8>, M)>,
) -> Result<()>
where
    S: FnMut(&mut Vec<u8>) -> Result<Option<M>>,
{
    while let Ok(mut buf) = free.recv() {
        match source(&mut buf)? {
            Some(meta) => {
                if filled.send((buf, meta)).is_err() {
                    break;
                }
            }
            None => break,
        }
    }
    Ok(())
}

fn sink_stage<M, K>(
    mut sink: K,
    done: Receiver<(Vec<u8>, M)>,
    free: std::sync::mpsc::Sender<Vec<u8>>,
) -> Result<()>
where
    K: FnMut(&[u8], &M) -> Result<()>,
{
    while let Ok((buf, meta)) = done.recv() {
        sink(&buf, &meta)?;
        // The source may have finished already; then the buffer is simply dropped.
        let _ = free.send(buf);
    }
    Ok(())
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Result<()>>) -> Result<()> {
    match handle.join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::io;

    fn counting_source(n: u32) -> impl FnMut(&mut Vec<u8>) -> Result<Option<u32>> + Send {
        let mut i = 0;
        move |buf| {
            if i == n {
                return Ok(None);
            }
            buf.clear();
            buf.extend_from_slice(&i.to_be_bytes());
            i += 1;
            Ok(Some(i - 1))
        }
    }

    #[test]
    fn batches_arrive_in_order_and_buffers_are_recycled() {
        let mut seen = Vec::new();
        run(
            2,
            counting_source(50),
            |buf, _| {
                buf.push(0xAA);
                Ok(())
            },
            |buf, meta| {
                assert_eq!(&buf[..4], &meta.to_be_bytes());
                assert_eq!(buf[4], 0xAA);
                seen.push(*meta);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn a_failing_stage_stops_the_others_and_is_reported() {
        let fail = |at: u32| {
            move |_: &mut Vec<u8>, m: &u32| {
                if *m == at {
                    Err(Error::Write(io::Error::other("stop")))
                } else {
                    Ok(())
                }
            }
        };
        let mut written = Vec::new();
        let e = run(3, counting_source(1000), fail(5), |_, m| {
            written.push(*m);
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(e, Error::Write(_)));
        assert_eq!(
            written,
            (0..5).collect::<Vec<_>>(),
            "nothing after the failure"
        );

        let e = run(
            3,
            counting_source(1000),
            |_, _| Ok(()),
            |_, m| {
                if *m == 7 {
                    Err(Error::Write(io::Error::from(io::ErrorKind::StorageFull)))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert!(matches!(e, Error::Write(ref io) if io.kind() == io::ErrorKind::StorageFull));

        let mut n = 0;
        let e = run(
            3,
            move |buf: &mut Vec<u8>| {
                n += 1;
                buf.clear();
                if n == 4 {
                    Err(Error::Read(io::Error::other("disk")))
                } else {
                    Ok(Some(n))
                }
            },
            |_, _| Ok(()),
            |_, _| Ok(()),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Read(_)));
    }
}

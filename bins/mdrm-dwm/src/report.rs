//! What the commands print: text for people, JSON (`--json`) for scripts.

use serde_json::{Value, json};

use crate::detect::DetectReport;
use crate::embed::EmbedReport;
use crate::error::Failure;
use crate::registry::{JobRecord, Recipient};
use dwm_core::Verdict;

/// `HH:MM:SS.mmm`.
pub fn hms(t: f64) -> String {
    let ms = (t.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// A failure as JSON.
pub fn failure_json(f: &Failure) -> Value {
    json!({"code": f.code.code(), "error": f.code.meaning(), "message": f.message})
}

/// The job summary as text.
pub fn embed_text(r: &EmbedReport) -> String {
    let mut s = format!(
        "content {} from {}: {} frames in {:.1} s\n",
        r.content_id,
        r.input.display(),
        r.frames,
        r.seconds
    );
    for o in &r.outcomes {
        let id = o.dwm_id.map_or("-".into(), |i| i.to_string());
        match (&o.error, &o.output) {
            (None, Some(p)) => {
                s += &format!(
                    "  ok      {:<24} DWM ID {:<10} {}\n",
                    o.name,
                    id,
                    p.display()
                )
            }
            (Some(e), _) => s += &format!("  FAILED  {:<24} DWM ID {:<10} {e}\n", o.name, id),
            (None, None) => s += &format!("  skipped {:<24}\n", o.name),
        }
    }
    s
}

/// The job summary as JSON.
pub fn embed_json(r: &EmbedReport) -> Value {
    json!({
        "code": r.code().code(),
        "content_id": r.content_id,
        "input": r.input.display().to_string(),
        "frames": r.frames,
        "seconds": r.seconds,
        "recipients": r.outcomes.iter().map(|o| json!({
            "name": o.name,
            "dwm_id": o.dwm_id,
            "output": o.output.as_ref().map(|p| p.display().to_string()),
            "frames": o.frames,
            "code": o.error.as_ref().map_or(0, |e| e.code.code()),
            "error": o.error.as_ref().map(|e| e.message.clone()),
        })).collect::<Vec<_>>(),
    })
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Identified(_) => "identified",
        Verdict::MarkUnreadable => "mark_unreadable",
        Verdict::NoWatermark => "no_watermark",
    }
}

/// A detection as text.
pub fn detect_text(r: &DetectReport) -> String {
    let d = &r.detection;
    let span = format!(
        "{} - {} ({} frame{})",
        hms(r.span.0),
        hms(r.span.1),
        d.frames,
        if d.frames == 1 { "" } else { "s" }
    );
    let mut s = String::new();
    match &d.verdict {
        Verdict::Identified(id) => {
            s += &format!("DWM ID:      {id}\n");
            s += &format!(
                "Recipient:   {}\n",
                r.recipient
                    .as_ref()
                    .map_or("unknown (not in this registry)".into(), |x| x.name.clone())
            );
            s += &format!(
                "Confidence:  {:.10} (false-identification bound {:.1e}; sync z {:.1}, raw bit errors {:.1}%)\n",
                d.confidence,
                d.false_id_bound,
                d.sync_z,
                100.0 * d.raw_ber
            );
        }
        Verdict::MarkUnreadable => {
            s += "No DWM ID: a mark made with this key is present but its ID could not be read reliably\n";
            s += &format!(
                "Presence:    p-value {:.1e} (sync z {:.1})\n",
                d.mark_p_value, d.sync_z
            );
        }
        Verdict::NoWatermark => {
            s += "No watermark found\n";
            s += &format!(
                "Statistic:   sync z {:.1} (p-value {:.2})\n",
                d.sync_z, d.mark_p_value
            );
        }
    }
    s += &format!("Time span:   {span} [{}]\n", r.mode);
    if let Some(reg) = &r.registration {
        s += &format!(
            "Registration: scale {:.3} x {:.3}, shift {:.1}, {:.1}, match {:.2}\n",
            reg.scale.0, reg.scale.1, reg.shift.0, reg.shift.1, reg.peak
        );
    }
    for j in &r.jobs {
        s += &format!(
            "Embedded:    {} for {} into {} ({})\n",
            j.content_id, j.recipient, j.output, j.time
        );
    }
    if let Some(n) = &r.registry_note {
        s += &format!("Registry:    {n}\n");
    }
    s
}

fn recipient_json(r: &Recipient) -> Value {
    json!({"name": r.name, "dwm_id": r.dwm_id, "registered": r.registered})
}

fn job_json(j: &JobRecord) -> Value {
    json!({"account_id": j.account_id, "content_id": j.content_id, "recipient": j.recipient,
           "dwm_id": j.dwm_id, "output": j.output, "time": j.time})
}

/// A detection as JSON.
pub fn detect_json(r: &DetectReport) -> Value {
    let d = &r.detection;
    let id = match d.verdict {
        Verdict::Identified(id) => Some(id.value()),
        _ => None,
    };
    json!({
        "code": 0,
        "mode": r.mode,
        "verdict": verdict_name(&d.verdict),
        "detected": id.is_some(),
        "dwm_id": id,
        "recipient": r.recipient.as_ref().map(|x| x.name.clone()),
        "confidence": d.confidence,
        "false_id_bound": d.false_id_bound,
        "mark_p_value": d.mark_p_value,
        "sync_z": d.sync_z,
        "raw_ber": d.raw_ber,
        "raw_ber_expected": r.expected_ber,
        "frames": d.frames,
        "span": {"start": r.span.0, "end": r.span.1},
        "scale": [d.scale.0, d.scale.1],
        "active": {"x": d.active.x, "y": d.active.y, "w": d.active.w, "h": d.active.h},
        "registration": r.registration.map(|g| json!({
            "scale": [g.scale.0, g.scale.1], "shift": [g.shift.0, g.shift.1], "match": g.peak})),
        "jobs": r.jobs.iter().map(job_json).collect::<Vec<_>>(),
        "registry_note": r.registry_note,
    })
}

/// Recipients as text.
pub fn recipients_text(list: &[Recipient]) -> String {
    if list.is_empty() {
        return "no recipients registered\n".into();
    }
    let mut s = format!("{:<10} {:<30} {}\n", "DWM ID", "recipient", "registered");
    for r in list {
        s += &format!("{:<10} {:<30} {}\n", r.dwm_id, r.name, r.registered);
    }
    s
}

/// Recipients as JSON.
pub fn recipients_json(list: &[Recipient]) -> Value {
    json!({"code": 0, "recipients": list.iter().map(recipient_json).collect::<Vec<_>>()})
}

/// Job history as text.
pub fn jobs_text(list: &[JobRecord]) -> String {
    if list.is_empty() {
        return "no embedding jobs recorded\n".into();
    }
    let mut s = String::new();
    for j in list {
        s += &format!(
            "{}  {:<20} {:<20} DWM ID {:<8} {}\n",
            j.time, j.content_id, j.recipient, j.dwm_id, j.output
        );
    }
    s
}

/// Job history as JSON.
pub fn jobs_json(list: &[JobRecord]) -> Value {
    json!({"code": 0, "jobs": list.iter().map(job_json).collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms_format() {
        assert_eq!(hms(0.0), "00:00:00.000");
        assert_eq!(hms(3723.4567), "01:02:03.457");
    }
}

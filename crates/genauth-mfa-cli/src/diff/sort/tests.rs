use super::*;
use crate::diff::rows::{ErrorCell, Factors, status};

fn entry(i: u64) -> Entry {
    let side = if i % 3 == 0 { Side::New } else { Side::Old };
    let state = if i % 7 == 0 {
        State::Failed {
            error: ErrorCell {
                kind: "api".into(),
                status_code: Some(404),
                api_code: (i % 2 == 0).then_some(2004),
                message: format!("m{i}"),
                request_id: (i % 5 == 0).then(|| format!("r{i}")),
            },
        }
    } else {
        State::Answered(Factors {
            totp_status: status(if i % 2 == 0 { "enabled" } else { "disabled" }),
            face_mfa_status: status("disabled"),
            sms_mfa_status: status(&format!("odd{i}")),
            email_mfa_status: status("disabled"),
            any_enabled: i % 2 == 0,
            effective_mfa: [None, Some(false), Some(true)][(i % 3) as usize],
            skip_mfa: (i % 4 == 0).then_some(i % 8 == 0),
        })
    };
    Entry {
        id: format!("u{}", (i * 7919) % 1000),
        side,
        seq: i,
        state,
    }
}

fn sorted(budget: usize, n: u64) -> (Vec<Entry>, u64) {
    let mut sorter = Sorter::new(budget);
    for i in 0..n {
        sorter.push(entry(i)).unwrap();
    }
    let spilled = sorter.spilled;
    let got = sorter.finish().unwrap().map(Result::unwrap).collect();
    (got, spilled)
}

#[test]
fn runs_on_disk_merge_to_what_a_sort_in_memory_gives() {
    let n = 5000;
    let mut expected: Vec<Entry> = (0..n).map(entry).collect();
    expected.sort_by(|a, b| a.key().cmp(&b.key()));
    let (memory, spilled) = sorted(usize::MAX, n);
    assert_eq!(spilled, 0);
    assert_eq!(memory, expected);
    // About 1,000 runs of a few entries: merged through two levels.
    let (disk, spilled) = sorted(1000, n);
    assert!(spilled as usize > FAN_IN * FAN_IN / 8, "{spilled}");
    assert_eq!(disk, expected);
}

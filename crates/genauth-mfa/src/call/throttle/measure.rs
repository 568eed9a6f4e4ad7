//! What the adaptive bucket measures its decisions by: the window of the
//! last second's requests, answers and throttles; samples of answers told
//! by when their requests were sent; and the test that judges a cut.
//! Times are seconds since the limiter's first use; nothing here reads the
//! clock.

/// The measurement window: `BUCKETS` buckets of `BUCKET` seconds.
const BUCKET: f64 = 0.05;
const BUCKETS: usize = 20;
/// The most throttles a sample remembers the sending time of.
const MAX_SAMPLE: usize = 4096;
/// A tested cut is judged once at least `VERDICT_ANSWERS` answers to
/// requests sent after it came back: the share fell (or rose) when the
/// difference is `VERDICT_Z` standard errors; it stayed when it is under
/// `VERDICT_Z_SAME` and `VERDICT_THROTTLES` throttles were expected at the
/// share before; after `VERDICT_MAX_ANSWERS`, on `VERDICT_Z_SAME` alone.
const VERDICT_ANSWERS: u32 = 10;
const VERDICT_Z: f64 = 3.0;
const VERDICT_Z_SAME: f64 = 1.5;
const VERDICT_THROTTLES: f64 = 10.0;
const VERDICT_MAX_ANSWERS: u32 = 2000;

/// Requests started, answers and throttles counted in buckets of `BUCKET`
/// seconds over the last second.
#[derive(Debug)]
pub(super) struct Window {
    /// (bucket number, requests started, answers, throttles)
    pub(super) buckets: [(u64, u32, u32, u32); BUCKETS],
}

/// Counts over the window, and the span they were counted over.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counts {
    pub(super) started: u64,
    pub(super) answers: u64,
    pub(super) throttles: u64,
    pub(super) span: f64,
}

impl Counts {
    pub(super) fn per_second(&self, n: u64, min_span: f64) -> f64 {
        n as f64 / self.span.max(min_span)
    }

    pub(super) fn share(&self) -> f64 {
        self.throttles as f64 / self.answers.max(1) as f64
    }
}

impl Window {
    pub(super) fn new() -> Window {
        Window {
            buckets: [(u64::MAX, 0, 0, 0); BUCKETS],
        }
    }

    pub(super) fn bucket(&mut self, t: f64) -> &mut (u64, u32, u32, u32) {
        let n = (t / BUCKET) as u64;
        let slot = &mut self.buckets[n as usize % BUCKETS];
        if slot.0 != n {
            *slot = (n, 0, 0, 0);
        }
        slot
    }

    pub(super) fn started(&mut self, t: f64) {
        let slot = self.bucket(t);
        slot.1 = slot.1.saturating_add(1);
    }

    pub(super) fn answered(&mut self, t: f64, throttled: bool) {
        let slot = self.bucket(t);
        slot.2 = slot.2.saturating_add(1);
        slot.3 = slot.3.saturating_add(u32::from(throttled));
    }

    /// The counts of the last second, over the span from the oldest bucket
    /// that holds any to `t`.
    pub(super) fn counts(&self, t: f64) -> Counts {
        let n = (t / BUCKET) as u64;
        let mut c = Counts {
            started: 0,
            answers: 0,
            throttles: 0,
            span: 0.0,
        };
        let mut oldest = n;
        for &(b, s, a, th) in &self.buckets {
            if b <= n && n - b < BUCKETS as u64 && (s, a) != (0, 0) {
                c.started += u64::from(s);
                c.answers += u64::from(a);
                c.throttles += u64::from(th);
                oldest = oldest.min(b);
            }
        }
        c.span = t - oldest as f64 * BUCKET;
        c
    }
}

/// Answers, and throttles among them.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tally {
    pub(super) answers: u32,
    pub(super) throttles: u32,
}

impl Tally {
    pub(super) fn share(&self) -> f64 {
        f64::from(self.throttles) / f64::from(self.answers.max(1))
    }
}

/// Answers to requests sent since some time, told by when each request was
/// sent: a throttle comes back at once and an accepted answer after the
/// server's delay, so answers counted as they come overstate the throttled
/// share at first. Only throttles to requests sent no later than the latest
/// accepted one count (all of those are answered).
#[derive(Debug, Clone, Default)]
pub(super) struct Sample {
    pub(super) accepted: u32,
    /// When the latest accepted request was sent.
    pub(super) last_accepted: Option<f64>,
    /// When each throttled request was sent (the first `MAX_SAMPLE`).
    pub(super) throttles: Vec<f64>,
}

impl Sample {
    pub(super) fn add(&mut self, sent: f64, throttled: bool) {
        if !throttled {
            self.accepted = self.accepted.saturating_add(1);
            self.last_accepted = Some(self.last_accepted.map_or(sent, |l| l.max(sent)));
        } else if self.throttles.len() < MAX_SAMPLE {
            self.throttles.push(sent);
        }
    }

    pub(super) fn tally(&self) -> Tally {
        let throttles = match self.last_accepted {
            Some(last) => self.throttles.iter().filter(|&&s| s <= last).count(),
            // Nothing accepted: every throttle.
            None => self.throttles.len(),
        };
        let throttles = u32::try_from(throttles).unwrap_or(u32::MAX);
        Tally {
            answers: self.accepted.saturating_add(throttles),
            throttles,
        }
    }
}

/// What the answers after a tested cut say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Too few answers yet.
    Wait,
    /// The throttled share fell: slowing down helped.
    Fell,
    /// It rose: the server changed meanwhile.
    Rose,
    /// It stayed: slowing down did not help.
    Same,
}

/// Judges the answers `after` a tested cut against those `before` it: a
/// two-proportion z-test of their throttled shares, so that a handful of
/// answers on either side (a random share's noise) is not read as a change.
pub(super) fn verdict(before: Tally, after: Tally) -> Verdict {
    if after.answers < VERDICT_ANSWERS {
        return Verdict::Wait;
    }
    let (n1, n2) = (f64::from(before.answers.max(1)), f64::from(after.answers));
    let pooled = f64::from(before.throttles.saturating_add(after.throttles)) / (n1 + n2);
    let error = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        .sqrt()
        .max(f64::MIN_POSITIVE);
    let z = (before.share() - after.share()) / error;
    if z >= VERDICT_Z {
        Verdict::Fell
    } else if z <= -VERDICT_Z {
        Verdict::Rose
    } else if f64::from(after.answers) * before.share() >= VERDICT_THROTTLES && z < VERDICT_Z_SAME {
        Verdict::Same
    } else if after.answers >= VERDICT_MAX_ANSWERS {
        // As many answers as it takes: decide on a weaker difference.
        if z >= VERDICT_Z_SAME {
            Verdict::Fell
        } else {
            Verdict::Same
        }
    } else {
        Verdict::Wait
    }
}

//! The adaptive bucket: dormant until the server throttles enough to tell,
//! then a token bucket whose rate is learnt from the answers (see the
//! parent module for the rules). Times are seconds since the limiter's
//! first use; nothing here reads the clock.

use super::measure::{Sample, Tally, Verdict, Window, verdict};

/// The lowest rate the bucket falls to, per second.
const MIN_RATE: f64 = 0.5;
/// On a cut the rate becomes this share of the rate it is cut from.
const BETA: f64 = 0.85;
/// The CUBIC curve's scale, relative to the rate before the cut (per s³).
const SCALE: f64 = 0.4 / 10.0;
/// Burst allowance of the bucket, in seconds of its rate.
const BURST_SECONDS: f64 = 0.05;
/// The shortest span the accepted rate over the window is measured over,
/// so that a server's burst at the start does not read as its rate.
const MIN_SPAN: f64 = 0.25;
/// The shortest span the brake's sending rate is measured over.
const BRAKE_SPAN: f64 = 0.1;
/// What starts an episode while dormant (or while the server has a
/// baseline share): throttles and answers in the window (fewer answers
/// when at least `HARDER_SHARE` of them are throttles), and the share of
/// throttles among those answers.
const EVIDENCE_THROTTLES: u64 = 4;
const EVIDENCE_ANSWERS: u64 = 20;
const EVIDENCE_ANSWERS_HEAVY: u64 = 8;
const EVIDENCE_SHARE: f64 = 0.05;
/// After a brake, at least this many answers to requests sent since, this
/// share of them throttled, over at least `HARDER_AFTER`: the quota is far
/// below, brake harder.
const HARDER_ANSWERS: u32 = 8;
const HARDER_SHARE: f64 = 0.75;
const HARDER_AFTER: f64 = 0.02;
/// The tested cut waits for this many accepted answers to requests sent
/// since the brake (and `TESTED_THROTTLES` throttles or `TESTED_ANSWERS`
/// answers among them) and this long after it, so that the accepted rate
/// and the throttled share are measured over a span and not over a few
/// answers; with fewer answers, it waits `TESTED_LATEST`.
const TESTED_ACCEPTED: u32 = 8;
const TESTED_THROTTLES: u32 = 10;
const TESTED_ANSWERS: u32 = 40;
const TESTED_AFTER: f64 = 0.05;
const TESTED_LATEST: f64 = 0.5;
/// An episode whose brake was enough (no tested cut this long after it)
/// ends.
const EPISODE_QUIET: f64 = 0.5;
/// An episode that ends quiet was a burst of throttles, not a quota, when
/// the server accepted under this share of the rate the brakes left while it
/// throttled, and it throttled for at most this share of the quiet time
/// before the episode: its cuts are undone.
const BURST_ACCEPTED: f64 = 0.25;
const BURST_DUTY: f64 = 0.25;
/// The most accepted answers an episode remembers the sending time of.
const MAX_ACCEPTED: usize = 4096;
/// The growth past the rate the queue was spaced at that spaces it anew.
const REQUEUE_GROWTH: f64 = 1.1;
/// The highest baseline share: above it, nothing could start an episode.
const MAX_BASELINE: f64 = 0.95;

/// The CUBIC curve: the rate a cut was made from, and when.
#[derive(Debug, Clone, Copy)]
struct Curve {
    max: f64,
    cut_at: f64,
}

/// An overshoot being handled: its brake, then perhaps a tested cut.
#[derive(Debug, Clone)]
struct Episode {
    start: f64,
    /// The bucket before the episode, restored if its cuts turn out not to
    /// help; `None`: it was dormant.
    before: Option<(f64, Curve)>,
    /// Answers to requests sent since `start`.
    since_start: Sample,
    /// Answers to requests sent since the last brake.
    since_brake: Sample,
    /// The tested cut, once made: the answers before it (whose throttled
    /// share it is judged against) and the answers to requests sent after.
    test: Option<(Tally, Sample)>,
    /// When each accepted request sent since `start` was sent (the first
    /// `MAX_ACCEPTED`).
    accepted: Vec<f64>,
}

/// What an answer made the bucket do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// Nothing that moves the queue.
    None,
    /// The rate changed: waiters queue again.
    Requeue,
}

/// The adaptive bucket and what it learnt.
#[derive(Debug)]
pub(super) struct Adaptive {
    window: Window,
    /// Requests a second the bucket lets through; `None` while dormant.
    rate: Option<f64>,
    /// The bucket's next free slot, and the rate the queue up to it was
    /// spaced at.
    next: f64,
    queued_at: f64,
    curve: Curve,
    /// The last decision (a cut or an undo): answers to requests sent
    /// before it say nothing about it.
    decided: f64,
    episode: Option<Episode>,
    /// A throttled share the server was seen to keep whatever the rate.
    baseline: f64,
    /// When the last episode ended (0: none yet).
    quiet_since: f64,
}

impl Adaptive {
    pub(super) fn new() -> Adaptive {
        Adaptive {
            window: Window::new(),
            rate: None,
            next: 0.0,
            queued_at: 0.0,
            curve: Curve {
                max: 0.0,
                cut_at: 0.0,
            },
            decided: f64::NEG_INFINITY,
            episode: None,
            baseline: 0.0,
            quiet_since: 0.0,
        }
    }

    #[cfg(test)]
    /// Requests a second the bucket lets through; `None` while dormant.
    pub(super) fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The delay (seconds) before a request may go at `t`; its slot taken.
    pub(super) fn reserve(&mut self, t: f64) -> f64 {
        let Some(rate) = self.rate else { return 0.0 };
        let slot = self.next.max(t - BURST_SECONDS);
        self.next = slot + 1.0 / rate;
        (slot - t).max(0.0)
    }

    /// A request went at `t`.
    pub(super) fn started(&mut self, t: f64) {
        self.window.started(t);
    }

    /// The answer at `t` to a request sent at `sent`.
    pub(super) fn on_answer(&mut self, t: f64, sent: f64, throttled: bool) -> Change {
        self.window.answered(t, throttled);
        let decided = self.decided;
        if let Some(ep) = &mut self.episode {
            if sent >= ep.start {
                ep.since_start.add(sent, throttled);
                if !throttled && ep.accepted.len() < MAX_ACCEPTED {
                    ep.accepted.push(sent);
                }
            }
            if sent >= decided {
                ep.since_brake.add(sent, throttled);
            }
            if let Some((before, after)) = &mut ep.test {
                // While the tested cut is judged, throttles cut nothing.
                if sent >= decided {
                    after.add(sent, throttled);
                }
                match verdict(*before, after.tally()) {
                    Verdict::Wait if throttled => return Change::None,
                    Verdict::Wait => return self.grow(t),
                    Verdict::Fell => {
                        // A quota, learnt. The episode ends.
                        self.episode = None;
                        self.quiet_since = t;
                        return Change::None;
                    }
                    Verdict::Rose => {
                        // No constant share does that: the server changed (a
                        // quota that fell). The tested cut becomes the brake
                        // of a new measurement, from now.
                        ep.start = t;
                        ep.since_start = Sample::default();
                        ep.accepted.clear();
                        ep.test = None;
                        return Change::None;
                    }
                    Verdict::Same => return self.undo(t),
                }
            }
        }
        if throttled {
            self.on_throttle(t, sent)
        } else {
            self.grow(t)
        }
    }

    fn on_throttle(&mut self, t: f64, sent: f64) -> Change {
        // One decision per overshoot: answers to requests sent before the
        // last one took effect say nothing new.
        if sent < self.decided {
            return Change::None;
        }
        // An episode whose brake was enough is over; a throttle after it is
        // a new overshoot.
        if let Some(ep) = &self.episode {
            if ep.test.is_none() && t - ep.start > EPISODE_QUIET {
                self.end_quiet(t);
            }
        }
        let Some(ep) = &self.episode else {
            return self.brake(t);
        };
        let since_brake = ep.since_brake.tally();
        if since_brake.answers >= HARDER_ANSWERS
            && since_brake.share() >= HARDER_SHARE
            && t - self.decided >= HARDER_AFTER
        {
            self.brake_harder(t)
        } else {
            self.tested_cut(t)
        }
    }

    /// The start of an episode, when the window holds the evidence: a cut
    /// from the rate requests were started at (dormant: a throttle is
    /// answered at once, before the accepted answers) or were accepted at
    /// (past a learnt quota).
    fn brake(&mut self, t: f64) -> Change {
        let counts = self.window.counts(t);
        let b = self.baseline;
        let (throttles, answers, share) = if b > 0.0 {
            // A share clearly above the server's baseline.
            (
                EVIDENCE_THROTTLES,
                EVIDENCE_ANSWERS,
                (1.5 * b + EVIDENCE_SHARE).min(b + 0.5 * (1.0 - b)),
            )
        } else if self.rate.is_some() {
            // Past a learnt quota, one throttle is an overshoot.
            (1, 1, 0.0)
        } else {
            (EVIDENCE_THROTTLES, EVIDENCE_ANSWERS, EVIDENCE_SHARE)
        };
        // Nearly all throttled (a quota far below what is sent): fewer
        // answers tell.
        let answers = if counts.share() >= HARDER_SHARE {
            answers.min(EVIDENCE_ANSWERS_HEAVY)
        } else {
            answers
        };
        if counts.throttles < throttles || counts.answers < answers || counts.share() < share {
            return Change::None;
        }
        let from = match self.rate {
            Some(rate) => counts
                .per_second(counts.answers - counts.throttles, MIN_SPAN)
                .min(rate),
            None => counts.per_second(counts.started, BRAKE_SPAN),
        };
        self.episode = Some(Episode {
            start: t,
            before: self.rate.map(|r| (r, self.curve)),
            since_start: Sample::default(),
            since_brake: Sample::default(),
            test: None,
            accepted: Vec::new(),
        });
        self.cut(t, from);
        Change::Requeue
    }

    /// Nearly everything sent since the brake is throttled: the quota is
    /// far below it. Halve the rate while the accepted rate is measured.
    fn brake_harder(&mut self, t: f64) -> Change {
        let from = self.rate.map_or(MIN_RATE, |r| r * 0.5 / BETA);
        self.cut(t, from);
        if let Some(ep) = &mut self.episode {
            ep.since_brake = Sample::default();
        }
        Change::Requeue
    }

    /// The brake did not stop the throttles: cut from the rate the server
    /// accepted since it (under a quota, the quota: its bucket is empty
    /// from the first throttle on) and see whether the share falls.
    fn tested_cut(&mut self, t: f64) -> Change {
        let Some(ep) = &mut self.episode else {
            return Change::None;
        };
        let elapsed = t - ep.start;
        // The share before the cut, told from enough answers (or as many as
        // came by `TESTED_LATEST`).
        let before = ep.since_start.tally();
        let enough = ep.since_start.accepted >= TESTED_ACCEPTED
            && (before.throttles >= TESTED_THROTTLES || before.answers >= TESTED_ANSWERS);
        if elapsed < TESTED_AFTER || (!enough && elapsed < TESTED_LATEST) {
            return Change::None;
        }
        // Over the span the accepted requests were sent in: those sent
        // since are still on their way.
        let last = ep.since_start.last_accepted.unwrap_or(ep.start);
        let span = (last - ep.start).max(0.5 * elapsed);
        let accepted = f64::from(ep.since_start.accepted) / span;
        let from = self.rate.map_or(accepted, |r| accepted.min(r));
        ep.test = Some((before, Sample::default()));
        self.cut(t, from);
        Change::Requeue
    }

    fn cut(&mut self, t: f64, from: f64) {
        let from = from.max(MIN_RATE);
        self.curve = Curve {
            max: from,
            cut_at: t,
        };
        self.decided = t;
        let rate = (from * BETA).max(MIN_RATE);
        self.rate = Some(rate);
        self.requeue(t);
        log::debug!(
            target: "genauth_mfa",
            "throttled by the server: sending at most {rate:.1} requests a second"
        );
    }

    /// An episode whose brake was enough ends. If the server accepted next
    /// to nothing while it throttled, and throttled for a short while after
    /// a long quiet, that was a burst (other traffic using the pool's quota
    /// up for a moment, an outage), not a quota the brakes found: its cuts
    /// are undone, back to the rate before it (dormant, if it was).
    fn end_quiet(&mut self, t: f64) -> Change {
        let Some(ep) = self.episode.take() else {
            return Change::None;
        };
        let gap = ep.start - self.quiet_since;
        self.quiet_since = t;
        let Some(rate) = self.rate else {
            return Change::None;
        };
        let last = ep
            .since_start
            .throttles
            .iter()
            .copied()
            .fold(ep.start, f64::max);
        let span = (last - ep.start).max(BRAKE_SPAN);
        let accepted = ep.accepted.iter().filter(|&&s| s <= last).count() as f64;
        let throttles = ep.since_start.throttles.len() as u64;
        if throttles < EVIDENCE_THROTTLES
            || accepted / span >= BURST_ACCEPTED * rate
            || span > BURST_DUTY * gap
        {
            return Change::None;
        }
        self.restore(t, ep.before);
        log::debug!(
            target: "genauth_mfa",
            "throttled for {span:.2} s and then no more: a burst, not a quota; back to the rate before it"
        );
        Change::Requeue
    }

    /// Back to the bucket an episode started from (dormant: `None`), the
    /// queue spaced anew.
    fn restore(&mut self, t: f64, before: Option<(f64, Curve)>) {
        match before {
            Some((rate, curve)) => {
                self.rate = Some(rate);
                self.curve = curve;
            }
            None => self.rate = None,
        }
        self.decided = t;
        self.requeue(t);
    }

    /// The episode's cuts did not lower the throttled share: back to the
    /// rate before it, and that share is the server's baseline.
    fn undo(&mut self, t: f64) -> Change {
        let Some(ep) = self.episode.take() else {
            return Change::None;
        };
        let share = ep.test.as_ref().map_or(0.0, |(before, after)| {
            before.share().max(after.tally().share())
        });
        self.baseline = self.baseline.max(share).min(MAX_BASELINE);
        self.quiet_since = t;
        self.restore(t, ep.before);
        match self.rate {
            Some(rate) => log::debug!(
                target: "genauth_mfa",
                "slowing down did not lower the share of throttled answers ({:.0} %): back to at most {rate:.1} requests a second",
                share * 100.0
            ),
            None => log::debug!(
                target: "genauth_mfa",
                "slowing down did not lower the share of throttled answers ({:.0} %): no adaptive limit",
                share * 100.0
            ),
        }
        Change::Requeue
    }

    /// An accepted answer: the rate grows back along the CUBIC curve,
    /// capped at twice the rate answers come back at. Once it grew a tenth
    /// past the rate the queue was spaced at, the queue is spaced anew.
    fn grow(&mut self, t: f64) -> Change {
        let Some(rate) = self.rate else {
            return Change::None;
        };
        // While a tested cut is judged, the rate stays under the accepted
        // rate it was cut from.
        let mut ceiling = f64::INFINITY;
        if let Some(ep) = &self.episode {
            if ep.test.is_some() {
                ceiling = self.curve.max;
            } else if t - ep.start > EPISODE_QUIET && self.end_quiet(t) == Change::Requeue {
                return Change::Requeue;
            }
        }
        let k = ((1.0 - BETA) / SCALE).cbrt();
        let dt = t - self.curve.cut_at - k;
        let cubic = (self.curve.max * (1.0 + SCALE * dt * dt * dt)).min(ceiling);
        let counts = self.window.counts(t);
        let answered = counts.per_second(counts.answers, MIN_SPAN);
        let rate = cubic.min(2.0 * answered.max(rate / 2.0)).max(MIN_RATE);
        self.rate = Some(rate);
        if rate > REQUEUE_GROWTH * self.queued_at && self.next > t {
            self.requeue(t);
            return Change::Requeue;
        }
        Change::None
    }

    /// Waiters queue again from `t` at the current rate.
    fn requeue(&mut self, t: f64) {
        self.next = t;
        self.queued_at = self.rate.unwrap_or(0.0);
    }
}

//! The freshness scheduler: which tracked repos the engine probes next, and when, within a points
//! budget. Each repo's cadence follows its observed change rate ([`CadenceClass`]: hot = changed
//! at least twice in the last hour, warm = changed in the last day, cool = in the last week,
//! dormant; every repo is probed at least once per `sync.interval`, with a margin for the tick and
//! the round itself); the cadences are the fastest that keep the expected probe cost within the
//! budget; a round is gated by the points really spent in the last hour plus the worst-case cost
//! of the rounds still running and of the round itself (its probe and the detail fetch of every
//! repo in it, as if all of them changed), and shrinks to the most urgent repos when the whole
//! round does not fit; probes stay batched (a round is filled with the most-due repos up to the
//! size that costs no more); a repo open in the TUI's detail view (focus) and a repo an event
//! hinted at go first.
//!
//! Pure bookkeeping, no I/O and no clock of its own (every call takes `now`), so tests and the
//! `freshness` bench drive it through simulated hours. `engine.rs` owns one.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::scheduler::{limits, probe_batches};
use crate::domain::{CadenceClass, CadenceRow, FreshnessPlan, LocalId};

/// The fastest cadence: focus repos, and hot repos when the budget allows.
pub const FASTEST: Duration = Duration::from_secs(30);
/// Share of the budget kept for the detail fetches that follow a detected change.
pub const DETAIL_SHARE: f64 = 0.2;
/// Repos per detail query (the client's `DETAIL_MAX`): the detail fetch of a round's changes is
/// split into queries of at most this many repos.
pub const DETAIL_BATCH: usize = 25;
/// Connections the detail query evaluates per repo (`github/graphql.rs` `DETAIL_FRAGMENT`:
/// watchers, languages, topics, parents, history, refs, pull requests, issues, releases); GitHub
/// charges each once per repo, /100, rounded, at least 1 point a query.
pub const DETAIL_REQUESTS_PER_REPO: usize = 9;
/// Changes within [`HOT_WINDOW`] that make a repo hot: one change says little about the next, a
/// second one within the hour says the repo is active.
pub const HOT_CHANGES: usize = 2;
/// The window [`HOT_CHANGES`] are counted in.
pub const HOT_WINDOW: Duration = Duration::from_secs(3600);
/// Taken off `sync.interval` for the slowest cadence: the planner looks for due repos every 5 s
/// and a round takes a few seconds, so a repo planned at `sync.interval - SLACK` is in the store
/// within `sync.interval` of its last probe.
pub const SLACK: Duration = Duration::from_secs(15);
/// Weight each earlier hot probe keeps when a new one is counted (about the last 200 count).
pub const HOT_RATE_DECAY: f64 = 0.995;
/// A running round's reservation is dropped after this long even if some of its repos never
/// report back (a failed or cancelled job).
pub const RESERVE_FOR: Duration = Duration::from_secs(600);
/// Warm repos are probed this many times less often than hot ones, cool ones this squared.
pub const STEP: u32 = 4;

/// GitHub's probe cost: two connections per repo, /100, rounded to nearest, at least 1.
pub fn batch_cost(n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    ((2 * n) as f64 / 100.0).round().max(1.0) as u64
}

/// Points of a probe round over `n` repos, batched as the engine batches them.
pub fn round_cost(n: usize) -> u64 {
    probe_batches(n).into_iter().map(batch_cost).sum()
}

/// Points of the detail fetch of `n` changed repos, in queries of [`DETAIL_BATCH`].
pub fn detail_cost(n: usize) -> u64 {
    let query = |k: usize| ((k * DETAIL_REQUESTS_PER_REPO + 50) / 100).max(1) as u64;
    let full = (n / DETAIL_BATCH) as u64 * query(DETAIL_BATCH);
    match n % DETAIL_BATCH {
        0 => full,
        rest => full + query(rest),
    }
}

/// The most a round over `n` repos can cost: its probe, and the detail fetch of all of them.
pub fn round_bound(n: usize) -> u64 {
    round_cost(n) + detail_cost(n)
}

/// The class of a repo whose recent changes (oldest first) are `changes`: hot when at least
/// [`HOT_CHANGES`] of them fall within [`HOT_WINDOW`], else by the age of the last one.
pub fn class_of(changes: &[DateTime<Utc>], now: DateTime<Utc>) -> CadenceClass {
    let Some(at) = changes.last().copied() else {
        return CadenceClass::Dormant;
    };
    let window = chrono::Duration::from_std(HOT_WINDOW).unwrap_or(chrono::Duration::hours(1));
    let recent = changes.iter().filter(|c| now - **c <= window).count();
    let age = now.signed_duration_since(at);
    if recent >= HOT_CHANGES {
        CadenceClass::Hot
    } else if age <= chrono::Duration::days(1) {
        CadenceClass::Warm
    } else if age <= chrono::Duration::days(7) {
        CadenceClass::Cool
    } else {
        CadenceClass::Dormant
    }
}

#[derive(Debug, Clone, Default)]
struct RepoState {
    /// The last few changes seen, oldest first (at most [`HOT_CHANGES`]).
    changes: Vec<DateTime<Utc>>,
    last_probe: Option<DateTime<Utc>>,
    hinted: bool,
}

impl RepoState {
    fn changed(&mut self, at: DateTime<Utc>) {
        if self.changes.last().is_some_and(|last| *last >= at) {
            return;
        }
        self.changes.push(at);
        let extra = self.changes.len().saturating_sub(HOT_CHANGES);
        self.changes.drain(..extra);
    }
}

/// Points held for a round handed out and not finished yet (its worst case), so rounds that run
/// side by side cannot together go past the budget before their cost is reported.
#[derive(Debug, Clone)]
struct Reservation {
    at: DateTime<Utc>,
    points: u64,
    waiting: HashSet<LocalId>,
}

/// The cadence of each class for these class sizes, budget (points/hour) and slowest cadence:
/// hot is the fastest (>= [`FASTEST`]) whose expected cost (with the detail fetch of the
/// `hot_rate` share of hot repos a round finds changed) fits the probe share of the budget,
/// warm is [`STEP`] times slower, cool [`STEP`]² times; every class is capped at `slowest`, and
/// dormant repos are probed at `slowest`.
pub fn cadences(
    counts: &HashMap<CadenceClass, usize>,
    budget: f64,
    slowest: Duration,
    hot_rate: f64,
) -> Cadences {
    let slowest = slowest.max(FASTEST);
    let n = |c| counts.get(&c).copied().unwrap_or(0);
    let probe_budget = budget * (1.0 - DETAIL_SHARE);
    let at = |hot: Duration| Cadences {
        hot,
        warm: (hot * STEP).min(slowest),
        cool: (hot * STEP * STEP).min(slowest),
        dormant: slowest,
    };
    // Each class as its own rounds: a conservative estimate (rounds share batches in practice).
    // A round of hot or focused repos finds `hot_rate` of them changed (at least one): add the
    // detail fetch of those.
    let details = |k: usize| detail_cost(((k as f64 * hot_rate).ceil() as usize).max(1));
    let cost = |c: &Cadences| -> f64 {
        [
            (
                n(CadenceClass::Focus),
                FASTEST,
                details(n(CadenceClass::Focus)),
            ),
            (n(CadenceClass::Hot), c.hot, details(n(CadenceClass::Hot))),
            (n(CadenceClass::Warm), c.warm, 0),
            (n(CadenceClass::Cool), c.cool, 0),
            (n(CadenceClass::Dormant), c.dormant, 0),
        ]
        .into_iter()
        .filter(|(k, _, _)| *k > 0)
        .map(|(k, every, detail)| 3600.0 / every.as_secs_f64() * (round_cost(k) + detail) as f64)
        .sum()
    };
    let (mut lo, mut hi) = (FASTEST.as_secs(), slowest.as_secs());
    if cost(&at(FASTEST)) <= probe_budget {
        return at(FASTEST);
    }
    // Smallest hot interval (in seconds) whose cost fits; cost falls as the interval grows.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if cost(&at(Duration::from_secs(mid))) <= probe_budget {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    at(Duration::from_secs(hi))
}

/// Probe interval of each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadences {
    pub hot: Duration,
    pub warm: Duration,
    pub cool: Duration,
    pub dormant: Duration,
}

impl Cadences {
    pub fn of(&self, class: CadenceClass) -> Duration {
        match class {
            CadenceClass::Focus => FASTEST,
            CadenceClass::Hot => self.hot,
            CadenceClass::Warm => self.warm,
            CadenceClass::Cool => self.cool,
            CadenceClass::Dormant => self.dormant,
        }
    }
}

/// The scheduler's state: each tracked repo's last change and last probe, the focus, the hints
/// and the points spent in the last hour.
#[derive(Debug)]
pub struct Planner {
    repos: HashMap<LocalId, RepoState>,
    focus: HashSet<LocalId>,
    budget: f64,
    slowest: Duration,
    spent: VecDeque<(DateTime<Utc>, u64)>,
    reserved: Vec<Reservation>,
    cadences: Cadences,
    /// Probes of hot and focused repos, and how many found a change (decaying counts).
    hot_probes: f64,
    hot_changes: f64,
    hint_stats: super::hints::HintStats,
}

impl Planner {
    /// `budget` in GraphQL points per hour; `slowest` is `sync.interval`.
    pub fn new(budget: u64, slowest: Duration) -> Self {
        let slowest = slowest.max(FASTEST);
        Planner {
            repos: HashMap::new(),
            focus: HashSet::new(),
            budget: budget as f64,
            slowest,
            spent: VecDeque::new(),
            reserved: Vec::new(),
            cadences: cadences(&HashMap::new(), budget as f64, slowest, 1.0),
            hot_probes: 0.0,
            hot_changes: 0.0,
            hint_stats: super::hints::HintStats::default(),
        }
    }

    pub fn set_budget(&mut self, budget: u64) {
        self.budget = budget as f64;
    }

    /// The event-hint poller's counts, for the plan.
    pub fn set_hint_stats(&mut self, stats: super::hints::HintStats) {
        self.hint_stats = stats;
    }

    pub fn budget(&self) -> u64 {
        self.budget as u64
    }

    /// The tracked repos, each with its last known change and last probe or sync (from the store):
    /// known repos keep what the planner learned since; repos no longer listed are forgotten.
    pub fn set_repos(
        &mut self,
        repos: impl IntoIterator<Item = (LocalId, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>,
    ) {
        let mut next = HashMap::new();
        for (id, change, probe) in repos {
            let mut st = self.repos.remove(&id).unwrap_or_default();
            if let Some(at) = change {
                st.changed(at);
            }
            st.last_probe = st.last_probe.max(probe);
            next.insert(id, st);
        }
        self.repos = next;
        self.focus.retain(|id| self.repos.contains_key(id));
    }

    pub fn len(&self) -> usize {
        self.repos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.repos.is_empty()
    }

    /// The repo open in the TUI's detail view (probed at [`FASTEST`]); `None` clears it.
    pub fn set_focus(&mut self, id: Option<LocalId>) {
        self.focus.clear();
        self.focus.extend(id.filter(|i| self.repos.contains_key(i)));
    }

    /// An event said `id` changed: it goes to the front of the next round. Returns whether the
    /// repo is tracked.
    pub fn hint(&mut self, id: LocalId) -> bool {
        match self.repos.get_mut(&id) {
            Some(st) => {
                st.hinted = true;
                true
            }
            None => false,
        }
    }

    /// A probe or sync of `id` finished at `now`: `changed` when it found a change.
    pub fn observed(&mut self, id: LocalId, changed: bool, now: DateTime<Utc>) {
        self.finished(id);
        if matches!(
            self.class(id, now),
            Some(CadenceClass::Hot | CadenceClass::Focus)
        ) {
            self.hot_probes = self.hot_probes * HOT_RATE_DECAY + 1.0;
            self.hot_changes = self.hot_changes * HOT_RATE_DECAY + f64::from(u8::from(changed));
        }
        if let Some(st) = self.repos.get_mut(&id) {
            st.last_probe = Some(st.last_probe.map_or(now, |p| p.max(now)));
            if changed {
                st.changed(now);
            }
        }
    }

    /// The share of probes of hot and focused repos that found a change (1 until some are seen:
    /// the cautious guess).
    pub fn hot_rate(&self) -> f64 {
        if self.hot_probes < 10.0 {
            1.0
        } else {
            (self.hot_changes / self.hot_probes).clamp(0.0, 1.0)
        }
    }

    /// A job for `id` ended, however (a failure too): it no longer holds its round's reservation.
    pub fn finished(&mut self, id: LocalId) {
        for r in &mut self.reserved {
            r.waiting.remove(&id);
        }
        self.reserved.retain(|r| !r.waiting.is_empty());
    }

    /// Points held for rounds still running at `now`.
    pub fn reserved(&mut self, now: DateTime<Utc>) -> u64 {
        let keep = chrono::Duration::from_std(RESERVE_FOR).unwrap_or(chrono::Duration::zero());
        self.reserved.retain(|r| now - r.at < keep);
        self.reserved.iter().map(|r| r.points).sum()
    }

    /// `points` were spent at `at` (all of the engine's GraphQL work counts against the budget).
    pub fn spent(&mut self, at: DateTime<Utc>, points: u64) {
        if points > 0 {
            self.spent.push_back((at, points));
        }
    }

    /// Points spent in the hour up to `now`.
    pub fn spent_last_hour(&mut self, now: DateTime<Utc>) -> u64 {
        let from = now - chrono::Duration::hours(1);
        while self.spent.front().is_some_and(|(at, _)| *at <= from) {
            self.spent.pop_front();
        }
        self.spent.iter().map(|(_, p)| p).sum()
    }

    pub fn class(&self, id: LocalId, now: DateTime<Utc>) -> Option<CadenceClass> {
        let st = self.repos.get(&id)?;
        Some(if self.focus.contains(&id) {
            CadenceClass::Focus
        } else {
            class_of(&st.changes, now)
        })
    }

    fn counts(&self, now: DateTime<Utc>) -> HashMap<CadenceClass, usize> {
        let mut counts = HashMap::new();
        for id in self.repos.keys() {
            if let Some(c) = self.class(*id, now) {
                *counts.entry(c).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Recomputes the cadences for the current class sizes.
    pub fn replan(&mut self, now: DateTime<Utc>) -> Cadences {
        self.cadences = cadences(
            &self.counts(now),
            self.budget,
            self.slowest,
            self.hot_rate(),
        );
        self.cadences
    }

    pub fn cadences(&self) -> Cadences {
        self.cadences
    }

    fn due_at(&self, id: LocalId, st: &RepoState, now: DateTime<Utc>) -> DateTime<Utc> {
        let Some(last) = st.last_probe else {
            return DateTime::<Utc>::MIN_UTC;
        };
        let every = self
            .class(id, now)
            .map_or(self.slowest, |c| self.cadences.of(c))
            .min(self.limit());
        last + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX)
    }

    /// The longest a repo waits between two probes: `sync.interval` less [`SLACK`].
    fn limit(&self) -> Duration {
        self.slowest.saturating_sub(SLACK).max(FASTEST)
    }

    /// The next round at `now`: every hinted or due repo (hinted first, then most overdue), filled with
    /// the most-due others up to the size that costs no more points; empty when nothing is due.
    /// The round's worst case ([`round_bound`]) must fit what is left of the budget after the last
    /// hour's spending and the rounds still running; when the whole round does not fit, only its
    /// most urgent repos go (none when not even one fits). A hinted repo is urgent unless its own
    /// cadence probes it within [`FASTEST`] anyway, and starts a round of its own only when no
    /// other round is due within [`FASTEST`]. The repos handed out count as probed now.
    pub fn next_round(&mut self, now: DateTime<Utc>) -> Vec<LocalId> {
        self.replan(now);
        let soon = now + chrono::Duration::from_std(FASTEST).unwrap_or(chrono::Duration::zero());
        // (not urgent, due at, id, may go early): hinted first, then the most overdue.
        let mut order: Vec<(bool, DateTime<Utc>, LocalId, bool)> = self
            .repos
            .iter()
            .map(|(id, st)| {
                let due = self.due_at(*id, st, now);
                let urgent = st.hinted && due > soon;
                (!urgent, due, *id, due <= now + self.early(*id, now))
            })
            .collect();
        order.sort();
        // A round starts when a repo is due, or for a hinted one when no round is due within
        // FASTEST anyway (it rides along with that one, first, at no extra probe).
        let next = order.iter().filter(|o| o.0).map(|o| o.1).min();
        let hinted = order.first().is_some_and(|o| !o.0);
        let start = match next {
            Some(due) if due <= now => true,
            Some(due) => hinted && due > soon,
            None => hinted,
        };
        if !start {
            return Vec::new();
        }
        // Repos due very soon join the round, so a class stays in step and is probed in full
        // batches instead of one small (1-point) probe per repo.
        let due = order
            .iter()
            .take_while(|(later, _, _, early)| !later || *early)
            .count();
        let left = (self.budget as u64)
            .saturating_sub(self.spent_last_hour(now))
            .saturating_sub(self.reserved(now));
        let mut size = fill_size(due, order.len());
        while size > 0 && round_bound(size) > left {
            size -= 1;
        }
        if size == 0 {
            return Vec::new();
        }
        let ids: Vec<LocalId> = order
            .into_iter()
            .take(size)
            .map(|(_, _, id, _)| id)
            .collect();
        for id in &ids {
            if let Some(st) = self.repos.get_mut(id) {
                st.hinted = false;
                st.last_probe = Some(now);
            }
        }
        self.reserved.push(Reservation {
            at: now,
            points: round_bound(size),
            waiting: ids.iter().copied().collect(),
        });
        ids
    }

    /// How early a repo may join a round: a quarter of its cadence, at most [`FASTEST`] (rounds
    /// come that often anyway; joining earlier would only probe it more often).
    fn early(&self, id: LocalId, now: DateTime<Utc>) -> chrono::Duration {
        let every = self
            .class(id, now)
            .map_or(self.slowest, |c| self.cadences.of(c));
        chrono::Duration::from_std((every / 4).min(FASTEST)).unwrap_or(chrono::Duration::zero())
    }

    /// When the next round is due (now when a repo is hinted or was never probed).
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.repos
            .iter()
            .map(|(id, st)| {
                let due = self.due_at(*id, st, now).max(now);
                let soon = now + chrono::Duration::from_std(FASTEST).unwrap_or_default();
                if st.hinted && due > soon { soon } else { due }
            })
            .min()
    }

    /// The plan as shown in the rate panel and by `repodeck status`.
    pub fn summary(&mut self, now: DateTime<Utc>) -> FreshnessPlan {
        self.replan(now);
        let counts = self.counts(now);
        let classes = CadenceClass::ALL
            .into_iter()
            .map(|class| CadenceRow {
                class,
                every_secs: self.cadences.of(class).as_secs(),
                repos: counts.get(&class).copied().unwrap_or(0),
            })
            .collect();
        let ages: Vec<i64> = self
            .repos
            .values()
            .filter_map(|st| st.last_probe)
            .map(|p| now.signed_duration_since(p).num_seconds().max(0))
            .collect();
        FreshnessPlan {
            at: now,
            budget_points: self.budget as u64,
            spent_last_hour: self.spent_last_hour(now),
            classes,
            next_probe: self.next_due(now),
            mean_age_secs: (!ages.is_empty())
                .then(|| (ages.iter().sum::<i64>() / ages.len() as i64) as u64),
            hint_feeds: self.hint_stats.feeds,
            hint_polls: self.hint_stats.polls,
            hint_not_modified: self.hint_stats.not_modified,
        }
    }
}

/// The round size for `due` repos out of `total`: the largest that costs the same points as `due`
/// alone and needs no more requests, so the free slots carry the next-most-due repos.
pub fn fill_size(due: usize, total: usize) -> usize {
    let cost = round_cost(due);
    let requests = probe_batches(due).len();
    let cap = (requests * limits::PROBE_BATCH).min(total);
    let mut size = due;
    while size < cap && round_cost(size + 1) == cost && probe_batches(size + 1).len() == requests {
        size += 1;
    }
    size
}

/// "30s", "4m", "15m", "1h", "1h30m": a cadence or an age, short.
pub fn short_duration(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs}s"),
        120..3600 => format!("{}m", secs / 60),
        _ if secs.is_multiple_of(3600) => format!("{}h", secs / 3600),
        _ => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
    }
}

/// The plan as labelled rows of text, for the rate panel (`L`) and `repodeck status`.
pub fn plan_rows(plan: &FreshnessPlan, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let share = (plan.spent_last_hour * 100)
        .checked_div(plan.budget_points)
        .map_or_else(String::new, |pct| format!(" ({pct}% of it)"));
    let classes = plan
        .classes
        .iter()
        .filter(|c| c.repos > 0 || c.class != CadenceClass::Focus)
        .map(|c| {
            format!(
                "{} {} every {}",
                c.class.label(),
                c.repos,
                short_duration(c.every_secs)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let next = match plan.next_probe {
        Some(at) if at <= now => "now".to_string(),
        Some(at) => format!(
            "in {} ({} UTC)",
            short_duration((at - now).num_seconds().max(0) as u64),
            at.format("%H:%M:%S")
        ),
        None => "nothing tracked".to_string(),
    };
    let age = plan.mean_age_secs.map_or_else(
        || "not synced yet".to_string(),
        |s| format!("mean {}", short_duration(s)),
    );
    let hints = if plan.hint_feeds == 0 {
        "off (no token, or sync.event_hints = false)".to_string()
    } else {
        format!(
            "{} events feed(s), {} polls, {} answered 304 (free)",
            plan.hint_feeds, plan.hint_polls, plan.hint_not_modified
        )
    };
    vec![
        (
            "budget",
            format!(
                "{} GraphQL points/hour; {} spent in the last hour{share}",
                plan.budget_points, plan.spent_last_hour
            ),
        ),
        ("cadence", classes),
        ("next", next),
        ("data age", age),
        ("hints", hints),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn secs(n: i64) -> chrono::Duration {
        chrono::Duration::seconds(n)
    }

    fn planner(repos: u64, budget: u64) -> Planner {
        let mut p = Planner::new(budget, Duration::from_secs(900));
        p.set_repos((0..repos).map(|i| (LocalId(i), None, Some(t0()))));
        p
    }

    #[test]
    fn classes_follow_the_change_rate_and_the_age_of_the_last_change() {
        let now = t0();
        assert_eq!(class_of(&[], now), CadenceClass::Dormant);
        assert_eq!(
            class_of(&[now - secs(60)], now),
            CadenceClass::Warm,
            "one change says little"
        );
        assert_eq!(
            class_of(&[now - secs(1800), now - secs(60)], now),
            CadenceClass::Hot
        );
        assert_eq!(
            class_of(&[now - secs(5000), now - secs(60)], now),
            CadenceClass::Warm,
            "the first change is older than the hour"
        );
        assert_eq!(class_of(&[now - secs(7200)], now), CadenceClass::Warm);
        assert_eq!(class_of(&[now - secs(3 * 86_400)], now), CadenceClass::Cool);
        assert_eq!(
            class_of(&[now - secs(30 * 86_400)], now),
            CadenceClass::Dormant
        );
    }

    #[test]
    fn detail_and_round_bounds_follow_githubs_pricing() {
        assert_eq!(detail_cost(0), 0);
        assert_eq!(detail_cost(1), 1);
        assert_eq!(detail_cost(16), 1, "144 requests round to 1");
        assert_eq!(detail_cost(25), 2);
        assert_eq!(detail_cost(26), 3);
        assert_eq!(detail_cost(1000), 80);
        assert_eq!(round_bound(74), 1 + 6);
        assert_eq!(round_bound(1000), 20 + 80);
    }

    #[test]
    fn cadences_fit_the_budget_and_never_exceed_the_interval() {
        let slowest = Duration::from_secs(900);
        let counts = HashMap::from([(CadenceClass::Hot, 50), (CadenceClass::Dormant, 950)]);
        let rich = cadences(&counts, 500.0, slowest, 0.1);
        assert_eq!(rich.hot, FASTEST);
        assert_eq!(rich.dormant, slowest);
        let poor = cadences(&counts, 150.0, slowest, 0.1);
        assert!(poor.hot > FASTEST && poor.hot <= slowest, "{poor:?}");
        assert!(poor.warm <= slowest && poor.cool <= slowest);
        let broke = cadences(&counts, 1.0, slowest, 0.1);
        assert_eq!(broke.hot, slowest, "never slower than sync.interval");
        // Hot repos that change at every probe: each round fetches all their details, so they
        // are probed less often than ones that change at one probe in ten.
        let busy = cadences(&counts, 500.0, slowest, 1.0);
        assert!(busy.hot > rich.hot, "{busy:?}");
    }

    #[test]
    fn a_repo_that_starts_changing_moves_to_a_faster_class_and_a_quiet_one_slows_down() {
        let mut p = planner(200, 500);
        let id = LocalId(7);
        let mut now = t0();
        assert_eq!(p.class(id, now), Some(CadenceClass::Dormant));
        p.observed(id, true, now);
        assert_eq!(p.class(id, now), Some(CadenceClass::Warm), "first change");
        now += secs(240);
        p.observed(id, true, now);
        assert_eq!(p.class(id, now), Some(CadenceClass::Hot), "second change");
        let hot = p.replan(now).hot;
        assert_eq!(hot, FASTEST, "the fastest cadence within two changes");
        // Probed again within the hot cadence while the others wait for the interval.
        let mut probed_at = Vec::new();
        for _ in 0..(600 / 5) {
            now += secs(5);
            if p.next_round(now).contains(&id) {
                p.observed(id, false, now);
                probed_at.push(now);
            }
        }
        assert!(
            probed_at.len() >= 15,
            "hot repo probed {} times in 10 min",
            probed_at.len()
        );
        // No change for an hour: warm, then cool after a day, dormant after a week.
        now += secs(3600);
        assert_eq!(p.class(id, now), Some(CadenceClass::Warm));
        assert!(p.replan(now).warm > hot);
        now += secs(2 * 86_400);
        assert_eq!(p.class(id, now), Some(CadenceClass::Cool));
        now += secs(7 * 86_400);
        assert_eq!(p.class(id, now), Some(CadenceClass::Dormant));
    }

    #[test]
    fn focus_and_hints_go_first_and_rounds_fill_free_slots() {
        let mut p = planner(300, 500);
        let mut now = t0() + secs(10);
        p.set_focus(Some(LocalId(5)));
        assert_eq!(p.class(LocalId(5), now), Some(CadenceClass::Focus));
        now += secs(30);
        let round = p.next_round(now);
        assert_eq!(round.first(), Some(&LocalId(5)), "focus is due after 30 s");
        assert_eq!(round.len(), 74, "filled to the one-point size");
        assert!(p.next_round(now).is_empty(), "nothing else due");
        assert!(p.hint(LocalId(250)));
        assert!(!p.hint(LocalId(9999)), "untracked");
        // The focus round is due in 30 s: the hinted repo waits for it, and goes first in it.
        assert!(p.next_round(now).is_empty());
        now += secs(30);
        let round = p.next_round(now);
        assert_eq!(round.first(), Some(&LocalId(250)));
        assert!(round.contains(&LocalId(5)));
        // With no round due soon, a hint starts one of its own.
        p.set_focus(None);
        assert!(p.hint(LocalId(260)));
        assert_eq!(p.next_round(now).first(), Some(&LocalId(260)));
        // Focus cleared: back to its own class.
        p.set_focus(None);
        assert_eq!(p.class(LocalId(5), now), Some(CadenceClass::Dormant));
    }

    #[test]
    fn a_hint_for_a_repo_probed_soon_anyway_makes_no_extra_round() {
        let mut p = planner(10, 500);
        let mut now = t0();
        for id in 0..10 {
            p.observed(LocalId(id), true, now - secs(600));
            p.observed(LocalId(id), true, now);
        }
        assert_eq!(p.class(LocalId(3), now), Some(CadenceClass::Hot));
        now += secs(5);
        assert!(p.hint(LocalId(3)));
        assert!(p.next_round(now).is_empty(), "due in 25 s anyway");
        now += secs(25);
        assert_eq!(p.next_round(now).len(), 10);
    }

    /// Every repo is probed again within `sync.interval` (less [`SLACK`]) of its last probe when
    /// the budget covers the probes: 1,000 repos, 50 changing at every probe (hot), the others
    /// never, each round's details priced by what changed.
    #[test]
    fn no_repo_waits_longer_than_the_interval() {
        let mut p = planner(1000, 500);
        let start = t0();
        let mut last: HashMap<LocalId, DateTime<Utc>> =
            (0..1000).map(|i| (LocalId(i), start)).collect();
        let mut worst = chrono::Duration::zero();
        for tick in 1..(3 * 3600 / 5) {
            let now = start + secs(tick * 5);
            let round = p.next_round(now);
            let mut changed = 0;
            for id in &round {
                worst = worst.max(now - last[id]);
                last.insert(*id, now);
                changed += usize::from(id.0 % 20 == 0);
                p.observed(*id, id.0 % 20 == 0, now);
            }
            p.spent(now, round_cost(round.len()) + detail_cost(changed));
        }
        assert_eq!(
            p.class(LocalId(20), start + secs(3 * 3600)),
            Some(CadenceClass::Hot)
        );
        for (id, at) in &last {
            worst = worst.max(start + secs(3 * 3600) - *at);
            assert!(start + secs(3 * 3600) - *at <= secs(900), "{id:?}");
        }
        assert!(worst <= secs(900 - 10), "longest wait {worst}");
    }

    /// A round handed out and still running holds its worst case: a second round cannot spend
    /// the same points before the first one's cost is reported.
    #[test]
    fn running_rounds_hold_their_worst_case_until_they_finish() {
        let mut p = planner(74, 8);
        let now = t0() + secs(900);
        let first = p.next_round(now);
        assert_eq!(first.len(), 74);
        assert_eq!(p.reserved(now), round_bound(74));
        assert_eq!(round_bound(74), 7);
        assert!(p.hint(LocalId(1)));
        assert!(
            p.next_round(now).is_empty(),
            "1 point left, a one-repo round may cost 2"
        );
        for id in &first {
            p.observed(*id, false, now);
        }
        assert_eq!(p.reserved(now), 0);
        p.spent(now, 3);
        let round = p.next_round(now);
        assert_eq!(round.first(), Some(&LocalId(1)));
        assert!(round_bound(round.len()) <= 5, "shrunk to what fits");
        assert!(round.len() > 1, "{round:?}");
    }

    /// Two simulated hours per budget: 1,000 repos, 50 changing every 3 minutes, 5% of the rest
    /// once an hour, and a burst where every repo of a round changes; each round costs its probe
    /// and the detail fetch of what changed, reported after the round (as the engine reports it).
    /// The spending of every hour window stays within the budget.
    #[test]
    fn the_budget_is_never_exceeded_over_a_simulated_hour() {
        for budget in [60_u64, 150, 300, 500] {
            let mut p = planner(1000, budget);
            let start = t0();
            let mut log: Vec<(DateTime<Utc>, u64)> = Vec::new();
            let mut last_change: HashMap<u64, DateTime<Utc>> = HashMap::new();
            let mut changes = 0;
            for tick in 0..(2 * 3600 / 5) {
                let now = start + secs(tick * 5);
                let round = p.next_round(now);
                let burst = tick == 3600 / 5;
                let mut changed = 0;
                for id in &round {
                    let since = last_change.get(&id.0).copied().unwrap_or(start);
                    let due = if id.0 < 50 {
                        now - since >= secs(180)
                    } else {
                        id.0 % 20 == 0 && now - since >= secs(3600)
                    };
                    if burst || due {
                        last_change.insert(id.0, now);
                        changed += 1;
                    }
                    p.observed(*id, burst || due, now);
                }
                changes += changed;
                let points = round_cost(round.len()) + detail_cost(changed);
                p.spent(now, points);
                log.push((now, points));
            }
            assert!(changes > 50, "budget {budget}: {changes} changes");
            let total: u64 = log.iter().map(|(_, x)| x).sum();
            assert!(total > 0);
            for (i, (from, _)) in log.iter().enumerate() {
                let window: u64 = log[i..]
                    .iter()
                    .take_while(|(at, _)| *at < *from + secs(3600))
                    .map(|(_, x)| x)
                    .sum();
                assert!(
                    window <= budget,
                    "budget {budget}: {window} points in the hour from {from}"
                );
            }
        }
    }
}

//! The freshness scheduler: which tracked repos the engine probes next, and when, within a points
//! budget. Each repo's cadence follows how recently it changed ([`CadenceClass`]: hot, warm,
//! cool, dormant; never slower than `sync.interval`); the cadences are the fastest that keep the
//! expected probe cost within the budget; a round is gated by the points really spent in the last
//! hour; probes stay batched (a round is filled with the most-due repos up to the size that costs
//! no more); a repo open in the TUI's detail view (focus) and a repo an event hinted at go first.
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
/// Points a detected change is expected to cost in detail fetches (budget gate estimate).
pub const DETAIL_POINTS_PER_CHANGE: u64 = 2;
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

/// The class of a repo that last changed at `last_change`.
pub fn class_of(last_change: Option<DateTime<Utc>>, now: DateTime<Utc>) -> CadenceClass {
    let Some(at) = last_change else {
        return CadenceClass::Dormant;
    };
    let age = now.signed_duration_since(at);
    if age <= chrono::Duration::hours(1) {
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
    last_change: Option<DateTime<Utc>>,
    last_probe: Option<DateTime<Utc>>,
    hinted: bool,
}

/// The cadence of each class for these class sizes, budget (points/hour) and slowest cadence:
/// hot is the fastest (>= [`FASTEST`]) whose expected cost fits the probe share of the budget,
/// warm is [`STEP`] times slower, cool [`STEP`]² times; every class is capped at `slowest`, and
/// dormant repos are probed at `slowest`.
pub fn cadences(counts: &HashMap<CadenceClass, usize>, budget: f64, slowest: Duration) -> Cadences {
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
    let cost = |c: &Cadences| -> f64 {
        [
            (n(CadenceClass::Focus), FASTEST),
            (n(CadenceClass::Hot), c.hot),
            (n(CadenceClass::Warm), c.warm),
            (n(CadenceClass::Cool), c.cool),
            (n(CadenceClass::Dormant), c.dormant),
        ]
        .into_iter()
        .filter(|(k, _)| *k > 0)
        .map(|(k, every)| 3600.0 / every.as_secs_f64() * round_cost(k) as f64)
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
    cadences: Cadences,
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
            cadences: cadences(&HashMap::new(), budget as f64, slowest),
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
            st.last_change = st.last_change.max(change);
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
        if let Some(st) = self.repos.get_mut(&id) {
            st.last_probe = Some(st.last_probe.map_or(now, |p| p.max(now)));
            if changed {
                st.last_change = Some(now);
            }
        }
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
            class_of(st.last_change, now)
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
        self.cadences = cadences(&self.counts(now), self.budget, self.slowest);
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
            .map_or(self.slowest, |c| self.cadences.of(c));
        last + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX)
    }

    /// The next round at `now`: every hinted or due repo (hinted first, then most overdue), filled with
    /// the most-due others up to the size that costs no more points; empty when nothing is due or
    /// when the round would take the last hour's spending past the budget. The repos handed out
    /// count as probed now.
    pub fn next_round(&mut self, now: DateTime<Utc>) -> Vec<LocalId> {
        self.replan(now);
        // (not hinted, due at, id, may go early): hinted first, then the most overdue.
        let mut order: Vec<(bool, DateTime<Utc>, LocalId, bool)> = self
            .repos
            .iter()
            .map(|(id, st)| {
                let due = self.due_at(*id, st, now);
                (!st.hinted, due, *id, due <= now + self.early(*id, now))
            })
            .collect();
        order.sort();
        if !order.iter().any(|(later, due, _, _)| !later || *due <= now) {
            return Vec::new();
        }
        // Repos due within a quarter of their cadence join the round, so a class stays in step
        // and is probed in full batches instead of one small (1-point) probe per repo.
        let due = order
            .iter()
            .take_while(|(later, _, _, early)| !later || *early)
            .count();
        let size = fill_size(due, order.len());
        // The round's probe and the detail fetches of the changes it is likely to find (its
        // hot, focused and hinted repos) must fit what is left of the last hour's budget.
        let likely = order
            .iter()
            .take(size)
            .filter(|(later, _, id, _)| {
                !later
                    || matches!(
                        self.class(*id, now),
                        Some(CadenceClass::Hot | CadenceClass::Focus)
                    )
            })
            .count() as u64;
        let need = round_cost(size) + likely * DETAIL_POINTS_PER_CHANGE;
        if self.spent_last_hour(now) + need > self.budget as u64 {
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
        ids
    }

    /// How early a repo may join a round: a quarter of its cadence.
    fn early(&self, id: LocalId, now: DateTime<Utc>) -> chrono::Duration {
        let every = self
            .class(id, now)
            .map_or(self.slowest, |c| self.cadences.of(c));
        chrono::Duration::from_std(every / 4).unwrap_or(chrono::Duration::zero())
    }

    /// When the next round is due (now when a repo is hinted or was never probed).
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.repos
            .iter()
            .map(|(id, st)| {
                if st.hinted {
                    now
                } else {
                    self.due_at(*id, st, now).max(now)
                }
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
    fn classes_follow_the_age_of_the_last_change() {
        let now = t0();
        assert_eq!(class_of(None, now), CadenceClass::Dormant);
        assert_eq!(class_of(Some(now - secs(60)), now), CadenceClass::Hot);
        assert_eq!(class_of(Some(now - secs(7200)), now), CadenceClass::Warm);
        assert_eq!(
            class_of(Some(now - secs(3 * 86_400)), now),
            CadenceClass::Cool
        );
        assert_eq!(
            class_of(Some(now - secs(30 * 86_400)), now),
            CadenceClass::Dormant
        );
    }

    #[test]
    fn cadences_fit_the_budget_and_never_exceed_the_interval() {
        let slowest = Duration::from_secs(900);
        let counts = HashMap::from([(CadenceClass::Hot, 50), (CadenceClass::Dormant, 950)]);
        let rich = cadences(&counts, 500.0, slowest);
        assert_eq!(rich.hot, FASTEST);
        assert_eq!(rich.dormant, slowest);
        let poor = cadences(&counts, 150.0, slowest);
        assert!(poor.hot > FASTEST && poor.hot <= slowest, "{poor:?}");
        assert!(poor.warm <= slowest && poor.cool <= slowest);
        let broke = cadences(&counts, 1.0, slowest);
        assert_eq!(broke.hot, slowest, "never slower than sync.interval");
    }

    #[test]
    fn a_repo_that_starts_changing_moves_to_a_faster_class_and_a_quiet_one_slows_down() {
        let mut p = planner(200, 500);
        let id = LocalId(7);
        let mut now = t0();
        assert_eq!(p.class(id, now), Some(CadenceClass::Dormant));
        p.observed(id, true, now);
        assert_eq!(p.class(id, now), Some(CadenceClass::Hot));
        let hot = p.replan(now).hot;
        assert!(hot < Duration::from_secs(900));
        // Probed again within the hot cadence while the others wait for the interval.
        let mut probed_at = Vec::new();
        for _ in 0..(600 / 5) {
            now += secs(5);
            if p.next_round(now).contains(&id) {
                probed_at.push(now);
            }
        }
        assert!(
            probed_at.len() >= 5,
            "hot repo probed {} times in 10 min",
            probed_at.len()
        );
        // No change for two hours: warm, then cool after a day, dormant after a week.
        now += secs(2 * 3600);
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
        let round = p.next_round(now);
        assert_eq!(round.first(), Some(&LocalId(250)));
    }

    /// One simulated hour (twice over): 1,000 repos, 50 changing every 3 minutes, a detail fetch
    /// of 2 points per changed repo; the spending of every hour window stays within the budget.
    #[test]
    fn the_budget_is_never_exceeded_over_a_simulated_hour() {
        for budget in [150_u64, 300, 500] {
            let mut p = planner(1000, budget);
            let start = t0();
            let mut log: Vec<(DateTime<Utc>, u64)> = Vec::new();
            let mut last_change: HashMap<u64, DateTime<Utc>> = HashMap::new();
            for tick in 0..(2 * 3600 / 5) {
                let now = start + secs(tick * 5);
                let round = p.next_round(now);
                let mut points = round_cost(round.len());
                for id in round {
                    // Hot repos 0..50 change every 180 s, each at its own offset.
                    let changed = id.0 < 50 && {
                        let since = last_change.get(&id.0).copied().unwrap_or(start);
                        let period = (now - start).num_seconds() + id.0 as i64 * 3;
                        now - since >= secs(180) || period % 180 < 5
                    };
                    if changed {
                        last_change.insert(id.0, now);
                        points += 2;
                    }
                    p.observed(id, changed, now);
                }
                p.spent(now, points);
                log.push((now, points));
            }
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

//! A mutation schedule with hot and dormant repos (`--mutate-profile`, the `freshness` bench):
//! `hot` repos (every `repos / hot`-th one, `octo-org/repo-NNNN`) each change about every
//! `hot_every` (jittered ±25%, its own phase), and each other repo changes with probability
//! `dormant_share` once somewhere in each hour. Deterministic for a seed, so runs compare.

use std::time::Duration;

/// Profile of who changes how often.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MutateProfile {
    pub hot: usize,
    pub hot_every: Duration,
    /// Share of the other repos that change once per hour (0.0 to 1.0).
    pub dormant_share: f64,
}

impl Default for MutateProfile {
    fn default() -> Self {
        MutateProfile {
            hot: 50,
            hot_every: Duration::from_secs(240),
            dormant_share: 0.05,
        }
    }
}

impl MutateProfile {
    /// Parses `hot=50,every=4m,dormant=5%` (any subset; the rest default).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut p = MutateProfile::default();
        for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!("\"{part}\": expected key=value (hot=50,every=4m,dormant=5%)")
            })?;
            match k.trim() {
                "hot" => {
                    p.hot = v
                        .trim()
                        .parse()
                        .map_err(|_| format!("hot={v}: not a count"))?
                }
                "every" => {
                    let v = v.trim();
                    let (n, unit) =
                        v.split_at(v.trim_end_matches(|c: char| c.is_alphabetic()).len());
                    let n: u64 = n
                        .parse()
                        .map_err(|_| format!("every={v}: like 90s or 4m"))?;
                    p.hot_every = Duration::from_secs(match unit {
                        "s" | "" => n,
                        "m" => n * 60,
                        "h" => n * 3600,
                        _ => return Err(format!("every={v}: like 90s or 4m")),
                    });
                }
                "dormant" => {
                    let f: f64 = v
                        .trim()
                        .trim_end_matches('%')
                        .parse()
                        .map_err(|_| format!("dormant={v}: a percentage like 5%"))?;
                    p.dormant_share = (f / 100.0).clamp(0.0, 1.0);
                }
                other => return Err(format!("unknown key \"{other}\": use hot, every, dormant")),
            }
        }
        if p.hot_every.is_zero() {
            return Err("every must be above 0".into());
        }
        Ok(p)
    }

    /// Whether repo index `i` of `repos` is hot.
    pub fn is_hot(&self, i: usize, repos: usize) -> bool {
        self.hot > 0
            && i.is_multiple_of((repos / self.hot).max(1))
            && i / (repos / self.hot).max(1) < self.hot
    }

    /// Every mutation in `[0, horizon)`: (offset from the start, repo index), in time order.
    pub fn schedule(&self, repos: usize, seed: u64, horizon: Duration) -> Vec<(Duration, usize)> {
        let mut rng = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let h = horizon.as_secs_f64();
        let every = self.hot_every.as_secs_f64();
        let mut out = Vec::new();
        for i in 0..repos {
            if self.is_hot(i, repos) {
                let mut t = next() * every;
                while t < h {
                    out.push((Duration::from_secs_f64(t), i));
                    t += every * (0.75 + 0.5 * next());
                }
            } else {
                let mut hour = 0.0;
                while hour < h {
                    if next() < self.dormant_share {
                        let t = hour + next() * 3600.0;
                        if t < h {
                            out.push((Duration::from_secs_f64(t), i));
                        }
                    }
                    hour += 3600.0;
                }
            }
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_schedules_hot_and_dormant_repos() {
        let p = MutateProfile::parse("hot=50,every=4m,dormant=5%").unwrap();
        assert_eq!(p, MutateProfile::default());
        assert!(MutateProfile::parse("hot=x").is_err());
        assert!(MutateProfile::parse("speed=1").is_err());
        let s = p.schedule(1000, 7, Duration::from_secs(3600));
        assert_eq!((0..1000).filter(|i| p.is_hot(*i, 1000)).count(), 50);
        let hot = s.iter().filter(|(_, i)| p.is_hot(*i, 1000)).count();
        assert!((600..=1000).contains(&hot), "{hot} hot mutations");
        let cold = s.len() - hot;
        assert!((20..=90).contains(&cold), "{cold} dormant mutations");
        assert_eq!(
            s,
            p.schedule(1000, 7, Duration::from_secs(3600)),
            "deterministic"
        );
    }
}

//! [`RefreshBudget`]: how many refreshes tokens naming unknown keys may cause, decided without a
//! lock.
//!
//! A token bucket of `burst` tokens refilled one per `period`, kept as the single instant at
//! which the bucket would be full again (the generic cell rate algorithm), in one atomic. A
//! stray unknown `kid` spends one token and leaves the rest for a real rotation; a flood spends
//! the burst and then one token per period, whatever its size.

use std::sync::atomic::{AtomicU64, Ordering};

/// A lock-free token bucket over monotonic ticks (nanoseconds).
#[derive(Debug, Default)]
pub(crate) struct RefreshBudget {
    /// When the bucket is full again: every granted refresh pushes it one period later.
    full_at: AtomicU64,
}

impl RefreshBudget {
    /// Takes a token at `now` if one is left of `burst`, refilled one per `period`.
    pub(crate) fn try_take(&self, now: u64, period: u64, burst: u32) -> bool {
        let capacity = period.saturating_mul(u64::from(burst.max(1)));
        let mut full_at = self.full_at.load(Ordering::Acquire);
        loop {
            let next = full_at.max(now).saturating_add(period);
            if next.saturating_sub(now) > capacity {
                return false;
            }
            match self.full_at.compare_exchange_weak(
                full_at,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => full_at = actual,
            }
        }
    }

    /// The whole burst again, as for a new key set.
    pub(crate) fn reset(&self) {
        self.full_at.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_token_per_period() {
        let budget = RefreshBudget::default();
        let (period, start) = (1_000, 10_000);
        assert!(budget.try_take(start, period, 2));
        assert!(budget.try_take(start, period, 2));
        assert!(!budget.try_take(start, period, 2));
        assert!(!budget.try_take(start + 999, period, 2));
        assert!(budget.try_take(start + 1_000, period, 2));
        assert!(!budget.try_take(start + 1_500, period, 2));
        // Idle for a long time: the burst is back, not more.
        let later = start + 1_000_000;
        assert!(budget.try_take(later, period, 2));
        assert!(budget.try_take(later, period, 2));
        assert!(!budget.try_take(later, period, 2));
    }

    #[test]
    fn a_flood_from_many_threads_gets_the_burst_only() {
        let budget = RefreshBudget::default();
        let granted: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        (0..1_000)
                            .filter(|_| budget.try_take(5_000, 1_000_000, 2))
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        assert_eq!(granted, 2);
    }

    #[test]
    fn extreme_values_saturate_instead_of_wrapping() {
        let budget = RefreshBudget::default();
        assert!(budget.try_take(u64::MAX - 1, u64::MAX, 2));
        // The longest period settings allow (a year), at a far instant: still a burst of two.
        let year = 365 * 24 * 60 * 60 * 1_000_000_000_u64;
        let far = RefreshBudget::default();
        let at = u64::MAX / 2;
        assert!(far.try_take(at, year, 2) && far.try_take(at, year, 2));
        assert!(!far.try_take(at, year, 2));
        // A zero period is no limit.
        let zero = RefreshBudget::default();
        assert!((0..5).all(|_| zero.try_take(7, 0, 1)));
    }
}

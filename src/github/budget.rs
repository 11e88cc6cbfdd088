//! One rate-limit budget for every worker that shares a [`super::Client`]: the primary limit's
//! `x-ratelimit-remaining`/`x-ratelimit-reset`, and the pauses that `retry-after` and secondary
//! limits ask for, apply to all requests, not to the one that met them. A request waits until
//! the budget allows it; when that wait would exceed the longest allowed (`--max-wait`), it
//! fails at once with [`ApiError::RateLimited`] so the run can stop cleanly with what was done.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::client::{ApiError, Response};

#[derive(Debug, Default)]
struct State {
    /// No request before this instant.
    pause_until: Option<Instant>,
}

#[derive(Debug)]
pub struct Budget {
    state: Mutex<State>,
    max_wait: Duration,
}

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Budget {
    pub fn new(max_wait: Duration) -> Budget {
        Budget {
            state: Mutex::new(State::default()),
            max_wait,
        }
    }

    /// Waits until a request may be sent, or fails when that is further off than allowed.
    pub fn wait(&self) -> Result<(), ApiError> {
        let until = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pause_until;
        if let Some(until) = until {
            let left = until.saturating_duration_since(Instant::now());
            if left > self.max_wait {
                return Err(ApiError::RateLimited(left.as_secs()));
            }
            std::thread::sleep(left);
        }
        Ok(())
    }

    /// Learns from an answer: an exhausted primary limit pauses everyone until its reset; a
    /// `retry-after` (secondary limits, 429) pauses everyone that long.
    pub fn observe(&self, r: &Response) {
        let secs = |name: &str| r.header(name).and_then(|v| v.trim().parse::<u64>().ok());
        let pause = if let Some(after) = secs("retry-after").filter(|_| r.status >= 400) {
            Some(Duration::from_secs(after))
        } else if secs("x-ratelimit-remaining") == Some(0) {
            secs("x-ratelimit-reset")
                .map(|reset| Duration::from_secs(reset.saturating_sub(now_epoch()) + 1))
        } else {
            None
        };
        if let Some(pause) = pause {
            let until = Instant::now() + pause;
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.pause_until.is_none_or(|u| u < until) {
                state.pause_until = Some(until);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn answer(status: u16, headers: &[(&'static str, String)]) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Response {
            status,
            headers: map,
            body: Vec::new(),
        }
    }

    #[test]
    fn an_exhausted_limit_stops_everyone_past_the_longest_wait() {
        let budget = Budget::new(Duration::from_secs(5));
        budget.wait().unwrap();
        budget.observe(&answer(200, &[("x-ratelimit-remaining", "10".into())]));
        budget.wait().unwrap();
        let reset = (now_epoch() + 3600).to_string();
        budget.observe(&answer(
            200,
            &[
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", reset),
            ],
        ));
        assert!(matches!(budget.wait(), Err(ApiError::RateLimited(s)) if s > 3000));
    }

    #[test]
    fn a_short_retry_after_is_waited_for() {
        let budget = Budget::new(Duration::from_secs(5));
        budget.observe(&answer(429, &[("retry-after", "1".into())]));
        let start = Instant::now();
        budget.wait().unwrap();
        assert!(start.elapsed() >= Duration::from_millis(900));
    }
}

//! Faults that the server injects in place of normal responses, and the rules that pick them.

use std::collections::BTreeSet;
use std::time::Duration;

use rand::RngExt;
use rand_pcg::Pcg64;

/// Failure that the server injects into one response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Responds with `status` and `body` instead of processing the request.
    ///
    /// `status` should be from 100 to 999. The server responds with 500 to other values and
    /// logs a warning.
    Status {
        /// HTTP status code, such as 500, 502, 503, 504 or 524.
        status: u16,
        /// Kind of body to send.
        body: FaultBody,
    },
    /// Closes the connection with a TCP reset and sends no response.
    Reset,
    /// Sends the status line and headers of the normal response, whose `Content-Length`
    /// promises the whole body, then the first half of the body, then closes the connection.
    Truncated,
    /// Waits this long, then processes the request normally.
    Latency(Duration),
    /// Never responds. The connection stays open until the client closes it or the server
    /// shuts down, which resets it.
    Hang,
}

impl Fault {
    /// Returns the fault's name in log lines: `status`, `reset`, `truncated`, `latency` or
    /// `hang`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Reset => "reset",
            Fault::Truncated => "truncated",
            Fault::Latency(_) => "latency",
            Fault::Hang => "hang",
        }
    }
}

/// Body of a [`Fault::Status`] response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultBody {
    /// HubSpot error JSON with `status`, `message`, `correlationId` and `category`.
    Json,
    /// HTML page, as a proxy in front of an API sends.
    Html,
    /// Empty body with `Content-Length: 0`.
    Empty,
}

/// Condition under which a [`FaultRule`] injects its fault.
#[derive(Debug, Clone, PartialEq)]
enum Trigger {
    Always,
    Rate(f64),
    AtRequests(BTreeSet<u64>),
    Next(u64),
}

/// Fault together with the requests it applies to.
///
/// Request numbers count every request that reaches the endpoint, starting at 1, including
/// requests rejected with 401 or 403. The server checks rules only for authenticated
/// requests, in the order they were added. Every [`Fault::Latency`] rule that fires adds its
/// delay, and the first other rule that fires replaces the response with its fault and ends
/// the check. A rule whose request is rejected with 401 or 403 does not fire for it.
///
/// ```
/// use std::time::Duration;
/// use hubspot_workflow_ids_fake::{Fault, FaultBody, FaultRule};
///
/// let flaky = FaultRule::rate(0.2, Fault::Status { status: 503, body: FaultBody::Html });
/// let resets = FaultRule::at_requests([3, 7], Fault::Reset);
/// let slow = FaultRule::next(5, Fault::Latency(Duration::from_millis(200)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    trigger: Trigger,
    fault: Fault,
}

impl FaultRule {
    /// Injects `fault` into every authenticated request.
    pub fn always(fault: Fault) -> Self {
        Self {
            trigger: Trigger::Always,
            fault,
        }
    }

    /// Injects `fault` into each authenticated request with the given probability.
    ///
    /// The draws come from the server's seeded random number generator, so a client that
    /// sends its requests one at a time gets the same faults on every run.
    ///
    /// # Panics
    ///
    /// Panics if `probability` is not within `0.0..=1.0`.
    pub fn rate(probability: f64, fault: Fault) -> Self {
        assert!(
            (0.0..=1.0).contains(&probability),
            "fault probability must be within 0.0..=1.0, got {probability}"
        );
        Self {
            trigger: Trigger::Rate(probability),
            fault,
        }
    }

    /// Injects `fault` into the requests with these numbers, counted from 1.
    pub fn at_requests(numbers: impl IntoIterator<Item = u64>, fault: Fault) -> Self {
        Self {
            trigger: Trigger::AtRequests(numbers.into_iter().collect()),
            fault,
        }
    }

    /// Injects `fault` into the next `count` authenticated requests.
    pub fn next(count: u64, fault: Fault) -> Self {
        Self {
            trigger: Trigger::Next(count),
            fault,
        }
    }

    /// Returns the fault this rule injects.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Decides whether the rule fires for request `number`, and uses up one of a
    /// [`FaultRule::next`] rule's requests when it does.
    fn fires(&mut self, number: u64, rng: &mut Pcg64) -> bool {
        match &mut self.trigger {
            Trigger::Always => true,
            Trigger::Rate(probability) => rng.random_bool(*probability),
            Trigger::AtRequests(numbers) => numbers.contains(&number),
            Trigger::Next(remaining) => {
                if *remaining == 0 {
                    return false;
                }
                *remaining -= 1;
                true
            }
        }
    }
}

/// Faults that the rules chose for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FaultDecision {
    /// Sum of the delays of the [`Fault::Latency`] rules that fired.
    pub(crate) latency: Duration,
    /// First fault other than latency that fired, which replaces the response.
    pub(crate) fault: Option<Fault>,
    /// Number of rules that fired.
    pub(crate) fired: u64,
}

/// Checks `rules` in order for request `number`.
///
/// Latency rules that fire add their delay and checking goes on. The first other rule that
/// fires decides the fault and ends the check, so later rules draw no random number and a
/// later [`FaultRule::next`] rule keeps its count.
pub(crate) fn choose_faults(
    rules: &mut [FaultRule],
    number: u64,
    rng: &mut Pcg64,
) -> FaultDecision {
    let mut decision = FaultDecision::default();
    for rule in rules.iter_mut() {
        if !rule.fires(number, rng) {
            continue;
        }
        decision.fired += 1;
        if let Fault::Latency(delay) = rule.fault {
            decision.latency += delay;
        } else {
            decision.fault = Some(rule.fault.clone());
            break;
        }
    }
    decision
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn choose_fault(rules: &mut [FaultRule], number: u64, rng: &mut Pcg64) -> Option<Fault> {
        choose_faults(rules, number, rng).fault
    }

    #[test]
    fn schedule_fires_on_listed_numbers_only() {
        let mut rules = vec![FaultRule::at_requests([2, 4], Fault::Reset)];
        let mut rng = Pcg64::seed_from_u64(0);
        let fired: Vec<u64> = (1..=5)
            .filter(|&number| choose_fault(&mut rules, number, &mut rng).is_some())
            .collect();
        assert_eq!(fired, vec![2, 4]);
    }

    #[test]
    fn latency_adds_up_and_continues() {
        let mut rules = vec![
            FaultRule::always(Fault::Latency(Duration::from_millis(5))),
            FaultRule::next(1, Fault::Latency(Duration::from_millis(7))),
            FaultRule::at_requests([2], Fault::Reset),
        ];
        let mut rng = Pcg64::seed_from_u64(0);
        let first = choose_faults(&mut rules, 1, &mut rng);
        assert_eq!(first.latency, Duration::from_millis(12));
        assert_eq!(first.fault, None);
        assert_eq!(first.fired, 2);
        let second = choose_faults(&mut rules, 2, &mut rng);
        assert_eq!(second.latency, Duration::from_millis(5));
        assert_eq!(second.fault, Some(Fault::Reset));
        assert_eq!(second.fired, 2);
    }

    #[test]
    fn next_rule_runs_out() {
        let mut rules = vec![FaultRule::next(2, Fault::Hang)];
        let mut rng = Pcg64::seed_from_u64(0);
        let faults: Vec<Option<Fault>> = (1..=3)
            .map(|number| choose_fault(&mut rules, number, &mut rng))
            .collect();
        assert_eq!(faults, vec![Some(Fault::Hang), Some(Fault::Hang), None]);
    }

    #[test]
    fn first_matching_rule_wins() {
        let mut rules = vec![
            FaultRule::at_requests([1], Fault::Reset),
            FaultRule::always(Fault::Hang),
        ];
        let mut rng = Pcg64::seed_from_u64(0);
        assert_eq!(choose_fault(&mut rules, 1, &mut rng), Some(Fault::Reset));
        assert_eq!(choose_fault(&mut rules, 2, &mut rng), Some(Fault::Hang));
    }

    #[test]
    fn rate_is_seeded() {
        let run = |seed| {
            let mut rules = vec![FaultRule::rate(0.3, Fault::Reset)];
            let mut rng = Pcg64::seed_from_u64(seed);
            (1..=1000)
                .map(|number| choose_fault(&mut rules, number, &mut rng).is_some())
                .collect::<Vec<bool>>()
        };
        let first = run(9);
        assert_eq!(first, run(9));
        let fired = first.iter().filter(|&&fired| fired).count();
        assert!((200..400).contains(&fired), "{fired} of 1000 fired");
    }

    #[test]
    #[should_panic(expected = "within 0.0..=1.0")]
    fn rate_above_one_panics() {
        FaultRule::rate(1.5, Fault::Reset);
    }
}

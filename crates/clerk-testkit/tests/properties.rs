//! State-machine property tests: random transition sequences through the shared runner, in a
//! randomly chosen engine mode (native, browser on a production or a development instance),
//! every invariant checked after every step (see docs/testing.md). One sequence in four
//! starts signed in to two sessions ([`signed_in_twice`]), which random steps seldom reach.
//!
//! `CLERK_PROPTEST_CASES` sets the number of sequences (default 20 000, about 10 s at opt-level 1 on 2 cores; sized for a 2-core
//! CI runner); failures shrink (capped) and are kept in `properties.proptest-regressions` beside this file.

use clerk_testkit::transition::{Transition, signed_in_twice, strategy};
use clerk_testkit::{EngineMode, Runner};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

/// The default number of sequences.
const DEFAULT_CASES: u32 = 20_000;

fn cases() -> u32 {
    std::env::var("CLERK_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES)
}

/// How a sequence starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// A fresh engine.
    Fresh,
    /// After [`signed_in_twice`].
    SignedInTwice,
}

/// Generation only: the expectations live in the runner's reference model, which must
/// see the ids the engine hands out before it can check the next step. The state is the
/// engine mode and the start, chosen once per sequence, and the number of steps so far.
struct Transitions;

impl ReferenceStateMachine for Transitions {
    type State = (EngineMode, Start, usize);
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Self::State> {
        let start = prop_oneof![3 => Just(Start::Fresh), 1 => Just(Start::SignedInTwice)];
        (strategy::mode(), start).prop_map(|(mode, start)| (mode, start, 0)).boxed()
    }

    fn transitions((mode, _, _): &Self::State) -> BoxedStrategy<Self::Transition> {
        strategy::transition_in(*mode).boxed()
    }

    fn apply((mode, start, steps): Self::State, _transition: &Self::Transition) -> Self::State {
        (mode, start, steps + 1)
    }
}

struct EngineUnderTest;

impl StateMachineTest for EngineUnderTest {
    type SystemUnderTest = Runner;
    type Reference = Transitions;

    fn init_test((mode, start, _): &(EngineMode, Start, usize)) -> Self::SystemUnderTest {
        let mut runner = Runner::with_mode(*mode);
        if *start == Start::SignedInTwice {
            for step in signed_in_twice(*mode) {
                runner.apply(&step);
            }
        }
        runner
    }

    fn apply(mut runner: Runner, _ref_state: &(EngineMode, Start, usize), transition: Transition) -> Runner {
        runner.apply(&transition);
        runner
    }
}

prop_state_machine! {
    #![proptest_config(Config {
        cases: cases(),
        max_shrink_iters: 2048,
        max_shrink_time: 60_000,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::SourceParallel("proptest-regressions"))),
        .. Config::default()
    })]

    #[test]
    fn engine_keeps_every_invariant(sequential 1..40 => EngineUnderTest);
}

//! The memory budget: how many bytes one rnnc command may allocate, and the
//! check that every large allocation decided by the input passes before it
//! happens.
//!
//! The budget is `--memory-limit SIZE` when given, else the
//! [`ENV_VAR`] environment variable, else [`MACHINE_SHARE_PERCENT`]% of what
//! the machine lets this process allocate ([`machine`]), else
//! [`FALLBACK_BYTES`]. It bounds what the model and the input decide —
//! weights, the initializer's workspace, inputs, activations — which rnnc
//! estimates from shapes alone ([`weights`], `reference::footprint`) with
//! saturating arithmetic, so that no product of user-given sizes can
//! overflow; rnnc's own few megabytes are not counted. A refusal says what
//! needs how much, which layer or axis is the cause, and how to proceed.

mod machine;
pub mod size;
pub mod weights;

use std::fmt;
use std::sync::OnceLock;

/// The environment variable that sets the budget when `--memory-limit` is not given.
pub const ENV_VAR: &str = "RNNC_MEMORY_LIMIT";

/// Share of the machine's available memory that rnnc budgets for itself: the
/// rest is room for what the estimates leave out (the binary, tract's
/// optimized plan, allocator slack) and for other processes.
pub const MACHINE_SHARE_PERCENT: u64 = 80;

/// The budget where the system reports no memory figure (not Linux, or no
/// `/proc`): 4 GiB, what a small laptop can give one process.
pub const FALLBACK_BYTES: u64 = 4 << 30;

/// How many bytes a command may allocate, and where that number came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub bytes: u64,
    pub origin: Origin,
}

/// Where a [`Budget`] came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--memory-limit`.
    Option,
    /// [`ENV_VAR`].
    Environment,
    /// A share of the memory the machine reports available.
    Machine,
    /// [`FALLBACK_BYTES`].
    Fallback,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Option => write!(f, "set by --memory-limit"),
            Origin::Environment => write!(f, "set by {ENV_VAR}"),
            Origin::Machine => write!(
                f,
                "{MACHINE_SHARE_PERCENT}% of the memory available to rnnc"
            ),
            Origin::Fallback => write!(f, "rnnc's default: the system reports no memory figure"),
        }
    }
}

/// A budget that could not be set, or an allocation it refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("{ENV_VAR}=`{text}` is not a memory size: {reason}")]
    BadEnvironment { text: String, reason: String },

    #[error(
        "{task} needs {}, more than the {} memory budget ({}): {cause}; {advice}, {}",
        size::format(*need),
        size::format(budget.bytes),
        budget.origin,
        raise_hint(budget.origin)
    )]
    Exceeded {
        /// What would allocate: "compiling the model", "verify's input [5, 10, 8]".
        task: String,
        need: u64,
        budget: Budget,
        /// Which layer or axis makes it big.
        cause: String,
        /// How to make it smaller.
        advice: String,
    },
}

/// The second way out of a refusal: more budget, where the machine has it.
fn raise_hint(origin: Origin) -> String {
    match origin {
        Origin::Option => "or give a larger --memory-limit if the machine has the memory".into(),
        Origin::Environment => format!("or set a larger {ENV_VAR} if the machine has the memory"),
        Origin::Machine | Origin::Fallback => format!(
            "or give a larger budget with --memory-limit SIZE (or {ENV_VAR}) if the machine has the memory"
        ),
    }
}

impl Budget {
    /// The budget from `--memory-limit` (`option`), else [`ENV_VAR`], else
    /// the machine.
    pub fn resolve(option: Option<u64>) -> Result<Budget, BudgetError> {
        if let Some(bytes) = option {
            return Ok(Budget {
                bytes,
                origin: Origin::Option,
            });
        }
        match std::env::var_os(ENV_VAR) {
            Some(value) => {
                let text = value.to_string_lossy().into_owned();
                size::parse(&text)
                    .map(|bytes| Budget {
                        bytes,
                        origin: Origin::Environment,
                    })
                    .map_err(|reason| BudgetError::BadEnvironment { text, reason })
            }
            None => Ok(Budget::machine()),
        }
    }

    /// [`MACHINE_SHARE_PERCENT`]% of what the machine reports, or the fallback.
    pub fn machine() -> Budget {
        match machine::available() {
            Some(bytes) => Budget {
                bytes: bytes / 100 * MACHINE_SHARE_PERCENT,
                origin: Origin::Machine,
            },
            None => Budget {
                bytes: FALLBACK_BYTES,
                origin: Origin::Fallback,
            },
        }
    }

    /// Refuses `need` bytes beyond the budget; `describe` gives the task,
    /// the cause and the advice of the refusal.
    pub fn check(
        &self,
        need: u64,
        describe: impl FnOnce() -> (String, String, String),
    ) -> Result<(), BudgetError> {
        if need <= self.bytes {
            return Ok(());
        }
        let (task, cause, advice) = describe();
        Err(BudgetError::Exceeded {
            task,
            need,
            budget: *self,
            cause,
            advice,
        })
    }

    /// The budget less `used` bytes already allocated.
    pub fn less(&self, used: u64) -> Budget {
        Budget {
            bytes: self.bytes.saturating_sub(used),
            origin: self.origin,
        }
    }
}

/// The process's budget once [`configure`]d.
static BUDGET: OnceLock<Budget> = OnceLock::new();

/// Sets the process's budget from `--memory-limit` (`option`), the
/// environment or the machine; the CLI calls it before any command, so that
/// a malformed [`ENV_VAR`] is reported. The first call wins.
pub fn configure(option: Option<u64>) -> Result<Budget, BudgetError> {
    let budget = Budget::resolve(option)?;
    Ok(*BUDGET.get_or_init(|| budget))
}

/// The process's budget: the [`configure`]d one, else resolved on first use
/// (a library caller that never configured gets the machine's budget when
/// [`ENV_VAR`] is malformed; the CLI has refused that value already).
pub fn current() -> Budget {
    *BUDGET.get_or_init(|| Budget::resolve(None).unwrap_or_else(|_| Budget::machine()))
}

/// `--memory-limit`'s parser.
pub fn parse_limit(text: &str) -> Result<u64, String> {
    size::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(bytes: u64) -> Budget {
        Budget {
            bytes,
            origin: Origin::Option,
        }
    }

    #[test]
    fn an_option_wins_over_everything() {
        assert_eq!(Budget::resolve(Some(5)), Ok(budget(5)));
    }

    #[test]
    fn the_machine_budget_is_a_share_of_what_is_available() {
        let machine = Budget::machine();
        match machine.origin {
            Origin::Machine => assert!(machine.bytes > 0),
            Origin::Fallback => assert_eq!(machine.bytes, FALLBACK_BYTES),
            other => panic!("machine budget from {other:?}"),
        }
    }

    #[test]
    fn check_refuses_only_beyond_the_budget() {
        let b = budget(1 << 20);
        let describe = || ("task".into(), "cause".into(), "advice".into());
        assert_eq!(b.check(1 << 20, describe), Ok(()));
        let err = b.check((1 << 20) + 1, describe).unwrap_err();
        assert_eq!(
            err.to_string(),
            "task needs 1.0 MiB, more than the 1.0 MiB memory budget (set by --memory-limit): \
             cause; advice, or give a larger --memory-limit if the machine has the memory"
        );
        let err = b.check(u64::MAX, describe).unwrap_err();
        assert!(
            err.to_string().starts_with("task needs over 16 EiB"),
            "{err}"
        );
    }

    #[test]
    fn less_never_goes_below_zero() {
        assert_eq!(budget(10).less(4).bytes, 6);
        assert_eq!(budget(10).less(40).bytes, 0);
    }
}

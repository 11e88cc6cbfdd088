//! Running a user rule's own `examples` (each must be found by that rule) and
//! `counter_examples` (each must produce no finding at all) when it is loaded by `patrol rules`
//! or `patrol config check`. In user rule files examples are matched as written; the `{{ghp}}`
//! templates of the built-in rules are filled by the test suite only. A failure names the rule
//! and the example's number, never the example: it may look like a secret.

use super::Matcher;
use crate::rules::RuleError;

impl Matcher {
    /// Checks the examples of every rule that is not built in.
    pub fn check_user_examples(&self) -> Result<(), RuleError> {
        for (index, cr) in self.rules.iter().enumerate() {
            let rule = &cr.rule;
            if rule.builtin {
                continue;
            }
            for (n, example) in rule.examples.iter().enumerate() {
                if !self
                    .scan(example.as_bytes())
                    .iter()
                    .any(|h| h.rule == index)
                {
                    return Err(RuleError::Example {
                        id: rule.id.clone(),
                        key: "examples",
                        number: n + 1,
                        message: "is not found by this rule",
                    });
                }
            }
            for (n, example) in rule.counter_examples.iter().enumerate() {
                if !self.scan(example.as_bytes()).is_empty() {
                    return Err(RuleError::Example {
                        id: rule.id.clone(),
                        key: "counter_examples",
                        number: n + 1,
                        message: "produces a finding",
                    });
                }
            }
        }
        Ok(())
    }
}

//! Trading rules written in the markets file, e.g. `when = "pmi > 52 and pmi_new_orders > 53"`:
//! comparisons of a series' latest known value with a number, joined by `and` / `or` (`and`
//! binds tighter). The backtest's `rules` strategy evaluates a market's rule at each as-of date on
//! what was known then, so the trading guide's rules (DOMAIN.md claims 5 and 6) are tested as
//! stated.

use std::fmt;

use thiserror::Error;

use crate::series::catalog;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn holds(self, x: f64, k: f64) -> bool {
        match self {
            Op::Gt => x > k,
            Op::Ge => x >= k,
            Op::Lt => x < k,
            Op::Le => x <= k,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// `series op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub series: String,
    pub op: Op,
    pub value: f64,
}

/// A rule in disjunctive normal form: any of the groups, each all of its conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub any_of: Vec<Vec<Condition>>,
}

/// Why a rule's text does not parse.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("empty rule")]
    Empty,
    #[error("expected `SERIES OP NUMBER` at `{0}`")]
    Condition(String),
    #[error("unknown series `{0}`")]
    UnknownSeries(String),
    #[error("`{0}` is not one of > >= < <=")]
    Operator(String),
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("expected `and` or `or`, found `{0}`")]
    Connective(String),
}

impl Rule {
    /// Parse `a > 1 and b <= 2 or c < 3`.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let tokens: Vec<&str> = text.split_whitespace().collect();
        if tokens.is_empty() {
            return Err(RuleError::Empty);
        }
        let mut any_of = vec![Vec::new()];
        let mut i = 0;
        loop {
            let [series, op, value] = tokens
                .get(i..i + 3)
                .and_then(|s| <[&str; 3]>::try_from(s).ok())
                .ok_or_else(|| RuleError::Condition(tokens[i.min(tokens.len() - 1)..].join(" ")))?;
            if catalog::spec(series).is_none() {
                return Err(RuleError::UnknownSeries(series.to_string()));
            }
            let op = match op {
                ">" => Op::Gt,
                ">=" => Op::Ge,
                "<" => Op::Lt,
                "<=" => Op::Le,
                other => return Err(RuleError::Operator(other.to_string())),
            };
            let value: f64 = value
                .parse()
                .map_err(|_| RuleError::NotANumber(value.to_string()))?;
            any_of.last_mut().expect("one group").push(Condition {
                series: series.to_string(),
                op,
                value,
            });
            i += 3;
            match tokens.get(i) {
                None => break,
                Some(&"and") => {}
                Some(&"or") => any_of.push(Vec::new()),
                Some(other) => return Err(RuleError::Connective(other.to_string())),
            }
            i += 1;
        }
        Ok(Rule { any_of })
    }

    /// Every series the rule reads.
    pub fn series(&self) -> Vec<&str> {
        let mut s: Vec<&str> = self
            .any_of
            .iter()
            .flatten()
            .map(|c| c.series.as_str())
            .collect();
        s.sort_unstable();
        s.dedup();
        s
    }

    /// Evaluate with `value(series)` giving the latest known value; a condition on a series with
    /// no known value is false.
    pub fn holds(&self, mut value: impl FnMut(&str) -> Option<f64>) -> bool {
        self.any_of.iter().any(|group| {
            group
                .iter()
                .all(|c| value(&c.series).is_some_and(|x| c.op.holds(x, c.value)))
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<String> = self
            .any_of
            .iter()
            .map(|g| {
                g.iter()
                    .map(|c| format!("{} {} {}", c.series, c.op.as_str(), c.value))
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect();
        f.write_str(&groups.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_evaluates_with_and_binding_tighter() {
        let r =
            Rule::parse("pmi > 52 and pmi_new_orders > 53 or pmi_new_export_orders >= 54").unwrap();
        assert_eq!(r.any_of.len(), 2);
        assert_eq!(
            r.to_string(),
            "pmi > 52 and pmi_new_orders > 53 or pmi_new_export_orders >= 54"
        );
        let values = |pmi, no, neo| {
            move |s: &str| match s {
                "pmi" => pmi,
                "pmi_new_orders" => no,
                "pmi_new_export_orders" => neo,
                _ => None,
            }
        };
        assert!(r.holds(values(Some(52.5), Some(53.1), None)));
        assert!(!r.holds(values(Some(52.5), Some(53.0), Some(50.0))));
        assert!(r.holds(values(None, None, Some(54.0))));
        assert!(!r.holds(values(None, None, None)));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(
            Rule::parse("pmi >")
                .unwrap_err()
                .to_string()
                .contains("expected `SERIES OP NUMBER`")
        );
        assert!(
            Rule::parse("pmx > 1")
                .unwrap_err()
                .to_string()
                .contains("unknown series `pmx`")
        );
        assert!(
            Rule::parse("pmi => 1")
                .unwrap_err()
                .to_string()
                .contains("not one of")
        );
        assert!(
            Rule::parse("pmi > 1 but pmi < 3")
                .unwrap_err()
                .to_string()
                .contains("expected `and` or `or`")
        );
        assert!(
            Rule::parse("pmi > x")
                .unwrap_err()
                .to_string()
                .contains("`x` is not a number")
        );
    }
}

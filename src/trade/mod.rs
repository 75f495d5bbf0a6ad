//! Trade-term and price arithmetic for export quotes and import landed cost, and chargeable weight
//! and freight by transport mode.
//!
//! Hedgers using portcast want to know what a shipment costs landed, not just whether Shanghai
//! volumes or freight rates cross a level. This module holds the pure arithmetic behind that: the
//! landed-cost calculator and the `portcast quote` command call into it, and it does no I/O
//! (beyond reading a shipment file), reads no store data and knows nothing of forecasts or
//! markets: `crate::markets::freight` hands it freight-rate samples and contract payouts.
//!
//! - [`quote`]: trade terms (FOB ↔ CFR ↔ CIF), commission and discount, currency conversion at the
//!   bank's buying or selling rate, export profit rate and FX conversion cost.
//! - [`weight`]: chargeable weight (air volume weight, sea revenue tons, container counts) and a
//!   per-mode freight comparison.
//! - [`landed`]: the shipment file, landed cost per unit at a freight rate and over rate
//!   scenarios (quantiles, P(> budget)), and the minimum-variance hedge with a contract's payouts.
//!
//! Every function validates its inputs and returns a [`TradeError`] naming the offending parameter
//! and its value, so a bad command-line flag reads as e.g.
//! `insurance_rate must be a fraction in [0, 1), got 1.2`. Rates are fractions throughout: 0.95% is
//! `0.0095`.
//!
//! # Numbers: `f64` throughout, rounded once for display
//!
//! Computations run in `f64` and return unrounded values; round only what is shown, with
//! [`round_cents`] or [`round_dp`]. Integer cents or a decimal type would not make the results
//! exact: CIF divides by `1 − (1 + markup) · rate` and currency conversion divides by an exchange
//! rate, so most results are non-terminating decimals whatever the representation. What matters is
//! *where* rounding happens. Rounding intermediate steps (CFR to the cent, then CIF from it) can
//! move the last cent depending on the path taken; textbooks and banks compute the chain exactly
//! and round the answer, and `f64` (about 16 significant digits) carries amounts up to billions
//! with error far below a hundredth of a cent. Keeping unrounded values also makes conversions
//! invert exactly up to float noise (FOB → CIF → FOB returns its input).
//!
//! Rounding is half away from zero (commercial rounding: 0.125 → 0.13, −0.125 → −0.13).

pub mod landed;
pub mod quote;
pub mod weight;

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Why a trade computation refused its inputs. Each variant names the parameter and its value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TradeError {
    /// NaN or ±∞ where a number was needed.
    #[error("{name} must be a finite number, got {value}")]
    NotFinite { name: &'static str, value: f64 },
    /// A price, freight, weight or volume below zero.
    #[error("{name} must not be negative, got {value}")]
    Negative { name: &'static str, value: f64 },
    /// A divisor, exchange rate or count that must be strictly positive.
    #[error("{name} must be greater than zero, got {value}")]
    NotPositive { name: &'static str, value: f64 },
    /// A rate (insurance, commission, discount) outside [0, 1).
    #[error("{name} must be a fraction in [0, 1), got {value}")]
    RateOutOfRange { name: &'static str, value: f64 },
    /// The premium would be the whole CIF price or more: CIF = CFR / (1 − share) has no answer.
    #[error(
        "(1 + markup) · insurance_rate must be below 1, got (1 + {markup}) · {insurance_rate} = {share}"
    )]
    PremiumTooLarge {
        insurance_rate: f64,
        markup: f64,
        share: f64,
    },
    /// A CFR or CIF price too low to pay its own freight (and insurance): the FOB would be negative.
    #[error(
        "a {term} price of {price} does not cover freight {freight} and insurance: its FOB equivalent would be {fob}"
    )]
    FreightNotCovered {
        term: Term,
        price: f64,
        freight: f64,
        fob: f64,
    },
    /// No freight-rate scenarios to compute a landed-cost distribution from.
    #[error("no freight-rate scenarios: a landed-cost distribution needs at least one")]
    NoSamples,
    /// A trade term other than FOB, CFR (CNF, C&F) or CIF.
    #[error("unknown trade term {0:?}: expected FOB, CFR (also CNF or C&F) or CIF")]
    UnknownTerm(String),
}

/// A trade term (Incoterms 2020 sea terms) that says which costs a quoted price includes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// Free on board: goods loaded at the port of shipment.
    Fob,
    /// Cost and freight: FOB plus freight to the port of destination.
    Cfr,
    /// Cost, insurance and freight: CFR plus the insurance premium.
    Cif,
}

impl Term {
    /// The conventional upper-case abbreviation: "FOB", "CFR" or "CIF".
    pub fn as_str(self) -> &'static str {
        match self {
            Term::Fob => "FOB",
            Term::Cfr => "CFR",
            Term::Cif => "CIF",
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Term {
    type Err = TradeError;

    /// Parses "FOB", "CFR" or "CIF" in any case, and the older spellings "CNF" and "C&F" for CFR.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let is = |name: &str| s.eq_ignore_ascii_case(name);
        if is("FOB") {
            Ok(Term::Fob)
        } else if is("CFR") || is("CNF") || is("C&F") {
            Ok(Term::Cfr)
        } else if is("CIF") {
            Ok(Term::Cif)
        } else {
            Err(TradeError::UnknownTerm(s.to_owned()))
        }
    }
}

/// Rounds to the cent, half away from zero. Use it on displayed outputs only (see the module doc).
pub fn round_cents(x: f64) -> f64 {
    round_dp(x, 2)
}

/// Rounds to `decimals` decimal places, half away from zero.
///
/// A decimal half such as 2.675 has no exact binary form (it is stored as 2.67499999999999982…),
/// so plain `f64::round` would send it down. The scaled value is nudged away from zero by a
/// relative 1e-14 first: about a hundred ulps, well above the float error of the few operations in
/// this module's formulas, and far below a hundredth of a cent on any realistic amount.
pub fn round_dp(x: f64, decimals: i32) -> f64 {
    const TIE_TOLERANCE: f64 = 1e-14;
    let scale = 10f64.powi(decimals);
    (x * scale * (1.0 + TIE_TOLERANCE)).round() / scale
}

fn finite(name: &'static str, value: f64) -> Result<f64, TradeError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(TradeError::NotFinite { name, value })
    }
}

fn non_negative(name: &'static str, value: f64) -> Result<f64, TradeError> {
    if finite(name, value)? < 0.0 {
        Err(TradeError::Negative { name, value })
    } else {
        Ok(value)
    }
}

fn positive(name: &'static str, value: f64) -> Result<f64, TradeError> {
    if finite(name, value)? > 0.0 {
        Ok(value)
    } else {
        Err(TradeError::NotPositive { name, value })
    }
}

/// A rate that is a share of a price: 0 is allowed (no commission), 1 is not (the whole price).
fn unit_rate(name: &'static str, value: f64) -> Result<f64, TradeError> {
    if (0.0..1.0).contains(&finite(name, value)?) {
        Ok(value)
    } else {
        Err(TradeError::RateOutOfRange { name, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_decimal_halves_away_from_zero() {
        assert_eq!(round_cents(0.125), 0.13);
        assert_eq!(round_cents(-0.125), -0.13);
        // Stored just below the half; a person rounding on paper goes up.
        assert_eq!(round_cents(1.005), 1.01);
        assert_eq!(round_cents(2.675), 2.68);
        assert_eq!(round_cents(-1.005), -1.01);
        // Genuinely below the half stays down.
        assert_eq!(round_cents(1.004_999), 1.0);
        assert_eq!(round_dp(7.812_45, 4), 7.8125);
    }

    #[test]
    fn validators_name_the_parameter() {
        assert_eq!(
            unit_rate("commission_rate", 1.0),
            Err(TradeError::RateOutOfRange {
                name: "commission_rate",
                value: 1.0
            })
        );
        let err = non_negative("freight", f64::NAN).unwrap_err();
        assert_eq!(err.to_string(), "freight must be a finite number, got NaN");
        assert!(positive("divisor", 0.0).is_err());
        assert_eq!(unit_rate("discount_rate", 0.0), Ok(0.0));
    }
}

//! From a fair price and a market price to a trade: exchange fees, the side to take, and how
//! much of the bankroll to risk (fractional Kelly).
//!
//! The fair price comes from `crate::markets::contract` (the forecast's expected payout of a
//! YES contract); the market price from the venue. The backtest (`crate::backtest`) applies
//! the same [`Sizer`] to past prices, so the fees and the rule to trade are defined once.
//!
//! Conventions:
//! - Prices are in currency units per contract paying 1 (e.g. dollars, with 0.01 = one cent).
//!   Buying NO at a YES price `p` costs `1 − p`.
//! - Taker fee of an order of `C` contracts at price `P`: `coef · C · P · (1 − P)` rounded **up**
//!   to the cent (see [`FeeSchedule::taker_fee`]). It is symmetric in `P ↔ 1 − P`, so YES and
//!   NO orders at the same YES price pay the same fee.
//! - Trade only when the edge survives the fee per contract: YES if `fair − price > fee`, NO if
//!   `price − fair > fee`, otherwise no trade (an edge exceeding the fee by less than 1e-12 is
//!   float noise and counts as none).
//! - Kelly is computed on the **fee-inclusive cost**: a YES contract costs `c = p + f` and pays 1
//!   with probability `q`, so the Kelly fraction is `(q − c)/(1 − c)`; NO costs `1 − p + f` and
//!   wins with `1 − q`, giving `(p − q − f)/(p − f)`. With no fee these are the textbook
//!   `(q − p)/(1 − p)` and `(p − q)/p`; with a fee they are exactly Kelly for a bet whose stake
//!   includes the fee, and they are positive exactly when the edge after fees is. The result
//!   is multiplied by the fractional-Kelly multiplier and is a fraction of the bankroll to
//!   spend (price plus fees).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The common exchange fee coefficient: 7% of `P · (1 − P)` per contract.
pub const DEFAULT_FEE_COEFFICIENT: f64 = 0.07;

/// Practitioners bet a quarter to a half of full Kelly; a quarter by default.
pub const DEFAULT_KELLY_MULTIPLIER: f64 = 0.25;

/// Amounts this close (in cents) above a whole cent are float noise, not a fraction of a cent.
const CENT_TOLERANCE: f64 = 1e-9;

/// An edge after fees this small is float noise (`0.52 − 0.5 − 0.02` is `1.7e-17`): no trade.
const EDGE_TOLERANCE: f64 = 1e-12;

/// Why a fee or a quote could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SizingError {
    #[error("fee coefficient must be a finite number ≥ 0, got {0}")]
    FeeCoefficient(f64),
    #[error("Kelly multiplier must be between 0 and 1, got {0}")]
    KellyMultiplier(f64),
    #[error("fair price must be a probability in [0, 1], got {0}")]
    FairPrice(f64),
    #[error("price must be in [0, 1], got {0}")]
    FeePrice(f64),
    #[error("market price must be strictly between 0 and 1 to trade, got {0}")]
    MarketPrice(f64),
    #[error("an order needs at least one contract")]
    NoContracts,
}

/// Which side to buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Yes,
    No,
    /// The edge does not survive the fee: no trade.
    None,
}

/// Rounds an amount of money up to the next cent, ignoring float noise below 1e-9 cent:
/// `0.07 · 100 · 0.5 · 0.5` is `1.7500000000000002` in floats and must stay 1.75, while
/// `0.0175` becomes 0.02. Genuine fractions of a cent from whole-cent prices and a
/// coefficient with a few decimals are far larger than the tolerance. Negative amounts give 0.
pub fn round_up_to_cent(amount: f64) -> f64 {
    ((amount * 100.0 - CENT_TOLERANCE).ceil() / 100.0).max(0.0)
}

/// A venue's taker fee rule: `ceil(coefficient · C · P · (1 − P))` to the cent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeeSchedule {
    coefficient: f64,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        Self {
            coefficient: DEFAULT_FEE_COEFFICIENT,
        }
    }
}

impl FeeSchedule {
    /// A fee rule with this coefficient (0 for a fee-free venue).
    pub fn new(coefficient: f64) -> Result<Self, SizingError> {
        if !coefficient.is_finite() || coefficient < 0.0 {
            return Err(SizingError::FeeCoefficient(coefficient));
        }
        Ok(Self { coefficient })
    }

    pub fn coefficient(&self) -> f64 {
        self.coefficient
    }

    /// Fee for one order of `contracts` contracts at YES price `price`, rounded up to the cent.
    pub fn taker_fee(&self, contracts: u64, price: f64) -> Result<f64, SizingError> {
        if !(0.0..=1.0).contains(&price) {
            return Err(SizingError::FeePrice(price));
        }
        let raw = self.coefficient * contracts as f64 * price * (1.0 - price);
        Ok(round_up_to_cent(raw))
    }
}

/// The result of comparing a fair price with a market price, per contract.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// Fair YES price (the forecast probability `q`).
    pub fair: f64,
    /// Market YES price `p`.
    pub price: f64,
    /// Order size the fee was computed for.
    pub contracts: u64,
    /// `fair − price`: positive favours YES, negative favours NO.
    pub edge: f64,
    /// Fee of the whole order, rounded up to the cent.
    pub order_fee: f64,
    /// Fee per contract: `order_fee / contracts`.
    pub fee: f64,
    /// `|edge| − fee`: the edge of the better side after fees (≤ 0 means no trade).
    pub edge_after_fees: f64,
    pub side: Side,
    /// Fraction of the bankroll to spend on the order, fractional Kelly on the
    /// fee-inclusive cost; 0 when there is no trade.
    pub kelly_fraction: f64,
}

/// The trading rule: a venue's fees and the fractional-Kelly multiplier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizer {
    fees: FeeSchedule,
    kelly_multiplier: f64,
}

impl Default for Sizer {
    fn default() -> Self {
        Self {
            fees: FeeSchedule::default(),
            kelly_multiplier: DEFAULT_KELLY_MULTIPLIER,
        }
    }
}

impl Sizer {
    /// A rule with these fees and a Kelly multiplier in `[0, 1]` (1 is full Kelly).
    pub fn new(fees: FeeSchedule, kelly_multiplier: f64) -> Result<Self, SizingError> {
        if !(0.0..=1.0).contains(&kelly_multiplier) {
            return Err(SizingError::KellyMultiplier(kelly_multiplier));
        }
        Ok(Self {
            fees,
            kelly_multiplier,
        })
    }

    pub fn fees(&self) -> FeeSchedule {
        self.fees
    }

    pub fn kelly_multiplier(&self) -> f64 {
        self.kelly_multiplier
    }

    /// Side and size for an order of `contracts` contracts, given the forecast's fair YES
    /// price and the market's YES price.
    pub fn quote(&self, fair: f64, price: f64, contracts: u64) -> Result<Quote, SizingError> {
        if !(0.0..=1.0).contains(&fair) {
            return Err(SizingError::FairPrice(fair));
        }
        if !(price > 0.0 && price < 1.0) {
            return Err(SizingError::MarketPrice(price));
        }
        if contracts == 0 {
            return Err(SizingError::NoContracts);
        }
        let order_fee = self.fees.taker_fee(contracts, price)?;
        let fee = order_fee / contracts as f64;
        let edge = fair - price;
        let edge_after_fees = edge.abs() - fee;
        let (side, full_kelly) = if edge_after_fees <= EDGE_TOLERANCE {
            (Side::None, 0.0)
        } else if edge > 0.0 {
            (Side::Yes, kelly(fair, price + fee))
        } else {
            (Side::No, kelly(1.0 - fair, 1.0 - price + fee))
        };
        Ok(Quote {
            fair,
            price,
            contracts,
            edge,
            order_fee,
            fee,
            edge_after_fees,
            side,
            kelly_fraction: self.kelly_multiplier * full_kelly,
        })
    }
}

/// Full Kelly fraction for a contract costing `cost` that pays 1 with probability `win`:
/// `(win − cost)/(1 − cost)`, or 0 when there is no edge.
fn kelly(win: f64, cost: f64) -> f64 {
    if win <= cost {
        0.0
    } else {
        (win - cost) / (1.0 - cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn fee_is_rounded_up_to_the_cent() {
        let fees = FeeSchedule::default();
        // 0.07·100·0.5·0.5 = 1.75 exactly (1.7500000000000002 in floats): stays 1.75.
        assert_eq!(fees.taker_fee(100, 0.5).unwrap(), 1.75);
        // 0.07·1·0.5·0.5 = 0.0175 → 0.02.
        assert_eq!(fees.taker_fee(1, 0.5).unwrap(), 0.02);
        // 0.07·1·0.33·0.67 = 0.015477 → 0.02.
        assert_eq!(fees.taker_fee(1, 0.33).unwrap(), 0.02);
        // 0.07·10·0.33·0.67 = 0.15477 → 0.16; symmetric for the NO price 0.67.
        assert_eq!(fees.taker_fee(10, 0.33).unwrap(), 0.16);
        assert_eq!(fees.taker_fee(10, 0.67).unwrap(), 0.16);
        assert_eq!(fees.taker_fee(0, 0.5).unwrap(), 0.0);
        assert_eq!(fees.taker_fee(100, 1.0).unwrap(), 0.0);
        assert_eq!(
            FeeSchedule::new(0.0).unwrap().taker_fee(100, 0.5).unwrap(),
            0.0
        );
        assert_eq!(fees.taker_fee(1, 1.5), Err(SizingError::FeePrice(1.5)));
        assert!(fees.taker_fee(1, f64::NAN).is_err());
        assert!(FeeSchedule::new(-0.1).is_err());
        assert!(FeeSchedule::new(f64::INFINITY).is_err());
        assert_eq!(round_up_to_cent(0.030_000_1), 0.04);
        assert_eq!(round_up_to_cent(-1.0), 0.0);
    }

    #[test]
    fn kelly_without_fees_is_the_textbook_formula() {
        let full = Sizer::new(FeeSchedule::new(0.0).unwrap(), 1.0).unwrap();
        let (q, p) = (0.6, 0.5);
        let yes = full.quote(q, p, 10).unwrap();
        assert_eq!(yes.side, Side::Yes);
        assert!(close(yes.kelly_fraction, (q - p) / (1.0 - p)));

        let (q, p) = (0.3, 0.4);
        let no = full.quote(q, p, 10).unwrap();
        assert_eq!(no.side, Side::No);
        assert!(close(no.kelly_fraction, (p - q) / p));
        assert!(close(no.edge, -0.1));
        assert!(close(no.edge_after_fees, 0.1));

        // The default multiplier is a quarter of full Kelly.
        let quarter = Sizer::new(FeeSchedule::new(0.0).unwrap(), DEFAULT_KELLY_MULTIPLIER)
            .unwrap()
            .quote(0.3, 0.4, 10)
            .unwrap();
        assert!(close(quarter.kelly_fraction, 0.25 * (0.4 - 0.3) / 0.4));
    }

    #[test]
    fn kelly_with_fees_uses_the_fee_inclusive_cost() {
        let full = Sizer::new(FeeSchedule::default(), 1.0).unwrap();
        // 100 contracts at 0.50: fee 1.75, 0.0175 a contract; YES costs 0.5175.
        let yes = full.quote(0.6, 0.5, 100).unwrap();
        assert_eq!(yes.side, Side::Yes);
        assert!(close(yes.order_fee, 1.75));
        assert!(close(yes.fee, 0.0175));
        assert!(close(yes.edge_after_fees, 0.1 - 0.0175));
        assert!(close(yes.kelly_fraction, (0.6 - 0.5175) / (1.0 - 0.5175)));
        // NO at a YES price of 0.5 with q = 0.4: costs 0.5175, wins with 0.6.
        let no = full.quote(0.4, 0.5, 100).unwrap();
        assert_eq!(no.side, Side::No);
        assert!(close(
            no.kelly_fraction,
            (0.5 - 0.4 - 0.0175) / (0.5 - 0.0175)
        ));
    }

    #[test]
    fn an_edge_smaller_than_the_fee_is_no_trade() {
        let sizer = Sizer::default();
        // One contract at 0.50 pays a 0.02 fee; an edge of 0.01 either way does not cover it.
        for fair in [0.51, 0.49, 0.5] {
            let quote = sizer.quote(fair, 0.5, 1).unwrap();
            assert_eq!(quote.side, Side::None, "fair {fair}");
            assert_eq!(quote.kelly_fraction, 0.0);
            assert!(quote.edge_after_fees <= 0.0);
        }
        // Edge exactly equal to the fee: still no trade.
        assert_eq!(sizer.quote(0.52, 0.5, 1).unwrap().side, Side::None);
        assert_eq!(sizer.quote(0.53, 0.5, 1).unwrap().side, Side::Yes);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let sizer = Sizer::default();
        assert_eq!(sizer.quote(1.2, 0.5, 1), Err(SizingError::FairPrice(1.2)));
        assert_eq!(sizer.quote(0.5, 0.0, 1), Err(SizingError::MarketPrice(0.0)));
        assert_eq!(sizer.quote(0.5, 1.0, 1), Err(SizingError::MarketPrice(1.0)));
        assert!(sizer.quote(0.5, f64::NAN, 1).is_err());
        assert!(sizer.quote(f64::NAN, 0.5, 1).is_err());
        assert_eq!(sizer.quote(0.5, 0.5, 0), Err(SizingError::NoContracts));
        assert!(Sizer::new(FeeSchedule::default(), 1.5).is_err());
        assert!(Sizer::new(FeeSchedule::default(), f64::NAN).is_err());
    }
}

//! Price quotes: trade terms, commission and discount, currency at bank rates, export profit.
//!
//! # Trade terms
//! - FOB (free on board): the goods on the ship at the port of loading; the buyer pays freight and
//!   insurance.
//! - CFR (cost and freight; also written CNF or C&F): FOB plus ocean freight to the destination.
//! - CIF (cost, insurance and freight): CFR plus the insurance premium. The premium is charged on
//!   the insured value, which is the CIF price itself marked up (customarily by 10%), so
//!   `premium = CIF · (1 + markup) · rate` and `CIF = CFR / (1 − (1 + markup) · rate)`.
//!
//! The textbook case: USD 1,000 per tonne CIF New York, freight USD 88, insurance 0.95% with the
//! 10% markup, is FOB `1000 · (1 − 1.1 · 0.0095) − 88 = 901.55`.
//!
//! # Currency
//! Banks quote a buying rate (the bid, at which the bank buys foreign currency from you) and a
//! higher selling rate (the ask). An exporter sells its foreign receipts to the bank, so it gets
//! the buying rate; an importer buys foreign currency to pay, so it pays the selling rate. An
//! exporter turning a home-currency price into a foreign quote divides by the buying rate, since
//! that is what the foreign receipts will be converted back at. Chinese bank boards quote CNY per
//! USD 100 (661.18); [`FxRate::per_hundred`] and [`FxRate::per_unit`] accept either form.
//!
//! All results are unrounded; round for display with [`super::round_cents`].

use super::{Term, TradeError, non_negative, positive, unit_rate};

/// The customary insurance markup: the insured value is CIF plus 10%.
pub const DEFAULT_MARKUP: f64 = 0.10;

/// The insurance premium as a share of the CIF price: `(1 + markup) · insurance_rate`, checked to
/// be below 1 (otherwise no CIF price can pay its own premium).
fn premium_share(insurance_rate: f64, markup: f64) -> Result<f64, TradeError> {
    let insurance_rate = unit_rate("insurance_rate", insurance_rate)?;
    let markup = non_negative("markup", markup)?;
    let share = (1.0 + markup) * insurance_rate;
    if share < 1.0 {
        Ok(share)
    } else {
        Err(TradeError::PremiumTooLarge {
            insurance_rate,
            markup,
            share,
        })
    }
}

/// Converts a unit price between trade terms.
///
/// `freight` is per the same unit as `price` (e.g. per tonne); `insurance_rate` is a fraction
/// (0.0095 for 0.95%); `markup` is the insured-value markup, usually [`DEFAULT_MARKUP`]. All
/// inputs are validated even when the conversion does not use them, so a bad flag is never silently
/// ignored. Errors with [`TradeError::FreightNotCovered`] when a CFR or CIF price is too low to
/// pay its freight and insurance.
pub fn convert(
    price: f64,
    from: Term,
    to: Term,
    freight: f64,
    insurance_rate: f64,
    markup: f64,
) -> Result<f64, TradeError> {
    let price = non_negative("price", price)?;
    let freight = non_negative("freight", freight)?;
    let share = premium_share(insurance_rate, markup)?;
    if from == to {
        // Returned as given rather than through the hub, which would add float noise.
        return Ok(price);
    }
    // Go through CFR: CFR ↔ CIF involves only the premium and CFR ↔ FOB only the freight, so
    // each formula appears once.
    let cfr = match from {
        Term::Fob => price + freight,
        Term::Cfr => price,
        Term::Cif => price * (1.0 - share),
    };
    match to {
        Term::Fob => {
            let fob = cfr - freight;
            // A CIF price that exactly covers its freight can come back a few ulps short of it
            // after the premium is taken off: that is an FOB of zero, not an error.
            if fob < -1e-12 * freight {
                Err(TradeError::FreightNotCovered {
                    term: from,
                    price,
                    freight,
                    fob,
                })
            } else {
                Ok(fob.max(0.0))
            }
        }
        Term::Cfr => Ok(cfr),
        Term::Cif => Ok(cfr / (1.0 - share)),
    }
}

/// The insurance premium on a CIF price: `CIF · (1 + markup) · insurance_rate`.
pub fn insurance_premium(cif: f64, insurance_rate: f64, markup: f64) -> Result<f64, TradeError> {
    Ok(non_negative("cif", cif)? * premium_share(insurance_rate, markup)?)
}

/// A price offered (or bid) under a trade term, to be compared with others on a common basis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Offer {
    pub price: f64,
    pub term: Term,
}

/// Whose side of the deal is choosing between offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// An importer comparing suppliers' quotes: the lowest FOB equivalent is best.
    Buyer,
    /// An exporter comparing buyers' bids: the highest FOB equivalent (net receipts) is best.
    Seller,
}

/// Picks the best of `offers` for `side` by converting each to FOB with the same freight and
/// insurance. Returns the index of the best offer and its FOB equivalent, or `None` for no offers;
/// the first offer wins a tie.
pub fn best_offer(
    offers: &[Offer],
    side: Side,
    freight: f64,
    insurance_rate: f64,
    markup: f64,
) -> Result<Option<(usize, f64)>, TradeError> {
    let mut best: Option<(usize, f64)> = None;
    for (i, offer) in offers.iter().enumerate() {
        let fob = convert(
            offer.price,
            offer.term,
            Term::Fob,
            freight,
            insurance_rate,
            markup,
        )?;
        let better = match (best, side) {
            (None, _) => true,
            (Some((_, b)), Side::Buyer) => fob < b,
            (Some((_, b)), Side::Seller) => fob > b,
        };
        if better {
            best = Some((i, fob));
        }
    }
    Ok(best)
}

/// A price including commission (e.g. FOBC5%) that still nets `net_price` after paying the
/// middleman: `net / (1 − commission_rate)`. Commission is customarily a share of the gross
/// price, which is why this divides rather than multiplies by `1 + rate`.
pub fn with_commission(net_price: f64, commission_rate: f64) -> Result<f64, TradeError> {
    let net_price = non_negative("net_price", net_price)?;
    Ok(net_price / (1.0 - unit_rate("commission_rate", commission_rate)?))
}

/// What remains of a price including commission once the commission is paid:
/// `gross · (1 − commission_rate)`.
pub fn net_of_commission(gross_price: f64, commission_rate: f64) -> Result<f64, TradeError> {
    less_share(
        "gross_price",
        gross_price,
        "commission_rate",
        commission_rate,
    )
}

/// A list price less a discount: `list · (1 − discount_rate)`.
pub fn discounted(list_price: f64, discount_rate: f64) -> Result<f64, TradeError> {
    less_share("list_price", list_price, "discount_rate", discount_rate)
}

/// Commission paid out and discount given are both a share taken off a price.
fn less_share(
    price_name: &'static str,
    price: f64,
    rate_name: &'static str,
    rate: f64,
) -> Result<f64, TradeError> {
    Ok(non_negative(price_name, price)? * (1.0 - unit_rate(rate_name, rate)?))
}

/// An exchange rate: units of home currency per one unit of foreign currency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FxRate {
    home_per_unit: f64,
}

impl FxRate {
    /// A rate quoted per one unit of foreign currency, e.g. 6.6118 CNY per USD.
    pub fn per_unit(home_per_unit: f64) -> Result<Self, TradeError> {
        Ok(Self {
            home_per_unit: positive("home_per_unit", home_per_unit)?,
        })
    }

    /// A rate quoted per 100 units of foreign currency, as Chinese banks post it: 661.18 CNY per
    /// USD 100 is 6.6118 per USD.
    pub fn per_hundred(home_per_hundred: f64) -> Result<Self, TradeError> {
        Ok(Self {
            home_per_unit: positive("home_per_hundred", home_per_hundred)? / 100.0,
        })
    }

    /// Home currency per one unit of foreign currency.
    pub fn home_per_unit(self) -> f64 {
        self.home_per_unit
    }
}

/// Home currency an exporter receives for `foreign_amount`: `foreign × buying rate`.
pub fn exporter_receives(foreign_amount: f64, buying_rate: FxRate) -> Result<f64, TradeError> {
    Ok(non_negative("foreign_amount", foreign_amount)? * buying_rate.home_per_unit)
}

/// Home currency an importer pays for `foreign_amount`: `foreign × selling rate`.
pub fn importer_pays(foreign_amount: f64, selling_rate: FxRate) -> Result<f64, TradeError> {
    Ok(non_negative("foreign_amount", foreign_amount)? * selling_rate.home_per_unit)
}

/// The foreign-currency quote for a home-currency price: `home ÷ buying rate`, the amount whose
/// receipts convert back to the home price.
pub fn foreign_quote(home_price: f64, buying_rate: FxRate) -> Result<f64, TradeError> {
    Ok(non_negative("home_price", home_price)? / buying_rate.home_per_unit)
}

/// Export profit rate, as a fraction of cost:
/// `(fob_net × buying rate − total_cost) / total_cost`.
///
/// `fob_net` is the FOB net receipts in foreign currency (freight, insurance and commission
/// already taken off, e.g. with [`convert`] and [`net_of_commission`]); `total_cost` is the total
/// export cost in home currency.
pub fn export_profit_rate(
    fob_net: f64,
    buying_rate: FxRate,
    total_cost: f64,
) -> Result<f64, TradeError> {
    let total_cost = positive("total_cost", total_cost)?;
    Ok((exporter_receives(fob_net, buying_rate)? - total_cost) / total_cost)
}

/// FX conversion cost: home currency spent per unit of foreign currency earned,
/// `total_cost ÷ fob_net`. Below the bank's buying rate the export makes money.
pub fn fx_conversion_cost(total_cost: f64, fob_net: f64) -> Result<f64, TradeError> {
    Ok(non_negative("total_cost", total_cost)? / positive("fob_net", fob_net)?)
}

/// Terms in files (shipment TOML) read like on the command line: `"FOB"`, `"cfr"`, `"C&F"`.
impl<'de> serde::Deserialize<'de> for Term {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{round_cents, round_dp};
    use super::*;

    #[test]
    fn cif_new_york_to_fob() {
        let fob = convert(1000.0, Term::Cif, Term::Fob, 88.0, 0.0095, DEFAULT_MARKUP).unwrap();
        assert_eq!(round_cents(fob), 901.55);
    }

    #[test]
    fn soybean_offers_compared_on_fob() {
        let offers = [
            Offer {
                price: 100.0,
                term: Term::Fob,
            },
            Offer {
                price: 140.0,
                term: Term::Cfr,
            },
            Offer {
                price: 150.0,
                term: Term::Cif,
            },
        ];
        // Freight USD 20/t; insurance 1% + 0.5% with a 20% markup.
        let (freight, rate, markup) = (20.0, 0.01 + 0.005, 0.20);
        let fobs: Vec<f64> = offers
            .iter()
            .map(|o| {
                round_cents(convert(o.price, o.term, Term::Fob, freight, rate, markup).unwrap())
            })
            .collect();
        assert_eq!(fobs, [100.0, 120.0, 127.30]);

        let (i, fob) = best_offer(&offers, Side::Seller, freight, rate, markup)
            .unwrap()
            .unwrap();
        assert_eq!((i, round_cents(fob)), (2, 127.30));
        let (i, _) = best_offer(&offers, Side::Buyer, freight, rate, markup)
            .unwrap()
            .unwrap();
        assert_eq!(i, 0);
        assert_eq!(
            best_offer(&[], Side::Buyer, freight, rate, markup),
            Ok(None)
        );
    }

    #[test]
    fn commission_and_discount() {
        let gross = with_commission(850.0, 0.05).unwrap();
        assert_eq!(round_cents(gross), 894.74);
        assert_eq!(round_cents(net_of_commission(gross, 0.05).unwrap()), 850.0);
        assert_eq!(round_cents(discounted(1000.0, 0.05).unwrap()), 950.0);
    }

    #[test]
    fn currency_at_bank_rates() {
        let buying = FxRate::per_hundred(661.18).unwrap();
        assert_eq!(round_cents(foreign_quote(3000.0, buying).unwrap()), 453.73);

        let selling = FxRate::per_hundred(663.83).unwrap();
        assert_eq!(
            round_cents(importer_pays(5000.0, selling).unwrap()),
            33_191.50
        );

        // The two quoting forms are the same rate.
        let per_unit = FxRate::per_unit(6.6118).unwrap();
        assert!((per_unit.home_per_unit() - buying.home_per_unit()).abs() < 1e-12);
        assert_eq!(
            round_cents(exporter_receives(100.0, per_unit).unwrap()),
            661.18
        );
    }

    #[test]
    fn export_profit_and_fx_conversion_cost() {
        // Total cost CNY 1,250/t, sold at USD 200 CFR with USD 40 freight, CNY 7.80 per USD.
        let fob = convert(200.0, Term::Cfr, Term::Fob, 40.0, 0.0, DEFAULT_MARKUP).unwrap();
        assert_eq!(round_cents(fob), 160.0);
        let rate = FxRate::per_unit(7.80).unwrap();
        let profit = export_profit_rate(fob, rate, 1250.0).unwrap();
        assert_eq!(round_dp(profit * 100.0, 2), -0.16);
        assert_eq!(
            round_dp(fx_conversion_cost(1250.0, fob).unwrap(), 4),
            7.8125
        );
    }

    #[test]
    fn out_of_range_inputs_are_typed_errors() {
        let conv = |price, freight, rate, markup| {
            convert(price, Term::Cif, Term::Fob, freight, rate, markup).unwrap_err()
        };
        assert_eq!(
            conv(1000.0, 88.0, 1.0, 0.1),
            TradeError::RateOutOfRange {
                name: "insurance_rate",
                value: 1.0
            }
        );
        assert_eq!(
            conv(1000.0, 88.0, -0.01, 0.1),
            TradeError::RateOutOfRange {
                name: "insurance_rate",
                value: -0.01
            }
        );
        assert_eq!(
            conv(-5.0, 88.0, 0.01, 0.1),
            TradeError::Negative {
                name: "price",
                value: -5.0
            }
        );
        assert_eq!(
            conv(1000.0, -1.0, 0.01, 0.1),
            TradeError::Negative {
                name: "freight",
                value: -1.0
            }
        );
        assert!(matches!(
            conv(f64::NAN, 88.0, 0.01, 0.1),
            TradeError::NotFinite { name: "price", .. }
        ));
        // 1.1 · 0.95 ≥ 1: the premium would swallow the whole CIF price.
        assert!(matches!(
            conv(1000.0, 88.0, 0.95, 0.1),
            TradeError::PremiumTooLarge { .. }
        ));
        assert!(matches!(
            conv(80.0, 88.0, 0.01, 0.1),
            TradeError::FreightNotCovered {
                term: Term::Cif,
                ..
            }
        ));
        assert_eq!(
            with_commission(850.0, 1.0).unwrap_err().to_string(),
            "commission_rate must be a fraction in [0, 1), got 1"
        );
        assert!(FxRate::per_hundred(0.0).is_err());
        assert!(fx_conversion_cost(1250.0, 0.0).is_err());
    }

    #[test]
    fn parses_terms() {
        assert_eq!("fob".parse(), Ok(Term::Fob));
        assert_eq!(" CIF ".parse(), Ok(Term::Cif));
        assert_eq!("CFR".parse(), Ok(Term::Cfr));
        assert_eq!("cnf".parse(), Ok(Term::Cfr));
        assert_eq!("C&F".parse(), Ok(Term::Cfr));
        assert_eq!(
            "DAP".parse::<Term>(),
            Err(TradeError::UnknownTerm("DAP".into()))
        );
        assert_eq!(Term::Cfr.to_string(), "CFR");
    }

    #[test]
    fn conversions_round_trip() {
        const TERMS: [Term; 3] = [Term::Fob, Term::Cfr, Term::Cif];
        for price in [0.0, 0.01, 127.3, 901.55, 1000.0, 98_765.43] {
            for freight in [0.0, 20.0, 88.0] {
                for (rate, markup) in [(0.0, 0.1), (0.0095, 0.1), (0.015, 0.2), (0.3, 1.5)] {
                    // FOB → CIF → FOB, spelled out, then every pair of terms.
                    let cif = convert(price, Term::Fob, Term::Cif, freight, rate, markup).unwrap();
                    let back = convert(cif, Term::Cif, Term::Fob, freight, rate, markup).unwrap();
                    assert!((back - price).abs() < 1e-9, "{price} → {cif} → {back}");
                    for from in TERMS {
                        for to in TERMS {
                            // Start from FOB so every CFR/CIF price covers its freight.
                            let p = convert(price, Term::Fob, from, freight, rate, markup).unwrap();
                            let q = convert(p, from, to, freight, rate, markup).unwrap();
                            let r = convert(q, to, from, freight, rate, markup).unwrap();
                            assert!((r - p).abs() < 1e-9, "{from}→{to}: {p} → {q} → {r}");
                        }
                    }
                }
            }
        }
    }
}

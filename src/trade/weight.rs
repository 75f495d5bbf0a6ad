//! Chargeable weight and freight by transport mode.
//!
//! Carriers sell space as well as lift, so every mode measures a load twice, by weight and by
//! volume, and bills the larger:
//! - Air: chargeable weight = max(gross kg, volume cm³ / divisor). With the IATA divisor of
//!   6000 cm³ per kg ([`AIR_DIVISOR`]), 1 m³ bills as 166.67 kg; express couriers often use 5000.
//! - Sea LCL: revenue tons (W/M) = max(gross tonnes, volume m³), i.e. 1 m³ bills as 1,000 kg.
//! - Sea FCL: whole containers, enough for both the cube and the payload.
//!
//! # Why light, bulky goods cost more than their weight says
//! 100 lamp shades packed to 4 m³ weigh 50 kg. By air they bill as 4,000,000 cm³ / 6000 =
//! 666.67 kg, over 13 times the scale weight: at USD 7/kg that is USD 4,666.67 (46.67 a unit)
//! where the weight alone says USD 350. By sea LCL the same load is 4 revenue tons, not 0.05.
//! Dense goods are billed by weight: 1,000 items of 0.3 kg in a 0.5 m³ carton bill at their
//! 300 kg, USD 2,100–2,400 at USD 7–8/kg, or 2.10–2.40 a unit.
//!
//! Not modelled: minimum charges (the air "M" rate, the usual 1 revenue-ton LCL minimum), air
//! weight breaks, surcharges (fuel, security, BAF, peak season) and terminal charges; rail and
//! road. Results are unrounded; round for display with [`super::round_cents`].

use std::fmt;

use super::{TradeError, non_negative, positive};

/// The IATA volumetric divisor: cm³ per chargeable kg by air.
pub const AIR_DIVISOR: f64 = 6000.0;

/// The sea-freight weight/measure ratio: 1 m³ of LCL cargo bills as 1,000 kg (one revenue ton).
pub const LCL_KG_PER_M3: f64 = 1000.0;

const CM3_PER_M3: f64 = 1_000_000.0;

/// How the goods travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Air,
    /// Less than container load: consolidated with other shippers' cargo, billed per revenue ton.
    SeaLcl,
    /// Full container load: billed per container.
    SeaFcl,
}

impl Mode {
    /// A short label for tables: "air", "sea LCL", "sea FCL".
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Air => "air",
            Mode::SeaLcl => "sea LCL",
            Mode::SeaFcl => "sea FCL",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A container's usable limits.
///
/// The presets use round planning figures: the nominal internal cube (ISO dry boxes hold about
/// 33.2, 67.7 and 76.3 m³) rounded down, and a payload of the 30,480 kg maximum gross less a
/// typical tare (about 2,200 kg for a 20' and 3,750–3,900 kg for a 40'). Real boxes vary by line,
/// road limits at either end often cap loads lower, and cartons rarely fill more than 85–90% of
/// the cube: build your own spec with a smaller `capacity_m3` to plan with a stowage factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContainerSpec {
    pub name: &'static str,
    pub capacity_m3: f64,
    pub max_payload_kg: f64,
}

impl ContainerSpec {
    /// 20-foot dry box: 33 m³, 28,000 kg. Heavy cargo (stone, metal) goes in 20s.
    pub const TWENTY_FOOT: Self = Self {
        name: "20' GP",
        capacity_m3: 33.0,
        max_payload_kg: 28_000.0,
    };
    /// 40-foot dry box: 67 m³, 26,500 kg; twice the cube of a 20' but a lower payload.
    pub const FORTY_FOOT: Self = Self {
        name: "40' GP",
        capacity_m3: 67.0,
        max_payload_kg: 26_500.0,
    };
    /// 40-foot high cube: 76 m³, 26,500 kg; the usual box for light, bulky goods.
    pub const FORTY_FOOT_HIGH_CUBE: Self = Self {
        name: "40' HC",
        capacity_m3: 76.0,
        max_payload_kg: 26_500.0,
    };
}

/// A load measured twice in a mode's charging unit, by its weight alone and by its volume alone.
/// Carriers bill the larger, which is the whole of the chargeable-weight rule.
#[derive(Clone, Copy, Debug)]
struct Load {
    by_weight: f64,
    by_volume: f64,
}

impl Load {
    fn chargeable(self) -> f64 {
        self.by_weight.max(self.by_volume)
    }

    fn volumetric(self) -> bool {
        self.by_volume > self.by_weight
    }
}

/// Air load in kg.
fn air_load(gross_kg: f64, volume_cm3: f64, divisor: f64) -> Result<Load, TradeError> {
    Ok(Load {
        by_weight: non_negative("gross_kg", gross_kg)?,
        by_volume: volume_weight_kg(volume_cm3, divisor)?,
    })
}

/// LCL load in revenue tons (m³, or tonnes at 1,000 kg per m³).
fn lcl_load(gross_kg: f64, volume_m3: f64) -> Result<Load, TradeError> {
    Ok(Load {
        by_weight: non_negative("gross_kg", gross_kg)? / LCL_KG_PER_M3,
        by_volume: non_negative("volume_m3", volume_m3)?,
    })
}

/// FCL load in containers, as fractions of one container's payload and cube.
fn fcl_load(gross_kg: f64, volume_m3: f64, container: &ContainerSpec) -> Result<Load, TradeError> {
    Ok(Load {
        by_weight: non_negative("gross_kg", gross_kg)?
            / positive("max_payload_kg", container.max_payload_kg)?,
        by_volume: non_negative("volume_m3", volume_m3)?
            / positive("capacity_m3", container.capacity_m3)?,
    })
}

/// Whole containers for a load of `fraction` containers: at least one, and a load within 1e-9 of
/// a whole number (66.000000001 m³ in 33 m³ boxes, from float noise) is not an extra box.
fn container_count(fraction: f64) -> u32 {
    // Saturating cast; no shipment comes near u32::MAX boxes.
    (fraction - 1e-9).ceil().max(1.0) as u32
}

/// Volume weight by air: `volume_cm3 / divisor` kg. Pass [`AIR_DIVISOR`] unless the carrier says
/// otherwise.
pub fn volume_weight_kg(volume_cm3: f64, divisor: f64) -> Result<f64, TradeError> {
    Ok(non_negative("volume_cm3", volume_cm3)? / positive("divisor", divisor)?)
}

/// Chargeable weight by air: the larger of gross weight and volume weight, in kg.
pub fn air_chargeable_kg(gross_kg: f64, volume_cm3: f64, divisor: f64) -> Result<f64, TradeError> {
    air_load(gross_kg, volume_cm3, divisor).map(Load::chargeable)
}

/// Revenue tons by sea LCL: the larger of gross tonnes and volume in m³.
pub fn revenue_tons(gross_kg: f64, volume_m3: f64) -> Result<f64, TradeError> {
    lcl_load(gross_kg, volume_m3).map(Load::chargeable)
}

/// Containers needed by sea FCL: enough for both the cube and the payload, and at least one.
pub fn containers_needed(
    gross_kg: f64,
    volume_m3: f64,
    container: &ContainerSpec,
) -> Result<u32, TradeError> {
    fcl_load(gross_kg, volume_m3, container).map(|load| container_count(load.chargeable()))
}

/// A carrier's price for one mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tariff {
    /// Per chargeable kg, with the volumetric divisor in cm³ per kg.
    Air { per_kg: f64, divisor: f64 },
    /// Per revenue ton (W/M).
    SeaLcl { per_revenue_ton: f64 },
    /// Per container of the given kind.
    SeaFcl {
        per_container: f64,
        container: ContainerSpec,
    },
}

impl Tariff {
    /// An air tariff with the standard [`AIR_DIVISOR`].
    pub fn air(per_kg: f64) -> Self {
        Tariff::Air {
            per_kg,
            divisor: AIR_DIVISOR,
        }
    }

    /// The mode this tariff prices.
    pub fn mode(&self) -> Mode {
        match self {
            Tariff::Air { .. } => Mode::Air,
            Tariff::SeaLcl { .. } => Mode::SeaLcl,
            Tariff::SeaFcl { .. } => Mode::SeaFcl,
        }
    }
}

/// One way to ship: a tariff and the door-to-door or port-to-port transit time it comes with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FreightOption {
    pub tariff: Tariff,
    pub transit_days: u32,
}

/// What is being shipped: the number of sellable units, the gross weight and the packed volume of
/// the whole shipment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shipment {
    pub units: u32,
    pub gross_kg: f64,
    pub volume_m3: f64,
}

/// The quantity a freight charge is billed on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Basis {
    /// Chargeable kg (air).
    Kg(f64),
    /// Revenue tons (sea LCL).
    RevenueTons(f64),
    /// Whole containers of one kind (sea FCL).
    Containers { count: u32, container: &'static str },
}

impl Basis {
    /// The billed quantity as a number, to multiply by the tariff's rate.
    pub fn quantity(&self) -> f64 {
        match *self {
            Basis::Kg(q) | Basis::RevenueTons(q) => q,
            Basis::Containers { count, .. } => f64::from(count),
        }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Basis::Kg(kg) => write!(f, "{:.2} kg", super::round_cents(kg)),
            // Three decimals: a revenue ton is quoted to the kg / dm³.
            Basis::RevenueTons(rt) => write!(f, "{:.3} RT", super::round_dp(rt, 3)),
            Basis::Containers { count, container } => write!(f, "{count} × {container}"),
        }
    }
}

/// One row of a mode comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FreightQuote {
    pub mode: Mode,
    pub basis: Basis,
    /// True when volume, not weight, set the charge: the goods pay for the space they take.
    pub volumetric: bool,
    pub freight_total: f64,
    pub freight_per_unit: f64,
    pub transit_days: u32,
}

/// Prices `shipment` under one freight option.
pub fn freight(shipment: &Shipment, option: &FreightOption) -> Result<FreightQuote, TradeError> {
    // Check the shipment under its own field names before converting units for the tariff.
    let gross_kg = non_negative("gross_kg", shipment.gross_kg)?;
    let volume_m3 = non_negative("volume_m3", shipment.volume_m3)?;
    let units = positive("units", f64::from(shipment.units))?;
    let (load, basis, rate) = match option.tariff {
        Tariff::Air { per_kg, divisor } => {
            let load = air_load(gross_kg, volume_m3 * CM3_PER_M3, divisor)?;
            (load, Basis::Kg(load.chargeable()), ("per_kg", per_kg))
        }
        Tariff::SeaLcl { per_revenue_ton } => {
            let load = lcl_load(gross_kg, volume_m3)?;
            let basis = Basis::RevenueTons(load.chargeable());
            (load, basis, ("per_revenue_ton", per_revenue_ton))
        }
        Tariff::SeaFcl {
            per_container,
            container,
        } => {
            let load = fcl_load(gross_kg, volume_m3, &container)?;
            let basis = Basis::Containers {
                count: container_count(load.chargeable()),
                container: container.name,
            };
            (load, basis, ("per_container", per_container))
        }
    };
    let freight_total = basis.quantity() * non_negative(rate.0, rate.1)?;
    Ok(FreightQuote {
        mode: option.tariff.mode(),
        basis,
        volumetric: load.volumetric(),
        freight_total,
        freight_per_unit: freight_total / units,
        transit_days: option.transit_days,
    })
}

/// Prices `shipment` under each option: one row per option, in the order given.
pub fn compare(
    shipment: &Shipment,
    options: &[FreightOption],
) -> Result<Vec<FreightQuote>, TradeError> {
    options
        .iter()
        .map(|option| freight(shipment, option))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::round_cents;
    use super::*;

    /// 100 items packed to 4 m³, 50 kg in all.
    const BULKY: Shipment = Shipment {
        units: 100,
        gross_kg: 50.0,
        volume_m3: 4.0,
    };

    #[test]
    fn bulky_goods_bill_by_volume_by_air() {
        assert_eq!(
            round_cents(volume_weight_kg(4_000_000.0, AIR_DIVISOR).unwrap()),
            666.67
        );
        assert_eq!(
            round_cents(air_chargeable_kg(50.0, 4_000_000.0, AIR_DIVISOR).unwrap()),
            666.67
        );
        // A courier's 5000 divisor bills the same box heavier still.
        assert_eq!(air_chargeable_kg(50.0, 4_000_000.0, 5000.0), Ok(800.0));

        let q = freight(
            &BULKY,
            &FreightOption {
                tariff: Tariff::air(7.0),
                transit_days: 3,
            },
        )
        .unwrap();
        assert!(q.volumetric);
        assert_eq!(q.basis.to_string(), "666.67 kg");
        assert_eq!(round_cents(q.freight_total), 4666.67);
        assert_eq!(round_cents(q.freight_per_unit), 46.67);
        // Over thirteen times what the scale weight alone would cost (50 kg × 7 = 350).
        assert!(q.freight_total > 13.0 * 350.0);
    }

    #[test]
    fn dense_goods_bill_by_weight_by_air() {
        // 1,000 items of 0.3 kg in a 0.5 m³ carton: 83.33 kg by volume, 300 kg by weight.
        let dense = Shipment {
            units: 1000,
            gross_kg: 300.0,
            volume_m3: 0.5,
        };
        let at = |per_kg| {
            freight(
                &dense,
                &FreightOption {
                    tariff: Tariff::air(per_kg),
                    transit_days: 3,
                },
            )
            .unwrap()
        };
        let (low, high) = (at(7.0), at(8.0));
        assert!(!low.volumetric);
        assert_eq!(low.basis, Basis::Kg(300.0));
        assert_eq!(round_cents(low.freight_total), 2100.0);
        assert_eq!(round_cents(high.freight_total), 2400.0);
        assert_eq!(round_cents(low.freight_per_unit), 2.10);
        assert_eq!(round_cents(high.freight_per_unit), 2.40);
    }

    #[test]
    fn revenue_tons_take_the_larger_measure() {
        assert_eq!(revenue_tons(50.0, 4.0), Ok(4.0));
        assert_eq!(revenue_tons(2500.0, 1.2), Ok(2.5));
    }

    #[test]
    fn containers_cover_cube_and_payload() {
        let twenty = ContainerSpec::TWENTY_FOOT;
        // Cube-bound: 40 m³ of light goods needs two 20s, or one 40.
        assert_eq!(containers_needed(3000.0, 40.0, &twenty), Ok(2));
        assert_eq!(
            containers_needed(3000.0, 40.0, &ContainerSpec::FORTY_FOOT),
            Ok(1)
        );
        // Payload-bound: 30 t of steel in 10 m³ needs two 20s despite the empty space.
        assert_eq!(containers_needed(30_000.0, 10.0, &twenty), Ok(2));
        // Exactly full is one box, float noise included; an empty booking is still one box.
        assert_eq!(containers_needed(0.0, 0.1 + 0.2 + 32.7, &twenty), Ok(1));
        assert_eq!(containers_needed(0.0, 0.0, &twenty), Ok(1));
    }

    #[test]
    fn compares_modes_row_by_row() {
        let options = [
            FreightOption {
                tariff: Tariff::air(7.0),
                transit_days: 3,
            },
            FreightOption {
                tariff: Tariff::SeaLcl {
                    per_revenue_ton: 80.0,
                },
                transit_days: 30,
            },
            FreightOption {
                tariff: Tariff::SeaFcl {
                    per_container: 1500.0,
                    container: ContainerSpec::TWENTY_FOOT,
                },
                transit_days: 25,
            },
        ];
        let rows = compare(&BULKY, &options).unwrap();
        let summary: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.mode,
                    r.basis.to_string(),
                    round_cents(r.freight_total),
                    round_cents(r.freight_per_unit),
                    r.transit_days,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (Mode::Air, "666.67 kg".to_owned(), 4666.67, 46.67, 3),
                (Mode::SeaLcl, "4.000 RT".to_owned(), 320.0, 3.2, 30),
                (Mode::SeaFcl, "1 × 20' GP".to_owned(), 1500.0, 15.0, 25),
            ]
        );
        assert!(rows.iter().all(|r| r.volumetric));
    }

    #[test]
    fn rejects_bad_inputs() {
        let air = FreightOption {
            tariff: Tariff::air(7.0),
            transit_days: 3,
        };
        assert_eq!(
            volume_weight_kg(1000.0, 0.0),
            Err(TradeError::NotPositive {
                name: "divisor",
                value: 0.0
            })
        );
        let no_units = Shipment { units: 0, ..BULKY };
        assert!(matches!(
            freight(&no_units, &air),
            Err(TradeError::NotPositive { name: "units", .. })
        ));
        let negative = Shipment {
            gross_kg: -1.0,
            ..BULKY
        };
        assert!(matches!(
            freight(&negative, &air),
            Err(TradeError::Negative {
                name: "gross_kg",
                ..
            })
        ));
        let bad_rate = FreightOption {
            tariff: Tariff::SeaLcl {
                per_revenue_ton: f64::NAN,
            },
            transit_days: 30,
        };
        assert!(matches!(
            freight(&BULKY, &bad_rate),
            Err(TradeError::NotFinite {
                name: "per_revenue_ton",
                ..
            })
        ));
    }
}

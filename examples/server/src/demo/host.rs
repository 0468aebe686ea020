//! [`DemoHost`]: the CRM of the demo agency "Harbour & Co", in process. Six properties in and
//! around Brighton (four let: a flat, a house, an HMO and a cottage; two for sale) with data
//! behind every built-in widget, computed from "today" so the demo always looks current:
//! rent ledgers and statements, balances and arrears, floats, future deductions, inspections,
//! offers, viewings with feedback, team members and documents with real PDF or text content.
//!
//! Everything is deterministic for a given day ([`DemoHost::at`] fixes it; [`DemoHost::new`]
//! reads the system clock at each call, which is fine here: the host is outside core).

use super::pdf;
use async_trait::async_trait;
use portico_core::AgencyId;
use portico_core::access::records::{DocumentCategory, PropertyKind, StaffRef};
use portico_core::host::*;
use time::{Date, Duration, Month, OffsetDateTime};

/// The currency of every demo amount.
const GBP: &str = "GBP";

fn gbp(minor: i64) -> Money {
    Money {
        minor,
        currency: GBP.into(),
    }
}

/// A property of the demo CRM, as the seed registers it with the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoProperty {
    /// The CRM's reference (the portal's `host_ref`).
    pub host_ref: &'static str,
    /// Let or for sale.
    pub kind: PropertyKind,
    /// Address shown to clients.
    pub display_name: &'static str,
    /// What it is, in a few words (for the console and the index page).
    pub summary: &'static str,
    /// Property manager (lettings).
    pub manager: Option<&'static str>,
    /// Negotiator (sales).
    pub negotiator: Option<&'static str>,
    /// Valuer (sales).
    pub valuer: Option<&'static str>,
}

/// A file of the demo CRM that can be shared into the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDocument {
    /// The property's `host_ref`.
    pub property: &'static str,
    /// The file's reference in the CRM (unique per property).
    pub host_ref: String,
    /// Category.
    pub category: DocumentCategory,
    /// Title shown to clients.
    pub title: String,
    /// Whether the seed shares it (the others are left for the console to share).
    pub shared_by_seed: bool,
}

/// The demo CRM's properties.
pub const PROPERTIES: &[DemoProperty] = &[
    DemoProperty {
        host_ref: "HC-L-1001",
        kind: PropertyKind::Lettings,
        display_name: "Flat 4, 27 Marine Parade, Brighton BN2 1TL",
        summary: "two-bedroom sea-view flat, let at £1,450 a month",
        manager: Some("sarah.mitchell"),
        negotiator: None,
        valuer: None,
    },
    DemoProperty {
        host_ref: "HC-L-1002",
        kind: PropertyKind::Lettings,
        display_name: "14 Orchard Close, Lewes BN7 2QE",
        summary: "three-bedroom family house, let at £1,950 a month (in arrears)",
        manager: Some("sarah.mitchell"),
        negotiator: None,
        valuer: None,
    },
    DemoProperty {
        host_ref: "HC-L-1003",
        kind: PropertyKind::Lettings,
        display_name: "32 Ditchling Road, Brighton BN1 4SE",
        summary: "licensed five-room HMO, £725 a room",
        manager: Some("oliver.grant"),
        negotiator: None,
        valuer: None,
    },
    DemoProperty {
        host_ref: "HC-L-1004",
        kind: PropertyKind::Lettings,
        display_name: "2 Mill Cottages, Church Lane, Ditchling BN6 8TB",
        summary: "two-bedroom period cottage, let at £1,650 a month",
        manager: Some("oliver.grant"),
        negotiator: None,
        valuer: None,
    },
    DemoProperty {
        host_ref: "HC-S-2001",
        kind: PropertyKind::Sales,
        display_name: "9 Clifton Terrace, Brighton BN1 3HA",
        summary: "Regency townhouse for sale, guide price £675,000",
        manager: None,
        negotiator: Some("daniel.reeves"),
        valuer: Some("helen.carter"),
    },
    DemoProperty {
        host_ref: "HC-S-2002",
        kind: PropertyKind::Sales,
        display_name: "Flat 12, Regency House, 45 Preston Road, Brighton BN1 6AF",
        summary: "one-bedroom flat, sale agreed at £280,000",
        manager: None,
        negotiator: None,
        valuer: Some("helen.carter"),
    },
];

/// The property of the demo CRM with this reference.
pub fn property(host_ref: &str) -> Option<&'static DemoProperty> {
    PROPERTIES.iter().find(|p| p.host_ref == host_ref)
}

// ---- lettings ---------------------------------------------------------------------------

/// How the rent has been paid.
#[derive(Debug, Clone, Copy)]
enum Payment {
    /// Always on the due date, or a day or two after.
    OnTime,
    /// The current month part paid (`paid` pence), last month paid `late_days` late.
    Arrears { paid: i64, late_days: i64 },
}

/// A let property's terms and history (amounts in pence).
struct Letting {
    host_ref: &'static str,
    rent: i64,
    /// Management fee in tenths of a percent, VAT included (144 = 12 % + VAT).
    fee_permille: i64,
    /// Tenancy start, in months before the current month.
    start_months_ago: i32,
    payment: Payment,
    /// Repairs paid from the rent: (months ago, day of month, what, pence).
    repairs: &'static [(i32, u8, &'static str, i64)],
    /// The float held for the landlord.
    float: i64,
    /// Expenses paid from the float: (days ago, what, pence).
    float_expenses: &'static [(i64, &'static str, i64)],
    /// Items not yet deducted: (days ahead, what, pence).
    upcoming: &'static [(i64, &'static str, i64)],
    /// Inspections: (days ago, kind, summary).
    inspections: &'static [(i64, &'static str, &'static str)],
    tenants: &'static str,
    epc: &'static str,
    /// Days since the gas safety check.
    gas_checked_days_ago: i64,
}

const LETTINGS: &[Letting] = &[
    Letting {
        host_ref: "HC-L-1001",
        rent: 145_000,
        fee_permille: 144,
        start_months_ago: 14,
        payment: Payment::OnTime,
        repairs: &[
            (2, 18, "Boiler service – Southern Gas Ltd", 9_600),
            (
                5,
                7,
                "Replace bathroom extractor fan – Coast Electrical",
                18_500,
            ),
        ],
        float: 25_000,
        float_expenses: &[
            (12, "Replacement smoke alarm, hallway", 4_500),
            (47, "Locksmith – new front door keys", 7_800),
        ],
        upcoming: &[
            (9, "Management fee for next month (12% + VAT)", 20_880),
            (38, "Gas safety check renewal", 8_500),
        ],
        inspections: &[
            (
                41,
                "routine",
                "Flat clean and well kept. Minor condensation on the bedroom window; tenant advised to ventilate. No action needed from the landlord.",
            ),
            (
                223,
                "routine",
                "Good condition throughout. Bathroom extractor fan not working: replaced (see statement).",
            ),
            (
                425,
                "check-in",
                "Inventory and schedule of condition agreed with the tenant; 3 sets of keys handed over.",
            ),
        ],
        tenants: "Tom Reilly",
        epc: "C",
        gas_checked_days_ago: 327,
    },
    Letting {
        host_ref: "HC-L-1002",
        rent: 195_000,
        fee_permille: 144,
        start_months_ago: 9,
        payment: Payment::Arrears {
            paid: 120_000,
            late_days: 9,
        },
        repairs: &[(
            3,
            22,
            "Garden fence panels replaced after storm – Lewes Landscapes",
            42_000,
        )],
        float: 30_000,
        float_expenses: &[(26, "Gutter clearance", 9_500)],
        upcoming: &[
            (9, "Management fee for next month (12% + VAT)", 28_080),
            (21, "Annual boiler service", 9_600),
        ],
        inspections: &[
            (
                63,
                "routine",
                "House in fair order. Lawn overgrown; tenants reminded of their garden obligations. Rent arrears discussed: payment plan agreed.",
            ),
            (
                272,
                "check-in",
                "Inventory signed by both tenants; meter readings taken (gas 04512, electricity 33871).",
            ),
        ],
        tenants: "Aisha and Ben Carter",
        epc: "D",
        gas_checked_days_ago: 251,
    },
    Letting {
        host_ref: "HC-L-1003",
        rent: 362_500,
        fee_permille: 156,
        start_months_ago: 20,
        payment: Payment::Arrears {
            paid: 290_000,
            late_days: 3,
        },
        repairs: &[
            (
                1,
                12,
                "Fire alarm panel annual test – Sussex Fire Safety",
                16_000,
            ),
            (4, 9, "Kitchen tap cartridge replaced", 6_500),
            (6, 15, "Room 3 door closer replaced", 8_800),
        ],
        float: 50_000,
        float_expenses: &[
            (5, "Communal cleaning – November", 12_000),
            (19, "Bulbs and batteries, communal areas", 2_350),
            (36, "Communal cleaning – October", 12_000),
        ],
        upcoming: &[
            (9, "Management fee for next month (13% + VAT)", 56_550),
            (14, "Communal cleaning", 12_000),
            (60, "HMO licence renewal contribution", 35_000),
        ],
        inspections: &[
            (
                17,
                "HMO compliance",
                "Fire doors, alarms and emergency lighting tested and working. Room 5 smoke detector head cleaned.",
            ),
            (
                108,
                "routine",
                "All five rooms occupied and in good order. Communal kitchen deep clean recommended.",
            ),
            (
                290,
                "routine",
                "Satisfactory. Damp patch in the shower room ceiling monitored; no growth since last visit.",
            ),
        ],
        tenants: "five sharers (rooms 1–5)",
        epc: "C",
        gas_checked_days_ago: 190,
    },
    Letting {
        host_ref: "HC-L-1004",
        rent: 165_000,
        fee_permille: 120,
        start_months_ago: 30,
        payment: Payment::OnTime,
        repairs: &[(
            3,
            5,
            "Chimney sweep and bird guard – Downs Chimneys",
            14_500,
        )],
        float: 20_000,
        float_expenses: &[(33, "Oil tank level gauge replaced", 6_200)],
        upcoming: &[
            (9, "Management fee for next month (10% + VAT)", 19_800),
            (
                45,
                "Electrical installation condition report (EICR)",
                19_500,
            ),
        ],
        inspections: &[
            (
                88,
                "routine",
                "Cottage very well kept by the tenant. Small crack in the kitchen window pane; quote requested.",
            ),
            (270, "routine", "Good condition. Garden well maintained."),
        ],
        tenants: "Eleanor Price",
        epc: "E",
        gas_checked_days_ago: 96,
    },
];

fn letting(host_ref: &str) -> Option<&'static Letting> {
    LETTINGS.iter().find(|l| l.host_ref == host_ref)
}

/// The first day of the month `months_ago` months before `today`'s month.
fn month_start(today: Date, months_ago: i32) -> Date {
    let index = today.year() * 12 + i32::from(u8::from(today.month())) - 1 - months_ago;
    let year = index.div_euclid(12);
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(Month::January);
    Date::from_calendar_date(year, month, 1).unwrap_or(today)
}

fn month_name(d: Date) -> String {
    format!("{} {}", d.month(), d.year())
}

fn plus_days(d: Date, days: i64) -> Date {
    d.checked_add(Duration::days(days)).unwrap_or(d)
}

fn instalments(l: &Letting, today: Date) -> Vec<RentInstalment> {
    (0..=l.start_months_ago)
        .map(|k| {
            let due_on = month_start(today, k);
            let (paid, paid_on) = match (l.payment, k) {
                (Payment::Arrears { paid, .. }, 0) => (paid, None),
                (Payment::Arrears { late_days, .. }, 1) => {
                    (l.rent, Some(plus_days(due_on, late_days)))
                }
                (_, 0) => (l.rent, Some(due_on)),
                _ => (l.rent, Some(plus_days(due_on, i64::from(k % 3)))),
            };
            RentInstalment {
                due_on,
                due: gbp(l.rent),
                paid: gbp(paid),
                paid_on,
            }
        })
        .collect()
}

fn tx(date: Date, description: impl Into<String>, minor: i64) -> Transaction {
    Transaction {
        date,
        description: description.into(),
        amount: gbp(minor),
    }
}

/// Every entry of the property's client account up to `today`, oldest first: rent received,
/// the management fee, repairs, and the payment of each month's net to the landlord on the
/// 10th of the next month.
fn ledger(l: &Letting, today: Date) -> Vec<Transaction> {
    let mut out = Vec::new();
    let fee_label = format!(
        "Management fee ({}.{}% incl. VAT)",
        l.fee_permille / 10,
        l.fee_permille % 10
    );
    for (k, inst) in (0..=l.start_months_ago).zip(instalments(l, today)) {
        let month = inst.due_on;
        let received_on = inst.paid_on.unwrap_or(inst.due_on);
        let mut net = 0;
        let received = inst.paid.minor;
        if received > 0 && received_on <= today {
            let label = if received < inst.due.minor {
                format!("Rent received – {} (part payment)", month_name(month))
            } else {
                format!("Rent received – {}", month_name(month))
            };
            out.push(tx(received_on, label, received));
            net += received;
            let fee_on = plus_days(received_on, 2);
            if fee_on <= today {
                let fee = received * l.fee_permille / 1000;
                out.push(tx(fee_on, fee_label.clone(), -fee));
                net -= fee;
            }
        }
        for &(ago, day, what, minor) in l.repairs {
            let on = plus_days(month, i64::from(day) - 1);
            if ago == k && on <= today {
                out.push(tx(on, what, -minor));
                net -= minor;
            }
        }
        if k >= 1 {
            let paid_out_on = plus_days(month_start(today, k - 1), 9);
            if paid_out_on <= today && net > 0 {
                out.push(tx(
                    paid_out_on,
                    format!("Payment to landlord – {}", month_name(month)),
                    -net,
                ));
            }
        }
    }
    out.sort_by_key(|t| t.date);
    out
}

fn sum(items: &[Transaction]) -> i64 {
    items.iter().map(|t| t.amount.minor).sum()
}

fn statement_for(l: &Letting, today: Date, period: Period) -> Statement {
    let all = ledger(l, today);
    let opening = sum(&all
        .iter()
        .filter(|t| t.date < period.from)
        .cloned()
        .collect::<Vec<_>>());
    let transactions: Vec<Transaction> = all
        .into_iter()
        .filter(|t| t.date >= period.from && t.date <= period.to)
        .collect();
    let closing = opening + sum(&transactions);
    Statement {
        period,
        opening_balance: gbp(opening),
        transactions,
        closing_balance: gbp(closing),
    }
}

// ---- sales ------------------------------------------------------------------------------

struct Sale {
    host_ref: &'static str,
    /// (days ago, pence, status, buyer first, buyer last).
    offers: &'static [(i64, i64, &'static str, &'static str, &'static str)],
    /// (days from today, hour, buyer first, buyer last, status).
    viewings: &'static [(i64, u8, &'static str, &'static str, &'static str)],
    /// (days ago, buyer first, buyer last, comment, interest 1–5).
    feedback: &'static [(i64, &'static str, &'static str, &'static str, u8)],
    asking: i64,
    epc: &'static str,
}

const SALES: &[Sale] = &[
    Sale {
        host_ref: "HC-S-2001",
        offers: &[
            (2, 65_500_000, "pending", "James", "Whitfield"),
            (9, 64_000_000, "rejected", "Laura", "Bennett"),
            (16, 62_500_000, "withdrawn", "Mark", "Thompson"),
        ],
        viewings: &[
            (-21, 11, "Mark", "Thompson", "done"),
            (-17, 16, "Laura", "Bennett", "done"),
            (-12, 10, "James", "Whitfield", "done"),
            (-8, 14, "Sophie", "Turner", "cancelled"),
            (-4, 17, "James", "Whitfield", "done"),
            (2, 12, "Rachel", "Osei", "booked"),
            (5, 10, "Hugo", "Lambert", "booked"),
        ],
        feedback: &[
            (
                4,
                "James",
                "Whitfield",
                "Second viewing with an architect; happy with the layout and the loft potential. Offer to follow.",
                5,
            ),
            (
                12,
                "James",
                "Whitfield",
                "Loved the period features and the light in the drawing room. Concerned about street parking.",
                4,
            ),
            (
                17,
                "Laura",
                "Bennett",
                "Good size but the kitchen needs updating; would offer below the guide price.",
                3,
            ),
            (
                21,
                "Mark",
                "Thompson",
                "Lovely house; the garden is smaller than they hoped.",
                2,
            ),
        ],
        asking: 67_500_000,
        epc: "D",
    },
    Sale {
        host_ref: "HC-S-2002",
        offers: &[
            (
                24,
                28_000_000,
                "accepted – sale agreed, solicitors instructed",
                "Chloe",
                "Adams",
            ),
            (29, 27_000_000, "rejected", "Nathan", "Hughes"),
        ],
        viewings: &[
            (-40, 18, "Nathan", "Hughes", "done"),
            (-33, 12, "Chloe", "Adams", "done"),
            (-30, 17, "Chloe", "Adams", "done"),
            (9, 11, "Chloe", "Adams", "booked (measure-up visit)"),
        ],
        feedback: &[
            (
                30,
                "Chloe",
                "Adams",
                "Second viewing: keen, first-time buyer with a mortgage in principle.",
                5,
            ),
            (
                33,
                "Chloe",
                "Adams",
                "Liked the bay window and the location near the station.",
                4,
            ),
            (
                40,
                "Nathan",
                "Hughes",
                "Nice flat; service charge higher than expected.",
                3,
            ),
        ],
        asking: 28_500_000,
        epc: "C",
    },
];

fn sale(host_ref: &str) -> Option<&'static Sale> {
    SALES.iter().find(|s| s.host_ref == host_ref)
}

fn person(first: &str, last: &str) -> Option<PersonName> {
    Some(PersonName {
        first: first.into(),
        last: Some(last.into()),
    })
}

// ---- team -------------------------------------------------------------------------------

/// The agency's staff: (reference, first, last, title, phone, email).
pub const TEAM: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "sarah.mitchell",
        "Sarah",
        "Mitchell",
        "Senior property manager",
        "01632 960 014",
        "sarah.mitchell@harbour-and-co.example",
    ),
    (
        "oliver.grant",
        "Oliver",
        "Grant",
        "Property manager",
        "01632 960 027",
        "oliver.grant@harbour-and-co.example",
    ),
    (
        "daniel.reeves",
        "Daniel",
        "Reeves",
        "Sales negotiator",
        "01632 960 041",
        "daniel.reeves@harbour-and-co.example",
    ),
    (
        "helen.carter",
        "Helen",
        "Carter",
        "Senior valuer",
        "01632 960 052",
        "helen.carter@harbour-and-co.example",
    ),
];

// ---- documents --------------------------------------------------------------------------

fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let pounds = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in pounds.chars().enumerate() {
        if i > 0 && (pounds.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{:02}", abs % 100)
}

fn long_date(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

fn statement_ref(month: Date) -> String {
    format!("stmt-{}-{:02}", month.year(), u8::from(month.month()))
}

/// The month a `stmt-YYYY-MM` reference names, as a period.
fn statement_period(doc_ref: &str) -> Option<Period> {
    let rest = doc_ref.strip_prefix("stmt-")?;
    let (y, m) = rest.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let from = Date::from_calendar_date(year, month, 1).ok()?;
    let to = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    Some(Period { from, to })
}

/// The files of the demo CRM for one property, as of `today` (statements of the last two
/// months, certificates, the latest inspection, the tenancy agreement, guides).
pub fn documents_of(host_ref: &str, today: Date) -> Vec<DemoDocument> {
    let Some(p) = property(host_ref) else {
        return Vec::new();
    };
    let doc = |r: &str, category, title: &str| DemoDocument {
        property: p.host_ref,
        host_ref: r.to_string(),
        category,
        title: title.to_string(),
        shared_by_seed: true,
    };
    let mut out = Vec::new();
    match (letting(host_ref), sale(host_ref)) {
        (Some(l), _) => {
            for k in [2, 1] {
                let m = month_start(today, k);
                out.push(doc(
                    &statement_ref(m),
                    DocumentCategory::Statement,
                    &format!("Statement – {}", month_name(m)),
                ));
            }
            out.push(doc(
                "cert-gas",
                DocumentCategory::Certificate,
                "Gas safety record (CP12)",
            ));
            out.push(doc(
                "cert-epc",
                DocumentCategory::Certificate,
                &format!("Energy performance certificate (EPC) – rating {}", l.epc),
            ));
            out.push(doc(
                "cert-eicr",
                DocumentCategory::Certificate,
                "Electrical installation condition report (EICR)",
            ));
            if l.host_ref == "HC-L-1003" {
                out.push(doc(
                    "cert-hmo-licence",
                    DocumentCategory::Certificate,
                    "HMO licence – Brighton & Hove City Council",
                ));
            }
            out.push(doc(
                "insp-latest",
                DocumentCategory::Inspection,
                "Latest inspection report",
            ));
            out.push(doc(
                "tenancy-agreement",
                DocumentCategory::Tenancy,
                "Assured shorthold tenancy agreement",
            ));
            out.push(doc(
                "guide-repairs",
                DocumentCategory::General,
                "How to report a repair",
            ));
            out.push(DemoDocument {
                shared_by_seed: false,
                ..doc(
                    "letter-rent-review",
                    DocumentCategory::General,
                    "Rent review proposal",
                )
            });
        }
        (None, Some(s)) => {
            out.push(doc(
                "particulars",
                DocumentCategory::General,
                "Sales particulars",
            ));
            out.push(doc(
                "epc",
                DocumentCategory::General,
                &format!("Energy performance certificate (EPC) – rating {}", s.epc),
            ));
            if s.host_ref == "HC-S-2002" {
                out.push(doc(
                    "memorandum-of-sale",
                    DocumentCategory::General,
                    "Memorandum of sale",
                ));
            }
            out.push(DemoDocument {
                shared_by_seed: false,
                ..doc(
                    "offers-report",
                    DocumentCategory::General,
                    "Offers and viewings report",
                )
            });
        }
        (None, None) => {}
    }
    out
}

fn pdf_content(file_name: String, title: &str, lines: Vec<String>) -> DocumentContent {
    DocumentContent {
        file_name,
        content_type: "application/pdf".into(),
        bytes: pdf::document(title, &lines),
    }
}

fn header(p: &DemoProperty) -> Vec<String> {
    vec![
        "Harbour & Co · 18 Ship Street, Brighton BN1 1AD · 01632 960 000".into(),
        String::new(),
        format!("Property: {}", p.display_name),
        format!("Our reference: {}", p.host_ref),
        String::new(),
    ]
}

fn letting_document(
    p: &DemoProperty,
    l: &Letting,
    doc_ref: &str,
    today: Date,
) -> Option<DocumentContent> {
    let mut lines = header(p);
    if let Some(period) = statement_period(doc_ref) {
        if period.from > today || period.from < month_start(today, l.start_months_ago) {
            return None;
        }
        let s = statement_for(l, today, period);
        lines.push(format!(
            "Period: {} to {}",
            long_date(period.from),
            long_date(period.to)
        ));
        lines.push(format!("Tenant(s): {}", l.tenants));
        lines.push(String::new());
        lines.push(format!(
            "Balance brought forward: {}",
            money(s.opening_balance.minor)
        ));
        for t in &s.transactions {
            lines.push(format!(
                "{}   {}   {}",
                long_date(t.date),
                t.description,
                money(t.amount.minor)
            ));
        }
        lines.push(format!(
            "Balance carried forward: {}",
            money(s.closing_balance.minor)
        ));
        let title = format!("Landlord statement – {}", month_name(period.from));
        return Some(pdf_content(format!("{doc_ref}.pdf"), &title, lines));
    }
    let certificate = |name: &str, checked: Date, years: i32, extra: &[String]| {
        let mut lines = lines.clone();
        let expires = checked
            .replace_year(checked.year() + years)
            .unwrap_or(checked);
        lines.push(format!("Inspected on: {}", long_date(checked)));
        lines.push(format!("Valid until: {}", long_date(expires)));
        lines.extend_from_slice(extra);
        pdf_content(format!("{doc_ref}.pdf"), name, lines)
    };
    let gas_checked = plus_days(today, -l.gas_checked_days_ago);
    Some(match doc_ref {
        "cert-gas" => certificate(
            "Landlord gas safety record (CP12)",
            gas_checked,
            1,
            &[
                String::new(),
                "Engineer: Southern Gas Ltd, Gas Safe register no. 000000 (demo)".into(),
                "Boiler: pass. Hob: pass. Flue: pass. Carbon monoxide alarm: present and working."
                    .into(),
            ],
        ),
        "cert-epc" => certificate(
            "Energy performance certificate",
            plus_days(today, -900),
            10,
            &[
                String::new(),
                format!("Current energy rating: {}", l.epc),
                "Recommendations: loft insulation top-up, LED lighting throughout.".into(),
            ],
        ),
        "cert-eicr" => certificate(
            "Electrical installation condition report",
            plus_days(today, -1_400),
            5,
            &[
                String::new(),
                "Overall assessment: SATISFACTORY".into(),
                "Contractor: Coast Electrical (NICEIC approved contractor)".into(),
            ],
        ),
        "cert-hmo-licence" if l.host_ref == "HC-L-1003" => certificate(
            "Licence to operate a house in multiple occupation",
            plus_days(today, -700),
            5,
            &[
                String::new(),
                "Issued by Brighton & Hove City Council under the Housing Act 2004.".into(),
                "Maximum occupants: 5 persons in 5 households.".into(),
            ],
        ),
        "insp-latest" => {
            let &(ago, kind, summary) = l.inspections.first()?;
            lines.push(format!("Date: {}", long_date(plus_days(today, -ago))));
            lines.push(format!("Type: {kind} inspection"));
            lines.push(String::new());
            lines.push(summary.to_string());
            pdf_content("inspection-report.pdf".into(), "Inspection report", lines)
        }
        "tenancy-agreement" => {
            let start = month_start(today, l.start_months_ago);
            lines.push(format!("Tenant(s): {}", l.tenants));
            lines.push(format!("Start of the tenancy: {}", long_date(start)));
            lines.push(format!("Rent: {} a month, due on the 1st", money(l.rent)));
            lines.push(format!(
                "Deposit: {} (protected with the Deposit Protection Service)",
                money(l.rent * 12 / 10)
            ));
            lines.push(String::new());
            lines.push("This is a demonstration document, not a real agreement.".into());
            pdf_content(
                "tenancy-agreement.pdf".into(),
                "Assured shorthold tenancy agreement",
                lines,
            )
        }
        "letter-rent-review" => {
            lines.push(format!("Dear landlord, the rent of {} a month has been unchanged since {}.", money(l.rent), long_date(month_start(today, l.start_months_ago))));
            lines.push(format!("We propose {} a month from {} (+4%), in line with the local market.", money(l.rent * 104 / 100), long_date(month_start(today, -2))));
            lines.push("Reply to accept, or call us to discuss.".into());
            pdf_content("rent-review.pdf".into(), "Rent review proposal", lines)
        }
        "guide-repairs" => DocumentContent {
            file_name: "how-to-report-a-repair.txt".into(),
            content_type: "text/plain; charset=utf-8".into(),
            bytes: format!(
                "How to report a repair – {}\n\n\
                 1. Emergencies (gas leak, flood, no heat in winter): call 01632 960 000, day or night.\n\
                 2. Anything else: email repairs@harbour-and-co.example with photos.\n\
                 3. We will confirm within one working day and book a contractor.\n",
                p.display_name
            )
            .into_bytes(),
        },
        _ => return None,
    })
}

fn sale_document(
    p: &DemoProperty,
    s: &Sale,
    doc_ref: &str,
    today: Date,
) -> Option<DocumentContent> {
    let mut lines = header(p);
    Some(match doc_ref {
        "particulars" => {
            lines.push(format!("Guide price: {}", money(s.asking)));
            lines.push(String::new());
            lines.push(p.summary.to_string());
            lines.push("Freehold · Council tax band E · Gas central heating".into());
            lines.push("Viewing strictly by appointment with Harbour & Co, 01632 960 000.".into());
            pdf_content("sales-particulars.pdf".into(), "Sales particulars", lines)
        }
        "epc" => {
            lines.push(format!("Current energy rating: {}", s.epc));
            lines.push(format!(
                "Valid until: {}",
                long_date(plus_days(today, 2_500))
            ));
            pdf_content("epc.pdf".into(), "Energy performance certificate", lines)
        }
        "offers-report" => {
            lines.push(format!("Guide price: {}", money(s.asking)));
            lines.push(format!("Viewings so far: {}", s.viewings.len()));
            for &(ago, amount, status, first, _) in s.offers {
                lines.push(format!(
                    "{}: offer of {} from {first} ({status})",
                    long_date(plus_days(today, -ago)),
                    money(amount)
                ));
            }
            pdf_content(
                "offers-report.pdf".into(),
                "Offers and viewings report",
                lines,
            )
        }
        "memorandum-of-sale" if s.host_ref == "HC-S-2002" => {
            let &(ago, amount, _, first, last) = s.offers.first()?;
            lines.push(format!(
                "Sale agreed on {} at {}",
                long_date(plus_days(today, -ago)),
                money(amount)
            ));
            lines.push(format!("Buyer: {first} {last}"));
            lines.push("Buyer's solicitor: Keystone Conveyancing, Hove".into());
            lines.push("Seller's solicitor: Marlow & Finch LLP, Brighton".into());
            pdf_content("memorandum-of-sale.pdf".into(), "Memorandum of sale", lines)
        }
        _ => return None,
    })
}

// ---- the host ---------------------------------------------------------------------------

/// The demo agency's CRM, in process: data for every widget of the six demo properties.
/// An unknown `host_ref` answers [`HostError::NotFound`]; lettings data asked of a property
/// for sale (or the reverse) answers [`HostError::Unsupported`].
#[derive(Debug, Clone, Default)]
pub struct DemoHost {
    today: Option<Date>,
}

impl DemoHost {
    /// A host whose "today" is the system's date at each call.
    pub fn new() -> Self {
        Self { today: None }
    }

    /// A host whose "today" is fixed (for tests and screenshots).
    pub fn at(today: Date) -> Self {
        Self { today: Some(today) }
    }

    /// The day the data is computed for.
    pub fn today(&self) -> Date {
        self.today
            .unwrap_or_else(|| OffsetDateTime::now_utc().date())
    }

    fn known(p: &HostProperty) -> Result<&'static DemoProperty, HostError> {
        property(&p.host_ref).ok_or(HostError::NotFound)
    }

    fn letting(p: &HostProperty) -> Result<&'static Letting, HostError> {
        Self::known(p)?;
        letting(&p.host_ref).ok_or(HostError::Unsupported)
    }

    fn sale(p: &HostProperty) -> Result<&'static Sale, HostError> {
        Self::known(p)?;
        sale(&p.host_ref).ok_or(HostError::Unsupported)
    }

    fn at_hour(&self, days: i64, hour: u8) -> OffsetDateTime {
        plus_days(self.today(), days).midnight().assume_utc() + Duration::hours(i64::from(hour))
    }
}

#[async_trait]
impl HostData for DemoHost {
    async fn document_content(
        &self,
        property: &HostProperty,
        document_ref: &str,
    ) -> Result<DocumentContent, HostError> {
        let p = Self::known(property)?;
        let today = self.today();
        let content = match (letting(p.host_ref), sale(p.host_ref)) {
            (Some(l), _) => letting_document(p, l, document_ref, today),
            (None, Some(s)) => sale_document(p, s, document_ref, today),
            (None, None) => None,
        };
        content.ok_or(HostError::NotFound)
    }

    async fn statement(
        &self,
        property: &HostProperty,
        period: Period,
    ) -> Result<Statement, HostError> {
        let l = Self::letting(property)?;
        Ok(statement_for(l, self.today(), period))
    }

    async fn property_balance(
        &self,
        property: &HostProperty,
    ) -> Result<PropertyBalance, HostError> {
        let l = Self::letting(property)?;
        let today = self.today();
        let all = ledger(l, today);
        let due = sum(&all);
        let since = plus_days(today, -92);
        let mut transactions: Vec<Transaction> =
            all.into_iter().filter(|t| t.date >= since).collect();
        transactions.reverse();
        Ok(PropertyBalance {
            transactions,
            due_to_owner: gbp(due),
        })
    }

    async fn tenant_balance(&self, property: &HostProperty) -> Result<TenantBalance, HostError> {
        let l = Self::letting(property)?;
        let all = instalments(l, self.today());
        let arrears = all.iter().map(|i| i.due.minor - i.paid.minor).sum();
        Ok(TenantBalance {
            instalments: all.into_iter().take(6).collect(),
            arrears: gbp(arrears),
        })
    }

    async fn landlord_float(&self, property: &HostProperty) -> Result<LandlordFloat, HostError> {
        let l = Self::letting(property)?;
        let today = self.today();
        let expenses: Vec<Transaction> = l
            .float_expenses
            .iter()
            .map(|&(ago, what, minor)| tx(plus_days(today, -ago), what, -minor))
            .collect();
        Ok(LandlordFloat {
            balance: gbp(l.float + sum(&expenses)),
            expenses,
        })
    }

    async fn future_deductions(
        &self,
        property: &HostProperty,
    ) -> Result<FutureDeductions, HostError> {
        let l = Self::letting(property)?;
        let today = self.today();
        let items: Vec<Transaction> = l
            .upcoming
            .iter()
            .map(|&(ahead, what, minor)| tx(plus_days(today, ahead), what, -minor))
            .collect();
        Ok(FutureDeductions {
            total: gbp(sum(&items)),
            items,
        })
    }

    async fn inspection_reports(
        &self,
        property: &HostProperty,
    ) -> Result<Vec<InspectionReport>, HostError> {
        let l = Self::letting(property)?;
        let today = self.today();
        Ok(l.inspections
            .iter()
            .map(|&(ago, kind, summary)| InspectionReport {
                date: plus_days(today, -ago),
                kind: kind.into(),
                summary: summary.into(),
            })
            .collect())
    }

    async fn offers(&self, property: &HostProperty) -> Result<Vec<Offer>, HostError> {
        let s = Self::sale(property)?;
        Ok(s.offers
            .iter()
            .map(|&(ago, minor, status, first, last)| Offer {
                made_at: self.at_hour(-ago, 15),
                amount: gbp(minor),
                status: status.into(),
                buyer: person(first, last),
            })
            .collect())
    }

    async fn viewings(&self, property: &HostProperty) -> Result<Vec<Viewing>, HostError> {
        let s = Self::sale(property)?;
        Ok(s.viewings
            .iter()
            .map(|&(days, hour, first, last, status)| Viewing {
                at: self.at_hour(days, hour),
                buyer: person(first, last),
                status: status.into(),
            })
            .collect())
    }

    async fn viewing_feedback(
        &self,
        property: &HostProperty,
    ) -> Result<Vec<ViewingFeedback>, HostError> {
        let s = Self::sale(property)?;
        Ok(s.feedback
            .iter()
            .map(|&(ago, first, last, comment, interest)| ViewingFeedback {
                viewed_at: self.at_hour(-ago, 12),
                buyer: person(first, last),
                comment: comment.into(),
                interest: Some(interest),
            })
            .collect())
    }

    async fn team_member(
        &self,
        _agency: AgencyId,
        staff: &StaffRef,
    ) -> Result<Option<TeamMember>, HostError> {
        Ok(TEAM
            .iter()
            .find(|t| t.0 == staff.0)
            .map(|&(_, first, last, title, phone, email)| TeamMember {
                first_name: first.into(),
                last_name: last.into(),
                title: Some(title.into()),
                phone: Some(phone.into()),
                email: Some(email.into()),
                photo_url: None,
            }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use portico_core::access::records::Role;
    use time::macros::date;

    fn hp(host_ref: &str, kind: PropertyKind) -> HostProperty {
        HostProperty {
            agency: AgencyId::from_random_bytes([7; 16]),
            host_ref: host_ref.into(),
            kind,
            role: Role::Landlord,
        }
    }

    #[test]
    fn month_start_crosses_years() {
        let d = date!(2026 - 02 - 17);
        assert_eq!(month_start(d, 0), date!(2026 - 02 - 01));
        assert_eq!(month_start(d, 2), date!(2025 - 12 - 01));
        assert_eq!(month_start(d, 14), date!(2024 - 12 - 01));
    }

    #[test]
    fn money_is_grouped_in_pounds() {
        assert_eq!(money(145_000), "£1,450.00");
        assert_eq!(money(-20_880), "-£208.80");
        assert_eq!(money(67_500_000), "£675,000.00");
        assert_eq!(money(5), "£0.05");
    }

    #[tokio::test]
    async fn statements_chain_and_balances_add_up() {
        let h = DemoHost::at(date!(2026 - 11 - 23));
        for l in LETTINGS {
            let p = hp(l.host_ref, PropertyKind::Lettings);
            let oct = h
                .statement(&p, statement_period("stmt-2026-10").unwrap())
                .await
                .unwrap();
            let nov = h
                .statement(&p, statement_period("stmt-2026-11").unwrap())
                .await
                .unwrap();
            assert_eq!(oct.closing_balance, nov.opening_balance, "{}", l.host_ref);
            assert_eq!(
                oct.opening_balance.minor + sum(&oct.transactions),
                oct.closing_balance.minor
            );
            assert!(!oct.transactions.is_empty());
            let bal = h.property_balance(&p).await.unwrap();
            assert_eq!(bal.due_to_owner, nov.closing_balance, "{}", l.host_ref);
            assert!(bal.due_to_owner.minor > 0, "{}", l.host_ref);
            assert!(bal.transactions.windows(2).all(|w| w[0].date >= w[1].date));
        }
    }

    #[tokio::test]
    async fn arrears_only_where_the_demo_says() {
        let h = DemoHost::at(date!(2026 - 11 - 23));
        let arrears = |r: &'static str| {
            let h = h.clone();
            async move {
                h.tenant_balance(&hp(r, PropertyKind::Lettings))
                    .await
                    .unwrap()
                    .arrears
                    .minor
            }
        };
        assert_eq!(arrears("HC-L-1001").await, 0);
        assert_eq!(arrears("HC-L-1002").await, 75_000);
        assert_eq!(arrears("HC-L-1003").await, 72_500);
    }

    #[tokio::test]
    async fn unknown_and_mismatched_refs_fail() {
        let h = DemoHost::at(date!(2026 - 11 - 23));
        let nope = hp("HC-X-9", PropertyKind::Lettings);
        assert_eq!(h.offers(&nope).await, Err(HostError::NotFound));
        assert_eq!(h.tenant_balance(&nope).await, Err(HostError::NotFound));
        assert_eq!(
            h.document_content(&nope, "cert-gas").await,
            Err(HostError::NotFound)
        );
        let sale = hp("HC-S-2001", PropertyKind::Sales);
        assert_eq!(h.tenant_balance(&sale).await, Err(HostError::Unsupported));
        let let_ = hp("HC-L-1001", PropertyKind::Lettings);
        assert_eq!(h.offers(&let_).await, Err(HostError::Unsupported));
        assert_eq!(
            h.document_content(&let_, "stmt-2031-01").await,
            Err(HostError::NotFound)
        );
        assert_eq!(
            h.document_content(&let_, "../etc/passwd").await,
            Err(HostError::NotFound)
        );
        assert_eq!(
            h.team_member(let_.agency, &StaffRef("nobody".into())).await,
            Ok(None)
        );
    }

    #[tokio::test]
    async fn every_catalogued_document_has_content() {
        let today = date!(2026 - 11 - 23);
        let h = DemoHost::at(today);
        for p in PROPERTIES {
            let docs = documents_of(p.host_ref, today);
            assert!(!docs.is_empty(), "{}", p.host_ref);
            for d in docs {
                let c = h
                    .document_content(&hp(p.host_ref, p.kind), &d.host_ref)
                    .await
                    .unwrap_or_else(|e| panic!("{} {}: {e}", p.host_ref, d.host_ref));
                assert!(c.bytes.len() > 100, "{}", d.host_ref);
                if c.content_type == "application/pdf" {
                    assert!(c.bytes.starts_with(b"%PDF-1.4"));
                }
            }
        }
    }
}

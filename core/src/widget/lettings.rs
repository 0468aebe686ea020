//! The lettings widgets: statement, balances, float, deductions, documents and inspections.

use super::{DocumentsWidget, Widget, WidgetContext, WidgetData, ids};
use crate::access::records::{DocumentCategory, PropertyKind};
use crate::host::{HostError, Period};
use async_trait::async_trait;
use std::sync::Arc;
use time::{Date, Duration};

/// Which host call a lettings widget makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LettingsSource {
    /// The statement form (the statement itself is generated on demand).
    Statement,
    /// [`crate::host::HostData::property_balance`].
    PropertyBalance,
    /// [`crate::host::HostData::tenant_balance`].
    TenantBalance,
    /// [`crate::host::HostData::landlord_float`].
    LandlordFloat,
    /// [`crate::host::HostData::future_deductions`].
    FutureDeductions,
    /// [`crate::host::HostData::inspection_reports`].
    InspectionReports,
}

/// A lettings widget backed by one host call.
#[derive(Debug, Clone)]
pub struct LettingsWidget {
    /// Widget id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// The host call.
    pub source: LettingsSource,
}

/// The previous calendar month before `today`: the statement period proposed by default.
pub fn previous_month(today: Date) -> Period {
    let first_of_this = today.replace_day(1).unwrap_or(today);
    let last_of_prev = first_of_this - Duration::days(1);
    let first_of_prev = last_of_prev.replace_day(1).unwrap_or(last_of_prev);
    Period {
        from: first_of_prev,
        to: last_of_prev,
    }
}

#[async_trait]
impl Widget for LettingsWidget {
    fn id(&self) -> &str {
        self.id
    }
    fn title(&self) -> &str {
        self.title
    }
    fn applies_to(&self, kind: PropertyKind) -> bool {
        kind == PropertyKind::Lettings
    }
    async fn fetch(&self, ctx: &WidgetContext<'_>) -> Result<Option<WidgetData>, HostError> {
        let p = &ctx.host_property;
        Ok(Some(match self.source {
            LettingsSource::Statement => WidgetData::StatementForm {
                default_period: previous_month(ctx.now.date()),
            },
            LettingsSource::PropertyBalance => {
                WidgetData::PropertyBalance(ctx.host.property_balance(p).await?)
            }
            LettingsSource::TenantBalance => {
                WidgetData::TenantBalance(ctx.host.tenant_balance(p).await?)
            }
            LettingsSource::LandlordFloat => {
                WidgetData::LandlordFloat(ctx.host.landlord_float(p).await?)
            }
            LettingsSource::FutureDeductions => {
                WidgetData::FutureDeductions(ctx.host.future_deductions(p).await?)
            }
            LettingsSource::InspectionReports => {
                WidgetData::InspectionReports(ctx.host.inspection_reports(p).await?)
            }
        }))
    }
}

const LETTINGS: &[PropertyKind] = &[PropertyKind::Lettings];
const BOTH: &[PropertyKind] = &[PropertyKind::Lettings, PropertyKind::Sales];

/// The lettings catalogue in dashboard order (the general documents widget included, which
/// sales dashboards show too).
pub fn catalogue() -> Vec<Arc<dyn Widget>> {
    let host =
        |id, title, source| -> Arc<dyn Widget> { Arc::new(LettingsWidget { id, title, source }) };
    let docs = |id, title, category, kinds| -> Arc<dyn Widget> {
        Arc::new(DocumentsWidget {
            id,
            title,
            category,
            kinds,
        })
    };
    vec![
        host(
            ids::PROPERTY_STATEMENT,
            "Property statement",
            LettingsSource::Statement,
        ),
        host(
            ids::PROPERTY_BALANCE,
            "Property balance",
            LettingsSource::PropertyBalance,
        ),
        host(
            ids::TENANT_BALANCE,
            "Tenant balance",
            LettingsSource::TenantBalance,
        ),
        host(
            ids::LANDLORD_FLOAT,
            "Landlord float",
            LettingsSource::LandlordFloat,
        ),
        host(
            ids::FUTURE_DEDUCTIONS,
            "Future deductions",
            LettingsSource::FutureDeductions,
        ),
        docs(
            ids::STATEMENT_DOCUMENTS,
            "Statement documents",
            DocumentCategory::Statement,
            LETTINGS,
        ),
        docs(ids::DOCUMENTS, "Documents", DocumentCategory::General, BOTH),
        docs(
            ids::CERTIFICATE_DOCUMENTS,
            "Certificate documents",
            DocumentCategory::Certificate,
            LETTINGS,
        ),
        docs(
            ids::INSPECTION_DOCUMENTS,
            "Inspection documents",
            DocumentCategory::Inspection,
            LETTINGS,
        ),
        host(
            ids::INSPECTION_REPORTS,
            "Inspection reports",
            LettingsSource::InspectionReports,
        ),
        docs(
            ids::TENANCY_DOCUMENTS,
            "Tenancy documents",
            DocumentCategory::Tenancy,
            LETTINGS,
        ),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn previous_month_spans_whole_month() {
        let p = previous_month(date!(2026 - 03 - 15));
        assert_eq!(
            (p.from, p.to),
            (date!(2026 - 02 - 01), date!(2026 - 02 - 28))
        );
        let p = previous_month(date!(2026 - 01 - 01));
        assert_eq!(
            (p.from, p.to),
            (date!(2025 - 12 - 01), date!(2025 - 12 - 31))
        );
    }
}

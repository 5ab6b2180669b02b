#pragma once

// Offers (MISSION.md §5, the manual's "Oferte"): made for an opportunity
// and so for its account, numbered OF-<year>-<nnnn> without gaps, with
// product lines whose totals follow domain/documents/lines.h, revisions,
// and a life from draft to sent to accepted, rejected or expired (by a
// worker, at the end of the validity in the organization's time zone).
// Accepting an offer moves its opportunity to the pipeline's "order" stage
// in the same append. Offers show in their opportunity's and account's
// histories and move with the account when accounts are merged.

#include <memory>

#include "api/accounts/accounts.h"
#include "api/module.h"
#include "api/sales/sales.h"
#include "api/settings/settings.h"

namespace crm::api {

std::unique_ptr<Module> OffersModule(Server& server, SettingsModule& settings,
                                     AccountsModule& accounts, SalesModule& sales);

}  // namespace crm::api

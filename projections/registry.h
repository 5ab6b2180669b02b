#pragma once

// Every read model the server maintains, in one place: the server, crmctl
// replay and the tests all build them from here.

#include <memory>
#include <string_view>
#include <vector>

#include "projections/accounts.h"
#include "projections/activities.h"
#include "projections/event_counts.h"
#include "projections/folders.h"
#include "projections/identity.h"
#include "projections/notes.h"
#include "projections/notifications.h"
#include "projections/offers.h"
#include "projections/opportunities.h"
#include "projections/products.h"
#include "projections/projection.h"
#include "projections/user_actions.h"

namespace crm::projections {

struct ReadModels {
  EventCounts event_counts;
  Identity identity;
  FolderTree folders;
  Accounts accounts;
  Opportunities opportunities;
  Activities activities;
  Notes notes;
  PendingReminders reminders;
  Notifications notifications;
  Products products;
  Offers offers;
  UserActions user_actions;

  // The runner's lane of each model (ProjectionRunner::Register): identity
  // alone, so sign-ins and token checks never wait for another model; the
  // catalogue alone; accounts (with their folders) apart from the sales
  // records, so the two heaviest replays run side by side at start-up.
  // Every lane wakes on every commit, so they are few.
  std::string_view LaneOf(const Projection* model) const {
    if (model == &identity) return "identity";
    if (model == &products) return "catalog";
    if (model == &accounts || model == &folders) return "accounts";
    return "sales";
  }

  // Every model above, for the projection runner.
  std::vector<Projection*> all() {
    return {&event_counts,  &identity, &folders,      &accounts, &opportunities, &activities,
            &notes,         &reminders, &notifications, &products, &offers,        &user_actions};
  }
};

}  // namespace crm::projections

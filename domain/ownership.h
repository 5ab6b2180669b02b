#pragma once

// Records someone is responsible for (accounts, opportunities, activities):
// who may change them is decided in the domain, from the caller's role in
// the Context and the record's owner as its aggregate holds it (not as a
// read model, which may lag a reassignment, shows it).
//
//   administrators, managers, the server itself   any record
//   sales                                          the records they own
//   viewers                                        none

#include <string_view>
#include <vector>

#include "domain/context.h"
#include "domain/decider.h"
#include "domain/identity/roles.h"
#include "domain/rejection.h"

namespace crm::domain {

// Whether the caller may change a record `owner_id` is responsible for.
inline bool MayChange(const Context& ctx, std::string_view owner_id) {
  if (ctx.role.empty()) return true;  // the server (reminders, imports it runs itself)
  const auto role = identity::ParseRole(ctx.role);
  if (!role) return false;
  if (identity::Allows(*role, identity::Permission::kChangeAny)) return true;
  return identity::Allows(*role, identity::Permission::kChangeOwn) && !owner_id.empty() &&
         owner_id == ctx.actor;
}

// Whether the caller may make `owner_id` responsible for a record (create
// it for them, or reassign it to them): themselves always, anyone else only
// with a role that changes any record.
inline bool MayGiveTo(const Context& ctx, std::string_view owner_id) {
  if (ctx.role.empty() || owner_id == ctx.actor) return true;
  const auto role = identity::ParseRole(ctx.role);
  return role && identity::Allows(*role, identity::Permission::kChangeAny);
}

// 403 forbidden: a record given to someone else by a caller who may not.
inline Rejection GivingForbidden() {
  return Reject("forbidden", "Doar un manager dă o înregistrare altcuiva.",
                "Only managers give a record to someone else.", 403);
}

// `commands` decided on `state` as one decision when the caller may change
// the record `owner_id` is responsible for; else 403 `forbidden` with
// `forbidden` as its message.
template <Decider D>
Decision<typename D::Event> DecideOwned(const typename D::State& state, std::string_view owner_id,
                                        const std::vector<typename D::Command>& commands,
                                        const Context& ctx, const Text& forbidden) {
  if (!MayChange(ctx, owner_id)) return Reject("forbidden", forbidden.ro, forbidden.en, 403);
  return DecideAll<D>(state, commands, ctx);
}

}  // namespace crm::domain

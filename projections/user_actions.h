#pragma once

// What each user added, for the dashboard's "user actions" panel and the
// activity report: one entry per record a user created (an account, a
// contact, an opportunity, an activity, a call, an SMS, a note, an offer), with when.
// The log records times in order, so a time range is two binary searches.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "projections/projection.h"

namespace crm::projections {

// The entity kinds counted, in the order the panel shows them.
inline constexpr const char* kUserActionEntities[] = {
    "account", "contact", "opportunity", "activity", "call", "sms", "note", "offer"};

struct UserAction {
  std::string user_id;  // the actor: a user id
  std::string entity;   // one of kUserActionEntities
  std::string id;       // the record's id (a contact's, a call's activity's)
  std::string account_id;
  int64_t at_us = 0;
};

template <class Archive>
void Fields(Archive& ar, UserAction& action) {
  auto& [user_id, entity, id, account_id, at_us] = action;
  ar(user_id, entity, id, account_id, at_us);
}

class UserActions final : public Snapshotted<UserActions> {
 public:
  std::string_view Name() const override { return "user_actions"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<UserActions>(); }
  void Clear() override;

  // user -> entity -> how many, for actions at times in [from_us, to_us]
  // by `users` (none: every actor) of `entities` (none: all).
  std::map<std::string, std::map<std::string, size_t>> Counts(const std::set<std::string>& users,
                                                              const std::set<std::string>& entities,
                                                              int64_t from_us, int64_t to_us) const;
  // The actions themselves, oldest first: *total of them, `limit` from `offset`.
  std::vector<UserAction> Items(const std::string& user, const std::string& entity, int64_t from_us,
                                int64_t to_us, size_t offset, size_t limit, size_t* total) const;

 private:
  friend class Snapshotted<UserActions>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(actions_);
  }
  void Restored();
  // The actions in [from_us, to_us], as a range of actions_.
  std::pair<size_t, size_t> Range(int64_t from_us, int64_t to_us) const;
  // Notes the codes of `action`, the last of actions_. REQUIRES: mutex()
  // held exclusively.
  void Coded(const UserAction& action);

  // All GUARDED_BY(mutex()).
  std::vector<UserAction> actions_;  // in log order
  // Beside actions_, by action, for the counts' pass: its actor as a code
  // (users_ by code) and its entity as an index of kUserActionEntities. Not
  // in snapshots: rebuilt from actions_.
  struct Codes {
    uint32_t user;
    uint32_t entity;
  };
  std::vector<Codes> codes_;
  std::vector<std::string> users_;
  std::unordered_map<std::string, uint32_t> user_codes_;
};

}  // namespace crm::projections

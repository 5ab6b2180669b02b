#include "projections/user_actions.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/account.h"
#include "domain/offers/offer.h"
#include "domain/event_codec.h"
#include "domain/sales/activity.h"
#include "domain/sales/note.h"
#include "domain/sales/opportunity.h"

namespace crm::projections {

void UserActions::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view type = env.type()->string_view();
  const std::string_view stream = env.stream()->string_view();
  const std::string_view actor = env.actor() ? env.actor()->string_view() : std::string_view();
  if (actor.empty() || actor == "system" || actor.starts_with("apikey-")) return;
  const std::span<const uint8_t> payload{env.payload()->data(), env.payload()->size()};
  auto add = [&](const char* entity, std::string id, std::string account_id) {
    actions_.push_back(
        {std::string(actor), entity, std::move(id), std::move(account_id), env.recorded_at_us()});
    Coded(actions_.back());
  };
  if (type == "crm.accounts.AccountCreated") {
    const std::string id(stream.substr(8));
    add("account", id, id);
  } else if (type == "crm.accounts.ContactAdded") {
    auto e = domain::EventDecoder<std::variant<accounts::ContactAddedT>>::Decode(type, payload);
    if (e) add("contact", std::get<0>(*e).contact_id, std::string(stream.substr(8)));
  } else if (type == "crm.accounts.CallRecorded" || type == "crm.accounts.SmsRecorded") {
    add(type == "crm.accounts.CallRecorded" ? "call" : "sms", "", std::string(stream.substr(8)));
  } else if (type == "crm.sales.OpportunityOpened") {
    auto e = domain::EventDecoder<std::variant<sales::OpportunityOpenedT>>::Decode(type, payload);
    if (e) add("opportunity", std::string(stream.substr(12)), std::get<0>(*e).account_id);
  } else if (type == "crm.sales.ActivityCreated") {
    auto e = domain::EventDecoder<std::variant<sales::ActivityCreatedT>>::Decode(type, payload);
    if (!e) return;
    const auto& created = std::get<0>(*e);
    // A call or an SMS recorded with an account is an activity with a direction.
    const char* entity = created.direction.empty() ? "activity"
                         : created.type == "sms"   ? "sms"
                         : created.type == "phone" ? "call"
                                                   : "activity";
    add(entity, std::string(stream.substr(9)), created.account_id);
  } else if (type == "crm.offers.OfferCreated") {
    auto e = domain::EventDecoder<std::variant<offers::OfferCreatedT>>::Decode(type, payload);
    if (e) add("offer", std::string(stream.substr(6)), std::get<0>(*e).account_id);
  } else if (type == "crm.sales.NoteCreated") {
    auto e = domain::EventDecoder<std::variant<sales::NoteCreatedT>>::Decode(type, payload);
    if (!e) return;
    const std::string& record = std::get<0>(*e).record;  // "account/<id>", "opportunity/<id>"
    add("note", std::string(stream.substr(5)),
        record.starts_with("account/") ? record.substr(8) : std::string());
  }
}

std::pair<size_t, size_t> UserActions::Range(int64_t from_us, int64_t to_us) const {
  auto first = std::lower_bound(actions_.begin(), actions_.end(), from_us,
                                [](const UserAction& a, int64_t t) { return a.at_us < t; });
  auto last = std::upper_bound(first, actions_.end(), to_us,
                               [](int64_t t, const UserAction& a) { return t < a.at_us; });
  return {static_cast<size_t>(first - actions_.begin()),
          static_cast<size_t>(last - actions_.begin())};
}

void UserActions::Coded(const UserAction& action) {
  auto [at, added] = user_codes_.try_emplace(action.user_id, users_.size());
  if (added) users_.push_back(action.user_id);
  const auto entity = static_cast<uint32_t>(
      std::find(std::begin(kUserActionEntities), std::end(kUserActionEntities), action.entity) -
      std::begin(kUserActionEntities));
  codes_.push_back({at->second, entity});
}

void UserActions::Restored() {
  codes_.clear();
  users_.clear();
  user_codes_.clear();
  for (const UserAction& action : actions_) Coded(action);
}

void UserActions::Clear() {
  Snapshotted::Clear();
  codes_.clear();
  users_.clear();
  user_codes_.clear();
}

std::map<std::string, std::map<std::string, size_t>> UserActions::Counts(
    const std::set<std::string>& users, const std::set<std::string>& entities, int64_t from_us,
    int64_t to_us) const {
  std::shared_lock lock(mutex());
  constexpr size_t kEntities = std::size(kUserActionEntities);
  // Counted by (user code, entity index) over the codes, named at the end.
  std::vector<char> user_wanted(users_.size(), users.empty());
  for (const std::string& user : users) {
    if (auto it = user_codes_.find(user); it != user_codes_.end()) user_wanted[it->second] = 1;
  }
  std::vector<char> entity_wanted(kEntities + 1, entities.empty());
  for (size_t e = 0; e < kEntities; ++e) {
    if (entities.contains(kUserActionEntities[e])) entity_wanted[e] = 1;
  }
  std::vector<size_t> counts(users_.size() * (kEntities + 1));
  const auto [begin, end] = Range(from_us, to_us);
  for (size_t i = begin; i < end; ++i) {
    const Codes c = codes_[i];
    if (user_wanted[c.user] && entity_wanted[c.entity])
      ++counts[c.user * (kEntities + 1) + c.entity];
  }
  std::map<std::string, std::map<std::string, size_t>> out;
  for (size_t u = 0; u < users_.size(); ++u) {
    for (size_t e = 0; e < kEntities; ++e) {
      if (const size_t n = counts[u * (kEntities + 1) + e])
        out[users_[u]][kUserActionEntities[e]] = n;
    }
  }
  return out;
}

std::vector<UserAction> UserActions::Items(const std::string& user, const std::string& entity,
                                           int64_t from_us, int64_t to_us, size_t offset,
                                           size_t limit, size_t* total) const {
  std::shared_lock lock(mutex());
  std::vector<UserAction> out;
  *total = 0;
  const auto [begin, end] = Range(from_us, to_us);
  for (size_t i = begin; i < end; ++i) {
    const UserAction& a = actions_[i];
    if (a.user_id != user || (!entity.empty() && a.entity != entity)) continue;
    if (*total >= offset && out.size() < limit) out.push_back(a);
    ++*total;
  }
  return out;
}

}  // namespace crm::projections

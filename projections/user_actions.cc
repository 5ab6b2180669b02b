#include "projections/user_actions.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/account.h"
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

std::map<std::string, std::map<std::string, size_t>> UserActions::Counts(
    const std::set<std::string>& users, const std::set<std::string>& entities, int64_t from_us,
    int64_t to_us) const {
  std::shared_lock lock(mutex());
  std::map<std::string, std::map<std::string, size_t>> out;
  const auto [begin, end] = Range(from_us, to_us);
  for (size_t i = begin; i < end; ++i) {
    const UserAction& a = actions_[i];
    if (!users.empty() && !users.contains(a.user_id)) continue;
    if (!entities.empty() && !entities.contains(a.entity)) continue;
    ++out[a.user_id][a.entity];
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

#include "domain/sales/opportunity.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "domain/accounts/normalize.h"
#include "domain/money.h"
#include "domain/ownership.h"
#include "domain/time.h"

namespace crm::sales {

namespace {

using domain::FieldError;
using domain::Reject;
using Events = std::vector<Opportunity::Event>;

domain::Rejection NoSuchOpportunity() {
  return Reject("opportunity_not_found", "Oportunitatea nu există.", "No such opportunity.", 404);
}

domain::Rejection NotOpen(const std::string& status) {
  return Reject("opportunity_closed",
                "Oportunitatea este închisă (" + status + "); redeschideți-o întâi.",
                "The opportunity is closed (" + status + "); reopen it first.", 409);
}

domain::Rejection Archived() {
  return Reject("opportunity_archived", "Oportunitatea este arhivată.",
                "The opportunity is archived.", 409);
}

domain::Rejection UnknownStage(const std::string& stage) {
  return domain::InvalidFields({{"stage",
                                 "unknown_stage",
                                 {"Etapa „" + stage + "” nu este în pipeline.",
                                  "The stage '" + stage + "' is not in the pipeline."}}});
}

// The state after `input`, with the names of what changed; errors collected.
struct Applied {
  Opportunity::State state;
  std::vector<std::string> changed;
  std::map<std::string, std::string> custom_changed;
};
Applied Apply(const Opportunity::State& before, const OpportunityInput& input,
              const std::vector<std::string>& contacts, const accounts::AccountRules& rules,
              std::vector<FieldError>* errors) {
  Applied out{before, {}, {}};
  Opportunity::State& s = out.state;
  auto text = [&](const char* field, const std::optional<std::string>& value, std::string* into,
                  size_t max) {
    if (!value) return;
    if (accounts::Utf8Length(*value) > max) {
      errors->push_back({field, "too_long", {"Textul este prea lung.", "The text is too long."}});
    } else if (*value != *into) {
      *into = *value;
      out.changed.push_back(field);
    }
  };
  text("title", input.title, &s.title, 200);
  text("details", input.details, &s.details, 10000);
  if (s.title.empty()) {
    errors->push_back({"title", "required", {"Titlul este obligatoriu.", "A title is required."}});
  }
  for (auto [field, value, into] : {std::tuple{"due_date", &input.due_date, &s.due_date},
                                    std::tuple{"close_date", &input.close_date, &s.close_date}}) {
    if (!*value) continue;
    if (!(*value)->empty() && !domain::IsIsoDate(**value)) {
      errors->push_back({field,
                         "invalid_date",
                         {"Data se scrie AAAA-LL-ZZ.", "The date is written YYYY-MM-DD."}});
    } else if (**value != *into) {
      *into = **value;
      out.changed.push_back(field);
    }
  }
  if (input.contact_id && *input.contact_id != s.contact_id) {
    if (!input.contact_id->empty() &&
        std::find(contacts.begin(), contacts.end(), *input.contact_id) == contacts.end()) {
      errors->push_back({"contact_id",
                         "not_found",
                         {"Persoana de contact nu este a contului.",
                          "The contact is not one of the account's."}});
    } else {
      s.contact_id = *input.contact_id;
      out.changed.push_back("contact_id");
    }
  }
  if (input.value || input.currency) {
    int64_t minor = s.value_minor;
    std::string currency = input.currency.value_or(s.currency);
    if (input.value) {
      auto parsed = domain::ParseMoney(*input.value);
      if (!parsed) {
        errors->push_back({"value",
                           "invalid_amount",
                           {"Suma se scrie cu cifre și cel mult două zecimale (1234.50).",
                            "The amount is digits with at most two decimals (1234.50)."}});
      }
      minor = parsed.value_or(minor);
    }
    if (!domain::IsCurrency(currency)) {
      errors->push_back({"currency",
                         "invalid_currency",
                         {"Moneda este un cod ISO 4217 (RON, EUR).",
                          "The currency is an ISO 4217 code (RON, EUR)."}});
    } else if (minor != s.value_minor || currency != s.currency) {
      s.value_minor = minor;
      s.currency = currency;
      out.changed.push_back("value");
    }
  }
  for (const auto& [key, raw] : input.custom) {
    settings::ApplyCustomValue(key, raw, rules.custom_fields, "", &s.custom, &out.custom_changed,
                               errors);
  }
  for (const std::string& required : rules.required) {
    std::string value;
    if (required.starts_with("custom.")) {
      auto it = s.custom.find(required.substr(7));
      if (it != s.custom.end()) value = it->second;
    } else if (required == "details") {
      value = s.details;
    } else if (required == "contact_id") {
      value = s.contact_id;
    } else if (required == "due_date") {
      value = s.due_date;
    } else if (required == "close_date") {
      value = s.close_date;
    } else if (required == "value") {
      value = s.value_minor > 0 ? "set" : "";
    } else {
      value = "set";
    }
    if (value.empty()) {
      errors->push_back({required, "required", {"Câmp obligatoriu.", "Required."}});
    }
  }
  return out;
}

}  // namespace

domain::Decision<Opportunity::Event> Opportunity::Decide(const State& state, const Command& command,
                                                         const domain::Context& ctx) {
  // A command on an opportunity that exists; on one that is not archived
  // unless it delivers a reminder or moves it; on an open one unless it
  // archives or reopens it.
  if (!std::holds_alternative<OpenOpportunity>(command)) {
    if (!state.exists) return NoSuchOpportunity();
    const bool any_state = std::holds_alternative<FireReminder>(command) ||
                           std::holds_alternative<MoveOpportunity>(command);
    if (!any_state && state.archived) return Archived();
    const bool closed_too = std::holds_alternative<ArchiveOpportunity>(command) ||
                            std::holds_alternative<ReopenOpportunity>(command);
    if (!any_state && !closed_too && state.status != "open") return NotOpen(state.status);
  }
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, OpenOpportunity>) {
          const auto* open = &c;
          if (state.exists) {
            return Reject("opportunity_exists", "Oportunitatea există deja.",
                          "The opportunity exists already.", 409);
          }
          if (!domain::MayGiveTo(ctx, open->owner_id)) {
            return domain::GivingForbidden();
          }
          std::vector<FieldError> errors;
          OpportunityInput input = open->input;
          if (!input.title) input.title = "";
          Applied applied = Apply(state, input, open->account_contacts, open->rules, &errors);
          const std::string stage = open->stage.empty()
                                        ? (open->stages.empty() ? "" : open->stages.front())
                                        : open->stage;
          if (std::find(open->stages.begin(), open->stages.end(), stage) == open->stages.end()) {
            errors.push_back({"stage",
                              "unknown_stage",
                              {"Etapa nu este în pipeline.", "The stage is not in the pipeline."}});
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          const State& s = applied.state;
          OpportunityOpenedT e;
          e.opportunity_id = open->opportunity_id;
          e.account_id = open->account_id;
          e.contact_id = s.contact_id;
          e.title = s.title;
          e.details = s.details;
          e.value_minor = s.value_minor;
          e.currency = s.currency;
          e.stage = stage;
          e.owner_id = open->owner_id;
          e.due_date = s.due_date;
          e.close_date = s.close_date;
          e.reminder_at_us = open->reminder_at_us.value_or(0);
          e.custom = accounts::CustomValues(s.custom);
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, FireReminder>) {
          const auto* fire = &c;
          if (state.reminder_at_us != fire->due_us || state.reminder_at_us == 0 ||
              state.reminder_fired) {
            return Events{};  // moved, cleared or delivered already
          }
          OpportunityReminderDueT e;
          e.reminder_at_us = fire->due_us;
          e.user_id = state.owner_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, MoveOpportunity>) {
          const auto* move = &c;
          if (move->from_account_id != state.account_id) return Events{};
          OpportunityMovedT e;
          e.from_account_id = state.account_id;
          e.account_id = move->account_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ArchiveOpportunity>) {
          return Events{OpportunityArchivedT{}};
        } else if constexpr (std::is_same_v<C, ReopenOpportunity>) {
          const auto* reopen = &c;
          if (state.status == "open") return Events{};
          const std::string stage = reopen->stage.empty() ? state.stage : reopen->stage;
          if (std::find(reopen->stages.begin(), reopen->stages.end(), stage) ==
              reopen->stages.end()) {
            return UnknownStage(stage);
          }
          OpportunityReopenedT e;
          e.stage = stage;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ChangeOpportunity>) {
          const auto* change = &c;
          std::vector<FieldError> errors;
          Applied applied =
              Apply(state, change->input, change->account_contacts, change->rules, &errors);
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          if (applied.changed.empty() && applied.custom_changed.empty()) return Events{};
          const State& s = applied.state;
          OpportunityChangedT e;
          e.changed = applied.changed;
          e.title = s.title;
          e.details = s.details;
          e.value_minor = s.value_minor;
          e.currency = s.currency;
          e.contact_id = s.contact_id;
          e.due_date = s.due_date;
          e.close_date = s.close_date;
          e.custom = accounts::CustomValues(applied.custom_changed);
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ChangeStage>) {
          const auto* stage = &c;
          if (std::find(stage->stages.begin(), stage->stages.end(), stage->stage) ==
              stage->stages.end()) {
            return UnknownStage(stage->stage);
          }
          if (stage->stage == state.stage) return Events{};
          OpportunityStageChangedT e;
          e.stage = stage->stage;
          e.from_stage = state.stage;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ReassignOpportunity>) {
          const auto* reassign = &c;
          if (reassign->owner_id == state.owner_id) return Events{};
          if (!domain::MayGiveTo(ctx, reassign->owner_id)) return domain::GivingForbidden();
          OpportunityReassignedT e;
          e.owner_id = reassign->owner_id;
          e.from_owner_id = state.owner_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, SetReminder>) {
          const auto* reminder = &c;
          if (!reminder->at_us) {
            if (state.reminder_at_us == 0) return Events{};
            return Events{OpportunityReminderClearedT{}};
          }
          if (*reminder->at_us <= 0) {
            return domain::InvalidFields({{"reminder_at",
                                           "invalid_time",
                                           {"Momentul nu este valid.", "The time is not valid."}}});
          }
          if (*reminder->at_us == state.reminder_at_us) return Events{};
          OpportunityReminderSetT e;
          e.reminder_at_us = *reminder->at_us;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, CloseOpportunity>) {
          const auto& close = c;
          if (close.outcome != "won" && close.outcome != "lost") {
            return domain::InvalidFields(
                {{"outcome",
                  "invalid_value",
                  {"Rezultatul este won sau lost.", "The outcome is won or lost."}}});
          }
          if (close.outcome == "lost" && close.reason.empty()) {
            return domain::InvalidFields(
                {{"reason",
                  "required",
                  {"Motivul pierderii este obligatoriu.",
                   "A reason is required when the opportunity is lost."}}});
          }
          if (accounts::Utf8Length(close.reason) > 2000) {
            return domain::InvalidFields(
                {{"reason", "too_long", {"Textul este prea lung.", "The text is too long."}}});
          }
          OpportunityClosedT e;
          e.outcome = close.outcome;
          e.reason = close.reason;
          return Events{std::move(e)};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

Opportunity::State Opportunity::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, OpportunityOpenedT>) {
          state.exists = true;
          state.account_id = e.account_id;
          state.contact_id = e.contact_id;
          state.title = e.title;
          state.details = e.details;
          state.value_minor = e.value_minor;
          state.currency = e.currency;
          state.stage = e.stage;
          state.owner_id = e.owner_id;
          state.due_date = e.due_date;
          state.close_date = e.close_date;
          state.reminder_at_us = e.reminder_at_us;
          for (const auto& v : e.custom) state.custom[v->key] = v->value;
        } else if constexpr (std::is_same_v<T, OpportunityChangedT>) {
          for (const auto& field : e.changed) {
            if (field == "title") state.title = e.title;
            if (field == "details") state.details = e.details;
            if (field == "value") {
              state.value_minor = e.value_minor;
              state.currency = e.currency;
            }
            if (field == "contact_id") state.contact_id = e.contact_id;
            if (field == "due_date") state.due_date = e.due_date;
            if (field == "close_date") state.close_date = e.close_date;
          }
          for (const auto& v : e.custom) {
            if (v->value.empty()) {
              state.custom.erase(v->key);
            } else {
              state.custom[v->key] = v->value;
            }
          }
        } else if constexpr (std::is_same_v<T, OpportunityStageChangedT>) {
          state.stage = e.stage;
        } else if constexpr (std::is_same_v<T, OpportunityReassignedT>) {
          state.owner_id = e.owner_id;
        } else if constexpr (std::is_same_v<T, OpportunityReminderSetT>) {
          state.reminder_at_us = e.reminder_at_us;
          state.reminder_fired = false;
        } else if constexpr (std::is_same_v<T, OpportunityReminderClearedT>) {
          state.reminder_at_us = 0;
        } else if constexpr (std::is_same_v<T, OpportunityClosedT>) {
          state.status = e.outcome;
          state.reminder_at_us = 0;  // a closed opportunity reminds nobody
        } else if constexpr (std::is_same_v<T, OpportunityReopenedT>) {
          state.status = "open";
          state.stage = e.stage;
        } else if constexpr (std::is_same_v<T, OpportunityReminderDueT>) {
          state.reminder_fired = true;
        } else if constexpr (std::is_same_v<T, OpportunityMovedT>) {
          state.account_id = e.account_id;
        } else if constexpr (std::is_same_v<T, OpportunityArchivedT>) {
          state.archived = true;
          state.reminder_at_us = 0;
        } else {
          static_assert(domain::kUnhandled<T>, "every event of the variant is applied");
        }
      },
      event);
  return state;
}

}  // namespace crm::sales

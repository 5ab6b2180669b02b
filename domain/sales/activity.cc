#include "domain/sales/activity.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "domain/accounts/normalize.h"
#include "domain/ownership.h"
#include "domain/time.h"

namespace crm::sales {

namespace {

using domain::FieldError;
using domain::Reject;
using Events = std::vector<Activity::Event>;

template <size_t N>
bool OneOf(const std::string& value, const char* const (&options)[N]) {
  return std::find(std::begin(options), std::end(options), value) != std::end(options);
}

struct Applied {
  Activity::State state;
  std::vector<std::string> changed;
  std::map<std::string, std::string> custom_changed;
};

// The state after `input`; what changed; errors collected.
Applied Apply(const Activity::State& before, const ActivityInput& input,
              const std::vector<std::string>& contacts,
              const std::vector<std::string>& opportunities, const accounts::AccountRules& rules,
              const std::vector<std::string>& types, std::vector<FieldError>* errors) {
  Applied out{before, {}, {}};
  Activity::State& s = out.state;
  auto set = [&](const char* field, std::string* into, const std::string& value) {
    if (value != *into) {
      *into = value;
      out.changed.push_back(field);
    }
  };
  if (input.type) {
    if (std::find(types.begin(), types.end(), *input.type) == types.end()) {
      errors->push_back({"type",
                         "unknown_type",
                         {"Tipul de activitate nu există (vezi /api/v1/activity-types).",
                          "No such activity type (see /api/v1/activity-types)."}});
    } else {
      set("type", &s.type, *input.type);
    }
  }
  for (auto [field, value, into, max] :
       {std::tuple{"subject", &input.subject, &s.subject, size_t{200}},
        std::tuple{"details", &input.details, &s.details, size_t{10000}}}) {
    if (!*value) continue;
    if (accounts::Utf8Length(**value) > max) {
      errors->push_back({field, "too_long", {"Textul este prea lung.", "The text is too long."}});
    } else {
      set(field, into, **value);
    }
  }
  if (s.subject.empty()) {
    errors->push_back(
        {"subject", "required", {"Subiectul este obligatoriu.", "A subject is required."}});
  }
  if (input.due_date) {
    if (!input.due_date->empty() && !domain::IsIsoDate(*input.due_date)) {
      errors->push_back(
          {"due_date", "invalid_date", {"Data se scrie AAAA-LL-ZZ.", "The date is YYYY-MM-DD."}});
    } else {
      set("due_date", &s.due_date, *input.due_date);
    }
  }
  for (auto [field, value, into, known] :
       {std::tuple{"contact_id", &input.contact_id, &s.contact_id, &contacts},
        std::tuple{"opportunity_id", &input.opportunity_id, &s.opportunity_id, &opportunities}}) {
    if (!*value) continue;
    if (!(*value)->empty() && std::find(known->begin(), known->end(), **value) == known->end()) {
      errors->push_back(
          {field,
           "not_found",
           {"Nu este al contului activității.", "It does not belong to the activity's account."}});
    } else {
      set(field, into, **value);
    }
  }
  for (const auto& [key, raw] : input.custom) {
    settings::ApplyCustomValue(key, raw, rules.custom_fields, "", &s.custom, &out.custom_changed,
                               errors);
  }
  for (const std::string& required : rules.required) {
    const std::string value =
        required.starts_with("custom.")
            ? (s.custom.count(required.substr(7)) ? s.custom.at(required.substr(7)) : std::string())
        : required == "details"        ? s.details
        : required == "contact_id"     ? s.contact_id
        : required == "opportunity_id" ? s.opportunity_id
        : required == "due_date"       ? s.due_date
                                       : std::string("set");
    if (value.empty()) {
      errors->push_back({required, "required", {"Câmp obligatoriu.", "Required."}});
    }
  }
  return out;
}

// A call's or SMS's details checked: the direction, the number (the one
// given, normalized, else the default), a call's outcome and duration, an
// SMS's text (the details).
CommunicationRecord CheckCommunication(const CommunicationRecord& given,
                                       const std::string& default_phone, const Activity::State& s,
                                       std::vector<FieldError>* errors) {
  CommunicationRecord out = given;
  if (given.direction != "inbound" && given.direction != "outbound") {
    errors->push_back(
        {"direction",
         "invalid_value",
         {"Direcția este inbound sau outbound.", "The direction is inbound or outbound."}});
  }
  if (!given.phone.empty()) {
    auto normal = accounts::NormalizePhone(given.phone);
    if (!normal) {
      errors->push_back({"phone",
                         "invalid_phone",
                         {"Numărul de telefon nu este valid.", "The phone number is not valid."}});
    }
    out.phone = normal.value_or("");
  } else if (default_phone.empty()) {
    errors->push_back(
        {"phone", "required", {"Nu există un număr de telefon.", "There is no phone number."}});
  } else {
    out.phone = default_phone;
  }
  if (s.type == "phone") {
    static const char* const kOutcomes[] = {"answered", "no_answer", "busy", "voicemail", "failed"};
    if (!OneOf(given.outcome, kOutcomes)) {
      errors->push_back({"outcome",
                         "invalid_value",
                         {"Rezultatul este answered, no_answer, busy, voicemail sau failed.",
                          "The outcome is answered, no_answer, busy, voicemail or failed."}});
    }
    if (given.duration_seconds < 0 || given.duration_seconds > 86400) {
      errors->push_back(
          {"duration_seconds",
           "out_of_range",
           {"Durata este între 0 și 86400 de secunde.", "The duration is 0 to 86400 seconds."}});
    }
  } else if (s.details.empty() || accounts::Utf8Length(s.details) > 1600) {
    errors->push_back(
        {"text",
         "invalid_length",
         {"Mesajul are între 1 și 1600 de caractere.", "The message has 1 to 1600 characters."}});
  }
  return out;
}

}  // namespace

std::vector<TypeDef> DefaultActivityTypes() {
  return {{"phone", {"Telefon", "Phone"}}, {"email", {"Email", "Email"}},
          {"visit", {"Vizită", "Visit"}},  {"meeting", {"Întâlnire", "Meeting"}},
          {"task", {"Sarcină", "Task"}},   {"sms", {"SMS", "Text message"}}};
}

domain::Decision<Activity::Event> Activity::Decide(const State& state, const Command& command,
                                                   const domain::Context& ctx) {
  // A command on an activity that exists, and that is not archived unless
  // it delivers a reminder or moves the activity.
  if (!std::holds_alternative<CreateActivity>(command)) {
    if (!state.exists) {
      return Reject("activity_not_found", "Activitatea nu există.", "No such activity.", 404);
    }
    const bool any_state = std::holds_alternative<FireActivityReminder>(command) ||
                           std::holds_alternative<MoveActivity>(command);
    if (!any_state && state.archived) {
      return Reject("activity_archived", "Activitatea este arhivată.", "The activity is archived.",
                    409);
    }
  }
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, CreateActivity>) {
          const auto* create = &c;
          if (state.exists) {
            return Reject("activity_exists", "Activitatea există deja.",
                          "The activity exists already.", 409);
          }
          if (!domain::MayGiveTo(ctx, create->owner_id)) {
            return domain::GivingForbidden();
          }
          std::vector<FieldError> errors;
          ActivityInput input = create->input;
          if (!input.subject) input.subject = "";
          if (!input.type) input.type = "task";
          Applied applied =
              Apply(state, input, create->account_contacts, create->account_opportunities,
                    create->rules, create->types, &errors);
          CommunicationRecord communication;
          if (create->communication) {
            communication = CheckCommunication(*create->communication, create->default_phone,
                                               applied.state, &errors);
          }
          if (!OneOf(create->status, kActivityStatuses)) {
            errors.push_back({"status",
                              "invalid_value",
                              {"Starea este planned, in_progress, done sau canceled.",
                               "The status is planned, in_progress, done or canceled."}});
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          const State& s = applied.state;
          ActivityCreatedT e;
          e.activity_id = create->activity_id;
          e.account_id = create->account_id;
          e.opportunity_id = s.opportunity_id;
          e.contact_id = s.contact_id;
          e.type = s.type;
          e.subject = s.subject;
          e.details = s.details;
          e.status = create->status;
          e.owner_id = create->owner_id;
          e.due_date = s.due_date;
          e.reminder_at_us = create->reminder_at_us.value_or(0);
          e.custom = accounts::CustomValues(s.custom);
          e.direction = communication.direction;
          e.phone = communication.phone;
          e.duration_seconds = static_cast<uint32_t>(communication.duration_seconds);
          e.call_outcome = communication.outcome;
          e.occurred_at_us = communication.at_us;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, FireActivityReminder>) {
          const auto* fire = &c;
          if (state.reminder_at_us == 0 || state.reminder_at_us != fire->due_us ||
              state.reminder_fired) {
            return Events{};
          }
          ActivityReminderDueT e;
          e.reminder_at_us = fire->due_us;
          e.user_id = state.owner_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, MoveActivity>) {
          const auto* move = &c;
          if (move->from_account_id != state.account_id) return Events{};
          ActivityMovedT e;
          e.from_account_id = state.account_id;
          e.account_id = move->account_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ArchiveActivity>) {
          return Events{ActivityArchivedT{}};
        } else if constexpr (std::is_same_v<C, ChangeActivity>) {
          const auto* change = &c;
          std::vector<FieldError> errors;
          Applied applied =
              Apply(state, change->input, change->account_contacts, change->account_opportunities,
                    change->rules, change->types, &errors);
          // A call stays a call, and an SMS keeps its text.
          if (!state.communication.direction.empty()) {
            if (applied.state.type != state.type) {
              errors.push_back({"type",
                                "fixed_type",
                                {"Tipul unui apel sau SMS nu se schimbă.",
                                 "A call's or SMS's type does not change."}});
            }
            if (state.type == "sms" && applied.state.details.empty()) {
              errors.push_back(
                  {"details", "required", {"Textul SMS-ului rămâne.", "An SMS keeps its text."}});
            }
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          if (applied.changed.empty() && applied.custom_changed.empty()) return Events{};
          const State& s = applied.state;
          ActivityChangedT e;
          e.changed = applied.changed;
          e.type = s.type;
          e.subject = s.subject;
          e.details = s.details;
          e.contact_id = s.contact_id;
          e.opportunity_id = s.opportunity_id;
          e.due_date = s.due_date;
          e.custom = accounts::CustomValues(applied.custom_changed);
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ChangeActivityStatus>) {
          const auto* status = &c;
          if (!OneOf(status->status, kActivityStatuses)) {
            return domain::InvalidFields(
                {{"status",
                  "invalid_value",
                  {"Starea este planned, in_progress, done sau canceled.",
                   "The status is planned, in_progress, done or canceled."}}});
          }
          if (status->status == state.status) return Events{};
          ActivityStatusChangedT e;
          e.status = status->status;
          e.from_status = state.status;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ReassignActivity>) {
          const auto* reassign = &c;
          if (reassign->owner_id == state.owner_id) return Events{};
          if (!domain::MayGiveTo(ctx, reassign->owner_id)) return domain::GivingForbidden();
          ActivityReassignedT e;
          e.owner_id = reassign->owner_id;
          e.from_owner_id = state.owner_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, SetActivityReminder>) {
          const auto& reminder = c;
          if (!reminder.at_us) {
            if (state.reminder_at_us == 0) return Events{};
            return Events{ActivityReminderClearedT{}};
          }
          if (*reminder.at_us <= 0) {
            return domain::InvalidFields({{"reminder_at",
                                           "invalid_time",
                                           {"Momentul nu este valid.", "The time is not valid."}}});
          }
          if (*reminder.at_us == state.reminder_at_us) return Events{};
          ActivityReminderSetT e;
          e.reminder_at_us = *reminder.at_us;
          return Events{std::move(e)};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

Activity::State Activity::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ActivityCreatedT>) {
          state.exists = true;
          state.account_id = e.account_id;
          state.opportunity_id = e.opportunity_id;
          state.contact_id = e.contact_id;
          state.type = e.type;
          state.subject = e.subject;
          state.details = e.details;
          state.status = e.status;
          state.owner_id = e.owner_id;
          state.due_date = e.due_date;
          state.reminder_at_us = e.reminder_at_us;
          for (const auto& v : e.custom) state.custom[v->key] = v->value;
          state.communication = {e.direction, e.phone, e.duration_seconds, e.call_outcome,
                                 e.occurred_at_us};
        } else if constexpr (std::is_same_v<T, ActivityChangedT>) {
          for (const auto& field : e.changed) {
            if (field == "type") state.type = e.type;
            if (field == "subject") state.subject = e.subject;
            if (field == "details") state.details = e.details;
            if (field == "contact_id") state.contact_id = e.contact_id;
            if (field == "opportunity_id") state.opportunity_id = e.opportunity_id;
            if (field == "due_date") state.due_date = e.due_date;
          }
          for (const auto& v : e.custom) {
            if (v->value.empty()) {
              state.custom.erase(v->key);
            } else {
              state.custom[v->key] = v->value;
            }
          }
        } else if constexpr (std::is_same_v<T, ActivityStatusChangedT>) {
          state.status = e.status;
        } else if constexpr (std::is_same_v<T, ActivityReassignedT>) {
          state.owner_id = e.owner_id;
        } else if constexpr (std::is_same_v<T, ActivityReminderSetT>) {
          state.reminder_at_us = e.reminder_at_us;
          state.reminder_fired = false;
        } else if constexpr (std::is_same_v<T, ActivityReminderClearedT>) {
          state.reminder_at_us = 0;
        } else if constexpr (std::is_same_v<T, ActivityReminderDueT>) {
          state.reminder_fired = true;
        } else if constexpr (std::is_same_v<T, ActivityMovedT>) {
          state.account_id = e.account_id;
        } else if constexpr (std::is_same_v<T, ActivityArchivedT>) {
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

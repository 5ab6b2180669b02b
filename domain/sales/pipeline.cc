#include "domain/sales/pipeline.h"

#include <algorithm>
#include <cctype>

#include "domain/accounts/normalize.h"

namespace crm::sales {

const std::map<std::string, domain::Text>& StatusLabels() {
  static const auto* labels =
      new std::map<std::string, domain::Text>{{"open", {"Deschisă", "Open"}},
                                              {"won", {"Câștigată", "Won"}},
                                              {"lost", {"Pierdută", "Lost"}},
                                              {"planned", {"Planificată", "Planned"}},
                                              {"in_progress", {"În desfășurare", "In progress"}},
                                              {"done", {"Finalizată", "Done"}},
                                              {"canceled", {"Anulată", "Canceled"}}};
  return *labels;
}

std::vector<StageDef> DefaultStages() {
  return {{"prospecting", {"Prospectare", "Prospecting"}, 10},
          {"approach", {"Abordare", "Approach"}, 30},
          {"offer", {"Ofertare", "Offer"}, 60},
          {"order", {"Comandă", "Order"}, 90}};
}

const StageDef* Pipeline::State::Find(const std::string& key) const {
  for (const auto& s : stages) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

domain::Decision<Pipeline::Event> Pipeline::Decide(const State& state, const Command& command,
                                                   const domain::Context&) {
  static_assert(std::variant_size_v<Command> == 1, "one command: SetPipeline");
  const auto& set = std::get<SetPipeline>(command);
  std::vector<domain::FieldError> errors;
  if (set.stages.empty() || set.stages.size() > 30) {
    errors.push_back(
        {"stages", "invalid_count", {"Între 1 și 30 de etape.", "Between 1 and 30 stages."}});
  }
  std::set<std::string> keys;
  for (size_t i = 0; i < set.stages.size(); ++i) {
    const StageDef& s = set.stages[i];
    const std::string field = "stages[" + std::to_string(i) + "]";
    const bool key_ok = !s.key.empty() && s.key.size() <= 40 &&
                        std::islower(static_cast<unsigned char>(s.key[0])) &&
                        std::all_of(s.key.begin(), s.key.end(), [](unsigned char c) {
                          return std::islower(c) || std::isdigit(c) || c == '_';
                        });
    if (!key_ok) {
      errors.push_back({field + ".key",
                        "invalid_key",
                        {"Cheia: litere mici, cifre și _, începând cu o literă.",
                         "The key: lower-case letters, digits and _, starting with a letter."}});
    } else if (!keys.insert(s.key).second) {
      errors.push_back(
          {field + ".key", "repeated", {"Cheie de etapă repetată.", "The stage key is repeated."}});
    }
    if (s.label.ro.empty() || s.label.en.empty() || accounts::Utf8Length(s.label.ro) > 100 ||
        accounts::Utf8Length(s.label.en) > 100) {
      errors.push_back({field + ".label",
                        "invalid_label",
                        {"Eticheta în română și engleză, cel mult 100 de caractere.",
                         "A label in Romanian and English, at most 100 characters."}});
    }
    if (s.probability < 0 || s.probability > 100) {
      errors.push_back({field + ".probability",
                        "out_of_range",
                        {"Probabilitatea este între 0 și 100.", "The probability is 0 to 100."}});
    }
  }
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  for (const auto& used : set.in_use) {
    if (!keys.count(used)) {
      domain::Rejection r = domain::Reject(
          "stage_in_use", "Etapa „" + used + "” are oportunități deschise; nu poate fi ștearsă.",
          "The stage '" + used + "' has open opportunities; it cannot be removed.", 409);
      r.fields.push_back({"stages", "stage_in_use", r.message});
      return r;
    }
  }
  if (set.stages == state.stages) return std::vector<Event>{};
  PipelineSetT e;
  for (const auto& s : set.stages) {
    auto stage = std::make_unique<StageT>();
    stage->key = s.key;
    stage->label_ro = s.label.ro;
    stage->label_en = s.label.en;
    stage->probability = s.probability;
    e.stages.push_back(std::move(stage));
  }
  return std::vector<Event>{std::move(e)};
}

Pipeline::State Pipeline::Evolve(State state, const Event& event) {
  state.stages.clear();
  static_assert(std::variant_size_v<Event> == 1, "one event: PipelineSetT");
  for (const auto& s : std::get<PipelineSetT>(event).stages) {
    state.stages.push_back({s->key, {s->label_ro, s->label_en}, s->probability});
  }
  return state;
}

}  // namespace crm::sales

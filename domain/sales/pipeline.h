#pragma once

// The sales pipeline (stream "pipeline"): the ordered stages opportunities
// move through, each with a key, ro/en labels and a default probability.
// Administrators rename, add and reorder stages; a stage that open
// opportunities are in is not removed.

#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/sales_generated.h"

namespace crm::sales {

inline constexpr const char* kPipelineStream = "pipeline";

struct StageDef {
  std::string key;
  domain::Text label;
  int probability = 0;  // %
  bool operator==(const StageDef&) const = default;
};

// The pipeline before anyone set one.
std::vector<StageDef> DefaultStages();

// The labels of the statuses records have: an opportunity's (open, won,
// lost) and an activity's (planned, in_progress, done, canceled).
const std::map<std::string, domain::Text>& StatusLabels();

struct SetPipeline {
  std::vector<StageDef> stages;
  std::set<std::string> in_use;  // stages open opportunities are in (from the read model)
};

struct Pipeline {
  struct State {
    std::vector<StageDef> stages = DefaultStages();
    const StageDef* Find(const std::string& key) const;
  };
  using Command = std::variant<SetPipeline>;
  using Event = std::variant<PipelineSetT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

}  // namespace crm::sales

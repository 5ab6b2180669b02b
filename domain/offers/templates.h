#pragma once

// Offer templates (stream "offer-templates", MISSION.md §5): each a name and
// four sections (header, text_1, text_2, footer), each section a text in
// Romanian and one in English (either may be empty) in the safe markup of
// domain/documents/markup.h, with placeholders from TemplatePlaceholders().
// A template is checked whole when it is saved: an unknown placeholder, an
// element or style outside the markup, or an image that is not an uploaded
// PNG or JPEG is refused naming its section and language ("header.ro").

#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "domain/decider.h"
#include "schemas/offers_generated.h"

namespace crm::offers {

inline constexpr const char* kOfferTemplatesStream = "offer-templates";
inline constexpr const char* kTemplateSections[] = {"header", "text_1", "text_2", "footer"};
// The longest text of one section in one language, in bytes.
inline constexpr size_t kMaxSectionBytes = 64 * 1024;

// The names a section's placeholders may take: account.*, opportunity.*,
// offer.*, user.* and organization.* (see templates.cc for the list).
const std::set<std::string>& TemplatePlaceholders();

struct SectionText {
  std::string ro, en;
  bool operator==(const SectionText&) const = default;
};

struct OfferTemplate {
  std::string name;
  std::map<std::string, SectionText> sections;  // by kTemplateSections name, all four
  bool archived = false;
};

// A template as a request gives it: a name and the sections given (a
// change keeps the others), and what the decider cannot look up: the
// media type of each attachment the sections' images name ("" for none).
struct TemplateInput {
  std::optional<std::string> name;
  std::map<std::string, SectionText> sections;
  std::map<std::string, std::string> images;
};

struct CreateTemplate {
  std::string template_id;
  TemplateInput input;
};
struct ChangeTemplate {
  std::string template_id;
  TemplateInput input;
};
struct ArchiveTemplate {
  std::string template_id;
};

struct OfferTemplates {
  struct State {
    std::map<std::string, OfferTemplate> templates;
  };
  using Command = std::variant<CreateTemplate, ChangeTemplate, ArchiveTemplate>;
  using Event = std::variant<OfferTemplateCreatedT, OfferTemplateChangedT, OfferTemplateArchivedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

}  // namespace crm::offers

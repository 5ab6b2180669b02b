#include "domain/offers/templates.h"

#include "domain/accounts/normalize.h"
#include "domain/documents/markup.h"

namespace crm::offers {

namespace {

using domain::FieldError;
using Events = std::vector<OfferTemplates::Event>;

domain::Rejection NoSuchTemplate() {
  return domain::Reject("not_found", "Șablonul de ofertă nu există.", "No such offer template.",
                        404);
}

std::unique_ptr<TemplateSectionT> SectionEvent(const SectionText& text) {
  auto out = std::make_unique<TemplateSectionT>();
  out->ro = text.ro;
  out->en = text.en;
  return out;
}
SectionText SectionOf(const std::unique_ptr<TemplateSectionT>& e) {
  return e ? SectionText{e->ro, e->en} : SectionText{};
}

// `input` over `base`, checked whole: every wrong section named.
std::variant<OfferTemplate, domain::Rejection> Resolve(const OfferTemplate& base,
                                                       const TemplateInput& input) {
  OfferTemplate t = base;
  std::vector<FieldError> errors;
  if (input.name) t.name = *input.name;
  if (t.name.empty() || accounts::Utf8Length(t.name) > 200) {
    errors.push_back({"name",
                      t.name.empty() ? "required" : "too_long",
                      {"Numele șablonului are între 1 și 200 de caractere.",
                       "The template's name has 1 to 200 characters."}});
  }
  for (const char* section : kTemplateSections) {
    auto given = input.sections.find(section);
    if (given != input.sections.end()) t.sections[section] = given->second;
    SectionText& text = t.sections[section];
    if (given == input.sections.end()) continue;  // kept as it was saved
    for (auto [language, value] : {std::pair{"ro", &text.ro}, std::pair{"en", &text.en}}) {
      const std::string field = std::string(section) + "." + language;
      if (value->size() > kMaxSectionBytes) {
        errors.push_back({field,
                          "too_long",
                          {"O secțiune are cel mult 64 KB.", "A section has at most 64 KB."}});
        continue;
      }
      if (auto error = documents::CheckSection(*value, TemplatePlaceholders(), field)) {
        errors.push_back(std::move(*error));
        continue;
      }
      auto parsed = documents::ParseMarkup(*value, field);
      if (const auto* markup = std::get_if<documents::Markup>(&parsed)) {
        for (const std::string& id : documents::ImageIds(*markup)) {
          auto image = input.images.find(id);
          const std::string type = image == input.images.end() ? "" : image->second;
          if (type != "image/png" && type != "image/jpeg") {
            errors.push_back({field,
                              "no_such_image",
                              {"Imaginea „" + id + "” nu este un fișier PNG sau JPEG încărcat.",
                               "The image '" + id + "' is not an uploaded PNG or JPEG file."}});
          }
        }
      }
    }
  }
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  return t;
}

template <class E>
E TemplateEvent(const std::string& id, const OfferTemplate& t) {
  E e;
  e.template_id = id;
  e.name = t.name;
  e.header = SectionEvent(t.sections.at("header"));
  e.text_1 = SectionEvent(t.sections.at("text_1"));
  e.text_2 = SectionEvent(t.sections.at("text_2"));
  e.footer = SectionEvent(t.sections.at("footer"));
  return e;
}

bool SameContent(const OfferTemplate& a, const OfferTemplate& b) {
  return a.name == b.name && a.sections == b.sections;
}

}  // namespace

const std::set<std::string>& TemplatePlaceholders() {
  static const std::set<std::string> kNames = {"account.name",
                                               "account.fiscal_code",
                                               "account.address",
                                               "account.city",
                                               "account.county",
                                               "account.country",
                                               "opportunity.title",
                                               "offer.number",
                                               "offer.date",
                                               "offer.valid_until",
                                               "offer.revision",
                                               "offer.currency",
                                               "offer.net",
                                               "offer.vat",
                                               "offer.total",
                                               "user.display_name",
                                               "user.email",
                                               "organization.name",
                                               "organization.fiscal_code",
                                               "organization.trade_register",
                                               "organization.address",
                                               "organization.city",
                                               "organization.county",
                                               "organization.iban",
                                               "organization.bank",
                                               "organization.phone",
                                               "organization.email",
                                               "organization.website"};
  return kNames;
}

domain::Decision<OfferTemplates::Event> OfferTemplates::Decide(const State& s,
                                                               const Command& command,
                                                               const domain::Context&) {
  if (const auto* create = std::get_if<CreateTemplate>(&command)) {
    if (s.templates.count(create->template_id)) {
      return domain::Reject("template_exists", "Șablonul există deja.",
                            "The template exists already.", 409);
    }
    TemplateInput input = create->input;
    if (!input.name) input.name.emplace();  // required
    for (const char* section : kTemplateSections) input.sections.try_emplace(section);
    auto resolved = Resolve({}, input);
    if (auto* r = std::get_if<domain::Rejection>(&resolved)) return *r;
    return Events{TemplateEvent<OfferTemplateCreatedT>(create->template_id,
                                                       std::get<OfferTemplate>(resolved))};
  }
  const std::string& id =
      std::visit([](const auto& c) -> const std::string& { return c.template_id; }, command);
  auto found = s.templates.find(id);
  if (found == s.templates.end()) return NoSuchTemplate();
  const OfferTemplate& current = found->second;
  if (std::holds_alternative<ArchiveTemplate>(command)) {
    if (current.archived) return Events{};
    OfferTemplateArchivedT e;
    e.template_id = id;
    return Events{std::move(e)};
  }
  if (current.archived) {
    return domain::Reject("template_archived", "Șablonul este arhivat.",
                          "The template is archived.", 409);
  }
  auto resolved = Resolve(current, std::get<ChangeTemplate>(command).input);
  if (auto* r = std::get_if<domain::Rejection>(&resolved)) return *r;
  const OfferTemplate& next = std::get<OfferTemplate>(resolved);
  if (SameContent(next, current)) return Events{};
  return Events{TemplateEvent<OfferTemplateChangedT>(id, next)};
}

OfferTemplates::State OfferTemplates::Evolve(State s, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, OfferTemplateArchivedT>) {
          s.templates[e.template_id].archived = true;
        } else {
          OfferTemplate& t = s.templates[e.template_id];
          t.name = e.name;
          t.sections = {{"header", SectionOf(e.header)},
                        {"text_1", SectionOf(e.text_1)},
                        {"text_2", SectionOf(e.text_2)},
                        {"footer", SectionOf(e.footer)}};
        }
      },
      event);
  return s;
}

}  // namespace crm::offers

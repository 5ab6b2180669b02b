#pragma once

// The offers module's parts, shared by its files: offers.cc (offers, their
// list and lifecycle, the expiry worker) and documents.cc (an offer's PDF).

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/formats/pdf_document.h"
#include "api/offers/offers.h"
#include "domain/catalog/product.h"
#include "domain/catalog/vat_rates.h"
#include "domain/offers/offer.h"
#include "domain/offers/templates.h"
#include "domain/sales/opportunity.h"
#include "domain/sales/pipeline.h"
#include "domain/sequence.h"
#include "domain/settings/organization.h"
#include "domain/transact.h"
#include "workers/reminder_scheduler.h"

namespace crm::api {

// The revision a path names ("2"); 0 (none) for anything but a number.
int RevisionOf(const std::string& text);

class OffersImpl final : public Module {
 public:
  OffersImpl(Server& server, SettingsModule& settings, AccountsModule& accounts, SalesModule& sales)
      : server_(server), settings_(settings), accounts_(accounts), sales_(sales) {}
  void Register(Server& server) override;
  std::vector<const projections::Projection*> Reads() const override {
    return {&server_.models().offers};
  }
  // No offer expires once Stop returns.
  void Stop() override;

 private:
  using Call = Server::Call;
  // The stages a new offer's opportunity, and an accepted offer's, move to.
  static constexpr const char* kOfferStage = "offer";
  static constexpr const char* kOrderStage = "order";

  void Create(const Call& call, httplib::Response& res);
  // Decides `command` on offer `id` (the caller its responsible user or a
  // manager) with `linked` parts, and answers.
  void Command(const Call& call, httplib::Response& res, const std::string& id,
               const offers::Offer::Command& command,
               decltype(domain::TransactOptions::linked) linked = {});
  // The part moving `opportunity_id` to `stage`, decided on each attempt of
  // the command: none when the pipeline has no such stage or the
  // opportunity is closed, archived, there already or past it.
  decltype(domain::TransactOptions::linked) MoveTo(const std::string& opportunity_id,
                                                   const std::string& stage);
  // What an offer's lines are decided against, on `today`.
  domain::Outcome<offers::Facts> FactsFor(const offers::ContentInput& content,
                                          const std::string& today);
  domain::Outcome<settings::OrganizationDetails> Organization();
  // Revision `revision` of offer `id` (nullopt: the current one) as of the
  // request's as_of; nullopt, with 404 or a failure answered, when the offer
  // or the revision does not exist.
  struct Revision {
    offers::Offer::State state;
    uint64_t version = 0;
    int number = 0;  // from 1
  };
  std::optional<Revision> LoadRevision(const Call& call, httplib::Response& res,
                                       const std::string& id, std::optional<int> revision);
  // Revision `revision` (from 1) of offer `id` as the API answers it.
  nlohmann::json OfferJson(const std::string& id, const offers::Offer::State& state,
                           uint64_t version, int revision) const;
  // GET /api/v1/offers/{id}.pdf and …/revisions/{n}.pdf (documents.cc).
  void DocumentRoutes();
  // Revision `revision` of offer `id` (in `state`) as an A4 PDF in
  // `language`, its supplier and template as of the request's as_of.
  Result<std::string> Pdf(const Call& call, const std::string& id,
                          const offers::Offer::State& state, int revision,
                          const std::string& language);
  // The blocks of a template section `markup`, its placeholders `values`.
  void AddSection(const std::string& markup, const std::map<std::string, std::string>& values,
                  std::vector<pdf::Block>* blocks);
  // The offer templates' routes (templates.cc).
  void TemplateRoutes();
  // A template's input from a body the route's schema validated, with the
  // media types of the images its sections name.
  domain::Outcome<offers::TemplateInput> ReadTemplate(const nlohmann::json& body);
  // Expires the sent offers past their validity: at start-up (those that
  // ended while the server was down) and at every midnight of the
  // organization's time zone after.
  void StartExpiry();
  void ExpireDue();

  Server& server_;
  SettingsModule& settings_;
  AccountsModule& accounts_;
  SalesModule& sales_;
  domain::AggregateStore<offers::Offer> offers_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::Opportunity> opportunities_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::Pipeline> pipeline_{server_.store(), server_.ids()};
  domain::AggregateStore<catalog::Product> products_{server_.store(), server_.ids()};
  domain::AggregateStore<catalog::VatRates> vat_rates_{server_.store(), server_.ids()};
  domain::AggregateStore<settings::Organization> organization_{server_.store(), server_.ids()};
  domain::AggregateStore<offers::OfferTemplates> templates_{server_.store(), server_.ids()};
  domain::GaplessNumbers numbers_{server_.store(), server_.ids()};
  std::unique_ptr<workers::ReminderScheduler> expiry_;
};

}  // namespace crm::api

#include "tools/generate.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "domain/accounts/account.h"
#include "domain/identity/user.h"
#include "domain/offers/offer.h"
#include "domain/sales/activity.h"
#include "domain/sales/opportunity.h"
#include "domain/sales/pipeline.h"
#include "domain/sequence.h"
#include "domain/system.h"
#include "domain/time.h"
#include "domain/transact.h"

namespace crm::tools {

namespace {

constexpr int64_t kDayUs = int64_t{86'400} * 1'000'000;

constexpr const char* kFirstNames[] = {
    "Andrei", "Ioana",  "Mihai", "Elena",    "Ștefan", "Ana",       "Răzvan", "Cătălina",
    "Bogdan", "Irina",  "Tudor", "Mădălina", "Radu",   "Alexandra", "Costin", "Oana",
    "Sorin",  "Bianca", "Vlad",  "Anișoara", "Dănuț",  "Roxana",    "Ionuț",  "Ilinca"};
constexpr const char* kLastNames[] = {
    "Popescu",   "Ionescu",    "Munteanu", "Țurcanu", "Constantinescu", "Dumitrașcu", "Stănescu",
    "Marinescu", "Căpraru",    "Bălan",    "Șerban",  "Vlădescu",       "Neagoe",     "Grigoraș",
    "Pîrvu",     "Drăgulescu", "Moldovan", "Ciobanu", "Lungu",          "Tănase"};
constexpr const char* kNameParts[] = {"Brădet",   "Carpați", "Mureș",   "Dunărea",  "Ceahlău",
                                      "Stejarul", "Făget",   "Izvorul", "Someș",    "Bucegi",
                                      "Târnava",  "Siret",   "Oltenia", "Argeș",    "Lunca",
                                      "Vrancea",  "Colina",  "Șoimul",  "Zărnești", "Pădurea"};
constexpr const char* kTrades[] = {"Construct", "Logistic", "Agro",    "Soft",     "Trans",
                                   "Impex",     "Mobila",   "Energie", "Servicii", "Medica"};
constexpr const char* kForms[] = {"SRL", "SRL", "SRL", "SA", "SRL", "PFA"};
struct City {
  const char* name;
  const char* county;
};
constexpr City kCities[] = {{"București", "București"},
                            {"Iași", "Iași"},
                            {"Cluj-Napoca", "Cluj"},
                            {"Timișoara", "Timiș"},
                            {"Brașov", "Brașov"},
                            {"Constanța", "Constanța"},
                            {"Târgu Mureș", "Mureș"},
                            {"Galați", "Galați"},
                            {"Ploiești", "Prahova"},
                            {"Pitești", "Argeș"},
                            {"Sibiu", "Sibiu"},
                            {"Suceava", "Suceava"},
                            {"Bistrița", "Bistrița-Năsăud"},
                            {"Râmnicu Vâlcea", "Vâlcea"}};
constexpr const char* kProducts[] = {
    "Licențe software",     "Mobilier de birou", "Întreținere flotă", "Servicii de curățenie",
    "Panouri fotovoltaice", "Echipamente IT",    "Instruire vânzări", "Consultanță fiscală",
    "Ambalaje reciclabile", "Pompe de căldură"};
constexpr const char* kSubjects[] = {"Discuție despre ofertă",      "Trimis prezentarea",
                                     "Vizită la sediul clientului", "Confirmare comandă",
                                     "Întâlnire de negociere",      "Reamintire plată",
                                     "Demonstrație produs",         "Clarificări tehnice"};
constexpr const char* kActivityTypes[] = {"phone", "email", "visit", "meeting", "task", "sms"};
constexpr const char* kLostReasons[] = {"Preț prea mare", "A ales un concurent", "Buget amânat",
                                        "Fără răspuns"};

// ASCII for user names and e-mail addresses: the diacritics Romanian uses.
std::string Ascii(const std::string& text) {
  static const std::pair<const char*, const char*> kFolds[] = {
      {"ă", "a"}, {"â", "a"}, {"î", "i"}, {"ș", "s"}, {"ț", "t"}, {"Ă", "a"},
      {"Â", "a"}, {"Î", "i"}, {"Ș", "s"}, {"Ț", "t"}, {" ", ""},  {"-", ""}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool folded = false;
    for (const auto& [from, to] : kFolds) {
      const std::string_view f(from);
      if (text.compare(i, f.size(), f) == 0) {
        out += to;
        i += f.size();
        folded = true;
        break;
      }
    }
    if (!folded)
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i++]))));
  }
  return out;
}

std::string Date(int64_t us) { return domain::FormatRfc3339(us).substr(0, 10); }

class Generator {
 public:
  Generator(eventstore::EventStore& store, const GenerateOptions& options,
            const std::function<void(int64_t)>& set_clock_us)
      : store_(store),
        options_(options),
        set_clock_us_(set_clock_us),
        rng_(options.seed),
        ids_([this] { return now_us_ / 1000; }, options.seed ^ 0x9e3779b97f4a7c15ULL),
        codes_(store, ids_, "account-code-sequence") {
    for (const auto& stage : sales::DefaultStages()) stages_.push_back(stage.key);
  }

  Result<GenerateReport> Run() {
    const int64_t end = options_.today_us;
    if (store_.Head() != 0) {
      return Status::InvalidArgument("generate writes into a new data directory; this one has " +
                                     std::to_string(store_.Head()) + " events");
    }
    const int64_t start = end - static_cast<int64_t>(options_.days) * kDayUs;
    // Users first, then accounts over the first nine tenths of the days;
    // opportunities and activities after their account.
    At(start - 1, [this] {
      const domain::Context ctx = Ctx("system");
      Count(log_.Transact(domain::kSystemStream, ctx, [&](const domain::StoreLog::State& s) {
        return domain::StoreLog::Decide(s, domain::InitializeStore{1, "crmctl generate"}, ctx);
      }));
    });
    for (uint64_t i = 0; i < options_.users; ++i) {
      At(start + static_cast<int64_t>(i), [this] { AddUser(); });
    }
    const int64_t span = std::max<int64_t>(end - start, 1);
    for (uint64_t i = 0; i < options_.accounts; ++i) {
      At(start + 1000 + Below(span * 9 / 10), [this] { AddAccount(); });
    }
    for (uint64_t i = 0; i < options_.opportunities; ++i) {
      At(start + span * 1 / 20 + Below(span * 19 / 20), [this] { AddOpportunity(); });
    }
    for (uint64_t i = 0; i < options_.activities; ++i) {
      At(start + span * 1 / 20 + Below(span * 19 / 20), [this] { AddActivity(); });
    }
    while (!queue_.empty() && failure_.ok()) {
      Action action = queue_.top();
      queue_.pop();
      now_us_ = action.at_us;
      set_clock_us_(now_us_);
      action.run();
    }
    if (!failure_.ok()) return failure_;
    report_.events = store_.Head() - first_head_;
    return report_;
  }

  void Begin() { first_head_ = store_.Head(); }

 private:
  struct Action {
    int64_t at_us;
    uint64_t order;
    std::function<void()> run;
    bool operator<(const Action& other) const {  // the earliest on top
      return at_us != other.at_us ? at_us > other.at_us : order > other.order;
    }
  };
  struct AccountInfo {
    std::string id, owner;
    int64_t created_us = 0;
    std::vector<std::string> contacts, opportunities;
  };

  void At(int64_t at_us, std::function<void()> run) {
    if (at_us > options_.today_us + kDayUs) return;  // past the end of the history
    queue_.push({at_us, order_++, std::move(run)});
  }
  int64_t Below(int64_t n) {
    return n <= 0 ? 0 : static_cast<int64_t>(rng_() % static_cast<uint64_t>(n));
  }
  template <class T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[rng_() % N];
  }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }

  domain::Context Ctx(const std::string& actor) {
    domain::Context ctx;
    ctx.actor = actor;
    ctx.now_us = now_us_;
    ctx.correlation_id = "generate";
    return ctx;
  }
  template <class Outcome>
  void Count(const Outcome& outcome) {
    ++report_.commands;
    if (outcome.failed()) failure_ = outcome.status();
    if (outcome.rejected()) ++report_.refused;
  }

  void AddUser() {
    const size_t n = users_.size();
    const std::string first = kFirstNames[(n * 7 + rng_()) % std::size(kFirstNames)];
    const std::string last = kLastNames[(n * 3 + rng_()) % std::size(kLastNames)];
    identity::CreateUser create{ids_.Next(),
                                Ascii(first) + "." + Ascii(last) + std::to_string(n + 1),
                                first + " " + last, "", n == 0 ? "manager" : "sales"};
    create.email = create.username + "@exemplu.ro";
    const domain::Context ctx = Ctx("system");
    domain::TransactOptions options;
    options.claims.push_back(
        {identity::UsernameClaim(create.username), domain::Reject("username_taken", "", "")});
    auto outcome = users_store_.Transact(
        identity::UserStream(create.user_id), ctx,
        [&](const identity::User::State& s) { return identity::User::Decide(s, create, ctx); },
        options);
    Count(outcome);
    if (outcome.ok()) users_.push_back(create.user_id);
  }

  void AddAccount() {
    if (users_.empty()) return;
    AccountInfo info;
    info.id = ids_.Next();
    info.owner = users_[rng_() % users_.size()];
    info.created_us = now_us_;
    const City& city = Pick(kCities);
    const std::string name =
        std::string(Pick(kNameParts)) + " " + Pick(kTrades) + " " + Pick(kForms);
    accounts::CreateAccount create;
    create.account_id = info.id;
    create.owner_id = info.owner;
    create.input.text = {{"name", name},
                         {"city", city.name},
                         {"county", city.county},
                         {"phone", "+4072" + std::to_string(1000000 + Below(8999999))},
                         {"email", "office@" + Ascii(name) + ".ro"}};
    create.input.vat_payer = Chance(70);
    const domain::Context ctx = Ctx(info.owner);
    Result<uint64_t> number = codes_.Next(ctx);
    if (!number.ok()) {
      failure_ = number.status();
      return;
    }
    char code[32];
    std::snprintf(code, sizeof code, "C-%06llu", static_cast<unsigned long long>(*number));
    create.code = code;
    auto outcome = accounts_.Transact(
        accounts::AccountStream(info.id), ctx,
        [&](const accounts::Account::State& s) {
          return accounts::Account::Decide(s, create, ctx);
        },
        {}, [](const accounts::Account::State& s) { return accounts::AccountClaims(s, {}); });
    Count(outcome);
    if (!outcome.ok()) return;
    // One or two people to talk to.
    for (int c = 0, n = 1 + static_cast<int>(rng_() % 2); c < n; ++c) {
      accounts::AddContact contact;
      contact.contact_id = ids_.Next();
      const std::string first = Pick(kFirstNames), last = Pick(kLastNames);
      contact.fields = {{"first_name", first},
                        {"last_name", last},
                        {"title", c == 0 ? "Director general" : "Achiziții"},
                        {"email", Ascii(first) + "." + Ascii(last) + "@" + Ascii(name) + ".ro"},
                        {"mobile", "+4074" + std::to_string(1000000 + Below(8999999))}};
      auto added = accounts_.Transact(accounts::AccountStream(info.id), ctx,
                                      [&](const accounts::Account::State& s) {
                                        return accounts::Account::Decide(s, contact, ctx);
                                      });
      Count(added);
      if (added.ok()) info.contacts.push_back(contact.contact_id);
    }
    accounts_list_.push_back(std::move(info));
  }

  // An account made before now, or nullptr when there is none yet.
  AccountInfo* SomeAccount() {
    if (accounts_list_.empty()) return nullptr;
    return &accounts_list_[rng_() % accounts_list_.size()];
  }

  void AddOpportunity() {
    AccountInfo* account = SomeAccount();
    if (!account) return;
    sales::OpenOpportunity open;
    open.opportunity_id = ids_.Next();
    open.account_id = account->id;
    open.owner_id = account->owner;
    open.stages = stages_;
    const bool euro = Chance(20);
    open.input.title = std::string(Pick(kProducts)) + " " + Date(now_us_).substr(0, 4);
    open.input.value =
        std::to_string(500 + Below(euro ? 40000 : 200000)) + "." + (Chance(50) ? "00" : "50");
    open.input.currency = euro ? "EUR" : "RON";
    open.input.close_date = Date(now_us_ + (10 + Below(80)) * kDayUs);
    // The next step is due within a few weeks of opening.
    open.input.due_date = Date(now_us_ + (3 + Below(30)) * kDayUs);
    if (!account->contacts.empty()) open.input.contact_id = account->contacts.front();
    open.account_contacts = account->contacts;
    const domain::Context ctx = Ctx(account->owner);
    auto outcome = opportunities_.Transact(sales::OpportunityStream(open.opportunity_id), ctx,
                                           [&](const sales::Opportunity::State& s) {
                                             return sales::Opportunity::Decide(s, open, ctx);
                                           });
    Count(outcome);
    if (!outcome.ok()) return;
    account->opportunities.push_back(open.opportunity_id);
    // It moves through the stages every few days; some are won, some lost,
    // the rest still open today.
    const std::string id = open.opportunity_id, owner = account->owner;
    int64_t at = now_us_;
    const size_t reach = 1 + rng_() % stages_.size();  // the last stage it gets to
    // An opportunity that reaches the offer stage gets an offer, sent a day
    // later; it is accepted as the opportunity moves on to order, and
    // rejected when the opportunity is lost.
    const std::string offer_id = reach > kOfferStage ? ids_.Next() : std::string();
    for (size_t stage = 1; stage < reach; ++stage) {
      at += (1 + Below(10)) * kDayUs + Below(kDayUs);
      if (stage == kOfferStage) {
        At(at + 1, [this, offer_id, id, account = account->id, owner] {
          AddOffer(offer_id, id, account, owner);
        });
        At(at + kDayUs / 2,
           [this, offer_id, owner] { DecideOffer(offer_id, owner, offers::SendOffer{}); });
      } else if (stage == kOfferStage + 1) {
        At(at - 1, [this, offer_id, owner] {
          DecideOffer(offer_id, owner, offers::AcceptOffer{domain::BucharestDate(now_us_)});
        });
      }
      At(at, [this, id, owner, key = stages_[stage]] {
        const domain::Context ctx = Ctx(owner);
        Count(opportunities_.Transact(
            sales::OpportunityStream(id), ctx, [&](const sales::Opportunity::State& s) {
              return sales::Opportunity::Decide(s, sales::ChangeStage{key, stages_}, ctx);
            }));
      });
    }
    const int fate = static_cast<int>(rng_() % 100);
    if (fate < 65) {
      at += (1 + Below(10)) * kDayUs;
      const bool won = reach == stages_.size() ? fate < 50 : fate < 15;
      if (!won && reach == kOfferStage + 1) {
        At(at - 1, [this, offer_id, owner] {
          DecideOffer(offer_id, owner, offers::RejectOffer{"Preț prea mare"});
        });
      }
      At(at, [this, id, owner, won, reason = std::string(Pick(kLostReasons))] {
        const domain::Context ctx = Ctx(owner);
        Count(opportunities_.Transact(
            sales::OpportunityStream(id), ctx, [&](const sales::Opportunity::State& s) {
              return sales::Opportunity::Decide(
                  s, sales::CloseOpportunity{won ? "won" : "lost", won ? "" : reason}, ctx);
            }));
      });
    }
  }

  // An offer of 1 to 8 lines, numbered without gaps as the server numbers them.
  void AddOffer(const std::string& offer_id, const std::string& opportunity_id,
                const std::string& account_id, const std::string& owner) {
    const std::string today = domain::BucharestDate(now_us_);
    offers::CreateOffer create;
    create.offer_id = offer_id;
    create.opportunity_id = opportunity_id;
    create.account_id = account_id;
    create.owner_id = owner;
    const int valid_days = 15 + static_cast<int>(Below(30));
    create.content.valid_until = domain::AddDays(today, valid_days);
    // The expiry worker's turn, the day after the validity (nothing to do
    // for an offer decided by then).
    At(now_us_ + (valid_days + 1) * kDayUs, [this, offer_id] {
      DecideOffer(offer_id, "system", offers::ExpireOffer{domain::BucharestDate(now_us_)});
    });
    create.content.lines.emplace();
    const int64_t lines = 1 + Below(8);
    for (int64_t i = 0; i < lines; ++i) {
      create.content.lines->push_back(
          {"", std::string(Pick(kProducts)) + " — " + Pick(kSubjects),
           std::to_string(1 + Below(20)) + (Chance(30) ? ".5" : ""), Chance(50) ? "buc" : "h",
           std::to_string(50 + Below(5000)) + "." + (Chance(50) ? "00" : "99"),
           Chance(30) ? std::to_string(5 * (1 + Below(4))) : "",
           Chance(80) ? "standard" : "reduced"});
    }
    create.facts.vat_rates = {{"standard", 2100}, {"reduced", 1100}};
    create.facts.today = today;
    const std::string year = today.substr(0, 4);
    const domain::Context ctx = Ctx(owner);
    domain::GaplessNumbers::Taking number(offer_numbers_, offers::OfferNumberStream(year));
    domain::TransactOptions options;
    options.linked = number.Part();
    Count(offers_.Transact(
        offers::OfferStream(offer_id), ctx,
        [&](const offers::Offer::State& s) -> domain::Decision<offers::Offer::Event> {
          const auto n = number.Take(ctx);
          if (!n) return domain::Reject("unavailable", "", "", 503);
          create.number = offers::OfferNumber(year, *n);
          return offers::Offer::Decide(s, create, ctx);
        },
        options));
    if (!number.status().ok()) failure_ = number.status();
  }
  void DecideOffer(const std::string& offer_id, const std::string& owner,
                   const offers::Offer::Command& command) {
    const domain::Context ctx = Ctx(owner);
    Count(offers_.Transact(offers::OfferStream(offer_id), ctx, [&](const offers::Offer::State& s) {
      return offers::Offer::Decide(s, command, ctx);
    }));
  }

  void AddActivity() {
    AccountInfo* account = SomeAccount();
    if (!account) return;
    sales::CreateActivity create;
    create.activity_id = ids_.Next();
    create.account_id = account->id;
    create.owner_id = account->owner;
    create.input.type = Pick(kActivityTypes);
    create.input.subject = Pick(kSubjects);
    // Due around today: some overdue, some today, most in the coming weeks.
    const int64_t due = options_.today_us + (Below(36) - 14) * kDayUs;
    create.input.due_date = Date(std::max(due, now_us_));
    if (!account->contacts.empty()) create.input.contact_id = account->contacts.back();
    if (!account->opportunities.empty() && Chance(60)) {
      create.input.opportunity_id = account->opportunities.back();
    }
    create.account_contacts = account->contacts;
    create.account_opportunities = account->opportunities;
    const domain::Context ctx = Ctx(account->owner);
    auto outcome = activities_.Transact(
        sales::ActivityStream(create.activity_id), ctx,
        [&](const sales::Activity::State& s) { return sales::Activity::Decide(s, create, ctx); });
    Count(outcome);
    if (!outcome.ok()) return;
    // Most of what was due is done by now.
    const int64_t due_us = std::max(due, now_us_);
    if (due_us < options_.today_us && Chance(75)) {
      At(due_us + Below(kDayUs / 2), [this, id = create.activity_id, owner = account->owner,
                                      status = Chance(90) ? "done" : "canceled"] {
        const domain::Context ctx = Ctx(owner);
        Count(activities_.Transact(
            sales::ActivityStream(id), ctx, [&](const sales::Activity::State& s) {
              return sales::Activity::Decide(s, sales::ChangeActivityStatus{status}, ctx);
            }));
      });
    }
  }

  eventstore::EventStore& store_;
  const GenerateOptions options_;
  std::function<void(int64_t)> set_clock_us_;
  std::mt19937_64 rng_;
  int64_t now_us_ = 0;
  domain::IdGenerator ids_;
  domain::NumberSeries codes_;
  domain::AggregateStore<domain::StoreLog> log_{store_, ids_};
  domain::AggregateStore<identity::User> users_store_{store_, ids_};
  domain::AggregateStore<accounts::Account> accounts_{store_, ids_};
  domain::AggregateStore<sales::Opportunity> opportunities_{store_, ids_};
  domain::AggregateStore<sales::Activity> activities_{store_, ids_};
  domain::AggregateStore<offers::Offer> offers_{store_, ids_};
  domain::GaplessNumbers offer_numbers_{store_, ids_};
  static constexpr size_t kOfferStage = 2;  // the default pipeline's "offer"
  std::vector<std::string> stages_;
  std::vector<std::string> users_;
  std::vector<AccountInfo> accounts_list_;
  std::priority_queue<Action> queue_;
  uint64_t order_ = 0;
  uint64_t first_head_ = 0;
  Status failure_;
  GenerateReport report_;
};

}  // namespace

Result<GenerateReport> Generate(eventstore::EventStore& store, const GenerateOptions& given,
                                const std::function<void(int64_t)>& set_clock_us) {
  GenerateOptions options = given;
  if (options.today_us == 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    options.today_us = now - now % kDayUs;
  }
  Generator generator(store, options, set_clock_us);
  generator.Begin();
  return generator.Run();
}

}  // namespace crm::tools

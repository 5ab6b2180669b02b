// The module list: each module's folder under api/ and its lines here. A
// module is built after the modules it takes; routes are registered in the
// order of the list.

#include "api/accounts/accounts.h"
#include "api/catalog/catalog.h"
#include "api/identity/identity.h"
#include "api/module.h"
#include "api/offers/offers.h"
#include "api/sales/sales.h"
#include "api/settings/settings.h"

namespace crm::api {

std::vector<std::unique_ptr<Module>> Modules(Server& server) {
  auto identity = std::make_unique<IdentityModule>(server);
  auto settings = std::make_unique<SettingsModule>(server);
  auto accounts = std::make_unique<AccountsModule>(server, *settings);
  auto sales = std::make_unique<SalesModule>(server, *settings, *accounts);
  auto catalog = CatalogModule(server, *settings);
  auto offers = OffersModule(server, *settings, *accounts, *sales);

  std::vector<std::unique_ptr<Module>> modules;
  modules.push_back(std::move(identity));
  modules.push_back(std::move(accounts));
  modules.push_back(std::move(settings));
  modules.push_back(std::move(sales));
  modules.push_back(std::move(catalog));
  modules.push_back(std::move(offers));
  return modules;
}

}  // namespace crm::api

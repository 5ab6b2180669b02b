// The module list: each module's folder under api/ and its line here.

#include "api/catalog/catalog.h"
#include "api/module.h"

namespace crm::api {

std::vector<std::unique_ptr<Module>> Modules(Server& server) {
  std::vector<std::unique_ptr<Module>> modules;
  modules.push_back(CatalogModule(server));
  return modules;
}

}  // namespace crm::api

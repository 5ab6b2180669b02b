#pragma once

// The products catalogue (MISSION.md §5): product categories (a tree of up
// to three levels), units users extend, VAT rates as data (Romania's table by
// default) and products with a unique code, a price in minor units and a VAT
// rate key. The first module built on the module platform (api/module.h).

#include <memory>

#include "api/module.h"
#include "api/settings/settings.h"

namespace crm::api {

std::unique_ptr<Module> CatalogModule(Server& server, SettingsModule& settings);

}  // namespace crm::api

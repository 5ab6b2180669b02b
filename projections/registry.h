#pragma once

// Every read model the server maintains, in one list: the server, crmctl
// replay and the tests all build them from here.

#include <memory>
#include <vector>

#include "projections/projection.h"

namespace crm::projections {

std::vector<std::unique_ptr<Projection>> MakeAll();

}  // namespace crm::projections

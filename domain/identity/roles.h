#pragma once

// Roles and what they allow. The permission table (also in README.md):
//
//   permission       admin  manager  sales  viewer
//   read CRM data      x       x       x      x
//   create records     x       x       x
//   change own         x       x       x            (records the user is responsible for)
//   change any         x       x
//   read audit log     x       x                    (events, streams, verify)
//   administer         x                            (users, API keys, settings)

#include <optional>
#include <string_view>

namespace crm::identity {

enum class Role { kViewer, kSales, kManager, kAdmin };

enum class Permission { kReadCrm, kCreate, kChangeOwn, kChangeAny, kReadAudit, kAdminister };

std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);
bool Allows(Role role, Permission permission);

}  // namespace crm::identity

#include "domain/identity/roles.h"

namespace crm::identity {

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "manager") return Role::kManager;
  if (name == "sales") return Role::kSales;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kManager:
      return "manager";
    case Role::kSales:
      return "sales";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

bool Allows(Role role, Permission permission) {
  switch (permission) {
    case Permission::kReadCrm:
      return true;
    case Permission::kCreate:
    case Permission::kChangeOwn:
      return role != Role::kViewer;
    case Permission::kChangeAny:
    case Permission::kReadAudit:
      return role == Role::kManager || role == Role::kAdmin;
    case Permission::kAdminister:
      return role == Role::kAdmin;
  }
  return false;
}

}  // namespace crm::identity

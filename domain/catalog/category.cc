#include "domain/catalog/category.h"

#include <algorithm>
#include <optional>

#include "domain/accounts/normalize.h"

namespace crm::catalog {

namespace {

using domain::FieldError;
using domain::Reject;
using Events = std::vector<ProductCategories::Event>;

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

constexpr size_t kMaxNameLength = 100;

domain::Rejection NoSuchCategory(const std::string& field) {
  domain::Rejection r =
      Reject("category_not_found", "Categoria nu există.", "No such category.", 404);
  r.fields.push_back({field, "not_found", r.message});
  return r;
}

domain::Rejection TooDeep() {
  return Reject("category_too_deep", "Categoriile pot avea cel mult 3 niveluri.",
                "Categories can be at most 3 levels deep.");
}

// The form names compare in: folded, surrounding spaces dropped.
std::string NameKey(const std::string& name) {
  std::string folded = accounts::FoldText(name);
  const size_t first = folded.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return folded.substr(first, folded.find_last_not_of(" \t") - first + 1);
}

// A rejection when `name` is not a valid name for a child of `parent`
// (ignoring `self`, the category being renamed or moved).
std::optional<domain::Rejection> CheckName(const ProductCategories::State& state,
                                           const std::string& parent, const domain::Text& name,
                                           const std::string& self) {
  std::vector<FieldError> errors;
  if (NameKey(name.ro).empty()) {
    errors.push_back({"name.ro",
                      "required",
                      {"Numele în română este obligatoriu.", "A Romanian name is required."}});
  } else if (accounts::Utf8Length(name.ro) > kMaxNameLength) {
    errors.push_back(
        {"name.ro", "too_long", {"Cel mult 100 de caractere.", "At most 100 characters."}});
  }
  if (accounts::Utf8Length(name.en) > kMaxNameLength) {
    errors.push_back(
        {"name.en", "too_long", {"Cel mult 100 de caractere.", "At most 100 characters."}});
  }
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  const std::string ro = NameKey(name.ro), en = NameKey(name.en);
  for (const auto& [id, node] : state.nodes) {
    if (id == self || node.parent_id != parent) continue;
    const char* field = nullptr;
    if (NameKey(node.name.ro) == ro) {
      field = "name.ro";
    } else if (!en.empty() && NameKey(node.name.en) == en) {
      field = "name.en";
    }
    if (field != nullptr) {
      domain::Rejection r =
          Reject("category_name_taken", "Există deja o categorie cu acest nume aici.",
                 "A category with this name exists here already.", 409);
      r.fields.push_back({field, "taken", r.message});
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace

int ProductCategories::State::Depth(const std::string& id) const {
  int depth = 0;
  for (std::string at = id; !at.empty();) {
    auto it = nodes.find(at);
    if (it == nodes.end() || depth > static_cast<int>(nodes.size())) return 0;
    ++depth;
    at = it->second.parent_id;
  }
  return depth;
}

int ProductCategories::State::Height(const std::string& id) const {
  int height = 0;
  for (const auto& [child, node] : nodes) {
    if (node.parent_id == id) height = std::max(height, 1 + Height(child));
  }
  return height;
}

bool ProductCategories::State::IsWithin(const std::string& id, const std::string& ancestor) const {
  size_t steps = 0;
  for (std::string at = id; !at.empty() && steps <= nodes.size(); ++steps) {
    if (at == ancestor) return true;
    auto it = nodes.find(at);
    if (it == nodes.end()) return false;
    at = it->second.parent_id;
  }
  return false;
}

bool ProductCategories::State::HasChildren(const std::string& id) const {
  return std::any_of(nodes.begin(), nodes.end(),
                     [&](const auto& entry) { return entry.second.parent_id == id; });
}

std::vector<std::string> SelfAndDescendants(const ProductCategories::State& state,
                                            const std::string& id) {
  std::vector<std::string> out;
  if (!state.nodes.count(id)) return out;
  out.push_back(id);
  // Level by level: each pass adds the children of the ones added before.
  for (size_t i = 0; i < out.size(); ++i) {
    for (const auto& [child, node] : state.nodes) {
      if (node.parent_id == out[i]) out.push_back(child);
    }
  }
  return out;
}

domain::Decision<ProductCategories::Event> ProductCategories::Decide(const State& state,
                                                                     const Command& command,
                                                                     const domain::Context&) {
  using Result = domain::Decision<Event>;
  return std::visit(
      Overload{
          [&](const CreateCategory& create) -> Result {
            if (state.nodes.count(create.category_id)) {
              return Reject("category_exists", "Categoria există deja.",
                            "The category exists already.", 409);
            }
            if (create.category_id.empty()) {
              return domain::InvalidFields(
                  {{"category_id", "required", {"Lipsește id-ul.", "The id is missing."}}});
            }
            if (!create.parent_id.empty() && !state.nodes.count(create.parent_id)) {
              return NoSuchCategory("parent_id");
            }
            if (state.Depth(create.parent_id) + 1 > kMaxCategoryDepth) return TooDeep();
            if (auto bad = CheckName(state, create.parent_id, create.name, "")) return *bad;
            ProductCategoryCreatedT e;
            e.category_id = create.category_id;
            e.parent_id = create.parent_id;
            e.name_ro = create.name.ro;
            e.name_en = create.name.en;
            return Events{std::move(e)};
          },
          [&](const RenameCategory& rename) -> Result {
            auto it = state.nodes.find(rename.category_id);
            if (it == state.nodes.end()) return NoSuchCategory("category_id");
            if (it->second.name == rename.name) return Events{};
            if (auto bad =
                    CheckName(state, it->second.parent_id, rename.name, rename.category_id)) {
              return *bad;
            }
            ProductCategoryRenamedT e;
            e.category_id = rename.category_id;
            e.name_ro = rename.name.ro;
            e.name_en = rename.name.en;
            return Events{std::move(e)};
          },
          [&](const MoveCategory& move) -> Result {
            auto it = state.nodes.find(move.category_id);
            if (it == state.nodes.end()) return NoSuchCategory("category_id");
            if (!move.parent_id.empty() && !state.nodes.count(move.parent_id)) {
              return NoSuchCategory("parent_id");
            }
            if (it->second.parent_id == move.parent_id) return Events{};
            if (state.IsWithin(move.parent_id, move.category_id)) {
              return Reject("category_cycle",
                            "O categorie nu se poate muta în ea însăși sau în subcategoriile ei.",
                            "A category cannot move into itself or its own subcategories.");
            }
            if (state.Depth(move.parent_id) + 1 + state.Height(move.category_id) >
                kMaxCategoryDepth) {
              return TooDeep();
            }
            if (auto bad = CheckName(state, move.parent_id, it->second.name, move.category_id)) {
              return *bad;
            }
            ProductCategoryMovedT e;
            e.category_id = move.category_id;
            e.parent_id = move.parent_id;
            e.from_parent_id = it->second.parent_id;
            return Events{std::move(e)};
          },
          [&](const DeleteCategory& remove) -> Result {
            if (!state.nodes.count(remove.category_id)) return NoSuchCategory("category_id");
            if (state.HasChildren(remove.category_id)) {
              return Reject("category_not_empty", "Categoria are subcategorii.",
                            "The category has subcategories.", 409);
            }
            if (remove.has_products) {
              return Reject("category_in_use", "Categoria are produse.",
                            "Products are in the category.", 409);
            }
            ProductCategoryDeletedT e;
            e.category_id = remove.category_id;
            return Events{std::move(e)};
          },
      },
      command);
}

ProductCategories::State ProductCategories::Evolve(State state, const Event& event) {
  std::visit(Overload{
                 [&](const ProductCategoryCreatedT& e) {
                   state.nodes[e.category_id] = {e.parent_id, {e.name_ro, e.name_en}};
                 },
                 [&](const ProductCategoryRenamedT& e) {
                   if (auto it = state.nodes.find(e.category_id); it != state.nodes.end()) {
                     it->second.name = {e.name_ro, e.name_en};
                   }
                 },
                 [&](const ProductCategoryMovedT& e) {
                   if (auto it = state.nodes.find(e.category_id); it != state.nodes.end()) {
                     it->second.parent_id = e.parent_id;
                   }
                 },
                 [&](const ProductCategoryDeletedT& e) { state.nodes.erase(e.category_id); },
             },
             event);
  return state;
}

}  // namespace crm::catalog

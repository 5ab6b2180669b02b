#pragma once

// The product categories (stream "product-categories"): one aggregate
// holding the whole tree, so its rules hold in one decision. A category has
// a Romanian name and optionally an English one, and a parent ("" at the top
// level); the tree is at most three levels deep, a move never makes a cycle,
// and names are unique among siblings (compared folded: case and diacritics
// ignored, Romanian with Romanian, English with English).

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/products_generated.h"

namespace crm::catalog {

inline constexpr const char* kCategoriesStream = "product-categories";
inline constexpr int kMaxCategoryDepth = 3;  // the top level is level 1

struct CreateCategory {
  std::string category_id;
  std::string parent_id;  // "" for the top level
  domain::Text name;      // ro required, en optional
};
struct RenameCategory {
  std::string category_id;
  domain::Text name;
};
struct MoveCategory {
  std::string category_id;
  std::string parent_id;  // "" for the top level
};
// `has_products` comes from the products read model: a category that
// products are in is not deleted.
struct DeleteCategory {
  std::string category_id;
  bool has_products = false;
};

struct ProductCategories {
  struct Node {
    std::string parent_id;  // "" at the top level
    domain::Text name;
  };
  struct State {
    std::map<std::string, Node> nodes;
    // Level of `id` (top level = 1); 0 when unknown.
    int Depth(const std::string& id) const;
    // Levels below `id` in its subtree (a leaf: 0).
    int Height(const std::string& id) const;
    // Whether `id` is `ancestor` or below it.
    bool IsWithin(const std::string& id, const std::string& ancestor) const;
    bool HasChildren(const std::string& id) const;
  };
  using Command = std::variant<CreateCategory, RenameCategory, MoveCategory, DeleteCategory>;
  using Event = std::variant<ProductCategoryCreatedT, ProductCategoryRenamedT,
                             ProductCategoryMovedT, ProductCategoryDeletedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

// `id` and every category below it, `id` first, then level by level (a
// filter "in this category" matches products of any of them); empty when
// `id` is not a category.
std::vector<std::string> SelfAndDescendants(const ProductCategories::State& state,
                                            const std::string& id);

}  // namespace crm::catalog

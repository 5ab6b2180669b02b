#include "projections/query.h"

#include "domain/accounts/normalize.h"

namespace crm::projections {

std::vector<std::string> SearchWords(std::string_view q) {
  std::vector<std::string> words;
  const std::string folded = accounts::FoldText(q);
  for (size_t start = 0; start < folded.size();) {
    const size_t end = std::min(folded.find(' ', start), folded.size());
    if (end > start) words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

void FoldFilters(AnyOf* filters) {
  for (auto& [name, values] : *filters) {
    if (!name.starts_with("custom.")) continue;
    for (auto& v : values) v = accounts::FoldText(v);
  }
}

void CountDue(const DueQuery& query, const std::string& due_date, DueCounts* counts) {
  if (due_date.empty()) return;
  // ISO dates compare as text.
  if (due_date < query.today) {
    ++counts->overdue;
  } else if (due_date == query.today) {
    ++counts->today;
  } else if (due_date <= query.until) {
    ++counts->upcoming;
  }
  if (!query.month.empty() && due_date.starts_with(query.month)) ++counts->by_day[due_date];
}

}  // namespace crm::projections

#pragma once

// Given/when/then tests for deciders:
//
//   GivenWhenThen<Counter>()
//       .Given({Incremented(2)})
//       .When(Increment{3})
//       .ThenExpect({Incremented(3)});
//
//   ... .When(Increment{-1}).ThenReject("negative_increment");
//
// Events are compared by their stored form (type and FlatBuffer bytes), so a
// test checks exactly what would be written to the log; a failure prints
// them as JSON, the way the API and the export render them.

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "domain/event_codec.h"
#include "schemas/catalog.h"
#include "tests/testing_schema.h"

namespace crm::testing {

template <domain::Decider D>
class GivenWhenThen {
 public:
  using Event = typename D::Event;
  using Command = typename D::Command;

  GivenWhenThen& Given(std::vector<Event> history) {
    history_ = std::move(history);
    return *this;
  }
  GivenWhenThen& WithContext(domain::Context context) {
    context_ = std::move(context);
    return *this;
  }
  GivenWhenThen& When(Command command) {
    const auto state = domain::Fold<D>(D::Initial(), history_);
    decision_ = D::Decide(state, command, context_);
    return *this;
  }

  // The command succeeds with exactly `expected`, in order.
  void ThenExpect(const std::vector<Event>& expected) const {
    ASSERT_TRUE(std::holds_alternative<std::vector<Event>>(decision_))
        << "rejected with " << std::get<domain::Rejection>(decision_).code;
    const auto& actual = std::get<std::vector<Event>>(decision_);
    EXPECT_TRUE(Render(expected) == Render(actual)) << "expected:\n"
                                                    << Json(expected) << "actual:\n"
                                                    << Json(actual);
  }

  // The command is rejected with `code`.
  void ThenReject(const std::string& code) const {
    ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision_))
        << "accepted with\n"
        << Json(std::get<std::vector<Event>>(decision_));
    const auto& rejection = std::get<domain::Rejection>(decision_);
    EXPECT_EQ(code, rejection.code);
    EXPECT_FALSE(rejection.message.ro.empty());
    EXPECT_FALSE(rejection.message.en.empty());
  }

  // The events a decision produced, e.g. to check fields one by one.
  const std::vector<Event>& Events() const { return std::get<std::vector<Event>>(decision_); }

  // One line per event: its type and its payload as JSON.
  static std::string Json(const std::vector<Event>& events) {
    static const auto* catalog = [] {
      std::string error;
      return schemas::EventCatalog::Create(TestingSchemas(), &error).release();
    }();
    std::string out;
    for (const auto& e : events) {
      const auto encoded = domain::EncodeEvent(e);
      std::string json, error;
      const std::span<const uint8_t> payload{
          reinterpret_cast<const uint8_t*>(encoded.payload.data()), encoded.payload.size()};
      if (!catalog || !catalog->ToJson(encoded.type, payload, &json, &error)) json = "?" + error;
      out += "  " + encoded.type + " " + json + "\n";
    }
    return out.empty() ? "  (no events)\n" : out;
  }

  // "type:hex-of-bytes;..." — one string to compare.
  static std::string Render(const std::vector<Event>& events) {
    std::string out;
    for (const auto& e : events) {
      const auto encoded = domain::EncodeEvent(e);
      out += encoded.type + ":";
      static constexpr char kHex[] = "0123456789abcdef";
      for (unsigned char c : encoded.payload) {
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
      out += ";";
    }
    return out;
  }

 private:
  std::vector<Event> history_;
  domain::Context context_{"tester", 1'700'000'000'000'000, "req-1", "", {}};
  domain::Decision<Event> decision_ = std::vector<Event>{};
};

}  // namespace crm::testing

#pragma once

// A sequence of numbers (e.g. stream "account-code-sequence", whose numbers
// make account codes C-000001, C-000002, …). A process reserves a block of
// numbers with one NumbersReserved event and hands them out from memory
// (NumberSeries), so taking a number costs no append: a command that needs
// one makes a single append of its own. Numbers are unique and increasing;
// they may have gaps (a block's unused rest when the process stops, a command
// that failed after taking its number). Invoice numbers, which must be
// gap-free, take theirs with GaplessNumbers (below).
//
// Earlier logs took one number per Claimed event, at any version: those
// events still count one number each.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "domain/transact.h"
#include "schemas/system_generated.h"

namespace crm::domain {

struct ReserveNumbers {
  uint64_t count = 0;
};

struct Sequence {
  struct State {
    uint64_t last = 0;  // the last number reserved or taken
  };
  using Command = std::variant<ReserveNumbers>;
  using Event = std::variant<system::ClaimedT, system::NumbersReservedT>;

  static State Initial() { return {}; }
  static Decision<Event> Decide(const State& state, const Command& command, const Context&) {
    static_assert(std::variant_size_v<Command> == 1);
    system::NumbersReservedT reserved;
    reserved.first = state.last + 1;
    reserved.count = std::get<ReserveNumbers>(command).count;
    if (reserved.count == 0) {
      return Rejection{"empty_block",
                       {"Un bloc are cel puțin un număr.", "A block holds at least one number."}};
    }
    return std::vector<Event>{std::move(reserved)};
  }
  static State Evolve(State state, const Event& event) {
    if (const auto* reserved = std::get_if<system::NumbersReservedT>(&event)) {
      state.last = reserved->first + reserved->count - 1;
    } else {
      ++state.last;  // a Claimed event of an earlier log: one number
    }
    return state;
  }
};

// The numbers of one sequence stream for this process: Next() takes the next
// number of the current block and reserves a new block (one append) when it
// is used up. Thread-safe; one per stream per process.
class NumberSeries {
 public:
  NumberSeries(eventstore::EventStore& store, IdGenerator& ids, std::string stream,
               uint64_t block = 100)
      : sequences_(store, ids, 4), stream_(std::move(stream)), block_(block) {}

  // The next number, or the Status of a failed reservation (IOError,
  // ReadOnly, …): nothing is taken then.
  Result<uint64_t> Next(const Context& ctx) {
    std::lock_guard lock(mu_);
    if (next_ > end_) {
      uint64_t first = 0;
      auto reserved = sequences_.Transact(stream_, ctx, [&](const Sequence::State& s) {
        first = s.last + 1;  // the decision of the attempt that commits
        return Sequence::Decide(s, ReserveNumbers{block_}, ctx);
      });
      if (reserved.failed()) return reserved.status();
      if (reserved.rejected()) return Status::IOError(reserved.rejection().message.en);
      next_ = first;
      end_ = first + block_ - 1;
    }
    return next_++;
  }

 private:
  AggregateStore<Sequence> sequences_;
  const std::string stream_;
  const uint64_t block_;
  std::mutex mu_;
  uint64_t next_ = 1, end_ = 0;  // the rest of the current block: none yet
};

// Numbers without gaps (offer numbers, invoice numbers): a command takes the
// next number of a sequence stream in its own append, as a NumbersReserved
// event of one number expected at the version the number was read at
// (TransactOptions::linked). A command that fails takes no number; two that
// race for one make the loser decide again with the next. One per process;
// each command takes its number through a Taking:
//
//   GaplessNumbers::Taking number(numbers, stream);
//   options.linked = number.Part();  // or among LinkedParts({...})
//   store.Transact(stream, ctx, [&](const State& s) {
//     auto n = number.Take(ctx);     // every attempt
//     if (!n) return Reject(...);    // number.status() says why
//     ...
//   }, options);
class GaplessNumbers {
 public:
  GaplessNumbers(eventstore::EventStore& store, IdGenerator& ids)
      : sequences_(store, ids, 16), ids_(ids) {}

  class Taking {
   public:
    Taking(GaplessNumbers& numbers, std::string stream)
        : numbers_(numbers), stream_(std::move(stream)) {}
    // The number this attempt takes (call it in the command's decide, on
    // every attempt); nullopt when the store failed, as status() says.
    std::optional<uint64_t> Take(const Context& ctx) {
      auto loaded = numbers_.sequences_.Load(stream_);
      if (!loaded.ok()) {
        failed_ = loaded.status();
        return std::nullopt;
      }
      system::NumbersReservedT reserved;
      reserved.first = loaded.value().state.last + 1;
      reserved.count = 1;
      part_.emplace();
      part_->stream = stream_;
      part_->expected_version = loaded.value().version;
      part_->events.push_back(MakeEvent(reserved, ctx, numbers_.ids_));
      return reserved.first;
    }
    const Status& status() const { return failed_; }
    // For TransactOptions::linked: the part taking the number the attempt
    // took. REQUIRES: outlives the command.
    decltype(TransactOptions::linked) Part() {
      return [this](const Context&) -> Outcome<std::vector<eventstore::AppendPart>> {
        std::vector<eventstore::AppendPart> parts;
        if (part_) parts.push_back(std::move(*part_));
        part_.reset();
        return parts;
      };
    }

   private:
    GaplessNumbers& numbers_;
    const std::string stream_;
    std::optional<eventstore::AppendPart> part_;  // of the current attempt
    Status failed_ = Status::OK();
  };

 private:
  AggregateStore<Sequence> sequences_;
  IdGenerator& ids_;
};

}  // namespace crm::domain

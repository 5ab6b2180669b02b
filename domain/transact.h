#pragma once

// Transact: the one way a command reaches the log. For one decider type,
// AggregateStore loads an aggregate (from a bounded cache, catching up with the
// events appended since), folds, calls `decide`, and appends the new events
// with the version it decided on as the expected version. When another writer
// got there first, it reloads and decides again, a bounded number of times, so
// concurrent commands are never lost and never applied to a stale state.
//
// The deciders stay pure; this is the only domain code that touches the store.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/context.h"
#include "domain/decider.h"
#include "domain/event_codec.h"
#include "domain/ids.h"
#include "domain/lru_cache.h"
#include "domain/rejection.h"
#include "eventstore/event_store.h"
#include "schemas/system_generated.h"

namespace crm::domain {

// A unique value (e.g. a username) taken atomically with the command's
// events: a claim stream gets a crm.system.Claimed event naming the owner,
// appended only if the stream is at `expected_version` ("no stream" for a
// value nobody holds; the current version to take the next number of a
// sequence stream). When it is not, the command is rejected with `taken`.
struct Claim {
  std::string stream;  // e.g. "username-ana"
  Rejection taken;
  uint64_t expected_version = eventstore::kNoStream;
};

struct TransactOptions {
  // When set (HTTP If-Match): the command applies only if the stream is at
  // exactly this version; otherwise it is rejected with code
  // "version_conflict" (HTTP 412) naming the current version. No retry.
  std::optional<uint64_t> expected_version;
  // When set (HTTP Idempotency-Key): a command with a key already committed
  // returns the first result and appends nothing, even across restarts.
  std::string idempotency_key;
  std::string fingerprint;  // what the key was used for; a different one is rejected
  int max_attempts = 8;     // decisions tried before giving up under contention
  std::vector<Claim> claims;
  // Written with the events when they are appended (see AppendRequest).
  std::vector<std::pair<std::string, std::string>> private_records;
  // Parts for streams of other aggregate types, appended in the same atomic
  // batch (e.g. the records a merge of accounts moves; see DecidePart).
  // Called again on every attempt, so each part is decided on the state it
  // is appended at; a rejection or failure it returns ends the command.
  std::function<Outcome<std::vector<eventstore::AppendPart>>(const Context&)> linked;
  // The command's stream takes its events at whatever version it is at (a
  // sequence whose committed version is the number taken, a log of marks):
  // the decision must not depend on the state, and racing writers never
  // make it decide again. The state is then not cached.
  bool any_version = false;
};

// TransactOptions::linked of several sources, their parts in order (an
// empty source gives none); the first rejection or failure ends it.
inline decltype(TransactOptions::linked) LinkedParts(
    std::vector<decltype(TransactOptions::linked)> sources) {
  return [sources = std::move(sources)](
             const Context& ctx) -> Outcome<std::vector<eventstore::AppendPart>> {
    std::vector<eventstore::AppendPart> parts;
    for (const auto& source : sources) {
      if (!source) continue;
      auto more = source(ctx);
      if (!more.ok()) return more;
      for (auto& part : more.value()) parts.push_back(std::move(part));
    }
    return parts;
  };
}

struct Committed {
  std::string stream;     // the command's stream (for a replayed key: the first one's)
  uint64_t version = 0;   // the stream's version after the command
  uint64_t position = 0;  // log position at which the result is visible
  size_t events = 0;      // events appended (0: nothing to do, or a replayed key)
  bool deduplicated = false;
};

// An event ready to append: encoded, with a new id and the context's who and why.
template <class E>
eventstore::NewEvent MakeEvent(const E& event, const Context& ctx, IdGenerator& ids) {
  EncodedEvent encoded = EncodeEvent(event);
  eventstore::NewEvent e;
  e.type = std::move(encoded.type);
  e.payload = std::move(encoded.payload);
  e.event_id = ids.NextBytes();
  e.actor = ctx.actor;
  e.correlation_id = ctx.correlation_id;
  e.causation_id = ctx.causation_id;
  return e;
}

template <Decider D>
class AggregateStore {
 public:
  using Aggregate = D;
  using State = typename D::State;
  using Event = typename D::Event;

  struct Loaded {
    State state;
    uint64_t version = 0;        // 0: the stream has no events
    uint64_t last_position = 0;  // position of the stream's last event
  };

  // `store` and `ids` must outlive this object.
  AggregateStore(eventstore::EventStore& store, IdGenerator& ids, size_t cache_capacity = 10000)
      : store_(store), ids_(ids), cache_(cache_capacity) {}

  // The current state of `stream`. Fails with IOError or Corruption (including
  // an event in the stream that is not one of D's events).
  Outcome<Loaded> Load(const std::string& stream) {
    std::shared_ptr<const Loaded> cached = cache_.Get(stream);
    Loaded loaded = cached ? *cached : Loaded{D::Initial(), 0, 0};
    if (Status s = FoldTail(stream, UINT64_MAX, &loaded); !s.ok()) return s;
    if (!cached || cached->version != loaded.version) Remember(stream, loaded);
    return loaded;
  }

  // The state of `stream` as of log position `until`: its events up to that
  // position folded, later ones unseen (for reads "as of" a past point). Not
  // cached: past states are read rarely and fold from the stream's start.
  Outcome<Loaded> LoadAt(const std::string& stream, uint64_t until) {
    Loaded loaded{D::Initial(), 0, 0};
    if (Status s = FoldTail(stream, until, &loaded); !s.ok()) return s;
    return loaded;
  }

  // The unique values of a state, by claim stream (see UniqueValue).
  using UniqueValues = std::function<std::map<std::string, UniqueValue>(const State&)>;

  // Runs `decide(const State&) -> Decision<Event>` against the current state of
  // `stream` and appends what it decides. Returns the committed result, the
  // decider's rejection, a "version_conflict" rejection (see TransactOptions),
  // or a Status: IdempotencyMismatch, IOError, Unavailable, Corruption, or
  // WrongExpectedVersion after max_attempts lost races.
  //
  // With `unique`, values the events give the state are claimed when
  // enforced (one another aggregate holds rejects the command) and values
  // the state loses are released where this aggregate holds them, in the
  // same atomic append. Values the state keeps are left alone, so a rule
  // made after they were set does not lock the record (the field-rules route
  // claims existing values when it adds a rule).
  template <class DecideFn>
  Outcome<Committed> Transact(const std::string& stream, const Context& ctx, DecideFn&& decide,
                              const TransactOptions& options = {},
                              const UniqueValues& unique = {}) {
    return TransactMany(
        {stream}, ctx,
        [&](const std::vector<const State*>& states) -> Decision<std::vector<Event>> {
          Decision<Event> one = decide(*states[0]);
          if (auto* rejection = std::get_if<Rejection>(&one)) return std::move(*rejection);
          return std::vector<std::vector<Event>>{std::move(std::get<std::vector<Event>>(one))};
        },
        options, unique);
  }

  // Transact over several aggregates of this type decided together, e.g. a
  // merge: `decide(states) -> Decision<std::vector<Event>>` answers one event
  // list per stream (same order), and all of them are appended atomically,
  // each at the version it was decided on. The result, If-Match and
  // idempotency refer to streams[0].
  template <class DecideFn>
  Outcome<Committed> TransactMany(const std::vector<std::string>& streams, const Context& ctx,
                                  DecideFn&& decide, const TransactOptions& options = {},
                                  const UniqueValues& unique = {}) {
    if (!options.idempotency_key.empty()) {
      auto earlier = store_.FindIdempotent(options.idempotency_key, options.fingerprint);
      if (!earlier.ok()) return earlier.status();
      if (earlier->has_value()) return Replayed(streams[0], **earlier);
    }
    for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
      std::vector<Loaded> current;
      std::vector<const State*> states;
      for (const std::string& stream : streams) {
        Outcome<Loaded> loaded = Load(stream);
        if (!loaded.ok()) return loaded.status();
        current.push_back(std::move(loaded).value());
      }
      for (const Loaded& l : current) states.push_back(&l.state);
      if (options.expected_version && *options.expected_version != current[0].version) {
        return VersionConflict(*options.expected_version, current[0].version);
      }
      Decision<std::vector<Event>> decision = decide(states);
      if (auto* rejection = std::get_if<Rejection>(&decision)) return std::move(*rejection);
      auto& events = std::get<std::vector<std::vector<Event>>>(decision);
      events.resize(streams.size());
      std::vector<eventstore::AppendPart> linked;
      if (options.linked) {
        Outcome<std::vector<eventstore::AppendPart>> parts = options.linked(ctx);
        if (parts.rejected()) return parts.rejection();
        if (parts.failed()) return parts.status();
        linked = std::move(parts.value());
      }
      size_t total = linked.size();
      for (const auto& list : events) total += list.size();
      if (total == 0) {
        return Committed{streams[0], current[0].version, current[0].last_position, 0, false};
      }

      eventstore::AppendRequest request;
      request.idempotency_key = options.idempotency_key;
      request.fingerprint = options.fingerprint;
      request.private_records = options.private_records;
      std::vector<Loaded> next(streams.size());
      std::vector<int> part_of(streams.size(), -1);
      for (size_t i = 0; i < streams.size(); ++i) {
        next[i] = {Fold<D>(current[i].state, events[i]), current[i].version,
                   current[i].last_position};
        if (events[i].empty()) continue;
        part_of[i] = static_cast<int>(request.parts.size());
        eventstore::AppendPart& part = request.parts.emplace_back();
        part.stream = streams[i];
        part.expected_version = options.any_version ? eventstore::kAnyVersion : current[i].version;
        for (const Event& event : events[i]) part.events.push_back(MakeEvent(event, ctx, ids_));
        if (unique) {
          Outcome<bool> claimed = ClaimChanges(streams[i], unique(current[i].state),
                                               unique(next[i].state), ctx, &request);
          if (claimed.rejected()) return claimed.rejection();
          if (claimed.failed()) return claimed.status();
        }
      }
      for (auto& part : linked) request.parts.push_back(std::move(part));
      for (const Claim& claim : options.claims) {
        crm::system::ClaimedT claimed;
        claimed.owner = streams[0];
        eventstore::AppendPart& claim_part = request.parts.emplace_back();
        claim_part.stream = claim.stream;
        claim_part.expected_version = claim.expected_version;
        claim_part.events.push_back(MakeEvent(claimed, ctx, ids_));
      }
      Result<eventstore::AppendResult> appended = store_.Append(std::move(request));
      if (appended.ok()) {
        if (appended->deduplicated) return Replayed(streams[0], *appended);
        for (size_t i = 0; i < streams.size(); ++i) {
          if (part_of[i] < 0) continue;
          next[i].version = appended->versions[part_of[i]];
          next[i].last_position = appended->last_position;
          // At any version, others' events may sit before ours: not foldable here.
          if (!options.any_version) Remember(streams[i], next[i]);
        }
        return Committed{streams[0], next[0].version,
                         part_of[0] < 0 ? current[0].last_position : appended->last_position,
                         events[0].size(), false};
      }
      if (!appended.status().IsWrongExpectedVersion()) return appended.status();
      for (const Claim& claim : options.claims) {
        Result<uint64_t> claimed = store_.StreamVersion(claim.stream);
        if (!claimed.ok()) return claimed.status();
        if (*claimed != claim.expected_version) return claim.taken;
      }
      if (options.expected_version) {
        Result<uint64_t> now_at = store_.StreamVersion(streams[0]);
        if (!now_at.ok()) return now_at.status();
        // Only the record itself moving is a conflict; a claim stream or
        // another part moving means deciding again.
        if (*now_at != *options.expected_version) {
          return VersionConflict(*options.expected_version, *now_at);
        }
      }
      // Lost a race (an aggregate or a claim moved on): reload and decide again.
    }
    return Status::WrongExpectedVersion("too much contention on " + streams[0] +
                                        ": gave up after " + std::to_string(options.max_attempts) +
                                        " attempts");
  }

  // Decides `command` on `stream` without appending: the part to append
  // (expecting the version decided on), or nullopt when there is nothing to
  // do. For TransactOptions::linked.
  Outcome<std::optional<eventstore::AppendPart>> DecidePart(const std::string& stream,
                                                            const Context& ctx,
                                                            const typename D::Command& command) {
    Outcome<Loaded> loaded = Load(stream);
    if (!loaded.ok()) return loaded.status();
    Decision<Event> decision = D::Decide(loaded.value().state, command, ctx);
    if (auto* rejection = std::get_if<Rejection>(&decision)) return std::move(*rejection);
    const auto& events = std::get<std::vector<Event>>(decision);
    if (events.empty()) return std::optional<eventstore::AppendPart>();
    eventstore::AppendPart part;
    part.stream = stream;
    part.expected_version = loaded.value().version;
    for (const Event& event : events) part.events.push_back(MakeEvent(event, ctx, ids_));
    return std::optional<eventstore::AppendPart>(std::move(part));
  }

  // Claims values for owners that hold them already (values that become
  // unique under a new rule): a Claimed event on each claim stream, expected
  // at the version `holders` read, in batches of 500. A claim stream that
  // moved since fails its batch with WrongExpectedVersion; batches appended
  // before stay (each names its true holder).
  struct OwnedClaim {
    std::string stream;  // the claim stream
    std::string owner;   // the aggregate's stream
    uint64_t expected_version = eventstore::kNoStream;
  };
  Status ClaimForOwners(const std::vector<OwnedClaim>& claims, const Context& ctx) {
    eventstore::AppendRequest request;
    auto flush = [&]() -> Status {
      if (request.parts.empty()) return Status::OK();
      Result<eventstore::AppendResult> appended = store_.Append(std::move(request));
      request = {};
      return appended.ok() ? Status::OK() : appended.status();
    };
    for (const OwnedClaim& claim : claims) {
      system::ClaimedT claimed;
      claimed.owner = claim.owner;
      eventstore::AppendPart& part = request.parts.emplace_back();
      part.stream = claim.stream;
      part.expected_version = claim.expected_version;
      part.events.push_back(MakeEvent(claimed, ctx, ids_));
      if (request.parts.size() == 500) {
        if (Status s = flush(); !s.ok()) return s;
      }
    }
    return flush();
  }

  // Who holds the value of claim stream `claim` ("" when nobody) and the
  // stream's version.
  struct Holder {
    std::string owner;
    uint64_t version = 0;
  };
  Result<Holder> ClaimHolder(const std::string& claim) {
    Holder holder;
    Status failure;
    Status s = store_.ReadStream(
        claim, UINT64_MAX, eventstore::Direction::kBackward, 1,
        [&](const eventstore::RecordedEvent& e) {
          const auto* env = e.envelope;
          holder.version = env->version();
          auto event = EventDecoder<std::variant<system::ClaimedT, system::ReleasedT>>::Decode(
              env->type()->string_view(), {env->payload()->data(), env->payload()->size()});
          if (!event) {
            failure =
                Status::Corruption("claim stream " + claim + " holds a " + env->type()->str());
          } else if (auto* claimed = std::get_if<system::ClaimedT>(&*event)) {
            holder.owner = claimed->owner;
          }
          return false;
        });
    if (!s.ok()) return s;
    if (!failure.ok()) return failure;
    return holder;
  }

  // Whether `stream` going from `before` to `after` could take its unique
  // values now (for validating without appending, e.g. an import's dry run):
  // true, the rejection of a value another aggregate holds, or a Status.
  Outcome<bool> CheckClaims(const std::string& stream, const State& before, const State& after,
                            const UniqueValues& unique) {
    eventstore::AppendRequest unused;
    return ClaimChanges(stream, unique(before), unique(after), Context{}, &unused);
  }

 private:
  // Folds the events of `stream` after loaded->version, up to log position
  // `until`, into *loaded.
  Status FoldTail(const std::string& stream, uint64_t until, Loaded* loaded) {
    Status failure;
    Status s = store_.ReadStream(
        stream, loaded->version + 1, eventstore::Direction::kForward, SIZE_MAX,
        [&](const eventstore::RecordedEvent& e) {
          if (e.position > until) return false;
          const auto* env = e.envelope;
          std::optional<Event> event = EventDecoder<Event>::Decode(
              env->type()->string_view(), {env->payload()->data(), env->payload()->size()});
          if (!event) {
            failure = Status::Corruption("event " + std::to_string(e.position) + " of " + stream +
                                         " (" + env->type()->str() + ") cannot be decoded");
            return false;
          }
          loaded->state = D::Evolve(std::move(loaded->state), *event);
          loaded->version = env->version();
          loaded->last_position = e.position;
          return true;
        });
    if (!s.ok()) return s;
    return failure;
  }

  void Remember(const std::string& stream, const Loaded& loaded) {
    cache_.Put(stream, std::make_shared<const Loaded>(loaded),
               [&](const Loaded& existing) { return existing.version >= loaded.version; });
  }

  // The result of the command that first used an idempotency key, which may
  // have created another stream than this retry would (a new id).
  Committed Replayed(const std::string& stream, const eventstore::AppendResult& earlier) {
    Committed c{stream, earlier.versions.empty() ? 0 : earlier.versions[0], earlier.last_position,
                0, true};
    Status s = store_.ReadAt(earlier.first_position, [&](const eventstore::RecordedEvent& e) {
      c.stream = e.envelope->stream()->str();
      return true;
    });
    (void)s;  // the stream name is a convenience; the positions stand either way
    return c;
  }

  // Adds to `request` a Claimed part for each enforced value `after` has and
  // `before` had not, unless `owner` holds it already, and a Released part
  // for each value `before` had and `after` has not that `owner` holds; each
  // at the claim stream's current version (so a concurrent taker makes the
  // append fail and the command is decided again). Returns the rejection of
  // a value another owner holds.
  Outcome<bool> ClaimChanges(const std::string& owner,
                             const std::map<std::string, UniqueValue>& before,
                             const std::map<std::string, UniqueValue>& after, const Context& ctx,
                             eventstore::AppendRequest* request) {
    auto add = [&](const std::string& claim, uint64_t version, auto event) {
      event.owner = owner;
      eventstore::AppendPart& part = request->parts.emplace_back();
      part.stream = claim;
      part.expected_version = version;
      part.events.push_back(MakeEvent(event, ctx, ids_));
    };
    for (const auto& [claim, value] : after) {
      if (!value.enforced || before.count(claim)) continue;
      Result<Holder> holder = ClaimHolder(claim);
      if (!holder.ok()) return holder.status();
      if (holder->owner == owner) continue;
      if (!holder->owner.empty()) return value.taken;
      add(claim, holder->version, system::ClaimedT{});
    }
    for (const auto& [claim, unused] : before) {
      if (after.count(claim)) continue;
      Result<Holder> holder = ClaimHolder(claim);
      if (!holder.ok()) return holder.status();
      if (holder->owner == owner) add(claim, holder->version, system::ReleasedT{});
    }
    return true;
  }

  static Rejection VersionConflict(uint64_t expected, uint64_t actual) {
    Rejection r = Reject("version_conflict",
                         "Înregistrarea a fost modificată între timp: versiunea curentă este " +
                             std::to_string(actual) + ", nu " + std::to_string(expected) + ".",
                         "The record was changed meanwhile: its current version is " +
                             std::to_string(actual) + ", not " + std::to_string(expected) + ".",
                         412);
    r.current_version = actual;
    return r;
  }

  eventstore::EventStore& store_;
  IdGenerator& ids_;
  LruCache<Loaded> cache_;
};

}  // namespace crm::domain

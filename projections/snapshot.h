#pragma once

// The binary form of a read model's state, for snapshots (see
// Projection::Save). One description of a model's members serves both
// directions: a model lists them once,
//
//   template <class Archive> void Members(Archive& ar) { ar(rows_, index_); }
//
// and SnapshotWriter writes them, SnapshotReader reads them back. A struct
// inside them takes part through a free function found by ADL,
//
//   template <class Archive> void Fields(Archive& ar, Row& row) {
//     auto& [id, name, version] = row;  // fails to compile when a member is added
//     ar(id, name, version);
//   }
//
// Integers are LEB128 varints (signed ones zigzagged), strings and containers
// a length then their items. Unordered containers are written in key order,
// so a state is always written as the same bytes: two models hold the same
// state exactly when their snapshots are equal, which the replay-equivalence
// tests rely on.
//
// Snapshots are not a permanent format: a snapshot is only read by a build
// whose read-model code is the one that wrote it (kSnapshotCode), so the
// layout may change freely.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace crm::projections {

class SnapshotWriter;
class SnapshotReader;

namespace snapshot_detail {
template <class T>
struct IsSequence : std::false_type {};
template <class T, class A>
struct IsSequence<std::vector<T, A>> : std::true_type {};
template <class T, class A>
struct IsSequence<std::deque<T, A>> : std::true_type {};
template <class T>
struct IsMap : std::false_type {};
template <class K, class V, class C, class A>
struct IsMap<std::map<K, V, C, A>> : std::true_type {};
template <class K, class V, class H, class E, class A>
struct IsMap<std::unordered_map<K, V, H, E, A>> : std::true_type {};
template <class T>
struct IsSet : std::false_type {};
template <class K, class C, class A>
struct IsSet<std::set<K, C, A>> : std::true_type {};
template <class K, class H, class E, class A>
struct IsSet<std::unordered_set<K, H, E, A>> : std::true_type {};
template <class T>
struct IsUnordered : std::false_type {};
template <class K, class V, class H, class E, class A>
struct IsUnordered<std::unordered_map<K, V, H, E, A>> : std::true_type {};
template <class K, class H, class E, class A>
struct IsUnordered<std::unordered_set<K, H, E, A>> : std::true_type {};
template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace snapshot_detail

class SnapshotWriter {
 public:
  // Appends to `out`.
  explicit SnapshotWriter(std::string out = {}) : out_(std::move(out)) {}

  template <class... T>
  void operator()(const T&... values) {
    (Put(values), ...);
  }

  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }

  template <class T>
  void Put(const T& v) {
    namespace d = snapshot_detail;
    if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(v ? 1 : 0);
    } else if constexpr (std::is_enum_v<T>) {
      Put(static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      const auto u = static_cast<uint64_t>(static_cast<int64_t>(v));
      Varint((u << 1) ^ (v < 0 ? ~uint64_t{0} : 0));
    } else if constexpr (std::is_integral_v<T>) {
      Varint(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      Varint(v.size());
      out_.append(v);
    } else if constexpr (d::IsPair<T>::value) {
      Put(v.first);
      Put(v.second);
    } else if constexpr (d::IsOptional<T>::value) {
      Put(v.has_value());
      if (v) Put(*v);
    } else if constexpr (d::IsUnordered<T>::value) {
      // In key order, so that equal states are equal bytes.
      std::vector<const typename T::value_type*> items;
      items.reserve(v.size());
      for (const auto& item : v) items.push_back(&item);
      std::sort(items.begin(), items.end(), [](const auto* a, const auto* b) {
        if constexpr (d::IsMap<T>::value) {
          return a->first < b->first;
        } else {
          return *a < *b;
        }
      });
      Varint(items.size());
      for (const auto* item : items) Put(*item);
    } else if constexpr (d::IsSequence<T>::value || d::IsMap<T>::value || d::IsSet<T>::value) {
      Varint(v.size());
      for (const auto& item : v) Put(item);
    } else {
      // A struct: its Fields, which only read through the reference.
      Fields(*this, const_cast<T&>(v));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    }
  }

  std::string out_;
};

class SnapshotReader {
 public:
  explicit SnapshotReader(std::string_view in) : in_(in) {}

  template <class... T>
  void operator()(T&... values) {
    (Get(values), ...);
  }

  // False once anything did not read back; the values read are then garbage.
  bool ok() const { return ok_; }
  // True when everything was read, and nothing is left over.
  bool done() const { return ok_ && in_.empty(); }

 private:
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) break;
      const auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  // A count of items that each take at least one byte: never more than is left.
  size_t Count() {
    const uint64_t n = Varint();
    if (n > in_.size()) ok_ = false;
    return ok_ ? static_cast<size_t>(n) : 0;
  }

  template <class T>
  void Get(T& v) {
    namespace d = snapshot_detail;
    if (!ok_) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (in_.empty()) {
        ok_ = false;
        return;
      }
      v = in_.front() != 0;
      in_.remove_prefix(1);
    } else if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> raw{};
      Get(raw);
      v = static_cast<T>(raw);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      const uint64_t u = Varint();
      v = static_cast<T>(static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)));
    } else if constexpr (std::is_integral_v<T>) {
      v = static_cast<T>(Varint());
    } else if constexpr (std::is_same_v<T, std::string>) {
      const size_t n = Count();
      v.assign(in_.data(), n);
      in_.remove_prefix(n);
    } else if constexpr (d::IsPair<T>::value) {
      Get(const_cast<std::remove_const_t<typename T::first_type>&>(v.first));  // NOLINT
      Get(v.second);
    } else if constexpr (d::IsOptional<T>::value) {
      bool has = false;
      Get(has);
      if (has) {
        Get(v.emplace());
      } else {
        v.reset();
      }
    } else if constexpr (d::IsSequence<T>::value) {
      const size_t n = Count();
      v.clear();
      if constexpr (requires { v.reserve(n); }) v.reserve(n);
      for (size_t i = 0; i < n && ok_; ++i) Get(v.emplace_back());
    } else if constexpr (d::IsMap<T>::value) {
      const size_t n = Count();
      v.clear();
      if constexpr (requires { v.reserve(n); }) v.reserve(n);
      for (size_t i = 0; i < n && ok_; ++i) {
        typename T::key_type key{};
        Get(key);
        Get(v.emplace_hint(v.end(), std::move(key), typename T::mapped_type{})->second);
      }
    } else if constexpr (d::IsSet<T>::value) {
      const size_t n = Count();
      v.clear();
      if constexpr (requires { v.reserve(n); }) v.reserve(n);
      for (size_t i = 0; i < n && ok_; ++i) {
        typename T::value_type item{};
        Get(item);
        v.emplace_hint(v.end(), std::move(item));
      }
    } else {
      Fields(*this, v);
    }
  }

  std::string_view in_;
  bool ok_ = true;
};

// Resets every member a model lists to its empty value: what a model holds
// after a snapshot failed to read back halfway.
class SnapshotClearer {
 public:
  template <class... T>
  void operator()(T&... values) {
    (Reset(values), ...);
  }

 private:
  // A member that knows how to empty itself (a record table, which keeps
  // what it was made with) is told to; the others become T{}.
  template <class T>
  static void Reset(T& value) {
    if constexpr (requires { value.Clear(); }) {
      value.Clear();
    } else {
      value = T{};
    }
  }
};

}  // namespace crm::projections

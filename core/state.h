// Save/load of machine state as named, versioned fields (DESIGN.md §9).
//
// Every component writes its state into a StateNode: a tree whose leaves are
// named fields holding integers or byte strings. Nothing is positional, so a
// later version can add a field and still load an older snapshot (the reader
// asks for a field with a default). The node's `version` lets a component
// convert old layouts explicitly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tx86::core {

class StateNode {
 public:
  explicit StateNode(uint32_t version = 1) : version_(version) {}

  uint32_t version() const { return version_; }

  void put(std::string_view name, uint64_t value);
  void put_bytes(std::string_view name, std::span<const uint8_t> bytes);
  StateNode& child(std::string_view name, uint32_t version = 1);

  // Reading: a missing field is an error (throws StateError) unless a default
  // is given; a present field of the wrong type is always an error.
  uint64_t get(std::string_view name) const;
  uint64_t get(std::string_view name, uint64_t fallback) const;
  std::vector<uint8_t> get_bytes(std::string_view name) const;
  const StateNode& get_child(std::string_view name) const;
  bool has(std::string_view name) const;

  bool operator==(const StateNode& other) const;

  // Serialized form (little-endian, self-describing); parse() validates every
  // length and throws StateError on a corrupt stream.
  std::vector<uint8_t> serialize() const;
  static StateNode parse(std::span<const uint8_t> bytes);

 private:
  struct Field {
    enum class Type : uint8_t { kInt, kBytes, kNode } type = Type::kInt;
    uint64_t value = 0;
    std::vector<uint8_t> bytes;
    std::unique_ptr<StateNode> node;
  };
  uint32_t version_;
  std::map<std::string, Field, std::less<>> fields_;
};

// A snapshot that cannot be loaded: names the field and what is wrong.
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tx86::core

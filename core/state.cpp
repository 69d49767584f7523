#include "core/state.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace tx86::core {

namespace {

constexpr uint32_t kMagic = 0x54535854;  // "TXST"
constexpr size_t kMaxDepth = 64;

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t u8() { need(1); return bytes_[pos_++]; }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{bytes_[pos_++]} << (8 * i);
    return v;
  }
  uint64_t u64() {
    uint64_t lo = u32();
    return lo | (uint64_t{u32()} << 32);
  }
  std::span<const uint8_t> take(size_t n) {
    need(n);
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  void need(size_t n) const {
    if (bytes_.size() - pos_ < n) throw StateError("snapshot is truncated at byte " + std::to_string(pos_));
  }
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace

void StateNode::put(std::string_view name, uint64_t value) {
  Field& f = fields_[std::string(name)];
  f = Field{};
  f.type = Field::Type::kInt;
  f.value = value;
}

void StateNode::put_bytes(std::string_view name, std::span<const uint8_t> bytes) {
  Field& f = fields_[std::string(name)];
  f = Field{};
  f.type = Field::Type::kBytes;
  f.bytes.assign(bytes.begin(), bytes.end());
}

StateNode& StateNode::child(std::string_view name, uint32_t version) {
  Field& f = fields_[std::string(name)];
  f = Field{};
  f.type = Field::Type::kNode;
  f.node = std::make_unique<StateNode>(version);
  return *f.node;
}

uint64_t StateNode::get(std::string_view name) const {
  auto it = fields_.find(name);
  if (it == fields_.end()) throw StateError("missing field '" + std::string(name) + "'");
  if (it->second.type != Field::Type::kInt) throw StateError("field '" + std::string(name) + "' is not an integer");
  return it->second.value;
}

uint64_t StateNode::get(std::string_view name, uint64_t fallback) const {
  return has(name) ? get(name) : fallback;
}

std::vector<uint8_t> StateNode::get_bytes(std::string_view name) const {
  auto it = fields_.find(name);
  if (it == fields_.end()) throw StateError("missing field '" + std::string(name) + "'");
  if (it->second.type != Field::Type::kBytes) throw StateError("field '" + std::string(name) + "' is not bytes");
  return it->second.bytes;
}

const StateNode& StateNode::get_child(std::string_view name) const {
  auto it = fields_.find(name);
  if (it == fields_.end()) throw StateError("missing section '" + std::string(name) + "'");
  if (it->second.type != Field::Type::kNode) throw StateError("field '" + std::string(name) + "' is not a section");
  return *it->second.node;
}

bool StateNode::has(std::string_view name) const { return fields_.find(name) != fields_.end(); }

bool StateNode::operator==(const StateNode& other) const {
  if (version_ != other.version_ || fields_.size() != other.fields_.size()) return false;
  auto a = fields_.begin();
  auto b = other.fields_.begin();
  for (; a != fields_.end(); ++a, ++b) {
    if (a->first != b->first || a->second.type != b->second.type) return false;
    switch (a->second.type) {
      case Field::Type::kInt: if (a->second.value != b->second.value) return false; break;
      case Field::Type::kBytes: if (a->second.bytes != b->second.bytes) return false; break;
      case Field::Type::kNode: if (!(*a->second.node == *b->second.node)) return false; break;
    }
  }
  return true;
}

std::vector<uint8_t> StateNode::serialize() const {
  std::vector<uint8_t> out;
  put_u32(out, kMagic);
  put_u32(out, version_);
  put_u32(out, static_cast<uint32_t>(fields_.size()));
  for (const auto& [name, f] : fields_) {
    put_u32(out, static_cast<uint32_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(static_cast<uint8_t>(f.type));
    switch (f.type) {
      case Field::Type::kInt: put_u64(out, f.value); break;
      case Field::Type::kBytes:
        put_u64(out, f.bytes.size());
        out.insert(out.end(), f.bytes.begin(), f.bytes.end());
        break;
      case Field::Type::kNode: {
        std::vector<uint8_t> inner = f.node->serialize();
        put_u64(out, inner.size());
        out.insert(out.end(), inner.begin(), inner.end());
        break;
      }
    }
  }
  return out;
}

namespace {

StateNode parse_node(std::span<const uint8_t> bytes, size_t depth) {
  if (depth > kMaxDepth) throw StateError("snapshot nests sections too deeply");
  Reader r(bytes);
  if (r.u32() != kMagic) throw StateError("not a tx86 state stream (bad magic)");
  StateNode node(r.u32());
  uint32_t count = r.u32();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_len = r.u32();
    if (name_len > 4096) throw StateError("field name too long");
    auto name_bytes = r.take(name_len);
    std::string name(name_bytes.begin(), name_bytes.end());
    uint8_t type = r.u8();
    if (type == 0) {
      node.put(name, r.u64());
    } else if (type == 1) {
      uint64_t n = r.u64();
      node.put_bytes(name, r.take(static_cast<size_t>(std::min<uint64_t>(n, SIZE_MAX))));
    } else if (type == 2) {
      uint64_t n = r.u64();
      StateNode inner = parse_node(r.take(static_cast<size_t>(std::min<uint64_t>(n, SIZE_MAX))), depth + 1);
      StateNode& slot = node.child(name, inner.version());
      slot = std::move(inner);
    } else {
      throw StateError("field '" + name + "' has unknown type " + std::to_string(type));
    }
  }
  if (!r.done()) throw StateError("trailing bytes after state section");
  return node;
}

}  // namespace

StateNode StateNode::parse(std::span<const uint8_t> bytes) { return parse_node(bytes, 0); }

}  // namespace tx86::core

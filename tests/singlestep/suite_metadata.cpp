#include "tests/singlestep/suite_metadata.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tx86::singlestep {

namespace fs = std::filesystem;

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<std::string> read_text(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One CSV record split into fields (RFC 4180 quoting: "a,b" and "" escapes).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::string base_form(const std::string& stem) {
  std::string s = upper(stem);
  while (s.size() > 2 && (s.starts_with("66") || s.starts_with("67"))) s = s.substr(2);
  return s;
}

void SuiteMetadata::add_metadata_json(const std::string& text, const std::string& name) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error(name + ": not valid JSON");
  auto ops = j.find("opcodes");
  if (ops == j.end() || !ops->is_object()) throw std::runtime_error(name + ": no \"opcodes\" object");
  auto mask_of = [&](const nlohmann::json& entry, const std::string& key) -> std::optional<uint32_t> {
    auto m = entry.find("flags-mask");
    if (m == entry.end()) return std::nullopt;
    if (!m->is_number_unsigned() || m->get<uint64_t>() > 0xFFFFFFFFu)
      throw std::runtime_error(name + ": opcode " + key + ": \"flags-mask\" is not an unsigned 32-bit number");
    return m->get<uint32_t>();
  };
  size_t count = 0;
  for (auto it = ops->begin(); it != ops->end(); ++it) {
    if (!it->is_object()) continue;
    std::string op = upper(it.key());
    std::optional<uint32_t> op_mask = mask_of(*it, op);
    if (op_mask) masks_[op] = *op_mask, ++count;
    auto reg = it->find("reg");
    if (reg != it->end() && reg->is_object()) {
      for (auto r = reg->begin(); r != reg->end(); ++r) {
        if (!r->is_object()) continue;
        std::string key = op + "." + r.key();
        std::optional<uint32_t> m = mask_of(*r, key);
        if (!m) m = op_mask;
        if (m) masks_[key] = *m, ++count;
      }
    }
  }
  notes_.push_back(name + ": " + std::to_string(count) + " undefined-flag masks");
}

void SuiteMetadata::add_80386_csv(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(name + ": empty");
  std::vector<std::string> head = split_csv(line);
  auto col = [&](const char* c) -> std::optional<size_t> {
    for (size_t i = 0; i < head.size(); ++i)
      if (trim(head[i]) == c) return i;
    return std::nullopt;
  };
  auto op_col = col("op"), ex_col = col("ex"), mask_col = col("f_umask");
  if (!op_col || !mask_col) throw std::runtime_error(name + ": no `op` or `f_umask` column in the header");
  size_t count = 0, line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    std::vector<std::string> f = split_csv(line);
    if (*op_col >= f.size() || *mask_col >= f.size()) continue;
    std::string op = upper(trim(f[*op_col]));
    std::string mask_text = trim(f[*mask_col]);
    if (op.empty() || mask_text.empty()) continue;
    if (mask_text.starts_with("0x") || mask_text.starts_with("0X")) mask_text = mask_text.substr(2);
    uint32_t mask = 0;
    try {
      size_t used = 0;
      unsigned long v = std::stoul(mask_text, &used, 16);
      if (used != mask_text.size() || v > 0xFFFFFFFFul) throw std::invalid_argument("range");
      mask = static_cast<uint32_t>(v);
    } catch (const std::exception&) {
      throw std::runtime_error(name + ":" + std::to_string(line_no) + ": f_umask `" + f[*mask_col] +
                               "` is not a hex number");
    }
    std::string ex = ex_col && *ex_col < f.size() ? trim(f[*ex_col]) : "";
    std::string key = ex.empty() ? op : op + "." + ex;
    // Several rows for one form: a flag undefined in any of them is not
    // compared (the AND of the masks).
    auto [it, inserted] = masks_.try_emplace(key, mask);
    if (!inserted) it->second &= mask;
    ++count;
  }
  notes_.push_back(name + ": " + std::to_string(count) + " f_umask rows");
}

void SuiteMetadata::add_revocation_list(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    revoked_.insert(t);
  }
}

SuiteMetadata SuiteMetadata::load(const std::string& dir) {
  SuiteMetadata md;
  fs::path d(dir);
  std::error_code ec;
  fs::path full = fs::weakly_canonical(fs::absolute(d, ec), ec);
  if (full.filename().empty()) full = full.parent_path();  // "dir/" form
  fs::path parent = full.parent_path();
  if (auto t = read_text(d / "metadata.json")) md.add_metadata_json(*t, (d / "metadata.json").string());
  for (const fs::path& p : {d / "80386.csv", parent / "80386.csv"}) {
    if (auto t = read_text(p)) {
      md.add_80386_csv(*t, p.string());
      break;
    }
  }
  for (const fs::path& p : {d / "revocation_list.txt", parent / "revocation_list.txt"}) {
    if (auto t = read_text(p)) {
      size_t before = md.revoked_.size();
      md.add_revocation_list(*t);
      md.notes_.push_back(p.string() + ": " + std::to_string(md.revoked_.size() - before) + " revoked tests");
    }
  }
  return md;
}

std::optional<uint32_t> SuiteMetadata::flags_mask(const std::string& stem) const {
  std::string key = base_form(stem);
  if (auto it = masks_.find(key); it != masks_.end()) return it->second;
  // A group file whose extension has no own entry: the opcode's mask.
  if (size_t dot = key.find('.'); dot != std::string::npos)
    if (auto it = masks_.find(key.substr(0, dot)); it != masks_.end()) return it->second;
  return std::nullopt;
}

}  // namespace tx86::singlestep

// What a SingleStepTests directory says besides its MOO files: the
// undefined-flag masks per instruction form and the revoked tests.
//
// Flag masks are AND masks (bit set = the flag is defined and compared):
//  - 80286 suite: metadata.json, opcodes[OP]["flags-mask"], or
//    opcodes[OP]["reg"][EXT]["flags-mask"] for a group file `OP.EXT`;
//  - 80386 suite: 80386.csv, column `f_umask` of the row whose `op` (two or
//    four hex digits) and `ex` (group extension) match the file name with its
//    66/67 size-prefix digits removed (`6766C1.4` -> `C1.4`).
// The revocation list holds SHA-1 test hashes in hex, one a line, `#` comments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tx86::singlestep {

class SuiteMetadata {
 public:
  // Loads metadata.json from `dir` and 80386.csv from `dir` or its parent,
  // and revocation_list.txt from both `dir` and its parent (union). Missing
  // files are fine (noted in notes()); a present but unreadable or malformed
  // file throws std::runtime_error naming it.
  static SuiteMetadata load(const std::string& dir);

  // The AND mask for the flags of the file with stem `stem` (file name
  // without .MOO.gz, e.g. "F6.6"), or nothing if no table gives one.
  std::optional<uint32_t> flags_mask(const std::string& stem) const;

  bool has_flag_masks() const { return !masks_.empty(); }
  bool revoked(const std::string& hash_hex) const { return revoked_.contains(hash_hex); }
  size_t revoked_count() const { return revoked_.size(); }

  // Human-readable lines on what was found ("metadata.json: 326 opcodes").
  const std::vector<std::string>& notes() const { return notes_; }

  // For tests: the parsers on their own.
  void add_metadata_json(const std::string& text, const std::string& name);
  void add_80386_csv(const std::string& text, const std::string& name);
  void add_revocation_list(const std::string& text);

 private:
  std::unordered_map<std::string, uint32_t> masks_;  // "F6.6" / "00" -> mask
  std::unordered_set<std::string> revoked_;
  std::vector<std::string> notes_;
};

// "6766C1.4" -> "C1.4", upper case.
std::string base_form(const std::string& stem);

}  // namespace tx86::singlestep

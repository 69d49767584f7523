// Descriptor fetch, accessed/busy bits, segment caches, TSS stack pointers
// and the inner-stack builder (see descriptors.h). SDM Vol. 3A, 3.4.5, 3.5,
// 5.8.5, 6.12.1 and 7.2.
#include "core/priv/descriptors.h"

#include <cstring>

namespace tx86::core::priv {

bool selector_in_table(const CpuState& s, uint16_t sel) {
  if (sel & 4) {
    // An LDT reference needs a loaded LDT (LLDT with a null selector leaves
    // LDTR unusable).
    if (!(s.ldtr.attrs & SegmentCache::kSegPresent)) return false;
    return (sel | 7u) <= s.ldtr.limit;
  }
  return (sel | 7u) <= s.gdtr.limit;
}

bool fetch_descriptor_slow(Cpu& cpu, uint16_t sel, Descriptor& d, uint8_t vector, uint32_t ext) {
  if (!selector_in_table(cpu.s, sel)) return cpu.raise(vector, (sel & 0xFFFC) | ext);
  const uint32_t base = (sel & 4) ? cpu.s.ldtr.base : cpu.s.gdtr.base;
  d.address = base + (sel & ~7u);
  SupervisorAccess sup(cpu);
  if (!read_descriptor_words(cpu, d.address, d.lo, d.hi)) return false;
  decode_descriptor(d);
  return true;
}

bool set_accessed_slow(Cpu& cpu, Descriptor& d) {
  SupervisorAccess sup(cpu);
  uint8_t b;
  if (!cpu.read_linear<uint8_t>(d.address + 5, b) || !cpu.write_linear<uint8_t>(d.address + 5, uint8_t(b | 1)))
    return false;
  d.attrs |= SegmentCache::kSegAccessed;
  d.hi |= 1u << 8;
  return true;
}

bool set_tss_busy(Cpu& cpu, uint32_t descriptor_address, bool busy) {
  SupervisorAccess sup(cpu);
  uint8_t b;
  if (!cpu.read_linear<uint8_t>(descriptor_address + 5, b)) return false;
  b = busy ? uint8_t(b | 2) : uint8_t(b & ~2);
  return cpu.write_linear<uint8_t>(descriptor_address + 5, b);
}

bool tss_stack(Cpu& cpu, unsigned dpl, uint16_t& ss, uint32_t& esp, uint32_t ext) {
  const SegmentCache& tr = cpu.s.tr;
  const bool tss32 = (tr.attrs & 8) != 0;
  // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n; 16-bit: SPn at 2 + 4n, SSn at 4 + 4n.
  const uint32_t off = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
  const uint32_t last = tss32 ? off + 5 : off + 3;
  if (last > tr.limit) return cpu.raise(kTS, (tr.selector & 0xFFFC) | ext);
  if (tss32) {
    uint8_t pair[6];  // ESPn, SSn: one copy when the supervisor TLB holds the page
    if (cpu.read_supervisor_if_cached(tr.base + off, pair, sizeof pair)) {
      std::memcpy(&esp, pair, 4);
      std::memcpy(&ss, pair + 4, 2);
      return true;
    }
  }
  SupervisorAccess sup(cpu);
  if (tss32)
    return cpu.read_linear<uint32_t>(tr.base + off, esp) && cpu.read_linear<uint16_t>(tr.base + off + 4, ss);
  uint16_t sp;
  if (!cpu.read_linear<uint16_t>(tr.base + off, sp) || !cpu.read_linear<uint16_t>(tr.base + off + 2, ss)) return false;
  esp = sp;
  return true;
}

bool check_inner_ss(Cpu& cpu, uint16_t ss, unsigned dpl, Descriptor& d, uint32_t ext) {
  const uint32_t err = (ss & 0xFFFC) | ext;
  if ((ss & 0xFFFC) == 0) return cpu.raise(kTS, ext);
  if (!fetch_descriptor(cpu, ss, d, kTS, ext)) return false;
  if ((ss & 3) != dpl || d.dpl() != dpl || !d.writable_data()) return cpu.raise(kTS, err);
  if (!d.present()) return cpu.raise(kSS, err);
  return true;
}

bool NewStack::commit(Cpu& cpu, unsigned cpl) {
  const bool big = cache.big();
  const uint32_t top = big ? esp : (esp & 0xFFFF);
  const uint32_t start = big ? top - size : ((top - size) & 0xFFFF);
  const uint32_t last = size - 1;
  const uint32_t err = (fault_sel & 0xFFFC) | ext;
  // Limit check of [start, start + size) as Cpu::check_segment does it.
  const unsigned type = cache.attrs & 0xF;
  if ((type & 0xC) == 0x4) {
    const uint32_t upper = big ? 0xFFFFFFFFu : 0xFFFFu;
    if (start <= cache.limit || start > upper || last > upper - start) return cpu.raise(kSS, err);
  } else if (start > cache.limit || last > cache.limit - start) {
    return cpu.raise(kSS, err);
  }
  if (!big && top - size > top) return cpu.raise(kSS, err);  // a 16-bit stack wrapping through 0
  const uint8_t saved = cpu.s.cpl;
  cpu.s.cpl = uint8_t(cpl);
  const uint32_t linear = cache.base + start;
  const uint8_t* frame = bytes + kMaxBytes - size;
  // The usual case, a frame inside one page already in the TLB for writing,
  // is copied straight there (one lookup: the entry's write tag covers the
  // whole page); anything else is probed, then written byte by byte. The
  // copy goes in the units the frame was pushed in: wider loads of the
  // just-stored pushes would miss store forwarding.
  uint8_t* host = size != 0 ? cpu.write_pointer_if_cached(linear, size) : nullptr;
  bool ok = host != nullptr;
  if (ok && unit == 4) {
    for (unsigned k = 0; k < size; k += 4) std::memcpy(host + k, frame + k, 4);
  } else if (ok) {
    for (unsigned k = 0; k < size; k += 2) std::memcpy(host + k, frame + k, 2);
  } else {
    ok = cpu.probe_write_linear(linear, size);
    for (unsigned k = 0; ok && k < size; ++k) ok = cpu.write_linear<uint8_t>(linear + k, frame[k]);
  }
  cpu.s.cpl = saved;
  if (!ok) return false;
  esp = big ? start : ((esp & 0xFFFF0000u) | start);
  return true;
}

}  // namespace tx86::core::priv

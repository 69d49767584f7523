; jit_chain_test.cpp: links keyed by linear address must die when the
; mapping changes (nasm -f bin, assembled by meson). Runs at 1000:0000,
; enters flat 32-bit protected mode with paging, then CALLs linear 80000h,
; whose page is remapped between calls: physical 30000h holds "mov eax,1;
; ret", 31000h "mov eax,2; ret", 80000h "mov eax,4; ret" (the test loads
; them). Loop 1 flips the PTE and INVLPGs, loop 2 switches CR3 between two
; directories, loop 3 turns paging off and on. EBX sums what the calls return.
bits 16
org 0
%include "protected_mode.inc"
%include "paging.inc"
  pm_enter 0x08, 0x10000 + pm
bits 32
pm:
  pm_flat_data
  identity_pt 0x21000, 256, 0x2000   ; PT 21000h and 23000h
  mov dword [0x21000 + 0x80 * 4], 0x30003
  mov dword [0x23000 + 0x80 * 4], 0x31003
  mov dword [0x20000], 0x21003
  mov dword [0x22000], 0x23003
  paging_on 0x20000
  xor ebx, ebx
  mov ecx, 10
.l1:                        ; 1, 2, 1, 2, ...: +15
  call 0x80000 - 0x10000   ; nasm counts from org 0, the code runs at 10000h
  add ebx, eax
  xor dword [0x21000 + 0x80 * 4], 0x1000
  invlpg [0x80000]
  dec ecx
  jnz .l1
  mov ecx, 10
  mov edx, 0x22000
.l2:                        ; 1, 2, 1, 2, ...: +15
  call 0x80000 - 0x10000   ; nasm counts from org 0, the code runs at 10000h
  add ebx, eax
  mov eax, cr3
  xchg eax, edx
  mov cr3, eax
  dec ecx
  jnz .l2
  mov ecx, 10
.l3:                        ; PD1 (1) / no paging (4): +25
  call 0x80000 - 0x10000   ; nasm counts from org 0, the code runs at 10000h
  add ebx, eax
  mov eax, cr0
  xor eax, 0x80000000
  mov cr0, eax
  jmp .l3next
.l3next:
  dec ecx
  jnz .l3
  hlt
gdt_flat
gdt_end

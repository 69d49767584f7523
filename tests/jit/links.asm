; jit_links_test.cpp: what links survive and what kills them (nasm -f bin, assembled by meson).
; Runs at 1000:0000, enters flat 32-bit protected mode
; with paging and then:
;  1. 1000 x INT 30h / IRET (handler: inc ebx) in a loop of three blocks:
;     the loop's links must survive the INT and the IRET (EBX = 1000);
;  2. CALL 80000h from one block run alternately under CS 08h (base 0) and
;     CS 18h (base 400000h, the low 4 MiB aliased there, except linear
;     480000h -> 81000h): a far JMP changes the CS base, the CALL's link must
;     die (EDI = 1+2+1+2... = 15);
;  3. the same CALL alternately in task A (TSS 20h, CR3 20000h) and task B
;     (TSS 28h, CR3 23000h, linear 80000h -> 81000h), switching by JMP to
;     the other TSS: a task switch loads CR3, the link must die
;     ([9404h] = 1+2+1+...+1 = 16).
; Physical 80000h holds "mov eax,1; ret", 81000h "mov eax,2; ret" (the test
; loads them).
bits 16
org 0
%include "protected_mode.inc"
%include "paging.inc"
  pm_enter 0x08, 0x10000 + pm
bits 32
pm:
  pm_flat_data
  lidt [0x10000 + idtr]
  ; page tables: PT0 (20000h's) and PT0_B identity, PT1 the low 4 MiB again
  identity_pt 0x21000, 1024, 0x1000, 0x3000
  mov dword [0x22000 + 0x80 * 4], 0x81003
  mov dword [0x24000 + 0x80 * 4], 0x81003
  mov dword [0x20000], 0x21003
  mov dword [0x20004], 0x22003
  mov dword [0x23000], 0x24003
  paging_on 0x20000
  ; ---- 1: INT / IRET
  xor ebx, ebx
  mov ecx, 1000
.i1:
  int 0x30
  jmp .i2
  times 100 nop               ; too far for a JMP inside its block (block_builder.cpp)
.i2:
  jmp .i3
  times 100 nop
.i3:
  dec ecx
  jnz .i1
  ; ---- 2: far JMP between CS bases
  xor edi, edi
  mov ecx, 10
.f1:
  call 0x80000 - 0x10000      ; nasm counts from org 0, the code runs at 10000h
  add edi, eax
  dec ecx
  jz .fdone
  mov ax, cs
  cmp ax, 0x08
  je .to18
  jmp 0x08:(0x10000 + .f1)
.to18:
  jmp 0x18:(0x10000 + .f1)
.fdone:
  jmp 0x08:(0x10000 + .cs08)   ; the 10th CALL ran under CS 18h
.cs08:
  ; ---- 3: task switches (a switch does not save CR3: TSS A needs its own)
  mov dword [0x9200 + 0x1C], 0x20000
  mov dword [0x9300 + 0x1C], 0x23000
  mov dword [0x9300 + 0x20], 0x10000 + .t1
  mov dword [0x9300 + 0x24], 2
  mov dword [0x9300 + 0x38], 0x8800
  mov dword [0x9300 + 0x48], 0x10
  mov dword [0x9300 + 0x4C], 0x08
  mov dword [0x9300 + 0x50], 0x10
  mov dword [0x9300 + 0x54], 0x10
  mov ax, 0x20
  ltr ax
  mov dword [0x9400], 11      ; the 11th CALL in task A: the program ends there
.t1:
  call 0x80000 - 0x10000
  add [0x9404], eax
  dec dword [0x9400]
  jz .tdone
  str ax
  cmp ax, 0x20
  je .toB
  jmp 0x20:0
  jmp .t1
.toB:
  jmp 0x28:0
  jmp .t1
.tdone:
  hlt
handler:
  inc ebx
  iret
gdt_flat
  dq 0x00CF9A400000FFFF        ; 18h: code, base 400000h
  dw 0x67, 0x9200, 0x8900, 0   ; 20h: TSS A at 9200h
  dw 0x67, 0x9300, 0x8900, 0   ; 28h: TSS B at 9300h
gdt_end
idt_one_gate 0x30, handler

; The program of jit_inline_ops2_test.cpp (nasm -f bin, assembled by meson):
; the host-flag consumers and the inline
; forms of emit_cond.cpp, emit_shift.cpp, emit_shift_double.cpp,
; emit_bit.cpp and emit_xadd_cmpxchg.cpp on pseudo-random and special
; operands, every result and EFLAGS image stored in a ring at DS:1000-FFDF
; (DI) and folded into a hash, so that the JIT and the interpreter must
; leave the same RAM:
; 1. every flag producer (ALU ops, shifts and rotates by an immediate --
;    counts 0, 1, 2.., width-1, width, 31; RCL/RCR 9 and 17 -- and by CL,
;    SHLD/SHRD, IMUL,
;    BSF/BSR, XADD, CMPXCHG; registers, AH..BH and memory) followed
;    directly by SETcc of all 16 conditions (four per run: a register, a
;    high byte, memory; a Jcc after the first two) and by CMOVcc from
;    registers, a Jcc, and CMOVcc from memory;
; 2. BT/BTS/BTR/BTC with a register bit offset into memory (bit strings),
;    negative and positive offsets, 16- and 32-bit operands and addresses,
;    and a 16-bit address wrapping past FFFFh;
; 3. POP to memory: DS and SS destinations, an address using ESP (after the
;    pop), and a store beyond the DS limit (#GP, ESP unchanged on the 386+;
;    the handler resumes at [resume]).
; On the 386 CMOVcc, XADD and CMPXCHG raise #UD: the handler resumes at
; [resume] (the end of that producer's runs).
; Code at 1000:0000, DS = ES = 3000, SS:SP = 2000:FFFE (tests/jit/jit_guest.h).
bits 16
org 0
%include "real_mode.inc"
resume   equ 0x0800   ; DS offsets of the variables
passes   equ 0x0802
slot     equ 0x0808   ; a memory operand (dword)
slot2    equ 0x080C   ; SETcc to memory (two bytes)
ud_count equ 0x0810
gp_count equ 0x0812
saved_sp equ 0x0814
hash     equ 0x0824
bits_at  equ 0x0C00   ; the bit string's base (offsets reach 0B00..0CFF)

start:
  xor ax, ax
  mov es, ax
  ivt_entry 6, fault_ud
  ivt_entry 13, fault_gp
  mov ax, 0x3000
  mov ds, ax
  mov es, ax
  mov di, 0x1000
  mov ebp, 0x2468ACE
  mov word [passes], 100

pass:
; ---- 1. producers and their consumers ----
%macro SETS 4
  call operands
  PRODUCER
  set%1 bl
  set%2 ch
  j%4 %%j                     ; a Jcc on the flags the SETcc left
  xor bl, 0x40
%%j:
  set%3 [slot2]
  set%4 [slot2+1]
  call save
%endmacro
; TRY {producer}: five runs of it, each on fresh operands
%macro TRY 1+
  mov word [resume], %%after
  %define PRODUCER %1
  SETS o, no, b, ae
  SETS e, ne, be, a
  SETS s, ns, p, np
  SETS l, ge, le, g
  call operands
  %1
  cmovo eax, ebx
  cmovl si, bx
  jle %%taken
  xor ax, 0x5A5A
%%taken:
  cmovbe esi, [slot]
  cmovnz ax, bx
%%after:
  call save
  %undef PRODUCER
%endmacro
  TRY add edx, ebx
  TRY sub dx, bx
  TRY cmp dl, bl
  TRY cmp dh, bl
  TRY and edx, ebx
  TRY or dx, bx
  TRY xor dl, bl
  TRY test edx, ebx
  TRY inc edx
  TRY dec dx
  TRY neg dl
  TRY adc edx, ebx
  TRY sbb dx, bx
  TRY cmp edx, [slot]
  TRY add [slot], dx
  TRY shl edx, 1
  TRY shl edx, 7
  TRY shl dx, 15
  TRY shl dl, 3
  TRY shl dh, 7
  TRY shl edx, 0
  TRY shl edx, 32
  TRY shl dx, 16
  TRY shr edx, 1
  TRY shr edx, 31
  TRY shr dx, 9
  TRY shr dl, 7
  TRY shr dl, 8
  TRY sar edx, 1
  TRY sar edx, 13
  TRY sar dx, 15
  TRY sar dh, 4
  TRY sar dl, 9
  TRY rol edx, 1
  TRY rol edx, 17
  TRY rol dx, 16
  TRY rol dl, 8
  TRY rol dl, 12
  TRY ror edx, 1
  TRY ror edx, 31
  TRY ror dx, 3
  TRY ror dh, 9
  TRY rcl edx, 1
  TRY rcr dx, 1
  TRY rcl dl, 1
  TRY rcl edx, 5
  TRY rcr edx, 31
  TRY rcr dx, 17
  TRY rcl dx, 16
  TRY rcr dl, 10
  TRY rcl dh, 8
  TRY rcl dl, 9
  TRY rcr dword [slot], 3
  TRY rcl byte [slot], 30
  TRY rcl edx, cl
  TRY rcr dx, cl
  TRY rcr dl, cl
  TRY rcl dh, cl
  TRY rcl word [slot], cl
  TRY rcr byte [slot], cl
  TRY shl dword [slot], 5
  TRY ror word [slot], 7
  TRY shr byte [slot], 1
  TRY rol dword [slot], 31
  TRY sar word [slot], 2
  TRY shl edx, cl
  TRY shr dx, cl
  TRY sar dl, cl
  TRY rol edx, cl
  TRY ror dx, cl
  TRY rol dl, cl
  TRY shl dword [slot], cl
  TRY shld edx, ebx, 1
  TRY shld edx, ebx, 13
  TRY shrd edx, ebx, 31
  TRY shrd dx, bx, 1
  TRY shrd dx, bx, 15
  TRY shld dx, bx, 16
  TRY shld dx, bx, 0
  TRY shld edx, ebx, cl
  TRY shrd edx, ebx, cl
  TRY shrd dx, bx, cl
  TRY shld dx, bx, cl
  TRY shld dword [slot], ebx, cl
  TRY shrd word [slot], bx, 7
  TRY shld dword [slot], ebx, 31
  TRY shrd word [slot], bx, cl
  TRY imul edx, ebx
  TRY imul dx, bx, 1234
  TRY imul edx, [slot], -3
  TRY imul dx, [slot]
  TRY imul ebx, edx, 0x12345
  TRY imul dx, dx
  TRY bsf edx, ebx
  TRY bsr dx, bx
  TRY bsf edx, [slot]
  TRY bsr dx, [slot]
  TRY bsf edx, edx
  TRY bsr edx, ebx
  TRY xadd edx, ebx
  TRY xadd dx, dx
  TRY xadd dl, bh
  TRY xadd [slot], ebx
  TRY xadd [slot], dx
  TRY xadd [slot+1], bl
  TRY lock xadd [slot], ebx
  TRY cmpxchg edx, ebx
  TRY cmpxchg dx, bx
  TRY cmpxchg dl, bh
  TRY cmpxchg ah, bl
  TRY cmpxchg eax, ebx
  TRY cmpxchg [slot], ebx
  TRY cmpxchg [slot], bx
  TRY cmpxchg [slot], bl
  TRY lock cmpxchg [slot], ebx

; ---- 2. bit strings: a register offset into memory ----
  mov cx, 8
bits_loop:
  call rnd
  mov edx, eax
  sar edx, 22               ; -512..511: bytes -64..63 around bits_at
  call rnd
  mov ebx, eax
  sar ebx, 23               ; -256..255
  add esi, eax              ; flags the BT* keep (all but CF)
  bt [bits_at], edx
  setc al
  bts dword [bits_at], ebx
  adc al, 0
  btr word [bits_at], dx
  adc al, 0
  btc word [bits_at+2], bx
  adc al, 0
  mov si, bits_at - 4
  lock bts dword [si+4], edx
  adc al, 0
  btc word [bx+si+0x100], dx  ; a base register too
  adc al, 0
  mov esi, 0x40
  btr dword [esi+bits_at-0x40], ebx  ; 32-bit addressing (no 64K wrap)
  adc al, 0
  bts word [esi*2+bits_at-0x80], dx
  pushfd
  pop ebx
  call save
  ; a 16-bit address wrapping: FFF8h + up to 31 bytes
  call rnd
  movzx edx, al             ; 0..255 bits
  mov bx, 0xFFF8
  add esi, eax
  btc word [bx], dx
  bts dword [bx], edx
  pushfd
  pop ebx
  call save
  dec cx
  jnz bits_loop

; ---- 3. POP to memory ----
  mov cx, 4
pop_loop:
  call rnd
  push eax
  push ax
  call rnd
  push eax
  pop dword [slot]
  pop word [slot2]
  mov bx, sp
  pop word [ss:bx-16]         ; below the stack (SS)
  call rnd
  push eax
  push ebx
  pop dword [esp]             ; ESP-relative: after the pop (the handler)
  pop ebx
  mov eax, [ss:esp-8]         ; the first pop's store
  call save
  mov [saved_sp], sp
  mov word [resume], .faulted
  call rnd
  push eax
  mov esi, 0x10000
  pop dword [esi]             ; beyond the DS limit: #GP
.faulted:
  mov edx, esp
  mov sp, [saved_sp]
  call save
  dec cx
  jnz pop_loop

  dec word [passes]
  jnz pass
  hlt

; eax := the next pseudo-random value (LCG in EBP)
rnd:
  imul ebp, ebp, 1103515245
  add ebp, 12345
  mov eax, ebp
  rol eax, 15
  xor eax, ebp
  ret

; edx, ebx, [slot]: random or special values; eax: random, or equal to edx
; or [slot] (CMPXCHG's equal case); ecx: random (CL 0..255); flags random.
operands:
  call special
  mov edx, eax
  call special
  mov ebx, eax
  call special
  mov [slot], eax
  call rnd
  mov ecx, eax
  test ah, 3
  jnz .eax
  mov eax, edx
  test ah, 4
  jz .eax
  mov eax, [slot]
.eax:
  push eax
  call rnd
  and ax, 0x08D5            ; OF SF ZF AF PF CF
  push ax
  popf
  pop eax
  ret
special:
  call rnd
  test al, 3
  jz .pick
  ret
.pick:
  shr eax, 8
  and eax, 15
  mov eax, [cs:specials + 4*eax]
  ret
specials:
  dd 0, 1, -1, 0x80000000, 0x7FFFFFFF, 0xFFFFFF80, 0xFFFF8000, 0x80
  dd 0x8000, 0x7F, 0x7FFF, 0xFF, 0xFFFF, 0x40000000, 0x4000, 0x40

; The ring at DI: EAX EBX ECX EDX ESI, EFLAGS, [slot], [slot2]; all folded
; into [hash] too (the ring keeps only the last 1930 entries).
save:
  pushfd
  pop dword [di+20]
  mov [di], eax
  mov [di+4], ebx
  mov [di+8], ecx
  mov [di+12], edx
  mov [di+16], esi
  push eax
  mov eax, [slot]
  mov [di+24], eax
  mov ax, [slot2]
  mov [di+28], ax
  mov eax, [hash]
  xor eax, [di]
  add eax, [di+4]
  xor eax, [di+8]
  add eax, [di+12]
  xor eax, [di+16]
  add eax, [di+20]
  xor eax, [di+24]
  add eax, [di+28]
  rol eax, 5
  mov [hash], eax
  pop eax
  add di, 32
  jnc .ok
  mov di, 0x1000             ; the variables below 1000h stay
.ok:
  ret

; #UD (CMOVcc, XADD, CMPXCHG on the 386) and #GP: count, go on at [resume]
fault_gp:
  add word [gp_count], 1
  jmp fault_resume
fault_ud:
  add word [ud_count], 1
fault_resume:
  push bp
  mov bp, sp
  push ax
  mov ax, [resume]
  mov [bp+2], ax
  pop ax
  pop bp
  iret

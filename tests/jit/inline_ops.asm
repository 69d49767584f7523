; The program of jit_inline_ops_test.cpp (nasm -f bin, assembled by meson):
; the forms emit_shift.cpp, emit_mul.cpp and emit_control_transfer.cpp do
; inline with run-time tests, on pseudo-random values, every result and
; EFLAGS image stored in a ring at DS:1000-FFFF (DI), so that the JIT and
; the interpreter must leave the same RAM:
; 1. shifts and rotates by CL, counts 0..47, 8/16/32-bit, registers (AH's
;    byte too, ECX itself) and memory, each right after an ADD whose flags a
;    count of 0 must leave visible;
; 1a. RCL/RCR by 1; ADC and SBB; BT, BTS, BTR, BTC with register and immediate
;    offsets; CBW, CWD, CWDE, CDQ, NOP, BSWAP of 32 and 16 bits (the long
;    NOP and BSWAP raise #UD on the 386: the handler resumes at [resume]);
; 2. DIV and IDIV of every width on registers (AH too) and memory, with
;    divisors and dividends that make #DE (zero, quotient overflow, -2^31 /
;    -1) about as often as not; the #DE handler resumes at [resume];
; 3. CALL and JMP r/m, 16- and 32-bit, register and memory, the 16-bit ones
;    with garbage in the upper half, and targets beyond the CS limit (#GP(0),
;    ESP unchanged; the #GP handler resumes at [resume]).
; Code at 1000:0000, DS = ES = 3000, SS:SP = 2000:FFFE (tests/jit/jit_guest.h).
bits 16
org 0
%include "real_mode.inc"
resume   equ 0x0800   ; DS offsets of the variables
de_count equ 0x0802
gp_count equ 0x0804
slot     equ 0x0808
tgt16    equ 0x0810
tgt32    equ 0x0814
calls    equ 0x0818
hash     equ 0x0824
ud_count equ 0x0828

start:
  xor ax, ax
  mov es, ax
  ivt_entry 0, fault_de
  ivt_entry 6, fault_ud
  ivt_entry 13, fault_gp
  mov ax, 0x3000
  mov ds, ax
  mov es, ax
  mov di, 0x1000
  mov ebp, 0x1234567
  xor esi, esi
  mov word [0x0820], 4        ; outer passes

pass:
; ---- 1. shifts and rotates by CL ----
  xor cx, cx
shift_loop:
%macro SHR_REG 2
  call rnd
  mov edx, eax
  call rnd
  add esi, eax
  %1 %2, cl
  pushfd
  pop eax
  call save
%endmacro
%macro SHR_MEM 2
  call rnd
  mov [slot], eax
  call rnd
  add esi, eax
  %1 %2 [slot], cl
  pushfd
  pop eax
  mov edx, [slot]
  call save
%endmacro
%macro SHR_ALL 1
  SHR_REG %1, edx
  SHR_REG %1, dx
  SHR_REG %1, dl
  SHR_REG %1, dh
  SHR_MEM %1, dword
  SHR_MEM %1, word
  SHR_MEM %1, byte
%endmacro
  SHR_ALL shl
  SHR_ALL shr
  SHR_ALL sar
  SHR_ALL rol
  SHR_ALL ror
  db 0xD3, 0xF2           ; sal edx, cl (/6, the alias of /4)
  pushfd
  pop eax
  call save
  ; ECX itself, and a count whose flags nothing reads (the next ADD
  ; overwrites them all)
  push ecx
  call rnd
  or ecx, eax
  and ecx, 0xFFFFFF1F
  or cl, [0x0830]
  ror ecx, cl
  mov edx, ecx
  pop ecx
  shl edx, cl
  add edx, esi
  pushfd
  pop eax
  call save
  ; BT BTS BTR BTC on registers (offset in CX: modulo the width) and on
  ; memory with an immediate offset; CF from them, the other flags the ADD's
  call rnd
  mov edx, eax
  add esi, eax
  bts edx, ecx
  btr dx, cx
  pushfd
  pop eax
  call save
  call rnd
  mov [slot], eax
  mov edx, eax
  add esi, eax
  btc dword [slot], 37
  bt edx, 31
  bt word [slot], 9
  btr word [slot], 15
  pushfd
  pop eax
  xor edx, [slot]
  call save
  ; RCL and RCR by 1 and by 2 (both inline), CF from the ADD
  call rnd
  mov edx, eax
  mov [slot], eax
  call rnd
  add esi, eax
  rcl edx, 1
  rcr dx, 1
  rcl byte [slot], 1
  rcr dword [slot], 1
  rcl dh, 1
  db 0xC1, 0xD2, 0x01        ; rcl dx, 1 (the Ib form)
  rcr word [slot+2], 2
  pushfd
  pop eax
  xor edx, [slot]
  call save
  ; ADC and SBB with CF from the ADD before them (pending host flags) or
  ; from the previous block (EFLAGS), on registers and memory
  call rnd
  mov edx, eax
  mov [slot], eax
  call rnd
  add esi, eax
  adc edx, eax
  sbb dx, [slot]
  adc byte [slot], 0x7F
  sbb [slot+1], dh
  pushfd
  pop eax
  xor edx, [slot]
  call save
  call rnd
  sbb edx, eax
  adc dl, cl
  pushfd
  pop eax
  call save
  ; CBW CWD CWDE CDQ BSWAP (486+: #UD on the 386, resumed)
  call rnd
  mov edx, eax
  mov word [resume], .no_bswap
  nop
  db 0x0F, 0x1F, 0x07        ; nop word [bx] (P6)
  bswap edx
  mov ebx, edx
  db 0x0F, 0xCB              ; bswap bx (16-bit: undefined, the interpreter writes 0)
  xor edx, ebx
.no_bswap:
  cbw
  cwd
  call save
  call rnd
  cwde
  cdq
  call save
  inc cx
  cmp cx, 48
  jb shift_loop

; ---- 2. DIV and IDIV ----
  mov cx, 600
div_loop:
%macro DIVR 2
  call operands
  mov word [resume], %%next
  add eax, 0x100             ; EAX used twice: the block may cache it,
  add eax, 0x100             ; and then AH is only in the host register
  add esi, ebx               ; flags pending before the divide
  %1 %2
%%next:
  pushfd
  pop dword [di]
  add di, 4
  jnz %%ok
  mov di, 0x1000
%%ok:
  call save
%endmacro
%macro DIV_ALL 1
  DIVR %1, ebx
  DIVR %1, bx
  DIVR %1, bl
  DIVR %1, bh
  DIVR %1, ah
  DIVR %1, dword [slot]
  DIVR %1, word [slot]
  DIVR %1, byte [slot]
%endmacro
  DIV_ALL div
  DIV_ALL idiv
  dec cx
  jnz div_loop

; ---- 3. CALL and JMP r/m ----
  mov cx, 50
branch_loop:
  call rnd
  and eax, 0xFFFF0000        ; garbage above the 16-bit targets
  or ax, target16
  mov bx, ax
  call bx                    ; CALL r16
  mov [tgt16], bx
  call [tgt16]               ; CALL m16
  mov si, tgt16 - 2
  call word [si+2]
  mov ebx, target32
  o32 call ebx               ; CALL r32 (pushes 4 bytes)
  mov dword [tgt32], target32
  o32 call dword [tgt32]     ; CALL m32
  mov ax, .j1
  jmp ax                     ; JMP r16
  hlt
.j1:
  mov word [tgt16], .j2
  jmp [tgt16]                ; JMP m16
  hlt
.j2:
  mov ebx, .j3
  o32 jmp ebx                ; JMP r32
  hlt
.j3:
  mov dword [tgt32], .j4
  o32 jmp dword [tgt32]      ; JMP m32
  hlt
.j4:
  ; beyond the CS limit (FFFFh): #GP(0), nothing changed
  call rnd
  or eax, 0x10000
  mov ebx, eax
  mov word [resume], .g1
  o32 call ebx
  hlt
.g1:
  call save
  mov word [resume], .g2
  o32 jmp ebx
  hlt
.g2:
  mov [tgt32], ebx
  mov word [resume], .g3
  o32 call dword [tgt32]
  hlt
.g3:
  mov word [resume], .g4
  o32 jmp dword [tgt32]
  hlt
.g4:
  mov edx, esp
  call save
  dec cx
  jnz branch_loop

  dec word [0x0820]
  jnz pass
  hlt

target16:
  add word [calls], 1
  mov edx, esp
  call save
  ret
target32:
  add word [calls], 3
  mov edx, esp
  call save
  o32 ret

; eax := the next pseudo-random value (LCG in EBP)
rnd:
  imul ebp, ebp, 1103515245
  add ebp, 12345
  mov eax, ebp
  rol eax, 15
  xor eax, ebp
  ret

; [DI] := EDX, [DI+4] := EAX, DI += 8 (wrapping in DS); both are also
; folded into a hash at [hash] (the ring keeps only the last 7680 results)
save:
  mov [di], edx
  mov [di+4], eax
  push eax
  xor eax, edx
  add eax, [hash]
  rol eax, 5
  mov [hash], eax
  pop eax
  add di, 8
  jnc .ok
  mov di, 0x1000             ; the variables below 1000h stay
.ok:
  ret

; A divisor in EBX and [slot], a dividend in EDX:EAX: random values scaled
; down by random shifts, or a special one (0, 1, -1, -2^31, ...) one time
; in four.
operands:
  call special
  mov ebx, eax
  mov [slot], eax
  call special
  mov edx, eax
  call special
  ret
special:
  call rnd
  test al, 3
  jz .pick
  push cx
  mov cl, ah
  and cl, 31
  call rnd
  sar eax, cl
  pop cx
  ret
.pick:
  shr eax, 8
  and eax, 7
  mov eax, [cs:specials + 4*eax]  ; eax = the index (< 8)
  ret
specials:
  dd 0, 1, -1, 0x80000000, 0x7FFFFFFF, 0xFFFFFF80, 0xFFFF8000, 0x80

; #DE, #UD and #GP(0): count, then go on at [resume] (the IRET frame's IP)
fault_de:
  add word [de_count], 1
  jmp fault_resume
fault_ud:
  add word [ud_count], 1
  jmp fault_resume
fault_gp:
  add word [gp_count], 1     ; (real mode: no error code)
fault_resume:
  push bp
  mov bp, sp
  push ax
  mov ax, [resume]
  mov [bp+2], ax
  pop ax
  pop bp
  iret

; jit_joins_test.cpp: branches that stay inside their block (jit/emit_join.h)
; (nasm -f bin, assembled by meson). Real mode at 1000:0000. One block holds
; two nested loops whose heads are not its first instruction (LOOP and JNZ
; back into the block), forward branches to instructions of the block whose
; two paths leave the flags in different forms (CMP on one, INC on the
; other, either way round: the join must merge them, ADC then reads CF) or
; in the same form (CMP and ADD), a JC after INC (INC leaves CF alone: the
; host's flags may not be tested), a handler call (BSF) and a store inside
; the loops; then two loops whose head reads CF (ADC) left by the back
; edge's DEC or CMP. Between them, a forward Jcc and a forward JMP into
; loop heads that read CF after INC, a JMP over code that writes every flag
; to an ADC (CF from the CMP before the JMP), and a loop entered by a JMP to
; its test.
bits 16
org 0
  xor ax, ax
  xor bx, bx
  xor dx, dx
  xor si, si
  mov cx, 300
outer:
  mov di, 5
inner:
  add ax, di
  cmp ax, 0x4000
  jb .nowrap
  sub ax, 0x3fff
  inc bx
.nowrap:
  adc dx, 0
  cmp ax, bx
  je .same
  add dx, 1
.same:
  stc
  inc si
  jc .carry
  add dx, 7
.carry:
  stc
  inc si
  jp .parity
  cmp ax, 0x2000
.parity:
  adc dx, 0
  bsf bp, ax
  add dx, bp
  dec di
  jnz inner
  mov [bx + si + 0x200], ax
  loop outer
  ; A forward Jcc and a forward JMP into loop heads, with the flags in the
  ; form INC leaves (CF not from the host): the heads read CF. Then a
  ; rotated loop whose entry is a JMP forward to its test.
  mov cx, 30
  stc
  inc si
  jnz .jcc_head                ; taken (SI counted up from 0 above)
  add dx, 5
.jcc_head:
  adc dx, cx
  dec cx
  jnz .jcc_head
  mov cx, 25
  stc
  inc si
  jmp .jmp_head                ; over the next instruction into a loop head
  add dx, 9
.jmp_head:
  adc dx, cx
  dec cx
  jnz .jmp_head
  stc
  mov ax, 0x1234
  cmp ax, 0x1000               ; CF = 0
  jmp .cf_read                 ; over code that writes every flag: CF lives on
  sub cx, 1
.cf_read:
  adc dx, 0
  mov cx, 20
  jmp .test
.body:
  add dx, cx
  adc dx, 0
.test:
  dec cx
  jnz .body
  mov cx, 50
  stc
.carry_in:                     ; a loop head whose first instruction reads CF
  adc dx, cx
  dec cx
  jnz .carry_in                ; back edge after DEC (CF not in the host flags)
  mov cx, 40
.carry_cmp:
  adc dx, 3
  dec cx
  cmp cx, 7
  jne .carry_cmp               ; back edge after CMP: CF below 7
  pushf
  pop bp
  hlt

; jit_chain_test.cpp: block b rewrites the immediate of block a, which
; branches to b and is b's LOOP target, so the link b -> a must die each
; pass (nasm -f bin, assembled by meson). BL = 0 + 50 + 49 + ... + 2 mod 256.
bits 16
org 0
  xor bx,bx
  mov cx,50
a:
  mov al, 0
  jmp b
b:
  mov [cs:a+1], cl
  add bl, al
  loop a
  hlt

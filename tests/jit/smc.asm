; The self-modifying program of jit_engine_test.cpp (nasm -f bin, assembled by meson).
bits 16
org 0
  xor bx,bx
  mov cx, 50
again:
  mov byte [cs:patch+1], cl
patch:
  mov al, 0
  add bl, al
  loop again
  hlt

; The boundary program of jit_boundary_test.cpp (nasm -f bin, assembled by meson).
; Real mode at 1000:0000, DS = 3000. Each round:
; (a) PIT channel 0 in mode 0 fires once while IRQ0 is masked; the OUT that
;     unmasks it must be followed by the interrupt, before the next INC DX;
; (b) the PIT is loaded with a long count (the next event is far), IRQ0
;     unmasked, then reloaded with a short one: the next event moves
;     earlier, and the interrupt must come inside the spin loop at the
;     instruction the interpreter takes it at.
; The ISR logs BX, DX, SI, DI and masks IRQ0 again.
bits 16
org 0
%include "pc.inc"
%include "real_mode.inc"
start:
  cli
  pic_init 0xFF               ; all masked
  xor ax,ax
  mov es,ax
  ivt_entry 8, isr
  mov ax,0x3000
  mov ds,ax
  xor si,si
  xor bx,bx
  xor dx,dx
  mov word [0x800], 0
  mov word [0x802], 0
  mov cx,150
  sti
round:
  ; (a)
  pit0 0, 20
  mov di,800
spin1:
  inc bx
  dec di
  jnz spin1
  mov al,0xFE
  out 0x21,al
  inc dx
  inc dx
  ; (b)
  pit0 0, 0xEA60
  mov al,0xFE
  out 0x21,al
  mov di,30
spin2:
  inc si
  dec di
  jnz spin2
  pit0 0, 3
  mov di,400
spin3:
  inc si
  dec di
  jnz spin3
  dec cx
  jnz round
  cli
  hlt
isr:
  push ax
  push di
  mov ax,di
  mov di,[0x800]
  mov [di+0x810],bx
  mov [di+0x812],dx
  mov [di+0x814],si
  mov [di+0x816],ax
  add di,8
  and di,0x3FF
  mov [0x800],di
  inc word [0x802]
  mov al,0xFF
  out 0x21,al
  eoi
  pop di
  pop ax
  iret

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
start:
  cli
  mov al,0x11
  out 0x20,al
  mov al,0x08
  out 0x21,al
  mov al,0x04
  out 0x21,al
  mov al,0x01
  out 0x21,al
  mov al,0xFF
  out 0x21,al
  xor ax,ax
  mov es,ax
  mov word [es:8*4], isr
  mov word [es:8*4+2], 0x1000
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
  mov al,0x30
  out 0x43,al
  mov al,20
  out 0x40,al
  xor al,al
  out 0x40,al
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
  mov al,0x30
  out 0x43,al
  mov al,0x60
  out 0x40,al
  mov al,0xEA
  out 0x40,al
  mov al,0xFE
  out 0x21,al
  mov di,30
spin2:
  inc si
  dec di
  jnz spin2
  mov al,0x30
  out 0x43,al
  mov al,3
  out 0x40,al
  xor al,al
  out 0x40,al
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
  mov al,0x20
  out 0x20,al
  pop di
  pop ax
  iret
